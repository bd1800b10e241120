// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which character-device majors belong to the tty layer. The BPF side checks a
 * file's major against this table before treating private_data as a tty, so
 * the table must hold only drivers registered through tty_register_driver:
 * their /proc/devices names are the tty driver names.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"

static int is_tty_driver_name(const char *name, size_t len)
{
	static const char *const exact[] = { "/dev/tty", "/dev/console", "/dev/ptmx",
					     "/dev/vc/0", "pts", "ptm", "console" };
	static const char *const prefix[] = { "tty", "hvc", "ttyS", "ttyUSB", "ttyACM",
					      "ttyAMA", "rfcomm", "ircomm" };

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strlen(exact[i]) == len && !memcmp(name, exact[i], len))
			return 1;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (len >= strlen(prefix[i]) && !memcmp(name, prefix[i], strlen(prefix[i])))
			return 1;
	return 0;
}

int ta_tty_majors_parse(const char *text, uint8_t *is_tty, size_t n)
{
	const char *p = text;
	int in_char = 0, found = 0;

	memset(is_tty, 0, n);
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t linelen = eol ? (size_t)(eol - p) : strlen(p);

		if (linelen >= 17 && !memcmp(p, "Character devices", 17)) {
			in_char = 1;
		} else if (linelen >= 13 && !memcmp(p, "Block devices", 13)) {
			in_char = 0;
		} else if (in_char) {
			const char *q = p, *end = p + linelen;
			unsigned long major = 0;
			int digits = 0;

			while (q < end && isspace((unsigned char)*q))
				q++;
			while (q < end && isdigit((unsigned char)*q) && digits < 6) {
				major = major * 10 + (unsigned long)(*q - '0');
				q++;
				digits++;
			}
			if (digits && q < end && *q == ' ') {
				q++;
				if (major < n && is_tty_driver_name(q, (size_t)(end - q))) {
					is_tty[major] = 1;
					found++;
				}
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	return found ? found : -ENOENT;
}
