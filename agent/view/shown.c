// SPDX-License-Identifier: GPL-2.0-or-later
/* What a terminal showed (shown.h). */
#include "view/shown.h"

void ta_shown_init(struct ta_shown *s, uint16_t rows, uint16_t cols)
{
	ta_opost_init(&s->op);
	s->rows = rows;
	s->cols = cols;
	ta_buf_init(&s->buf);
}

void ta_shown_free(struct ta_shown *s)
{
	ta_buf_free(&s->buf);
}

const uint8_t *ta_shown_output(struct ta_shown *s, const struct ta_tev *e, const uint8_t *d,
			       size_t *n)
{
	ta_buf_reset(&s->buf);
	ta_opost_apply(&s->op, e->oflag, d, e->len, &s->buf);
	*n = s->buf.oom ? 0 : s->buf.len;
	return s->buf.p;
}

int ta_shown_resize(struct ta_shown *s, const struct ta_tev *e)
{
	if (!e->rows || !e->cols || (e->rows == s->rows && e->cols == s->cols))
		return 0;
	s->rows = e->rows;
	s->cols = e->cols;
	return 1;
}

int ta_screen_fit(unsigned *rows, unsigned *cols)
{
	unsigned r = *rows, c = *cols;

	if (c > TA_SCREEN_MAX_SIDE)
		c = TA_SCREEN_MAX_SIDE;
	if (r > TA_SCREEN_MAX_SIDE)
		r = TA_SCREEN_MAX_SIDE;
	/* c <= 10000, so c * r cannot overflow, and TA_SCREEN_MAX_CELLS / c >= 104. */
	if (c && (uint64_t)r * c > TA_SCREEN_MAX_CELLS)
		r = TA_SCREEN_MAX_CELLS / c;
	if (r == *rows && c == *cols)
		return 0;
	*rows = r;
	*cols = c;
	return 1;
}
