/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ttyaudit checkpoints anchored in the audit trail.
 *
 * ttyauditd writes, through libaudit, one user-space audit record of type
 * AUDIT_TRUSTED_APP (1121) per anchored checkpoint:
 *
 *   op=ttyaudit-checkpoint origin=<ORIGIN> size=<N> root=<BASE64>
 *
 * (libaudit appends exe=, hostname=, addr=, terminal=, res=). ORIGIN is
 * written with audit_encode_nv_string: "quoted" when it is plain text, hex
 * when it holds spaces, quotes, control or non-ASCII bytes. N is the tree
 * size in decimal, BASE64 the tree root (standard alphabet, padded).
 * The reader scans an audit log file with auparse and returns every such
 * record. See docs/sessions.md.
 */
#ifndef TA_SESSIONS_ANCHOR_H
#define TA_SESSIONS_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

#define TA_ANCHOR_OP "ttyaudit-checkpoint"
#define TA_ANCHOR_ORIGIN_MAX 256 /* bytes, NUL included */
#define TA_ANCHOR_NODE_MAX 256   /* bytes, NUL included; a longer node= is malformed */
#define TA_ANCHOR_ROOT_MAX 64

struct ta_anchor {
	char origin[TA_ANCHOR_ORIGIN_MAX];
	uint64_t size;
	uint8_t root[TA_ANCHOR_ROOT_MAX];
	size_t root_len;
	/* where it sits in the audit trail, and who wrote it */
	int64_t time_sec;
	uint32_t time_msec;
	uint64_t serial;
	uint32_t pid, uid, auid, ses;  /* 0xffffffff when absent */
	char exe[256];
	char node[TA_ANCHOR_NODE_MAX];  /* node= of an aggregated trail; "" when absent */
	int success;                    /* res=success */
};

/* The audit record type used (AUDIT_TRUSTED_APP). */
int ta_anchor_record_type(void);

/*
 * The message text for a checkpoint (what ta_anchor_write sends).
 * Returns its length, -EINVAL (empty/over-long origin, root_len 0 or >
 * TA_ANCHOR_ROOT_MAX), -ENOSPC or -ENOMEM.
 */
int ta_anchor_format(char *buf, size_t cap, const char *origin, uint64_t size,
		     const uint8_t *root, size_t root_len);

/*
 * Send the checkpoint to the kernel audit subsystem. Returns 0, or:
 * -EPROTONOSUPPORT  the kernel has no audit support;
 * -ENOTCONN         auditing is disabled or no audit daemon is registered,
 *                   so the record would not reach an audit log;
 * -EPERM            missing CAP_AUDIT_WRITE / CAP_AUDIT_CONTROL;
 * -EINVAL/-ENOSPC   bad arguments; other -errno from the netlink socket.
 */
int ta_anchor_write(const char *origin, uint64_t size, const uint8_t *root, size_t root_len);

/*
 * Every checkpoint record in an audit log file, in file order. *out is
 * malloc'd (free it; NULL when none). Returns the count, or -errno
 * (-ENOENT, -EACCES, -EINVAL: not a regular file...). Records that name the op but are malformed are
 * skipped and counted in *malformed (may be NULL).
 */
/*
 * Sends an anchor on an audit netlink socket opened earlier (audit_open()),
 * without asking the kernel about auditd: that needs CAP_AUDIT_CONTROL, which
 * the daemon drops; sending needs only CAP_AUDIT_WRITE. With no auditd the
 * kernel still logs it. 0 or -errno.
 */
int ta_anchor_send(int audit_fd, const char *origin, uint64_t size, const uint8_t *root,
		   size_t root_len);

/*
 * The ttyaudit anchors in the audit log at path (lines that are no audit
 * record are skipped, as auparse skips them): their number, *out allocated,
 * and the malformed ones counted; -ENOMSG if the file has bytes and not one
 * audit event (not an audit log), -EINVAL if it is no regular file, -errno.
 */
int ta_anchor_read_file(const char *path, struct ta_anchor **out, size_t *malformed);

#endif
