// SPDX-License-Identifier: GPL-2.0-or-later
/* audisp-ttyaudit settings (see plugin_config.h). */
#include "sessions/plugin_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	snprintf(err, errlen, "unknown setting \"%.40s\"", key);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int load_file(struct ta_plugin_config *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char line[1024];
	int fd, lineno = 0, rc = 0;
	FILE *f;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %.200s: %s", path, strerror(errno));
		return rc;
	}
	/* Like auditd: a file others can change would let them redirect records. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "%.200s must be a regular file owned by root, "
			 "not writable by group or others", path);
		close(fd);
		return -EPERM;
	}
	f = fdopen(fd, "r");
	if (!f) {
		rc = -errno;
		close(fd);
		snprintf(err, errlen, "cannot read %.200s", path);
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char *l, *eq, *key, *val;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%.200s:%d: line too long", path, lineno);
			rc = -EINVAL;
			break;
		}
		l = trim(line);
		if (!*l || *l == '#')
			continue;
		eq = strchr(l, '=');
		if (!eq) {
			snprintf(err, errlen, "%.200s:%d: expected key = value", path, lineno);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		key = trim(l);
		val = trim(eq + 1);
		if (!strcmp(key, "config")) {
			snprintf(err, errlen, "%.200s:%d: config cannot be nested", path, lineno);
			rc = -EINVAL;
			break;
		}
		rc = set_key(c, key, val, err, errlen);
		if (rc < 0) {
			char tmp[256];

			snprintf(tmp, sizeof(tmp), "%.200s:%d: %s", path, lineno, err);
			snprintf(err, errlen, "%s", tmp);
			break;
		}
	}
	fclose(f);
	return rc;
}

int ta_plugin_config_load(struct ta_plugin_config *c, int argc, char *const *argv,
			  char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	strcpy(c->socket_path, TA_LOGIN_SOCKET_DEFAULT);
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
