// SPDX-License-Identifier: GPL-2.0-or-later
#include "sessions/audit_node.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/kv.h"

struct conf {
	char format[32];
	char name[256];
};

static int take(void *ctx, struct ta_kv_reader *r, const char *key, const char *value)
{
	struct conf *c = ctx;

	(void)r;
	if (!strcmp(key, "name_format"))
		snprintf(c->format, sizeof(c->format), "%s", value);
	else if (!strcmp(key, "name"))
		snprintf(c->name, sizeof(c->name), "%s", value);
	return 0;
}

int ta_audit_node_load(struct ta_audit_node *n, const char *auditd_conf)
{
	struct conf c = { "none", "" };
	char err[256];
	int rc;

	memset(n, 0, sizeof(*n));
	rc = ta_kv_parse_file(auditd_conf ? auditd_conf : TA_AUDITD_CONF_DEFAULT,
			      TA_KV_OPTIONAL, take, &c, err, sizeof(err));
	if (rc < 0) {
		n->rule = TA_NODE_ANY;
		snprintf(n->why, sizeof(n->why), "%.150s", err);
		return 0;
	}
	if (!strcasecmp(c.format, "none")) {
		n->rule = TA_NODE_NONE;
	} else if (!strcasecmp(c.format, "hostname")) {
		/* auditd: gethostname(), as it is */
		if (gethostname(n->name, sizeof(n->name) - 1) || !n->name[0]) {
			snprintf(n->why, sizeof(n->why), "this host has no name");
			return 0;
		}
		n->rule = TA_NODE_NAMED;
	} else if (!strcasecmp(c.format, "user")) {
		if (!c.name[0]) {
			snprintf(n->why, sizeof(n->why), "name_format = user without a name");
			return 0;
		}
		snprintf(n->name, sizeof(n->name), "%s", c.name);
		n->rule = TA_NODE_NAMED;
	} else {
		snprintf(n->why, sizeof(n->why), "name_format = %.32s names this host by what the "
			 "resolver said at auditd's start", c.format);
	}
	return 0;
}

bool ta_audit_node_foreign(const struct ta_audit_node *n, const char *node, size_t len)
{
	if (!node)
		len = 0;
	switch (n->rule) {
	case TA_NODE_NONE:
		return len > 0;
	case TA_NODE_NAMED:
		/* A record without node= is not from a sender that names itself; auditd's own. */
		return len > 0 && (len != strlen(n->name) || memcmp(node, n->name, len));
	default:
		return false;
	}
}

const char *ta_audit_node_describe(const struct ta_audit_node *n, char *buf, size_t cap)
{
	switch (n->rule) {
	case TA_NODE_NONE:
		snprintf(buf, cap, "audit records with a node= name are other machines' and ignored");
		break;
	case TA_NODE_NAMED:
		snprintf(buf, cap, "audit records of a node other than \"%.200s\" are other machines' "
			 "and ignored", n->name);
		break;
	default:
		snprintf(buf, cap, "every audit record is taken as this host's (%.150s): to skip "
			 "other machines' records, set name_format to none, hostname or user", n->why);
		break;
	}
	return buf;
}
