/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which audit records are this host's. An auditd that aggregates other
 * machines' trails (tcp_listen_port, audisp-remote on the senders) writes
 * their records into its log and gives them to its plugins, each with the
 * sender's "node=NAME" in front. Their ses and auid numbers are another
 * kernel's: taken as ours, a root on any sending machine could name, open
 * or close the sessions recorded here. This host's own records carry the
 * node= its auditd.conf asks for (name_format, name), or none at all.
 */
#ifndef TA_SESSIONS_AUDIT_NODE_H
#define TA_SESSIONS_AUDIT_NODE_H

#include <stdbool.h>
#include <stddef.h>

#define TA_AUDITD_CONF_DEFAULT "/etc/audit/auditd.conf"

enum ta_node_rule {
	TA_NODE_ANY = 0,   /* unknown: every record is taken as this host's (as before) */
	TA_NODE_NONE,      /* name_format = none: a record with node= is another machine's */
	TA_NODE_NAMED,     /* this host's records carry node=<name> */
};

struct ta_audit_node {
	enum ta_node_rule rule;
	char name[256];
	char why[160];     /* TA_NODE_ANY: why the local name is not known */
};

/*
 * Reads name_format and name from auditd.conf (a missing file: auditd's
 * default, none). hostname and user give a name exactly as auditd makes it;
 * fqd and numeric depend on name resolution at auditd's start, so they leave
 * the rule at TA_NODE_ANY with why set. Never fails: 0 always.
 */
int ta_audit_node_load(struct ta_audit_node *n, const char *auditd_conf);

/* Whether a record whose node= is node (NULL or len 0: none) is another machine's. */
bool ta_audit_node_foreign(const struct ta_audit_node *n, const char *node, size_t len);

/* One line for the start-up log: which records are taken as this host's. */
const char *ta_audit_node_describe(const struct ta_audit_node *n, char *buf, size_t cap);

#endif
