// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Checkpoints in the audit trail: the reader (see anchor.h). A file of its own
 * so that a program which only reads them (the CLI's verify --audit-log) does
 * not link libaudit, which the writer needs.
 */
#include "sessions/anchor.h"

#include "base/base64.h"
#include "base/buf.h"
#include "base/fs.h"
#include "sessions/auparse_load.h"

#include <errno.h>
#include <libaudit.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* origin="text" or origin=HEX, as audit_encode_nv_string writes it. */
static int decode_origin(const char *raw, char *out, size_t cap)
{
	size_t n = strlen(raw);

	if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"') {
		if (n - 2 == 0 || n - 2 >= cap)
			return -EINVAL;
		memcpy(out, raw + 1, n - 2);
		out[n - 2] = '\0';
		return 0;
	}
	if (n == 0 || n % 2 || n / 2 >= cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;
		char pair[3] = { raw[i], raw[i + 1], 0 };

		if (!strchr("0123456789ABCDEFabcdef", pair[0]) ||
		    !strchr("0123456789ABCDEFabcdef", pair[1]) || sscanf(pair, "%2x", &v) != 1)
			return -EINVAL;
		if (v == 0)
			return -EINVAL;
		out[i / 2] = (char)v;
	}
	out[n / 2] = '\0';
	return 0;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static uint32_t u32_or_unset(const char *s)
{
	uint64_t v;

	return parse_u64(s, &v) && v <= 0xffffffffu ? (uint32_t)v : 0xffffffffu;
}

/*
 * The event's node= (auditd's name_format): "" when there is none. A host,
 * domain or address name only: anything else (too long, control bytes, an
 * escape sequence for the investigator's terminal) is -EBADMSG.
 */
static int read_node(const struct ta_auparse *ap, auparse_state_t *au, char *out, size_t cap)
{
	char *node = (char *)ap->auparse_get_node(au);
	size_t n = node ? strlen(node) : 0;

	out[0] = '\0';
	if (n >= cap || (n && strspn(node, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					     "0123456789.-_:") != n)) {
		free(node);
		return -EBADMSG;
	}
	if (n)
		memcpy(out, node, n + 1);
	free(node);
	return 0;
}

/* Takes a kernel field the first time it is met (*seen: one bit each); true at ses, the last. */
static bool kernel_field(struct ta_anchor *a, unsigned *seen, const char *name, const char *val)
{
	static const char *const names[] = { "pid", "uid", "auid", "ses" };
	uint32_t *slots[] = { &a->pid, &a->uid, &a->auid, &a->ses };

	for (unsigned i = 0; i < 4; i++) {
		if (strcmp(name, names[i]))
			continue;
		if (!(*seen & 1u << i))
			*slots[i] = u32_or_unset(val);
		*seen |= 1u << i;
		return i == 3;
	}
	return false;
}

/* Fields of the current record; 1 if it is a well-formed checkpoint. */
static int parse_anchor(const struct ta_auparse *ap, auparse_state_t *au, struct ta_anchor *a)
{
	const char *op = NULL;
	bool have_origin = false, have_size = false, have_root = false, bad = false;
	bool kernel_done = false;
	unsigned seen = 0;
	const au_event_t *ts = ap->auparse_get_timestamp(au);

	memset(a, 0, sizeof(*a));
	a->pid = a->uid = a->auid = a->ses = 0xffffffffu;
	if (ts) {
		a->time_sec = ts->sec;
		a->time_msec = ts->milli;
		a->serial = ts->serial;
	}
	if (ap->auparse_first_field(au) <= 0)
		return 0;
	do {
		const char *name = ap->auparse_get_field_name(au);
		const char *val = ap->auparse_get_field_str(au);

		if (!name || !val)
			continue;
		if (!strcmp(name, "op") && !op) {
			if (strcmp(val, TA_ANCHOR_OP) != 0)
				return 0;
			op = val;
		} else if (!op) {
			/*
			 * The kernel writes pid uid auid ses, then the sender's msg='...':
			 * each is taken once and none after ses, so that text before op=
			 * cannot stand in for them (login_parse.c's first occurrence).
			 */
			if (!kernel_done)
				kernel_done = kernel_field(a, &seen, name, val);
		} else if (!strcmp(name, "origin") && !have_origin) {
			have_origin = true;
			bad |= decode_origin(val, a->origin, sizeof(a->origin)) < 0;
		} else if (!strcmp(name, "size") && !have_size) {
			have_size = true;
			bad |= !parse_u64(val, &a->size);
		} else if (!strcmp(name, "root") && !have_root) {
			/* Canonical: one spelling of a root. */
			long n = ta_base64_decode(val, strlen(val), a->root, sizeof(a->root),
						  TA_BASE64_CANONICAL);

			have_root = true;
			if (n <= 0)
				bad = true;
			else
				a->root_len = (size_t)n;
		} else if (!strcmp(name, "exe") && !a->exe[0]) {
			const char *v = ap->auparse_interpret_field(au);

			snprintf(a->exe, sizeof(a->exe), "%s", v ? v : val);
		} else if (!strcmp(name, "res")) {
			a->success = !strcmp(val, "success") || !strcmp(val, "1");
		}
	} while (ap->auparse_next_field(au) > 0);
	if (!op)
		return 0;
	if (read_node(ap, au, a->node, sizeof(a->node)) < 0)
		bad = true;
	if (bad || !have_origin || !have_size || !have_root)
		return -EBADMSG;
	return 1;
}

int ta_anchor_read_file(const char *path, struct ta_anchor **out, size_t *malformed)
{
	const struct ta_auparse *ap;
	auparse_state_t *au;
	struct ta_anchor *v = NULL;
	size_t n = 0, cap = 0, bad = 0, events = 0;
	struct stat st;
	FILE *trail;
	char why[256];
	int fd;

	*out = NULL;
	if (!(ap = ta_auparse_load(why, sizeof(why))))
		return -ELIBACC;
	/*
	 * auparse says little about why a file would not open, and reads a
	 * directory as an empty trail: the file is opened and checked here and
	 * auparse reads that one (opened again by name, it could be another by
	 * then: a FIFO swapped in hung verify). auparse_destroy closes it.
	 */
	fd = ta_open_named_regular(path, NULL);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || !(trail = fdopen(fd, "re"))) {
		int err = -errno;
		close(fd);
		return err;
	}
	errno = 0;
	au = ap->auparse_init(AUSOURCE_FILE_POINTER, trail);
	if (!au) {
		int err = errno ? -errno : -EIO;
		fclose(trail);
		return err;
	}
	while (ap->auparse_next_event(au) > 0) {
		events++;
		if (ap->auparse_first_record(au) <= 0)
			continue;
		do {
			struct ta_anchor a;
			int rc;

			if (ap->auparse_get_type(au) != AUDIT_TRUSTED_APP)
				continue;
			rc = parse_anchor(ap, au, &a);
			if (rc < 0)
				bad++;
			if (rc <= 0)
				continue;
			if (ta_array_grow((void **)&v, &cap, n + 1, sizeof(*v))) {
				free(v);
				ap->auparse_destroy(au);
				return -ENOMEM;
			}
			v[n++] = a;
		} while (ap->auparse_next_record(au) > 0);
	}
	ap->auparse_destroy(au);
	/* Bytes and not one audit event: another file named by mistake, not an empty trail. */
	if (!events && st.st_size > 0)
		return -ENOMSG;
	if (malformed)
		*malformed = bad;
	*out = v;
	return (int)n;
}
