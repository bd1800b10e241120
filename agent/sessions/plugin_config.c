// SPDX-License-Identifier: GPL-2.0-or-later
/* audisp-ttyaudit settings (see plugin_config.h). */
#include "sessions/plugin_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/kv.h"
#include "sessions/audit_node.h"
#include "sessions/login_queue.h"
#include "sessions/login_server.h"

static int set_key(struct ta_plugin_config *c, const char *key, const char *val,
		   char *err, size_t errlen)
{
	if (!strcmp(key, "socket")) {
		if (val[0] != '/') {
			snprintf(err, errlen, "socket must be an absolute path");
			return -EINVAL;
		}
		if (strlen(val) >= sizeof(c->socket_path)) {
			snprintf(err, errlen, "socket path too long (max %zu bytes)",
				 sizeof(c->socket_path) - 1);
			return -ENAMETOOLONG;
		}
		strcpy(c->socket_path, val);
		return 0;
	}
	if (!strcmp(key, "queue")) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(val, &end, 10);
		if (errno || end == val || *end || val[0] == '-' || v < TA_LOGIN_QUEUE_MIN ||
		    v > TA_LOGIN_QUEUE_MAX) {
			snprintf(err, errlen, "queue must be a number from %u to %u",
				 TA_LOGIN_QUEUE_MIN, TA_LOGIN_QUEUE_MAX);
			return -EINVAL;
		}
		c->queue_max = (size_t)v;
		return 0;
	}
	if (!strcmp(key, "auditd_conf")) {
		if (val[0] != '/' || strlen(val) >= sizeof(c->auditd_conf)) {
			snprintf(err, errlen, "auditd_conf must be an absolute path (max %zu bytes)",
				 sizeof(c->auditd_conf) - 1);
			return -EINVAL;
		}
		strcpy(c->auditd_conf, val);
		return 0;
	}
	snprintf(err, errlen, "unknown setting \"%.40s\"", key);
	return -EINVAL;
}

/* One setting of the config= file (ta_kv_fn): the keys of the arguments, config not nested. */
static int on_setting(void *ctx, struct ta_kv_reader *r, const char *key, const char *val)
{
	char why[256];
	int rc;

	if (!strcmp(key, "config"))
		return ta_kv_fail(r, NULL, "config cannot be nested");
	rc = set_key(ctx, key, val, why, sizeof(why));
	if (rc < 0)
		ta_kv_fail(r, NULL, "%s", why);
	return rc;
}

static int load_file(struct ta_plugin_config *c, const char *path, char *err, size_t errlen)
{
	/* Like auditd: a file others can change would let them redirect records. */
	return ta_kv_parse_file(path, TA_KV_CHECK_PERMS | TA_KV_NOFOLLOW, on_setting, c, err,
				errlen);
}

int ta_plugin_config_load(struct ta_plugin_config *c, int argc, char *const *argv,
			  char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	strcpy(c->socket_path, TA_LOGIN_SOCKET_DEFAULT);
	strcpy(c->auditd_conf, TA_AUDITD_CONF_DEFAULT);
	c->queue_max = TA_PLUGIN_QUEUE_DEFAULT;
	if (errlen)
		err[0] = '\0';

	/* The file first, so that the arguments override it. */
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "config=", 7) != 0)
			continue;
		if (argv[i][7] != '/' || strlen(argv[i] + 7) >= sizeof(c->config_file)) {
			snprintf(err, errlen, "config= needs an absolute path");
			return -EINVAL;
		}
		strcpy(c->config_file, argv[i] + 7);
	}
	if (c->config_file[0] && (rc = load_file(c, c->config_file, err, errlen)) < 0)
		return rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		char key[32];

		if (a[0] == '/') {
			rc = set_key(c, "socket", a, err, errlen);
		} else if (!eq || (size_t)(eq - a) >= sizeof(key)) {
			snprintf(err, errlen, "bad argument \"%.60s\" (want key=value)", a);
			return -EINVAL;
		} else {
			memcpy(key, a, (size_t)(eq - a));
			key[eq - a] = '\0';
			if (!strcmp(key, "config"))
				continue;
			rc = set_key(c, key, eq + 1, err, errlen);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}
