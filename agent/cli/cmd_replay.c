// SPDX-License-Identifier: GPL-2.0-or-later
/* ttyaudit replay: play a session's output back in real time (like scriptreplay). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/session_view.h"
#include "base/clock.h"
#include "base/exitcodes.h"
#include "base/fs.h"
#include "base/log.h"
#include "store/store.h"
#include "view/asciicast.h"
#include "view/shown.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit replay [OPTIONS] SESSION\n"
		"       ttyaudit replay [OPTIONS] --asciicast FILE\n"
		"\n"
		"Plays the recorded output back with its timing, as the terminal showed it (its\n"
		"output processing applied: a recorded \\n is shown as \\r\\n when ONLCR was set).\n"
		"Escape sequences act on your terminal; on every way out (end, q, Ctrl-C,\n"
		"SIGTERM) its modes, size and cursor are restored and the cursor left on a new line.\n"
		"Keys (when standard input is a terminal): space pause/resume, . step while\n"
		"paused, + / - faster / slower, q quit.\n"
		"\n"
		"  --log-dir DIR        log directory (default %s)\n"
		"  -s, --speed X        speed factor (default 1; 0 = no waiting)\n"
		"  -m, --max-idle SECS  cap pauses at SECS (default: none)\n"
		"  --no-wait            write everything at once (same as --speed 0)\n"
		"  -o, --output FILE    write to FILE instead of standard output (implies no keys)\n"
		"  --asciicast FILE     play an asciicast v2 file instead of a logged session\n"
		"  --no-resize          never send the xterm resize sequence\n"
		"  --tty NAME           only this terminal of the session (required for a session\n"
		"                       that used several)\n"
		"  --index FILE, --no-index   as for query\n"
		"  --fleet DSN --origin HOST  the session of that host from the fleet's PostgreSQL\n"
		"                       (as show --fleet)\n",
		TA_STORE_DEFAULT_DIR);
}

struct pev {
	double t;
	const uint8_t *d;
	size_t n;
	unsigned rows, cols;  /* resize event if n == 0 and rows */
};

struct player {
	FILE *out;
	int out_fd, keys, resize_ok;
	double speed, max_idle;
	struct termios saved;
	int raw_mode;
	struct winsize own;   /* the investigator's window size before a resize */
	int resized;
	int alt;              /* the recording left the alternate screen on */
	int paused, step;     /* keys: space, . */
	double prev;          /* the last frame's time */
	/* A logged session's frames: its output as shown, its sizes (repeats dropped). */
	struct ta_shown sh;
	uint64_t t0;          /* the first output or size (0: none yet) */
};

/* The signal that ends the replay (SIGINT, SIGTERM, SIGHUP), 0 while playing. */
static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

/* Without SA_RESTART: a wait or write returns EINTR and the loop sees stop_sig. */
static void catch_stops(void)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/*
 * Puts the investigator's terminal back whatever the recording did to it:
 * attributes, alternate screen, scroll region, cursor keys and visibility,
 * mouse reporting, bracketed paste; the window size it had; the cursor at
 * the start of a new line.
 */
static void restore_terminal(struct player *p)
{
	if (p->raw_mode)
		tcsetattr(STDIN_FILENO, TCSANOW, &p->saved);
	if (!isatty(p->out_fd))
		return;
	fputs("\033[0m", p->out);
	/* Only if on: leaving it restores a saved cursor, which would jump on the main screen. */
	if (p->alt)
		fputs("\033[?1049l", p->out);
	/* The scroll region's reset homes the cursor: save and restore it around. */
	fputs("\0337\033[r\0338\033[?1l\033>\033[?25h\033[?1000l\033[?1002l\033[?1003l"
	      "\033[?1006l\033[?2004l", p->out);
	if (p->resized)
		fprintf(p->out, "\033[8;%u;%ut", p->own.ws_row, p->own.ws_col);
	fputs("\r\n", p->out);
	fflush(p->out);
}

static double now_s(void)
{
	return (double)ta_now_ns(CLOCK_MONOTONIC) / 1e9;
}

/*
 * The longest single sleep or poll: a gap of months (or an infinite one, at a
 * speed halved to 0) is waited in pieces, as (int) and (time_t) of it overflow.
 */
#define WAIT_PIECE_S 3600.0

/* Waits up to secs (keys may pause, step, change speed or quit). 1 = quit. */
static int wait_keys(struct player *p, double secs)
{
	double until = now_s() + secs;

	for (;;) {
		double left = until - now_s();
		if (stop_sig)
			return 1;
		if (!p->paused && left <= 0)
			return 0;
		if (left > WAIT_PIECE_S)
			left = WAIT_PIECE_S;
		if (!p->keys) {
			struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
			/* A signal ends the sleep early: the loop sees stop_sig. */
			nanosleep(&ts, NULL);
			continue;
		}
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int ms = p->paused ? -1 : (int)(left * 1000) + 1;
		int r = poll(&pfd, 1, ms);
		if (r <= 0)
			continue;
		char ch;
		if (read(STDIN_FILENO, &ch, 1) != 1)
			return 1;
		switch (ch) {
		case 'q':
		case 3:
			return 1;
		case ' ':
			p->paused = !p->paused;
			if (!p->paused)
				until = now_s(); /* resume: play on */
			break;
		case '.':
			if (p->paused) {
				p->step = 1;
				return 0;
			}
			break;
		case '+':
			p->speed *= 2;
			break;
		case '-':
			p->speed /= 2;
			break;
		}
	}
}

/* Follows the alternate screen switches (1049, 1047, 47) in what is written. */
static void track_alt(struct player *p, const uint8_t *d, size_t n)
{
	static const char *const on[] = { "\033[?1049h", "\033[?1047h", "\033[?47h" };
	static const char *const off[] = { "\033[?1049l", "\033[?1047l", "\033[?47l" };

	for (const uint8_t *q = d; (q = memchr(q, '\033', (size_t)(d + n - q))); q++)
		for (int k = 0; k < 3; k++) {
			size_t l = strlen(on[k]);
			if ((size_t)(d + n - q) >= l && !memcmp(q, on[k], l))
				p->alt = 1;
			else if ((size_t)(d + n - q) >= l && !memcmp(q, off[k], l))
				p->alt = 0;
		}
}

/* Plays one frame after its gap (keys may pause, step, change speed or quit). 1 = quit. */
static int play_frame(struct player *p, const struct pev *e)
{
	double gap = e->t - p->prev;

	if (stop_sig)
		return 1;
	p->prev = e->t;
	if (gap < 0)
		gap = 0;
	if (p->max_idle > 0 && gap > p->max_idle)
		gap = p->max_idle;
	if (p->speed > 0 && (gap > 0 || p->paused)) {
		fflush(p->out);
		if (wait_keys(p, p->step ? 0 : gap / p->speed))
			return 1;
		p->step = 0;
	}
	if (e->n) {
		fwrite(e->d, 1, e->n, p->out);
		track_alt(p, e->d, e->n);
	} else if (e->rows && p->resize_ok) {
		unsigned rows = e->rows, cols = e->cols;
		ta_screen_fit(&rows, &cols);
		fprintf(p->out, "\033[8;%u;%ut", rows, cols);
		p->resized = 1;
	}
	return 0;
}

/* A logged session's output and sizes as frames, timed from the first of them. */
static int session_frame(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
			 const uint8_t *d)
{
	struct player *p = ctx;
	struct pev f = { 0 };

	(void)tr;
	if (e->kind != TA_TEV_OUTPUT && e->kind != TA_TEV_WINSIZE)
		return 0;
	if (!p->t0)
		p->t0 = e->time_ns;
	f.t = e->time_ns > p->t0 ? (double)(e->time_ns - p->t0) / 1e9 : 0;
	if (e->kind == TA_TEV_WINSIZE) {
		if (!ta_shown_resize(&p->sh, e))
			return 0;
		f.rows = e->rows;
		f.cols = e->cols;
	} else {
		f.d = ta_shown_output(&p->sh, e, d, &f.n);
	}
	return play_frame(p, &f) ? SESSION_VIEW_STOP : 0;
}

/*
 * An asciicast file's header size, then (p set) its "o" and "r" events played
 * as they are read. Without p every line is only checked, so that a file that
 * is not a cast is refused before anything of it is played. -EBADMSG: not a
 * cast (the line named on stderr); 1: quit.
 */
static int cast_frames(const char *path, struct player *p, unsigned *rows, unsigned *cols)
{
	/* Read twice: a pipe would be used up by the check; a FIFO never opens blocking. */
	int fd = ta_open_named_regular(path, NULL);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	struct ta_cast_header h;
	struct ta_cast_event ce = { 0 };
	int err = 0;

	if (fd < 0)
		return fd;
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	ta_buf_init(&ce.data);
	while (!err && (len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (lineno == 1) {
			if (ta_cast_parse_header(line, (size_t)len, &h)) {
				err = -EBADMSG;
				break;
			}
			*rows = h.height;
			*cols = h.width;
			continue;
		}
		if (len == 1)
			continue;
		if (ta_cast_parse_event(line, (size_t)len, &ce)) {
			ta_err(NULL, "%s:%zu: not an asciicast event", path, lineno);
			err = -EBADMSG;
			break;
		}
		struct pev e = { .t = ce.t };
		if (!strcmp(ce.code, "o")) {
			e.d = ce.data.p;
			e.n = ce.data.len;
		} else if (!strcmp(ce.code, "r")) {
			unsigned c, r;
			ta_buf_putc(&ce.data, '\0');
			if (sscanf((const char *)ce.data.p, "%ux%u", &c, &r) != 2)
				continue;
			e.cols = c;
			e.rows = r;
		} else {
			continue;
		}
		if (p && play_frame(p, &e))
			err = 1;
	}
	/* A read error is no end of file: the check would pass a cut file. */
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	else if (lineno == 0)
		err = -EBADMSG;
	free(line);
	ta_buf_free(&ce.data);
	fclose(f);
	return err;
}

int ta_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "speed", required_argument, NULL, 's' },
		{ "max-idle", required_argument, NULL, 'm' },
		{ "no-wait", no_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ "asciicast", required_argument, NULL, 'A' },
		{ "no-resize", no_argument, NULL, 'R' },
		{ "tty", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		VIEW_SOURCE_OPTIONS,
		{ 0 },
	};
	const char *output = NULL, *cast = NULL, *tty_filter = NULL;
	struct view_source src = { .dir = TA_STORE_DEFAULT_DIR };
	struct player p = { .speed = 1.0 };
	int c, no_resize = 0, rc = TA_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:s:m:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cli_parse_seconds(optarg, CLI_SECONDS_MAX, &p.speed)) {
				ta_err(NULL, "--speed: not a factor: '%s' (a number from 0 to 1e9, like 2 or "
				       "0.5; 0: no waiting)", optarg);
				return TA_EXIT_USAGE;
			}
			break;
		case 'm':
			if (cli_parse_seconds(optarg, CLI_SECONDS_MAX, &p.max_idle)) {
				ta_err(NULL, "--max-idle: not a number of seconds: '%s' (0 to 1e9, like 2 or "
				       "0.5)", optarg);
				return TA_EXIT_USAGE;
			}
			break;
		case 'w': p.speed = 0; break;
		case 'o': output = optarg; break;
		case 'A': cast = optarg; break;
		case 'R': no_resize = 1; break;
		case 't': tty_filter = optarg; break;
		case 'h': usage(stdout); return TA_EXIT_OK;
		default:
			if (view_source_option(&src, c, optarg))
				break;
			return cli_usage_error("replay", NULL);
		}
	}
	if (cast && optind != argc)
		return cli_usage_error("replay", "--asciicast FILE takes no SESSION ('%s')", argv[optind]);
	if (!cast && optind == argc)
		return cli_usage_error("replay", "needs a SESSION (an id that 'ttyaudit query' lists) or --asciicast FILE");
	if (!cast && optind + 1 != argc)
		return cli_usage_error("replay", "takes one SESSION; '%s' is one too many", argv[optind + 1]);
	if (cast && src.fleet)
		return cli_usage_error("replay", "--asciicast FILE plays a file: not with --fleet");
	if ((rc = view_source_check("replay", &src)) != TA_EXIT_OK)
		return rc;
	unsigned rows = 0, cols = 0;
	struct session_view v;
	int have_view = 0;
	if (cast) {
		/* Every line checked first: a file that is not a cast plays nothing. */
		int err = cast_frames(cast, NULL, &rows, &cols);
		if (err) {
			ta_err(NULL, "cannot play %s: %s", cast, err == -EBADMSG ? "not an asciicast v2 file" :
			       err == -EINVAL ? "needs a regular file: it is read twice; save it first" :
			       strerror(-err));
			return err == -EBADMSG || err == -EINVAL ? TA_EXIT_USAGE : TA_EXIT_FAILURE;
		}
	} else {
		rc = view_source_find(&v, &src, argv[optind]);
		if (rc != TA_EXIT_OK)
			return rc;
		have_view = 1;
		/* The first size recorded starts the screen; the frames are played as they are read. */
		struct view_start start;
		if ((rc = session_view_one_tty(&v, "replay", NULL, tty_filter)) != TA_EXIT_OK ||
		    (rc = session_view_start(&v, &start)) != TA_EXIT_OK) {
			session_view_close(&v);
			return rc;
		}
		rows = start.first_rows;
		cols = start.first_cols;
	}
	ta_shown_init(&p.sh, (uint16_t)rows, (uint16_t)cols);
	p.out = output ? fopen(output, "we") : stdout;
	if (!p.out) {
		ta_err(NULL, "cannot write %s: %s", output, strerror(errno));
		rc = TA_EXIT_FAILURE;
		goto out;
	}
	p.out_fd = fileno(p.out);
	int tty_out = isatty(p.out_fd);
	const char *term = getenv("TERM");
	/* xterm and most emulators that claim it take CSI 8 ; rows ; cols t. */
	p.resize_ok = !no_resize && tty_out && term && !strncmp(term, "xterm", 5);
	/* Resize only a window whose size can be put back. */
	if (p.resize_ok && (ioctl(p.out_fd, TIOCGWINSZ, &p.own) || !p.own.ws_row || !p.own.ws_col))
		p.resize_ok = 0;
	if (tty_out)
		ta_warn(NULL, "replay writes the recorded output to your terminal unmodified: escape "
			"sequences in it act on this terminal");
	if (rows && cols && tty_out) {
		unsigned fr = rows, fc = cols;
		if (ta_screen_fit(&fr, &fc))
			ta_info(NULL, "the recorded window size %ux%u (rows x cols) is played as %ux%u",
				rows, cols, fr, fc);
		if (p.resize_ok) {
			ta_info(NULL, "resizing the terminal to the recorded %ux%u (rows x cols) with the "
				"xterm window-size sequence", fr, fc);
			fprintf(p.out, "\033[8;%u;%ut", fr, fc);
			p.resized = 1;
		} else {
			ta_info(NULL, "recorded window size %ux%u (rows x cols); this terminal is not "
				"resized (it does not announce xterm window operations)", rows, cols);
		}
	}
	if (!output && p.speed > 0 && isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &p.saved)) {
		struct termios raw = p.saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		if (!tcsetattr(STDIN_FILENO, TCSANOW, &raw)) {
			p.keys = 1;
			p.raw_mode = 1;
		}
	}
	catch_stops();
	if (cast) {
		int err = cast_frames(cast, &p, &rows, &cols);
		if (err < 0) {
			/* Changed since it was checked: what was played stays played. */
			restore_terminal(&p);
			ta_err(NULL, "cannot play %s to its end: %s (it changed while it was played; "
			       "play a copy)", cast, err == -EBADMSG ? "it is no longer an asciicast v2 file" :
			       strerror(-err));
			rc = TA_EXIT_FAILURE;
			goto close;
		}
	} else {
		rc = session_view_each(&v, session_frame, &p);
	}
	fflush(p.out);
	restore_terminal(&p);
	if (stop_sig && stop_sig != SIGINT)
		rc = 128 + stop_sig;
close:
	if ((output ? fclose(p.out) : fflush(p.out)) && rc == TA_EXIT_OK)
		rc = TA_EXIT_FAILURE;
	if (have_view && rc == TA_EXIT_OK)
		rc = session_view_damage_exit(&v);
out:
	ta_shown_free(&p.sh);
	if (have_view)
		session_view_close(&v);
	return rc;
}
