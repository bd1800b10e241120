// SPDX-License-Identifier: GPL-2.0-or-later
/* show --screen through libvterm (show_screen.h). */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "base/utf8.h"
#include "cli/cli_wrap.h"
#include "cli/show_screen.h"
#include "base/exitcodes.h"
#include "base/json.h"
#include "base/log.h"
#include "view/neutralise.h"
#include "view/shown.h"

#ifdef TA_HAVE_VTERM
#include <vterm.h>

#include "base/dl_table.h"

/*
 * libvterm is loaded when a screen is drawn (base/dl_table.h): linked, every
 * command paid for mapping it at start.
 */
#define VT_FUNCS(X)                                                                          \
	X(vterm_new) X(vterm_free) X(vterm_set_utf8) X(vterm_set_size) X(vterm_input_write)  \
	X(vterm_obtain_screen) X(vterm_obtain_state) X(vterm_screen_enable_altscreen)        \
	X(vterm_screen_reset) X(vterm_screen_get_cell) X(vterm_state_get_cursorpos)

struct vt_lib {
	VT_FUNCS(TA_DL_MEMBER)
};

/* The table, or NULL with why in err. */
static const struct vt_lib *vt_load(char *err, size_t errlen)
{
	static struct vt_lib vt;
	static int loaded;

	if (!loaded && TA_DL_TABLE_LOAD(vt, VT_FUNCS, "libvterm.so.0", "libvterm0", err, errlen))
		return NULL;
	loaded = 1;
	return &vt;
}

int show_screen_available(void)
{
	return 1;
}

/* One row as text: blanks for empty cells, wide characters once, trailing blanks dropped. */
static void row_text(const struct vt_lib *lv, VTermScreen *vs, int row, int cols, struct ta_buf *b)
{
	size_t keep = 0;

	ta_buf_reset(b);
	for (int col = 0; col < cols;) {
		VTermScreenCell cell;
		VTermPos pos = { .row = row, .col = col };
		if (!lv->vterm_screen_get_cell(vs, pos, &cell) || !cell.chars[0]) {
			ta_buf_putc(b, ' ');
			col++;
			continue;
		}
		for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && cell.chars[i]; i++) {
			/*
			 * Cells hold characters, never controls; bidi and C1 code points
			 * are shown escaped. A backslash stays one, so that the screen is
			 * the screen the user saw (printed "\u{202e}" then reads like an
			 * escaped one: `show`, which doubles backslashes, tells them apart).
			 */
			if (ta_cp_dangerous(cell.chars[i]))
				ta_buf_printf(b, "\\u{%04x}", (unsigned)cell.chars[i]);
			else if (cell.chars[i] < 0x110000) {
				char u[4];
				ta_buf_put(b, u, ta_utf8_encode(cell.chars[i], u));
			} else {
				ta_buf_printf(b, "\\u{%x}", (unsigned)cell.chars[i]);
			}
		}
		keep = b->len;
		col += cell.width > 0 ? cell.width : 1;
	}
	b->len = keep;
}

/* The screen being drawn, fed the session's output and sizes up to at_ns. */
struct screen_draw {
	const struct vt_lib *lv;
	VTerm *vt;
	struct ta_shown sh;
	uint64_t at_ns, last;
	unsigned rows, cols, rec_rows, rec_cols;
	int fitted;
};

static int screen_event(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
			const uint8_t *d)
{
	struct screen_draw *s = ctx;

	(void)tr;
	/* Later events are read, not drawn: damage after --at still gives exit 8. */
	if (e->time_ns > s->at_ns)
		return 0;
	if (e->kind == TA_TEV_WINSIZE && ta_shown_resize(&s->sh, e)) {
		s->rec_rows = s->rows = e->rows;
		s->rec_cols = s->cols = e->cols;
		s->fitted = ta_screen_fit(&s->rows, &s->cols);
		s->lv->vterm_set_size(s->vt, (int)s->rows, (int)s->cols);
		s->last = e->time_ns;
	} else if (e->kind == TA_TEV_OUTPUT) {
		size_t n;
		const uint8_t *out = ta_shown_output(&s->sh, e, d, &n);
		s->lv->vterm_input_write(s->vt, (const char *)out, n);
		s->last = e->time_ns;
	}
	return 0;
}

int show_screen(FILE *f, struct session_view *v, uint64_t at_ns, int utc, unsigned columns)
{
	struct screen_draw s = { .at_ns = at_ns };
	struct view_start start;
	struct ta_buf row, o;
	char tm[48];
	int rc;

	char why[256];
	const struct vt_lib *lv = vt_load(why, sizeof(why));
	if (!lv) {
		ta_err(NULL, "--screen: %s", why);
		return TA_EXIT_FAILURE;
	}
	if ((rc = session_view_start(v, &start)) != TA_EXIT_OK)
		return rc;
	view_start_size(&start, &s.cols, &s.rows);
	/* The size in effect as recorded, and whether the screen drawn is smaller. */
	s.rec_rows = s.rows;
	s.rec_cols = s.cols;
	s.fitted = ta_screen_fit(&s.rows, &s.cols);
	s.lv = lv;
	s.vt = lv->vterm_new((int)s.rows, (int)s.cols);
	if (!s.vt) {
		ta_err(NULL, "--screen: cannot create a terminal emulator of %ux%u", s.rows, s.cols);
		return TA_EXIT_FAILURE;
	}
	VTerm *vt = s.vt;
	lv->vterm_set_utf8(vt, 1);
	VTermScreen *vs = lv->vterm_obtain_screen(vt);
	lv->vterm_screen_enable_altscreen(vs, 1);
	lv->vterm_screen_reset(vs, 1);
	ta_shown_init(&s.sh, (uint16_t)s.rows, (uint16_t)s.cols);
	rc = session_view_each(v, screen_event, &s);
	ta_shown_free(&s.sh);
	if (rc != TA_EXIT_OK) {
		lv->vterm_free(vt);
		return rc;
	}
	unsigned rows = s.rows, cols = s.cols;
	uint64_t last = s.last;

	VTermPos cur;
	lv->vterm_state_get_cursorpos(lv->vterm_obtain_state(vt), &cur);
	ta_buf_init(&row);
	ta_buf_init(&o);
	uint64_t when = at_ns == UINT64_MAX ? last : at_ns;
	cli_fmt_time(when, tm, sizeof(tm), utc);
	ta_buf_printf(&o, "# screen of session %s at %s.%03u%s: %u rows x %u cols, cursor at row %d "
		      "column %d", v->id, tm, (unsigned)(when / 1000000 % 1000), utc ? " UTC" : "", rows,
		      cols, cur.row + 1, cur.col + 1);
	if (last) {
		char lt[48];
		cli_fmt_time(last, lt, sizeof(lt), utc);
		ta_buf_printf(&o, " (last output %s.%03u)\n", lt, (unsigned)(last / 1000000 % 1000));
	} else {
		ta_buf_puts(&o, " (no output yet)\n");
	}
	if (s.fitted)
		ta_buf_printf(&o, "# the recorded window size %ux%u (rows x cols) is drawn as %ux%u (at most "
			      "%u rows or columns, %u cells)\n", s.rec_rows, s.rec_cols, rows, cols,
			      TA_SCREEN_MAX_SIDE, TA_SCREEN_MAX_CELLS);
	for (int r = 0; r < (int)rows; r++) {
		row_text(lv, vs, r, (int)cols, &row);
		ta_buf_puts(&o, row.len ? "| " : "|");
		ta_buf_put(&o, row.p, row.len);
		ta_buf_putc(&o, '\n');
	}
	lv->vterm_free(vt);
	int err = cli_wrap_flush(&o, f, columns, CLI_WRAP_FINAL);
	ta_buf_free(&row);
	ta_buf_free(&o);
	return err ? TA_EXIT_FAILURE : TA_EXIT_OK;
}

#else

int show_screen_available(void)
{
	return 0;
}

int show_screen(FILE *f, struct session_view *v, uint64_t at_ns, int utc, unsigned columns)
{
	(void)f;
	(void)v;
	(void)at_ns;
	(void)utc;
	ta_err(NULL, "--screen: this ttyaudit was built without libvterm (the terminal emulator "
	       "it draws screens with); install libvterm-dev and rebuild");
	return TA_EXIT_FAILURE;
}

#endif
