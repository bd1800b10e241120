// SPDX-License-Identifier: GPL-2.0-or-later
#include "logfmt/footprint.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *const op_names[TA_FP_OP_MAX + 1] = {
	[TA_FP_OPEN] = "open", [TA_FP_RENAME] = "rename", [TA_FP_UNLINK] = "unlink",
	[TA_FP_RMDIR] = "rmdir", [TA_FP_MKDIR] = "mkdir", [TA_FP_CHMOD] = "chmod",
	[TA_FP_CHOWN] = "chown", [TA_FP_CONNECT] = "connect", [TA_FP_ACCEPT] = "accept",
	[TA_FP_SETUID] = "setuid", [TA_FP_SETGID] = "setgid", [TA_FP_CAPSET] = "capset",
	[TA_FP_EXEC_SETID] = "exec_setid",
};

const char *ta_fp_op_name(uint16_t op)
{
	return op <= TA_FP_OP_MAX ? op_names[op] : NULL;
}

uint16_t ta_fp_op_parse(const char *name)
{
	for (uint16_t op = 1; op <= TA_FP_OP_MAX; op++)
		if (op_names[op] && !strcmp(op_names[op], name))
			return op;
	return 0;
}

bool ta_fp_op_is_privilege(uint16_t op)
{
	return op == TA_FP_SETUID || op == TA_FP_SETGID || op == TA_FP_CAPSET ||
	       op == TA_FP_EXEC_SETID;
}

bool ta_fp_op_is_network(uint16_t op)
{
	return op == TA_FP_CONNECT || op == TA_FP_ACCEPT;
}

void ta_fp_open_flags(uint32_t flags, char *out, size_t n)
{
	static const struct { uint32_t bit; const char *name; } bits[] = {
		{ O_CREAT, "creat" }, { O_EXCL, "excl" }, { O_TRUNC, "trunc" },
		{ O_APPEND, "append" }, { O_DIRECTORY, "directory" }, { O_NOFOLLOW, "nofollow" },
		{ O_TMPFILE & ~O_DIRECTORY, "tmpfile" },
	};
	const char *acc = (flags & O_ACCMODE) == O_WRONLY ? "wronly" :
			  (flags & O_ACCMODE) == O_RDWR ? "rdwr" : "rdonly";
	size_t len;

	if (!n)
		return;
	snprintf(out, n, "%s", acc);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(flags & bits[i].bit))
			continue;
		len = strlen(out);
		snprintf(out + len, n - len, ",%s", bits[i].name);
	}
}

void ta_fp_proto_name(uint16_t sock_type, uint16_t protocol, char *out, size_t n)
{
	if (protocol == IPPROTO_TCP)
		snprintf(out, n, "tcp");
	else if (protocol == IPPROTO_UDP)
		snprintf(out, n, "udp");
	else if (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6)
		snprintf(out, n, "icmp");
	else if (sock_type == SOCK_RAW)
		snprintf(out, n, "raw");
	else if (protocol == 0 && sock_type == 0)
		snprintf(out, n, "unknown");
	else
		snprintf(out, n, "proto %u", protocol);
}

void ta_fp_addr_str(uint16_t family, const uint8_t addr[16], char *out, size_t n)
{
	char buf[INET6_ADDRSTRLEN];

	if (!n)
		return;
	out[0] = '\0';
	if (family == AF_INET && inet_ntop(AF_INET, addr, buf, sizeof(buf)))
		snprintf(out, n, "%s", buf);
	else if (family == AF_INET6 && inet_ntop(AF_INET6, addr, buf, sizeof(buf)))
		snprintf(out, n, "%s", buf);
}

/* "ADDR:PORT", IPv6 in brackets. */
void ta_fp_peer_str(uint16_t family, const uint8_t addr[16], uint16_t port, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	ta_fp_addr_str(family, addr, a, sizeof(a));
	snprintf(out, n, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

size_t ta_fp_path_fold(const char *in, size_t len, size_t given_off, char *out, size_t n,
		       bool *cut)
{
	size_t i = 0, o = 0;
	bool literal = false;

	*cut = false;
	if (!n)
		return 0;
	while (i < len) {
		size_t s, c;

		while (i < len && in[i] == '/')
			i++;
		s = i;
		while (i < len && in[i] != '/')
			i++;
		c = i - s;
		if (!c || (c == 1 && in[s] == '.'))
			continue;
		if (c == 2 && in[s] == '.' && in[s + 1] == '.' && !literal) {
			/* The parent of a real directory ("/.." is "/"). */
			while (o && out[o - 1] != '/')
				o--;
			if (o)
				o--;
			continue;
		}
		if (s >= given_off)
			literal = true;
		if (o + 1 + c >= n) {
			*cut = true;
			break;
		}
		out[o++] = '/';
		memcpy(out + o, in + s, c);
		o += c;
	}
	if (!o && n > 1)
		out[o++] = '/';
	out[o] = '\0';
	return o;
}

size_t ta_fp_describe(const struct ta_fp_event *f, const char *path, uint32_t path_len,
		      const char *path2, uint32_t path2_len, char *out, size_t n)
{
	const char *op = ta_fp_op_name(f->op);
	char extra[96];
	int len;

	if (!n)
		return 0;
	switch (f->op) {
	case TA_FP_OPEN:
		ta_fp_open_flags(f->arg, extra, sizeof(extra));
		len = snprintf(out, n, "%s %s %.*s", op, extra, (int)path_len, path);
		break;
	case TA_FP_RENAME:
		len = snprintf(out, n, "%s %.*s -> %.*s", op, (int)path_len, path,
			       (int)path2_len, path2);
		break;
	case TA_FP_CHMOD:
	case TA_FP_MKDIR:
		len = snprintf(out, n, "%s %04o %.*s", op, f->arg & 07777, (int)path_len, path);
		break;
	case TA_FP_CHOWN:
		len = snprintf(out, n, "%s %d:%d %.*s", op, (int)f->arg_uid, (int)f->arg_gid,
			       (int)path_len, path);
		break;
	case TA_FP_CONNECT:
	case TA_FP_ACCEPT: {
		char proto[16];

		ta_fp_proto_name(f->sock_type, f->protocol, proto, sizeof(proto));
		ta_fp_peer_str(f->family, f->addr, f->port, extra, sizeof(extra));
		len = snprintf(out, n, "%s %s %s", op, proto, extra);
		break;
	}
	case TA_FP_SETUID:
	case TA_FP_SETGID:
	case TA_FP_CAPSET:
	case TA_FP_EXEC_SETID:
		len = snprintf(out, n, "%s%s%.*s uid=%u euid=%u gid=%u egid=%u", op,
			       path_len ? " " : "", (int)path_len, path, f->uid, f->euid, f->gid,
			       f->egid);
		break;
	default:
		len = snprintf(out, n, "%s %.*s", op ? op : "?", (int)path_len, path);
	}
	if (len < 0)
		return 0;
	return (size_t)len >= n ? n - 1 : (size_t)len;
}
