/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The activity journal (docs/log-format.md, "Unclean stops"): a small file
 * the daemon keeps in the log directory, ttyauditd.activity, rewritten in
 * place after every drain round. It says up to when everything the kernel
 * handed over is in the log file (the heartbeat), and which terminal data
 * was drained but not yet written (open batches: session, terminal, since,
 * bytes). It is written, not fsynced: a killed process loses nothing the
 * kernel took, so after kill -9 it is exact; after a power loss it may be
 * older, which only makes the recorded gap wider.
 *
 * After an unclean stop (state still "running"), the next start turns it
 * into a gap record per open batch, filed under its session, and a restart
 * gap from the heartbeat to the new start for everyone.
 */
#ifndef TA_RECORDER_ACTIVITY_H
#define TA_RECORDER_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#define TA_ACTIVITY_NAME "ttyauditd.activity"
#define TA_ACTIVITY_MAX_OPEN 64

struct ta_activity_open {
	uint32_t ses;             /* UINT32_MAX: none */
	char tty[32];
	uint64_t since_ns, entries, bytes;
	uint64_t copy_entries, copy_bytes; /* of them, output of another session's writer */
};

struct ta_activity {
	int running;              /* 0: the writer stopped cleanly */
	uint64_t pid;
	uint64_t heartbeat_ns;    /* CLOCK_REALTIME: everything before is in the log file */
	size_t n_open;
	struct ta_activity_open open[TA_ACTIVITY_MAX_OPEN];
};

/* Text form, with a CRC32C line at the end. Returns the length (cap may truncate). */
size_t ta_activity_format(const struct ta_activity *a, char *buf, size_t cap);
/* 0, or -EBADMSG if the text is not a complete journal (torn, edited, garbage). */
int ta_activity_parse(const char *buf, size_t len, struct ta_activity *a);

/* The daemon's open journal file. */
struct ta_activity_file {
	int fd;
	size_t len;               /* bytes in the file now */
	char last[8192];          /* the last text written (skip identical rewrites) */
};

/*
 * Opens (creates) ttyauditd.activity in the directory dirfd and reads what
 * the previous daemon left: 1 and *prev filled if there was a valid journal,
 * 0 if none or not valid (*why says which), -errno if the file cannot be
 * opened (-ELOOP for a symlink, -EPERM for anything but a regular file with
 * one link: the daemon never writes through a name someone else made).
 */
int ta_activity_file_open(struct ta_activity_file *f, int dirfd, struct ta_activity *prev,
			  const char **why);
/* Rewrites the file in place (pwrite, truncate if shorter). 0 or -errno. */
int ta_activity_file_write(struct ta_activity_file *f, const struct ta_activity *a);
void ta_activity_file_close(struct ta_activity_file *f);

#endif
