/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names and text of footprint events (include/ttyaudit/footprint.h): one
 * home for the words the log's JSON, the alert engine and the CLI use.
 */
#ifndef TA_LOGFMT_FOOTPRINT_H
#define TA_LOGFMT_FOOTPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ttyaudit/footprint.h"

/* "open", "rename", ... "exec_setid"; NULL if unknown. */
const char *ta_fp_op_name(uint16_t op);
/* The op of a name, or 0. */
uint16_t ta_fp_op_parse(const char *name);
/* setuid, setgid, capset, exec of a set-ID program. */
bool ta_fp_op_is_privilege(uint16_t op);
/* connect, accept. */
bool ta_fp_op_is_network(uint16_t op);
/* Open flags as words: "wronly,creat,trunc" ("rdonly" if none). */
void ta_fp_open_flags(uint32_t flags, char *out, size_t n);
/* "tcp", "udp", "raw", or "proto N". */
void ta_fp_proto_name(uint16_t sock_type, uint16_t protocol, char *out, size_t n);
/* An address as text ("192.0.2.1", "2001:db8::1"); "" for another family. */
void ta_fp_addr_str(uint16_t family, const uint8_t addr[16], char *out, size_t n);

/* "ADDR:PORT" ("[ADDR]:PORT" for IPv6). */
void ta_fp_peer_str(uint16_t family, const uint8_t addr[16], uint16_t port, char *out, size_t n);
/*
 * A joined path (TA_FPF_JOINED: an absolute base directory, "/", the name
 * as given from given_off on) as one absolute path: empty and "."
 * components dropped, and ".." folded into the base directory while no
 * component of the name came before it (the base's components are real
 * directories; one of the name may be a symbolic link, whose ".." the kernel
 * takes from where it points: kept as text). Writes at most n - 1 bytes and
 * a NUL; returns the length (*cut set if it did not fit).
 */
size_t ta_fp_path_fold(const char *in, size_t len, size_t given_off, char *out, size_t n,
		       bool *cut);

/*
 * One line saying what the call did ("open wronly,creat /etc/passwd",
 * "connect tcp 192.0.2.1:4444", "setuid uid=0 euid=0 gid=0 egid=0"); the
 * paths given (the decoded ones, absolute where known; callers that print it neutralise it). Returns its length.
 */
size_t ta_fp_describe(const struct ta_fp_event *f, const char *path, uint32_t path_len,
		      const char *path2, uint32_t path2_len, char *out, size_t n);

#endif
