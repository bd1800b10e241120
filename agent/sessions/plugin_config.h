/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * audisp-ttyaudit's settings. Sources, later ones win: built-in defaults,
 * the file named by config=FILE, then the other arguments. auditd passes at
 * most two arguments (the "args =" line of the plugin's .conf), each of:
 *   socket=PATH   login socket of ttyauditd (default /run/ttyaudit/login.sock)
 *   queue=N       records kept while ttyauditd is away (default 4096)
 *   auditd_conf=FILE  auditd's settings, for which records are this host's
 *                 (sessions/audit_node.h; default /etc/audit/auditd.conf)
 *   config=FILE   a file of "key = value" lines with the keys socket, queue,
 *                 auditd_conf
 *   /ABS/PATH     same as socket=/ABS/PATH
 * SIGHUP reads them again (the file may have changed).
 */
#ifndef TA_SESSIONS_PLUGIN_CONFIG_H
#define TA_SESSIONS_PLUGIN_CONFIG_H

#include <stddef.h>
#include <sys/un.h>

#define TA_PLUGIN_QUEUE_DEFAULT 4096

struct ta_plugin_config {
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t queue_max;
	char auditd_conf[4096];
	char config_file[4096]; /* "" if none */
};

/*
 * Build the configuration from argv[1..argc-1] (and the file it names).
 * Returns 0, or -EINVAL / -ENAMETOOLONG / -errno of the file with a
 * one-line reason in err.
 */
int ta_plugin_config_load(struct ta_plugin_config *c, int argc, char *const *argv,
			  char *err, size_t errlen);

#endif
