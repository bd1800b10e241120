// SPDX-License-Identifier: GPL-2.0-or-later
/* audisp-ttyaudit settings: defaults, arguments, config file, errors. */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/check.h"
#include "corpus_util.h"
#include "sessions/plugin_config.h"

static int load(struct ta_plugin_config *c, char *err, size_t errlen, int argc, ...)
{
	char *argv[8] = { "audisp-ttyaudit" };
	va_list ap;

	va_start(ap, argc);
	for (int i = 1; i < argc && i < 8; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return ta_plugin_config_load(c, argc, argv, err, errlen);
}

int main(void)
{
	struct ta_plugin_config c;
	char err[256], path[4200], arg[4300], *d = make_temp_dir("ta-plugin-conf");
	FILE *f;

	CHECK_EQ_INT(load(&c, err, sizeof(err), 1), 0);
	CHECK_EQ_STR(c.socket_path, "/run/ttyaudit/login.sock");
	CHECK_EQ_INT(c.queue_max, TA_PLUGIN_QUEUE_DEFAULT);
	CHECK_EQ_STR(c.auditd_conf, "/etc/audit/auditd.conf");
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "auditd_conf=/x/auditd.conf"), 0);
	CHECK_EQ_STR(c.auditd_conf, "/x/auditd.conf");
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "auditd_conf=auditd.conf"), -EINVAL);
	CHECK(strstr(err, "auditd_conf must be an absolute path") != NULL);

	CHECK_EQ_INT(load(&c, err, sizeof(err), 3, "socket=/x/y.sock", "queue=16"), 0);
	CHECK_EQ_STR(c.socket_path, "/x/y.sock");
	CHECK_EQ_INT(c.queue_max, 16);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "/bare/path.sock"), 0);
	CHECK_EQ_STR(c.socket_path, "/bare/path.sock");

	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "socket=relative"), -EINVAL);
	CHECK(strstr(err, "absolute") != NULL);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "queue=1"), -EINVAL);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "queue=-5"), -EINVAL);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "queue=12abc"), -EINVAL);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "queue=99999999999999999999999"), -EINVAL);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "colour=blue"), -EINVAL);
	CHECK(strstr(err, "colour") != NULL);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "noequals"), -EINVAL);
	{
		char longp[200];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		CHECK_EQ_INT(load(&c, err, sizeof(err), 2, longp), -ENAMETOOLONG);
	}

	/* a config file; arguments override it */
	snprintf(path, sizeof(path), "%s/plugin.conf", d);
	f = fopen(path, "w");
	fputs("# ttyaudit plugin\n\nsocket = /from/file.sock\n  queue=64  \n", f);
	fclose(f);
	chmod(path, 0600);
	snprintf(arg, sizeof(arg), "config=%s", path);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, arg), 0);
	CHECK_EQ_STR(c.socket_path, "/from/file.sock");
	CHECK_EQ_INT(c.queue_max, 64);
	CHECK_EQ_STR(c.config_file, path);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 3, "queue=8", arg), 0);
	CHECK_EQ_INT(c.queue_max, 8);
	CHECK_EQ_STR(c.socket_path, "/from/file.sock");

	/* others could redirect the records: refused */
	chmod(path, 0622);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, arg), -EPERM);
	chmod(path, 0600);
	f = fopen(path, "w");
	fputs("socket = /a\nbogus line\n", f);
	fclose(f);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, arg), -EINVAL);
	CHECK(strstr(err, ":2:") != NULL);
	f = fopen(path, "w");
	fputs("config = /elsewhere\n", f);
	fclose(f);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, arg), -EINVAL);
	unlink(path);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, arg), -ENOENT);
	CHECK_EQ_INT(load(&c, err, sizeof(err), 2, "config=relative.conf"), -EINVAL);
	remove_temp_dir(d);
	return check_result();
}
