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
