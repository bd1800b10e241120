// SPDX-License-Identifier: GPL-2.0-or-later
/* Output processing of recorded terminal output (opost.h). */
#include "ttyaudit/log_records.h"
#include "view/opost.h"

/* The kernel's iscntrl: C0, DEL and C1 are control characters. */
static int is_cntrl(uint8_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

void ta_opost_apply(struct ta_opost *p, uint32_t oflag, const uint8_t *s, size_t n,
		    struct ta_buf *out)
{
	if (!(oflag & TA_OF_KNOWN))
		oflag = TA_OPOST_ASSUMED;
	if (!(oflag & TA_OF_OPOST)) {
		ta_buf_put(out, s, n);
		return;
	}
	ta_buf_reserve(out, n + n / 8 + 8);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		switch (c) {
		case '\n':
			if (oflag & TA_OF_ONLRET)
				p->column = 0;
			if (oflag & TA_OF_ONLCR) {
				p->column = 0;
				ta_buf_put(out, "\r\n", 2);
				continue;
			}
			break;
		case '\r':
			if ((oflag & TA_OF_ONOCR) && p->column == 0)
				continue;
			if (oflag & TA_OF_OCRNL) {
				c = '\n';
				if (oflag & TA_OF_ONLRET)
					p->column = 0;
				break;
			}
			p->column = 0;
			break;
		case '\t': {
			uint32_t spaces = 8 - (p->column & 7);
			p->column += spaces;
			if (oflag & TA_OF_XTABS) {
				ta_buf_put(out, "        ", spaces);
				continue;
			}
			break;
		}
		case '\b':
			if (p->column > 0)
				p->column--;
			break;
		default:
			if (!is_cntrl(c)) {
				if ((oflag & TA_OF_OLCUC) && c >= 'a' && c <= 'z')
					c = (uint8_t)(c - 'a' + 'A');
				/* UTF-8 continuation bytes do not move the cursor (IUTF8). */
				if ((c & 0xc0) != 0x80)
					p->column++;
			}
		}
		ta_buf_putc(out, (char)c);
	}
}
