// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * auditd event stream -> ta_login_event. auparse does the record parsing and
 * the value interpretation (hex-encoded acct and friends); this file gates
 * the input so that auparse only ever sees well-formed lines of the types we
 * need, and extracts the fields with bounds and validation.
 */
#include "sessions/login_parse.h"

#include "sessions/auparse_load.h"

#include <errno.h>
#include <libaudit.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ta_login_parser {
	const struct ta_auparse *ap;
	auparse_state_t *au;
	ta_login_event_fn fn;
	void *arg;
	char *line;      /* current partial line, TA_LOGIN_LINE_MAX bytes */
	size_t line_len;
	bool skipping;   /* inside a line that was too long: drop to newline */
	/* serials of recent SYSCALL records with the watch key: their PATH/CWD follow */
	uint64_t watch_serials[16];
	unsigned watch_next;
	struct ta_audit_node node;  /* which records are this host's (TA_NODE_ANY: all) */
	struct ta_login_parser_stats st;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Count 1..max digits at s[*i], advancing *i. */
static bool take_digits(const char *s, size_t len, size_t *i, size_t max)
{
	size_t start = *i;

	while (*i < len && is_digit(s[*i]) && *i - start < max)
		(*i)++;
	return *i > start && (*i >= len || !is_digit(s[*i]));
}

static uint32_t type_from_name(const char *name, size_t n)
{
	char buf[64];
	int t;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, name, n);
	buf[n] = '\0';
	if (strncmp(buf, "UNKNOWN[", 8) == 0) {
		char *end;
		unsigned long v = strtoul(buf + 8, &end, 10);

		if (end == buf + 8 || strcmp(end, "]") != 0 || v > 0xffff)
			return 0;
		return (uint32_t)v;
	}
	t = audit_name_to_msg_type(buf);
	return t > 0 ? (uint32_t)t : 0;
}

/*
 * What follows auditd's enrichment separator (0x1d, log_format = ENRICHED):
 * its names for the record's values, NAME=VALUE words, NAME upper case,
 * VALUE "quoted", { grouped } or one word. auparse takes the first 0x1d of a
 * line for the separator, and libaudit writes hostname= and terminal=
 * unencoded: a host name holding one cut the record there and made the
 * sender's text after it auditd's names (ID="root" named the account of a
 * login by id=, "res=success" before it turned a failed login into a
 * success). The sender's own fields always follow (addr=, terminal=, res=,
 * lower case), so a separator a value carried is never followed by this.
 */
static bool enrichment_ok(const char *s, size_t len)
{
	const char *sep = memchr(s, 0x1d, len);
	size_t i;

	if (!sep)
		return true;
	i = (size_t)(sep - s) + 1;
	while (i < len) {
		size_t name = i;
		char close;

		if (s[i] == ' ') {
			i++;
			continue;
		}
		while (i < len && ((s[i] >= 'A' && s[i] <= 'Z') || is_digit(s[i]) || s[i] == '_' ||
				   s[i] == '-'))
			i++;
		if (i == name || i >= len || s[i++] != '=')
			return false;
		close = i < len && s[i] == '"' ? '"' : i < len && s[i] == '{' ? '}' : ' ';
		if (close != ' ') {
			const char *end = memchr(s + i + 1, close, len - i - 1);

			if (!end)
				return false;
			i = (size_t)(end - s) + 1;
			if (i < len && s[i] != ' ')
				return false;
		} else {
			while (i < len && s[i] != ' ' && s[i] != '"' && s[i] != '\'')
				i++;
			if (i < len && s[i] != ' ')
				return false;
		}
	}
	return !memchr(sep + 1, 0x1d, len - (size_t)(sep + 1 - s));
}

/*
 * The record type and event serial of a well-formed line, or -EBADMSG;
 * *node_len (may be NULL) is the length of its node= name at s + 5, or 0.
 */
static int line_head(const char *s, size_t len, uint32_t *type_out, uint64_t *serial_out,
		     size_t *node_len)
{
	size_t i = 0, name_start, serial_start;
	uint32_t type;

	if (len == 0 || memchr(s, '\0', len))
		return -EBADMSG;
	if (node_len)
		*node_len = 0;
	if (len >= 5 && memcmp(s, "node=", 5) == 0) {
		i = 5;
		while (i < len && s[i] != ' ' && s[i] != '\t' && i < 300)
			i++;
		if (i >= len || s[i] != ' ' || i == 5)
			return -EBADMSG;
		if (node_len)
			*node_len = i - 5;
		i++;
	}
	if (len - i < 5 || memcmp(s + i, "type=", 5) != 0)
		return -EBADMSG;
	i += 5;
	name_start = i;
	while (i < len && (s[i] == '_' || s[i] == '[' || s[i] == ']' ||
			   (s[i] >= 'A' && s[i] <= 'Z') || is_digit(s[i])))
		i++;
	type = type_from_name(s + name_start, i - name_start);
	if (len - i < 11 || memcmp(s + i, " msg=audit(", 11) != 0)
		return -EBADMSG;
	i += 11;
	if (!take_digits(s, len, &i, 20) || i >= len || s[i++] != '.' ||
	    !take_digits(s, len, &i, 3) || i >= len || s[i++] != ':')
		return -EBADMSG;
	serial_start = i;
	if (!take_digits(s, len, &i, 20) || len - i < 2 || s[i] != ')' || s[i + 1] != ':')
		return -EBADMSG;
	if (type == 0)
		return -EBADMSG;
	*type_out = type;
	*serial_out = strtoull(s + serial_start, NULL, 10);
	return 0;
}

int ta_login_line_check(const char *s, size_t len)
{
	uint32_t type;
	uint64_t serial;

	if (line_head(s, len, &type, &serial, NULL))
		return -EBADMSG;
	if (!ta_login_record_type_wanted(type))
		return 0;
	return enrichment_ok(s, len) ? 1 : -EBADMSG;
}

/*
 * Audit watches on ttyauditd's own files: the SYSCALL record carries the
 * key; the CWD, PATH and EOE records of the same event follow it and are
 * let through by its serial. Everything else of the syscall stream stays
 * out of auparse.
 */
static bool watch_line(struct ta_login_parser *p, const char *s, size_t len, uint32_t type,
		       uint64_t serial)
{
	static const char key[] = "key=\"" TA_LOGIN_WATCH_KEY "\"";
	unsigned n = sizeof(p->watch_serials) / sizeof(p->watch_serials[0]);

	if (type == AUDIT_SYSCALL) {
		if (!memmem(s, len, key, sizeof(key) - 1))
			return false;
		p->watch_serials[p->watch_next++ % n] = serial + 1;
		return true;
	}
	if (type != AUDIT_PATH && type != AUDIT_CWD && type != AUDIT_EOE)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (p->watch_serials[i] == serial + 1)
			return true;
	return false;
}

static bool is_octal(unsigned char c)
{
	return c >= '0' && c <= '7';
}

/*
 * Copy src into dst[cap], control characters as octal escapes, and a
 * backslash that three octal digits follow as one too (\134), so that
 * "\012" in a value is always a newline: auparse decodes the values that were
 * hex (for a character an unprivileged user chose, as a login name) and its
 * TTY escaping wrote a newline as the same four characters a name holding
 * "\012" as text came out as. Any other backslash stays one (DOMAIN\user, a
 * winbind login, is stored, shown and matched as it is). Values are asked of
 * auparse raw (ta_login_extract_event), and escaped here only. Returns true
 * if it had to cut (never inside an escape).
 */
static bool copy_bounded(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (const unsigned char *s = (const unsigned char *)src; *s; s++) {
		bool escape_backslash = *s == '\\' && is_octal(s[1]) && is_octal(s[2]) &&
					is_octal(s[3]);

		if (*s < 0x20 || *s == 0x7f || escape_backslash) {
			if (o + 4 >= cap)
				goto cut;
			dst[o++] = '\\';
			dst[o++] = (char)('0' + ((*s >> 6) & 7));
			dst[o++] = (char)('0' + ((*s >> 3) & 7));
			dst[o++] = (char)('0' + (*s & 7));
		} else {
			if (o + 1 >= cap)
				goto cut;
			dst[o++] = (char)*s;
		}
	}
	dst[o] = '\0';
	return false;
cut:
	dst[o] = '\0';
	return true;
}

/* Decimal u32; "-1" and 4294967295 mean unset. */
static bool parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v = 0;
	size_t i = 0;

	if (!s)
		return false;
	if (strcmp(s, "-1") == 0) {
		*out = TA_LOGIN_UNSET;
		return true;
	}
	if (!is_digit(s[0]))
		return false;
	for (; s[i]; i++) {
		if (!is_digit(s[i]) || i >= 10)
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 0xffffffffull)
		return false;
	*out = (uint32_t)v;
	return true;
}

static uint16_t parse_result(const char *s)
{
	if (!s)
		return TA_LOGIN_RES_UNKNOWN;
	if (!strcmp(s, "success") || !strcmp(s, "yes") || !strcmp(s, "1"))
		return TA_LOGIN_RES_SUCCESS;
	if (!strcmp(s, "failed") || !strcmp(s, "no") || !strcmp(s, "0"))
		return TA_LOGIN_RES_FAILED;
	return TA_LOGIN_RES_UNKNOWN;
}

/*
 * auparse's interpretation of the current field (hex decoded), or its raw
 * text. A decoded value is a C string: hex holding a 00 comes back cut there,
 * which sets *cut (when given), so that the cut is flagged, not silent.
 */
static const char *field_value(const struct ta_auparse *ap, auparse_state_t *au, bool *cut)
{
	const char *raw = ap->auparse_get_field_str(au);
	const char *v = ap->auparse_interpret_field(au);
	int type;

	if (!v)
		return raw;
	type = ap->auparse_get_field_type(au);
	if (cut && raw && (type == AUPARSE_TYPE_ESCAPED || type == AUPARSE_TYPE_ESCAPED_FILE ||
			   type == AUPARSE_TYPE_ESCAPED_KEY)) {
		size_t n = strlen(raw);

		if (n % 2 == 0 && strspn(raw, "0123456789ABCDEFabcdef") == n && strlen(v) < n / 2)
			*cut = true;
	}
	return v;
}

/* Copy the current field's value into dst[cap], escaped; true if cut (copy_bounded). */
static bool copy_field(const struct ta_auparse *ap, auparse_state_t *au, char *dst, size_t cap)
{
	bool nul = false;
	const char *v = field_value(ap, au, &nul);
	bool cut = copy_bounded(dst, cap, v ? v : "");

	return cut || nul;
}

/* Fields of one record; the first occurrence of a name wins (the kernel's). */
struct raw_fields {
	const char *pid, *uid, *auid, *ses, *old_auid, *old_ses, *id, *res;
	bool have_op, have_acct, have_exe, have_host, have_addr, have_term;
	bool have_id_name, have_auid_name;
	bool id_name_cut, auid_name_cut;
	/* escaped as ev->acct is (copy_bounded), so copied there as they are */
	char id_name[TA_LOGIN_ACCT_LEN];
	char auid_name[TA_LOGIN_ACCT_LEN];
	/* raw strings are copied: auparse reuses its buffers on interpretation */
	char raw[8][24];
};

static const char *keep_raw(struct raw_fields *f, int slot, const char *v)
{
	if (!v || strlen(v) >= sizeof(f->raw[slot]))
		return "";
	strcpy(f->raw[slot], v);
	return f->raw[slot];
}

static int extract_record(const struct ta_auparse *ap, auparse_state_t *au, uint32_t type,
			  struct ta_login_event *ev)
{
	struct raw_fields f;
	const au_event_t *ts;
	uint16_t trunc = 0;
	/*
	 * libaudit writes a login record's hostname= and terminal= unencoded, then
	 * addr=, terminal= and res= last: a value with spaces (a remote host name a
	 * PAM service took from its client) can carry "terminal=... res=success"
	 * before the real ones. Of those three the last one is the real one; the
	 * kernel's fields before msg= (pid, uid, auid, ses) keep the first, and
	 * no other name is taken after hostname=.
	 */
	bool last_wins = type != AUDIT_LOGIN;

	memset(&f, 0, sizeof(f));
	ta_login_event_init(ev);
	ev->record_type = type;

	ts = ap->auparse_get_timestamp(au);
	/* After 1970, before the year 10000: anything else is not a real record. */
	if (!ts || ts->sec <= 0 || ts->sec > 253402300799LL || ts->milli > 999)
		return -EBADMSG;
	ev->time_sec = ts->sec;
	ev->time_msec = ts->milli;
	ev->serial = ts->serial;

	if (ap->auparse_first_field(au) <= 0)
		return -EBADMSG;
	do {
		const char *name = ap->auparse_get_field_name(au);
		const char *raw = ap->auparse_get_field_str(au);

		if (!name || !raw)
			continue;
		/*
		 * After hostname= libaudit writes only addr=, terminal= and res=:
		 * any other name there is the host name's text. A login by id=
		 * has no acct= of its own, and "hostname=evil acct=root" gave it one.
		 */
		if (last_wins && f.have_host && strcmp(name, "addr") && strcmp(name, "terminal") &&
		    strcmp(name, "res"))
			continue;
		if (!strcmp(name, "pid") && !f.pid)
			f.pid = keep_raw(&f, 0, raw);
		else if (!strcmp(name, "uid") && !f.uid)
			f.uid = keep_raw(&f, 1, raw);
		else if (!strcmp(name, "auid") && !f.auid) {
			f.auid = keep_raw(&f, 2, raw);
			if (type == AUDIT_LOGIN) {
				f.have_auid_name = true;
				f.auid_name_cut = copy_field(ap, au, f.auid_name,
							     sizeof(f.auid_name));
			}
		} else if (!strcmp(name, "ses") && !f.ses)
			f.ses = keep_raw(&f, 3, raw);
		else if (!strcmp(name, "old-auid") && !f.old_auid)
			f.old_auid = keep_raw(&f, 4, raw);
		else if (!strcmp(name, "old-ses") && !f.old_ses)
			f.old_ses = keep_raw(&f, 5, raw);
		else if (!strcmp(name, "id") && !f.id) {
			f.id = keep_raw(&f, 6, raw);
			f.have_id_name = true;
			f.id_name_cut = copy_field(ap, au, f.id_name, sizeof(f.id_name));
		} else if (!strcmp(name, "res") && (!f.res || last_wins))
			f.res = keep_raw(&f, 7, raw);
		else if (!strcmp(name, "op") && !f.have_op) {
			f.have_op = true;
			if (copy_field(ap, au, ev->op, sizeof(ev->op)))
				trunc |= TA_LOGIN_F_TRUNC_OP;
		} else if (!strcmp(name, "acct") && !f.have_acct) {
			f.have_acct = true;
			if (copy_field(ap, au, ev->acct, sizeof(ev->acct)))
				trunc |= TA_LOGIN_F_TRUNC_ACCT;
		} else if (!strcmp(name, "exe") && !f.have_exe) {
			f.have_exe = true;
			if (copy_field(ap, au, ev->exe, sizeof(ev->exe)))
				trunc |= TA_LOGIN_F_TRUNC_EXE;
		} else if (!strcmp(name, "hostname") && !f.have_host) {
			f.have_host = true;
			if (copy_field(ap, au, ev->hostname, sizeof(ev->hostname)))
				trunc |= TA_LOGIN_F_TRUNC_HOST;
		} else if (!strcmp(name, "addr") && (!f.have_addr || last_wins)) {
			f.have_addr = true;
			trunc &= (uint16_t)~TA_LOGIN_F_TRUNC_ADDR;
			if (copy_field(ap, au, ev->addr, sizeof(ev->addr)))
				trunc |= TA_LOGIN_F_TRUNC_ADDR;
		} else if ((!strcmp(name, "terminal") ||
			    (type == AUDIT_LOGIN && !strcmp(name, "tty"))) && (!f.have_term || last_wins)) {
			f.have_term = true;
			trunc &= (uint16_t)~TA_LOGIN_F_TRUNC_TERM;
			if (copy_field(ap, au, ev->terminal, sizeof(ev->terminal)))
				trunc |= TA_LOGIN_F_TRUNC_TERM;
		}
	} while (ap->auparse_next_field(au) > 0);

	/* Every record the kernel relays for a process carries pid= and ses=. */
	if (!parse_u32(f.pid, &ev->pid) || ev->pid == TA_LOGIN_UNSET || ev->pid == 0)
		return -EBADMSG;
	if (!parse_u32(f.ses, &ev->ses))
		return -EBADMSG;
	if (f.uid && !parse_u32(f.uid, &ev->uid))
		return -EBADMSG;
	if (f.auid && !parse_u32(f.auid, &ev->auid))
		return -EBADMSG;
	if (f.id && !parse_u32(f.id, &ev->id))
		return -EBADMSG;
	if (type == AUDIT_LOGIN) {
		if (!f.auid || !parse_u32(f.old_auid, &ev->old_auid) ||
		    !parse_u32(f.old_ses, &ev->old_ses))
			return -EBADMSG;
	} else if (type < AUDIT_FIRST_ANOM_MSG && (!f.res || !f.have_op)) {
		/* a user-space PAM/login record always says what and how it went */
		return -EBADMSG;
	}
	ev->result = parse_result(f.res);

	/*
	 * The account: acct= when given, else the name auparse gives id=/auid=;
	 * not its "unknown(1001)" for a uid it could not resolve: a session keeps
	 * the first name it learns, and that one would shut out the login
	 * service's acct= that follows.
	 */
	if (f.have_id_name && !strncmp(f.id_name, "unknown(", 8))
		f.have_id_name = false;
	if (f.have_auid_name && !strncmp(f.auid_name, "unknown(", 8))
		f.have_auid_name = false;
	_Static_assert(sizeof(f.id_name) == sizeof(ev->acct), "acct from id= as escaped");
	if (!f.have_acct && f.have_id_name) {
		memcpy(ev->acct, f.id_name, sizeof(ev->acct));
		if (f.id_name_cut)
			trunc |= TA_LOGIN_F_TRUNC_ACCT;
		ev->flags |= TA_LOGIN_F_ACCT_FROM_ID;
	} else if (!f.have_acct && f.have_auid_name && ev->auid != TA_LOGIN_UNSET) {
		memcpy(ev->acct, f.auid_name, sizeof(ev->acct));
		if (f.auid_name_cut)
			trunc |= TA_LOGIN_F_TRUNC_ACCT;
		ev->flags |= TA_LOGIN_F_ACCT_FROM_ID;
	}
	ev->flags |= trunc;

	if (ev->result == TA_LOGIN_RES_FAILED &&
	    (type == AUDIT_USER_LOGIN || type == AUDIT_USER_AUTH || type == AUDIT_USER_ACCT))
		ev->flags |= TA_LOGIN_F_FAILED_LOGIN;
	if (type == AUDIT_ANOM_LOGIN_FAILURES)
		ev->flags |= TA_LOGIN_F_FAILED_LOGIN;
	return 0;
}

/* The value of a named field of the current record, interpreted, or NULL. */
static const char *find_field(const struct ta_auparse *ap, auparse_state_t *au, const char *name,
			      bool interpret)
{
	if (ap->auparse_first_field(au) <= 0 || !ap->auparse_find_field(au, name))
		return NULL;
	return interpret ? field_value(ap, au, NULL) : ap->auparse_get_field_str(au);
}

/*
 * Whether the call named its files relative to a directory descriptor, not
 * the working directory: an *at call (openat, unlinkat, renameat...) given a
 * descriptor other than AT_FDCWD in one of its directory arguments. A
 * relative name is then not joined to the CWD record (cd /tmp;
 * unlinkat(<fd of the log directory>, "seg-1.log") was reported as
 * /tmp/seg-1.log). The numbers of x86_64 and i386 (32-bit calls) are known;
 * another architecture's relative names are not joined either.
 */
struct at_call {
	uint16_t nr;
	uint8_t dirfds; /* which of a0..a3 are directory descriptors (bit i: ai) */
};

static const struct at_call at_x86_64[] = {
	{ 257, 1 }, { 258, 1 }, { 259, 1 }, { 260, 1 }, { 261, 1 }, { 262, 1 }, { 263, 1 },
	{ 264, 5 }, { 265, 5 }, { 266, 2 }, { 267, 1 }, { 268, 1 }, { 269, 1 }, { 280, 1 },
	{ 316, 5 }, { 322, 1 }, { 332, 1 }, { 437, 1 }, { 439, 1 }, { 452, 1 }, { 0, 0 },
};
static const struct at_call at_i386[] = {
	{ 295, 1 }, { 296, 1 }, { 297, 1 }, { 298, 1 }, { 299, 1 }, { 300, 1 }, { 301, 1 },
	{ 302, 5 }, { 303, 5 }, { 304, 2 }, { 305, 1 }, { 306, 1 }, { 307, 1 }, { 320, 1 },
	{ 353, 5 }, { 358, 1 }, { 383, 1 }, { 437, 1 }, { 439, 1 }, { 452, 1 }, { 0, 0 },
};

static bool watch_dirfd(const struct ta_auparse *ap, auparse_state_t *au, uint32_t nr)
{
	static const char *const args[] = { "a0", "a1", "a2", "a3" };
	const char *v = find_field(ap, au, "arch", false);
	const struct at_call *t = !v ? NULL : !strcmp(v, "c000003e") ? at_x86_64 :
				  !strcmp(v, "40000003") ? at_i386 : NULL;

	if (!t)
		return true;
	for (; t->nr; t++) {
		if (t->nr != nr)
			continue;
		for (int a = 0; a < 4; a++)
			if ((t->dirfds >> a & 1) &&
			    (!(v = find_field(ap, au, args[a], false)) || strcmp(v, "ffffff9c")))
				return true;
		return false;
	}
	return false;
}

/* SYSCALL record with the watch key: who did what. 0, 1 (not ours) or -EBADMSG. */
static int watch_syscall(const struct ta_auparse *ap, auparse_state_t *au,
			 struct ta_login_event *ev, bool *dirfd)
{
	const char *v = find_field(ap, au, "key", true);
	const au_event_t *ts = ap->auparse_get_timestamp(au);
	char raw[24];

	if (!v || strcmp(v, TA_LOGIN_WATCH_KEY))
		return 1;
	ta_login_event_init(ev);
	ev->msg_type = TA_LOGIN_MSG_WATCH;
	ev->record_type = AUDIT_SYSCALL;
	if (!ts || ts->sec <= 0 || ts->sec > 253402300799LL || ts->milli > 999)
		return -EBADMSG;
	ev->time_sec = ts->sec;
	ev->time_msec = ts->milli;
	ev->serial = ts->serial;
#define RAW_U32(name, dst) \
	do { \
		v = find_field(ap, au, name, false); \
		if (!v || strlen(v) >= sizeof(raw)) \
			return -EBADMSG; \
		strcpy(raw, v); \
		if (!parse_u32(raw, dst)) \
			return -EBADMSG; \
	} while (0)
	RAW_U32("syscall", &ev->syscall);
	RAW_U32("pid", &ev->pid);
	RAW_U32("uid", &ev->uid);
	RAW_U32("auid", &ev->auid);
	RAW_U32("ses", &ev->ses);
#undef RAW_U32
	v = find_field(ap, au, "exit", false);
	ev->exit = v ? (int32_t)strtol(v, NULL, 10) : 0;
	v = find_field(ap, au, "success", false);
	ev->result = parse_result(v);
	if (find_field(ap, au, "exe", false) && copy_field(ap, au, ev->exe, sizeof(ev->exe)))
		ev->flags |= TA_LOGIN_F_TRUNC_EXE;
	if (find_field(ap, au, "comm", false))
		copy_field(ap, au, ev->comm, sizeof(ev->comm));
	if (find_field(ap, au, "tty", false) &&
	    copy_field(ap, au, ev->terminal, sizeof(ev->terminal)))
		ev->flags |= TA_LOGIN_F_TRUNC_TERM;
	*dirfd = watch_dirfd(ap, au, ev->syscall);
	return 0;
}

/* Which PATH a watch event has kept so far: none, a parent directory, or its file. */
enum watch_have { WATCH_NONE, WATCH_PARENT, WATCH_FILE };

/* A watch event's file and the process's cwd, raw until they are joined and escaped once. */
struct watch_file {
	char name[TA_LOGIN_PATH_LEN];
	char cwd[TA_LOGIN_PATH_LEN];
	bool name_cut, cwd_cut;
	enum watch_have have;
};

/* Copy src into dst[cap] as it is; true if it had to cut. */
static bool copy_raw(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap);
	bool cut = n == cap;

	if (cut)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return cut;
}

/*
 * The file of a watch event: the first PATH that is not a parent directory
 * (a parent only until one comes). Every later file replaced it, so that
 * `mv <watched file> /tmp/x` (DELETE of the watched name, then CREATE of
 * /tmp/x) was reported as touching /tmp/x.
 */
static void watch_path(const struct ta_auparse *ap, auparse_state_t *au, struct watch_file *w)
{
	const char *v;
	bool nul = false;

	if (ap->auparse_get_type(au) == AUDIT_CWD) {
		if (find_field(ap, au, "cwd", false) && (v = field_value(ap, au, &nul)))
			w->cwd_cut = copy_raw(w->cwd, sizeof(w->cwd), v) || nul;
		return;
	}
	v = find_field(ap, au, "nametype", false);
	bool parent = v && !strcmp(v, "PARENT");
	if (w->have == WATCH_FILE || (w->have == WATCH_PARENT && parent))
		return;
	if (!find_field(ap, au, "name", false) || !(v = field_value(ap, au, &nul)))
		return;
	w->name_cut = copy_raw(w->name, sizeof(w->name), v) || nul;
	w->have = parent ? WATCH_PARENT : WATCH_FILE;
}

/* The watch event's path: its file, joined to its base when relative (see watch_dirfd). */
static void watch_finish(struct ta_login_event *ev, const struct watch_file *w, bool dirfd)
{
	char full[TA_LOGIN_PATH_LEN * 2 + 32];
	bool cut = w->name_cut;

	if (w->have == WATCH_NONE)
		return;
	if (w->name[0] && w->name[0] != '/' && (w->cwd[0] || dirfd)) {
		snprintf(full, sizeof(full), "%s/%s", dirfd ? "<a directory descriptor>" : w->cwd,
			 w->name);
		cut |= !dirfd && w->cwd_cut;
	} else {
		snprintf(full, sizeof(full), "%s", w->name);
	}
	ev->flags &= (uint16_t)~TA_LOGIN_F_TRUNC_OP;
	if (copy_bounded(ev->path, sizeof(ev->path), full) || cut)
		ev->flags |= TA_LOGIN_F_TRUNC_OP;
}

int ta_login_extract_event(const struct ta_auparse *ap, auparse_state_t *au,
			   ta_login_event_fn fn, void *arg, uint64_t *rejected)
{
	struct ta_login_event watch;
	struct watch_file file = { .have = WATCH_NONE };
	bool watching = false, dirfd = false;
	int emitted = 0;

	/* Values come raw, and copy_bounded escapes them: one escaping, unambiguous. */
	ap->auparse_set_escape_mode(au, AUPARSE_ESC_RAW);
	if (ap->auparse_first_record(au) <= 0)
		return 0;
	do {
		int t = ap->auparse_get_type(au);
		struct ta_login_event ev;

		if (t == AUDIT_SYSCALL) {
			int rc = watch_syscall(ap, au, &watch, &dirfd);

			watching = rc == 0;
			if (rc < 0 && rejected)
				(*rejected)++;
			continue;
		}
		if (watching && (t == AUDIT_PATH || t == AUDIT_CWD)) {
			watch_path(ap, au, &file);
			continue;
		}
		if (t <= 0 || !ta_login_record_type_wanted((uint32_t)t))
			continue;
		if (extract_record(ap, au, (uint32_t)t, &ev) < 0) {
			if (rejected)
				(*rejected)++;
			continue;
		}
		fn(&ev, arg);
		emitted++;
	} while (ap->auparse_next_record(au) > 0);
	if (watching) {
		watch_finish(&watch, &file, dirfd);
		fn(&watch, arg);
		emitted++;
	}
	return emitted;
}

static void on_auparse(auparse_state_t *au, auparse_cb_event_t type, void *arg)
{
	struct ta_login_parser *p = arg;
	int n;

	if (type != AUPARSE_CB_EVENT_READY)
		return;
	n = ta_login_extract_event(p->ap, au, p->fn, p->arg, &p->st.records_rejected);
	if (n > 0)
		p->st.events += (uint64_t)n;
}

int ta_login_parser_new(ta_login_event_fn fn, void *arg, struct ta_login_parser **out)
{
	struct ta_login_parser *p = calloc(1, sizeof(*p));

	char why[256];

	if (!p)
		return -ENOMEM;
	/* The library, loaded on first use: -ELIBACC says it is missing. */
	if (!(p->ap = ta_auparse_load(why, sizeof(why)))) {
		free(p);
		return -ELIBACC;
	}
	p->line = malloc(TA_LOGIN_LINE_MAX + 1);
	p->au = p->ap->auparse_init(AUSOURCE_FEED, NULL);
	if (!p->line || !p->au) {
		if (p->au)
			p->ap->auparse_destroy(p->au);
		free(p->line);
		free(p);
		return -ENOMEM;
	}
	p->fn = fn;
	p->arg = arg;
	p->ap->auparse_add_callback(p->au, on_auparse, p, NULL);
	*out = p;
	return 0;
}

void ta_login_parser_free(struct ta_login_parser *p)
{
	if (!p)
		return;
	p->ap->auparse_destroy(p->au);
	free(p->line);
	free(p);
}

static int take_line(struct ta_login_parser *p)
{
	uint32_t type;
	uint64_t serial;
	size_t node_len;
	int rc;

	p->st.lines++;
	if (line_head(p->line, p->line_len, &type, &serial, &node_len)) {
		p->st.lines_rejected++;
		return 0;
	}
	if (ta_audit_node_foreign(&p->node, p->line + 5, node_len)) {
		p->st.lines_foreign++;
		return 0;
	}
	if (!ta_login_record_type_wanted(type) &&
	    !watch_line(p, p->line, p->line_len, type, serial)) {
		p->st.lines_ignored++;
		return 0;
	}
	/* Only lines auparse will read: another type's is no record lost. */
	if (!enrichment_ok(p->line, p->line_len)) {
		p->st.lines_rejected++;
		return 0;
	}
	p->line[p->line_len++] = '\n';
	rc = p->ap->auparse_feed(p->au, p->line, p->line_len);
	return rc < 0 ? -EIO : 0;
}

void ta_login_parser_set_node(struct ta_login_parser *p, const struct ta_audit_node *n)
{
	p->node = *n;
}

int ta_login_parser_feed(struct ta_login_parser *p, const char *data, size_t len)
{
	int rc = 0;

	p->st.bytes += len;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;

		if (p->skipping) {
			/* rest of an over-long line */
		} else if (p->line_len + n > TA_LOGIN_LINE_MAX) {
			p->skipping = true;
			p->line_len = 0;
		} else {
			memcpy(p->line + p->line_len, data, n);
			p->line_len += n;
		}
		if (!nl)
			break;
		if (p->skipping) {
			p->st.lines++;
			p->st.lines_too_long++;
			p->skipping = false;
		} else {
			int r = take_line(p);

			if (r < 0 && rc == 0)
				rc = r;
		}
		p->line_len = 0;
		data = nl + 1;
		len -= n + 1;
	}
	return rc;
}

int ta_login_parser_flush(struct ta_login_parser *p)
{
	int rc = 0;

	if (p->skipping) {
		p->st.lines++;
		p->st.lines_too_long++;
	} else if (p->line_len > 0) {
		rc = take_line(p);
	}
	p->skipping = false;
	p->line_len = 0;
	if (p->ap->auparse_flush_feed(p->au) < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

void ta_login_parser_age(struct ta_login_parser *p)
{
	p->ap->auparse_feed_age_events(p->au);
}

void ta_login_parser_get_stats(const struct ta_login_parser *p,
			       struct ta_login_parser_stats *st)
{
	*st = p->st;
}
