// SPDX-License-Identifier: GPL-2.0-or-later
/* Output processing of recorded output: what n_tty shows for what was written. */
#include <string.h>

#include "check.h"
#include "ttyaudit/log_records.h"
#include "view/opost.h"

static const char *shown(struct ta_opost *p, uint32_t oflag, const char *in)
{
	static struct ta_buf b;

	ta_buf_free(&b);
	ta_buf_init(&b);
	ta_opost_apply(p, oflag, (const uint8_t *)in, strlen(in), &b);
	ta_buf_putc(&b, '\0');
	return (const char *)b.p;
}

int main(void)
{
	const uint32_t K = TA_OF_KNOWN, P = TA_OF_KNOWN | TA_OF_OPOST;
	struct ta_opost p;

	ta_opost_init(&p);
	CHECK_EQ_STR(shown(&p, P | TA_OF_ONLCR, "ls\nfile\n"), "ls\r\nfile\r\n");
	CHECK_EQ_STR(shown(&p, K | TA_OF_ONLCR, "a\nb"), "a\nb");           /* OPOST off: raw */
	CHECK_EQ_STR(shown(&p, P, "a\nb"), "a\nb");                          /* no ONLCR (vi) */
	CHECK_EQ_STR(shown(&p, TA_OF_UNKNOWN, "x\n"), "x\r\n");              /* old log: assumed */
	ta_opost_init(&p);
	CHECK_EQ_STR(shown(&p, P | TA_OF_OCRNL, "a\rb"), "a\nb");
	ta_opost_init(&p);
	/* ONOCR: a \r in column 0 is not shown; the column carries across writes. */
	CHECK_EQ_STR(shown(&p, P | TA_OF_ONOCR, "\rab"), "ab");
	CHECK_EQ_STR(shown(&p, P | TA_OF_ONOCR, "\r\r"), "\r");
	ta_opost_init(&p);
	CHECK_EQ_STR(shown(&p, P | TA_OF_XTABS, "ab\tc\t"), "ab      c       ");
	CHECK_EQ_STR(shown(&p, P | TA_OF_XTABS, "\xc3\xa9\t"), "\xc3\xa9       "); /* é is one column */
	ta_opost_init(&p);
	CHECK_EQ_STR(shown(&p, P | TA_OF_OLCUC, "ls -l\n"), "LS -L\n");
	ta_opost_init(&p);
	/* ONLRET: \n returns the carriage, so a following \r with ONOCR is dropped. */
	CHECK_EQ_STR(shown(&p, P | TA_OF_ONLRET | TA_OF_ONOCR, "ab\n\r"), "ab\n");
	return check_result();
}
