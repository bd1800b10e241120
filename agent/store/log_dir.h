/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The names of the files in a log directory, and listing them: public, for
 * the programs that look at a log directory from outside the store (status,
 * the index's freshness check). The files' contents stay the store's
 * (store/format.h, internal).
 */
#ifndef TA_STORE_LOG_DIR_H
#define TA_STORE_LOG_DIR_H

#include <stddef.h>
#include <stdint.h>

#define TA_SEG_PREFIX "seg-"
#define TA_SEG_SUFFIX ".log"
#define TA_CKPT_SUFFIX ".ckpt"
#define TA_VKEY_NAME "ttyaudit.vkey"
#define TA_LOCK_NAME ".lock"
#define TA_SEG_NAME_MAX 40
void ta_seg_name(char out[TA_SEG_NAME_MAX], uint64_t seq, const char *suffix);
/* 1 and *seq if name is "seg-<16 hex>" + suffix, else 0. */
int ta_seg_name_parse(const char *name, const char *suffix, uint64_t *seq);

/* Sorted sequence numbers of seg-*.log files in dirfd. *seqs is malloc'd. */
int ta_list_segments(int dirfd, uint64_t **seqs, size_t *n);
/* The same for seg-<seq><suffix> files. */
int ta_list_seq_files(int dirfd, const char *suffix, uint64_t **seqs, size_t *n);

#endif
