// SPDX-License-Identifier: GPL-2.0-or-later
/* ttyaudit status, ttyaudit reindex. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_json.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "base/clock.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/json_read.h"
#include "index/sesstab.h"
#include "store/walk.h"
#include "store/log_dir.h"
#include "ship/state.h"
#include "store/store.h"
#include "ttyaudit/log_records.h"
#include "view/neutralise.h"

static void status_usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit status [--log-dir DIR] [--ship-state FILE] [--json]\n"
		"\n"
		"Whether ttyauditd is writing this log (the process holding its lock), the\n"
		"capture backend and BPF programs of the last agent_start, loss recorded (gap\n"
		"records), log size, segments, the latest signed checkpoint, sessions; with\n"
		"ttyaudit-ship, how far\n"
		"the log is shipped and cosigned by the fleet collector, and the backlog.\n"
		"\n"
		"  --log-dir DIR      log directory (default %s)\n"
		"  --ship-state FILE  the shipper's state (default %s, if present)\n"
		"  --json             one JSON object\n"
		"\n"
		"Exit: 0, 1 the shipper's state file is refused or unreadable (the rest is shown),\n"
		"4 not allowed to read the log, 6 no log, 8 the log is damaged.\n",
		TA_STORE_DEFAULT_DIR, TA_SHIP_DEFAULT_STATE);
}

/* The pid holding a flock on dir/.lock, from /proc/locks (0: none). */
static long lock_holder(const char *dir)
{
	char path[4096], line[512];
	struct stat st;
	long pid = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, TA_LOCK_NAME);
	if (stat(path, &st))
		return 0;
	FILE *f = fopen("/proc/locks", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char type[16], mode[16], rw[16], dev[64];
		long p;
		unsigned long long ino;
		unsigned maj, min;
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:123456 0 EOF" */
		char *s = strchr(line, ':');
		if (!s || strstr(line, "->"))
			continue;
		if (sscanf(s + 1, "%15s %15s %15s %ld %63s", type, mode, rw, &p, dev) != 5)
			continue;
		if (sscanf(dev, "%x:%x:%llu", &maj, &min, &ino) != 3)
			continue;
		if (ino == (unsigned long long)st.st_ino && maj == major(st.st_dev) &&
		    min == minor(st.st_dev)) {
			pid = p;
			break;
		}
	}
	fclose(f);
	return pid;
}

/* Loss by the reason its records give (each loss once, as the totals). */
#define STATUS_REASONS 16
struct loss_reason {
	char name[32];
	size_t name_len;    /* a recorded reason may hold a NUL: another reason than its prefix */
	uint64_t records, events, bytes;
	/* Of those, what no session holds (events of no login session or terminal). */
	uint64_t unattributed_events, unattributed_bytes;
};

static void add_reason(struct loss_reason *r, size_t *n, const char *name, size_t len,
		       uint64_t events, uint64_t bytes, int unattributed)
{
	size_t i;

	if (len >= sizeof(r->name))
		len = sizeof(r->name) - 1;
	for (i = 0; i < *n && (r[i].name_len != len || memcmp(r[i].name, name, len)); i++)
		;
	if (i == *n) {
		/* More reasons than slots: the last one takes the rest. */
		if (*n == STATUS_REASONS) {
			i = STATUS_REASONS - 1;
			r[i].name_len = (size_t)snprintf(r[i].name, sizeof(r[i].name), "other");
		} else {
			memcpy(r[i].name, name, len);
			r[i].name[len] = '\0';
			r[(*n)++].name_len = len;
		}
	}
	r[i].records++;
	r[i].events += events;
	r[i].bytes += bytes;
	if (unattributed) {
		r[i].unattributed_events += events;
		r[i].unattributed_bytes += bytes;
	}
}

/*
 * A word of a record into buf (cap bytes), whole: its length, for it may hold a
 * NUL (JSON's \u0000) that must be shown (\x00), not end it; absent if none.
 */
static size_t record_word(const struct ta_jobj *o, const char *key, char *buf, size_t cap,
			  const char *absent)
{
	long n = ta_jobj_str(o, key, buf, cap);

	if (n >= 0)
		return (size_t)n;
	snprintf(buf, cap, "%s", absent);
	return strlen(buf);
}

/* A word read from the log, shown on one line, never obeyed (view/neutralise.h). */
static void put_word(struct ta_buf *o, const char *w, size_t n)
{
	ta_neutralise(w, n, TA_NEUT_LINE, o);
}

/* Whether the word is that keyword, whole. */
static int word_is(const char *w, size_t n, const char *keyword)
{
	return n == strlen(keyword) && !memcmp(w, keyword, n);
}

int ta_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "ship-state", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = TA_STORE_DEFAULT_DIR, *ship_path = NULL;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'S': ship_path = optarg; break;
		case 'h': status_usage(stdout); return TA_EXIT_OK;
		default: return cli_usage_error("status", NULL);
		}
	}
	struct ta_walk w;
	int err = ta_walk_open(&w, dir, 0);
	if (err)
		return cli_log_error(dir, err);
	/* Walk once: backend, loss, last agent start/stop; records and damage. */
	struct ta_log_record rec;
	uint64_t records = 0, loss_events = 0, loss_bytes = 0, loss_records = 0, store_gaps = 0,
		 first = UINT64_MAX, last_time = 0, agent_start_time = 0, agent_stop_time = 0,
		 unclean_stops = 0, store_gap_records = 0, store_gap_bytes = 0, copied_events = 0,
		 copied_bytes = 0;
	int in_run = 0;
	struct loss_reason reasons[STATUS_REASONS];
	size_t n_reasons = 0;
	char backend[32] = "unknown", version[32] = "", damage_line[512] = "";
	char integrity[32] = "unknown", programs[32] = "", programs_lim[1024] = "";
	size_t backend_n = strlen(backend), version_n = 0, integrity_n = strlen(integrity),
	       programs_n = 0, programs_lim_n = 0;
	int n;
	while ((n = ta_walk_next(&w, &rec)) != TA_WALK_END) {
		if (n < 0) {
			ta_walk_close(&w);
			return cli_log_error(dir, n);
		}
		if (n == TA_WALK_DAMAGE) {
			if (!damage_line[0])
				ta_walk_describe(&w, damage_line, sizeof(damage_line));
			continue;
		}
		records++;
		if (first == UINT64_MAX)
			first = rec.index;
		last_time = rec.time_ns;
		struct ta_jobj o;
		switch (rec.type) {
		case TA_REC_AGENT_START:
			/* A start while the previous run never wrote its stop: it was killed or crashed. */
			unclean_stops += in_run;
			in_run = 1;
			agent_start_time = rec.time_ns;
			if (!ta_jobj_parse(&o, (const char *)rec.payload, rec.len)) {
				backend_n = record_word(&o, "backend", backend, sizeof(backend), "");
				/* Logs from before integrity levels: say so, do not guess. */
				integrity_n = record_word(&o, "integrity", integrity, sizeof(integrity),
							  "unknown");
				version_n = record_word(&o, "version", version, sizeof(version), "");
				/* Logs from before the fallback programs: the full ones ("" below). */
				programs_n = record_word(&o, "programs", programs, sizeof(programs), "");
				programs_lim_n = record_word(&o, "programs_limitations", programs_lim,
							     sizeof(programs_lim), "");
			}
			break;
		case TA_REC_AGENT_STOP:
			in_run = 0;
			agent_stop_time = rec.time_ns;
			break;
		case TA_REC_LOSS:
			loss_records++;
			if (!ta_jobj_parse(&o, (const char *)rec.payload, rec.len)) {
				uint64_t ev = 0, by = 0, cev = 0, cby = 0;
				char reason[32];
				size_t reason_n = record_word(&o, "reason", reason, sizeof(reason), "");
				if (!reason_n)
					reason_n = (size_t)snprintf(reason, sizeof(reason), "unknown");
				ta_jobj_u64(&o, "events", &ev);
				ta_jobj_u64(&o, "bytes", &by);
				/*
				 * Output another session wrote to this terminal is filed (and
				 * lost) in the writer's session too: counted there, once.
				 */
				ta_jobj_u64(&o, "copied_events", &cev);
				ta_jobj_u64(&o, "copied_bytes", &cby);
				cev = cev < ev ? cev : ev;
				cby = cby < by ? cby : by;
				loss_events += ev - cev;
				loss_bytes += by - cby;
				copied_events += cev;
				copied_bytes += cby;
				add_reason(reasons, &n_reasons, reason, reason_n, ev - cev, by - cby,
					   (uint32_t)rec.session == TA_ID_NONE);
			}
			break;
		case TA_REC_GAP: {
			struct ta_rec_gap g;

			store_gaps++;
			if (rec.len >= sizeof(g)) {
				memcpy(&g, rec.payload, sizeof(g));
				store_gap_records += g.dropped_records;
				store_gap_bytes += g.dropped_bytes;
			}
			break;
		}
		}
	}
	uint64_t damaged = w.damaged;
	ta_walk_close(&w);

	/* Files: segments, checkpoints, bytes. */
	uint64_t seg_bytes = 0, nseg = 0, nckpt = 0;
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		uint64_t seq;
		while ((de = readdir(d))) {
			struct stat st;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			if (ta_seg_name_parse(de->d_name, TA_SEG_SUFFIX, &seq) && !stat(p, &st)) {
				nseg++;
				seg_bytes += (uint64_t)st.st_size;
			} else if (ta_seg_name_parse(de->d_name, TA_CKPT_SUFFIX, &seq)) {
				nckpt++;
			}
		}
		closedir(d);
	}
	uint64_t ckpt = 0;
	char why[512];
	int ck = ta_store_latest_checkpoint(dir, &ckpt, why, sizeof(why));
	long pid = lock_holder(dir);
	/* Shipping: absent unless this host runs ttyaudit-ship (or a state file is named). */
	struct ta_ship_state ship;
	const char *ship_file = ship_path ? ship_path : TA_SHIP_DEFAULT_STATE;
	int ship_err = ta_ship_state_load(ship_file, &ship);
	int have_ship = !ship_err && (ship_path || ship.next);
	/* Not root: the shipper's directory is closed to the caller, nothing to say. */
	if (ship_err == -EACCES && !ship_path)
		ship_err = 0;
	uint64_t log_end = first == UINT64_MAX ? 0 : first + records;
	uint64_t backlog = log_end > ship.acked ? log_end - ship.acked : 0;
	char t1[32], t2[32];
	cli_fmt_time(agent_start_time, t1, sizeof(t1), 0);
	cli_fmt_time(last_time, t2, sizeof(t2), 0);

	struct ta_buf o;
	ta_buf_init(&o);
	if (json) {
		struct ta_json j;
		const struct {
			const char *key;
			uint64_t v;
		} counts[] = {
			{ "records", records },
			{ "first_index", first == UINT64_MAX ? 0 : first },
			{ "segments", nseg },
			{ "checkpoint_files", nckpt },
			{ "bytes", seg_bytes },
			{ "loss_records", loss_records },
			{ "lost_events", loss_events },
			{ "lost_bytes", loss_bytes },
			{ "store_gaps", store_gaps },
			{ "store_gap_records", store_gap_records },
			{ "store_gap_bytes", store_gap_bytes },
			{ "unclean_stops", unclean_stops },
			{ "copied_lost_events", copied_events },
			{ "copied_lost_bytes", copied_bytes },
			{ "damaged", damaged },
			{ "checkpoint_size", ckpt },
		};
		ta_json_adopt(&j, &o);
		ta_json_obj_begin(&j);
		ta_json_key(&j, "log_dir");
		cli_json_text(&j, dir);
		ta_json_key(&j, "running");
		ta_json_bool(&j, pid > 0);
		ta_json_key(&j, "pid");
		if (pid > 0)
			ta_json_i64(&j, pid);
		else
			ta_json_null(&j);
		ta_json_key(&j, "backend");
		ta_json_text_value(&j, backend, backend_n);
		ta_json_key(&j, "integrity");
		ta_json_text_value(&j, integrity, integrity_n);
		ta_json_key(&j, "programs");
		if (programs_n)
			ta_json_text_value(&j, programs, programs_n);
		else
			cli_json_text(&j, "full");
		ta_json_key(&j, "programs_limitations");
		ta_json_text_value(&j, programs_lim, programs_lim_n);
		ta_json_key(&j, "agent_version");
		ta_json_text_value(&j, version, version_n);
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
			ta_json_key(&j, counts[i].key);
			ta_json_u64(&j, counts[i].v);
		}
		ta_json_key(&j, "checkpoint_ok");
		ta_json_bool(&j, ck == 0);
		ta_json_key(&j, "checkpoint");
		cli_json_text(&j, why);
		ta_json_key(&j, "lost_by_reason");
		ta_json_arr_begin(&j);
		for (size_t i = 0; i < n_reasons; i++) {
			ta_json_obj_begin(&j);
			ta_json_key(&j, "reason");
			ta_json_text_value(&j, reasons[i].name, reasons[i].name_len);
			ta_json_key(&j, "records");
			ta_json_u64(&j, reasons[i].records);
			ta_json_key(&j, "events");
			ta_json_u64(&j, reasons[i].events);
			ta_json_key(&j, "bytes");
			ta_json_u64(&j, reasons[i].bytes);
			ta_json_key(&j, "unattributed_events");
			ta_json_u64(&j, reasons[i].unattributed_events);
			ta_json_key(&j, "unattributed_bytes");
			ta_json_u64(&j, reasons[i].unattributed_bytes);
			ta_json_obj_end(&j);
		}
		ta_json_arr_end(&j);
		ta_json_key(&j, "agent_stopped");
		ta_json_bool(&j, agent_stop_time > agent_start_time);
		if (have_ship) {
			ta_json_key(&j, "ship_published");
			ta_json_u64(&j, ship.next);
			ta_json_key(&j, "ship_cosigned");
			ta_json_u64(&j, ship.acked);
			ta_json_key(&j, "ship_backlog");
			ta_json_u64(&j, backlog);
		}
		ta_json_obj_end(&j);
		ta_json_release(&j, &o);
		ta_buf_putc(&o, '\n');
	} else {
		char sz[16];
		cli_fmt_bytes(seg_bytes, sz, sizeof(sz));
		if (pid > 0)
			ta_buf_printf(&o, "ttyauditd:   running (pid %ld holds the log's lock)\n", pid);
		else
			ta_buf_printf(&o, "ttyauditd:   not running on this log%s\n",
				      agent_stop_time > agent_start_time ? " (last stop was clean)" :
				      records ? " (no clean stop recorded after the last start)" : "");
		/* The agent_start record's words: the daemon writes constants, a forged log anything. */
		ta_buf_puts(&o, "backend:     ");
		put_word(&o, backend, backend_n);
		ta_buf_puts(&o, " (agent ");
		if (version_n)
			put_word(&o, version, version_n);
		else
			ta_buf_putc(&o, '?');
		ta_buf_printf(&o, ", started %s)\n", t1);
		ta_buf_puts(&o, "integrity:   ");
		put_word(&o, integrity, integrity_n);
		ta_buf_printf(&o, "%s\n",
			      word_is(integrity, integrity_n, "kernel") ? " (the kernel's copy of terminal data)" :
			      word_is(integrity, integrity_n, "syscall") ? " (read from user memory at system calls; "
			      "what cannot be vouched for is marked suspect)" : "");
		ta_buf_puts(&o, "programs:    ");
		if (programs_n)
			put_word(&o, programs, programs_n);
		else
			ta_buf_puts(&o, "full");
		if (programs_lim_n) {
			ta_buf_puts(&o, ": ");
			put_word(&o, programs_lim, programs_lim_n);
		}
		ta_buf_putc(&o, '\n');
		ta_buf_printf(&o, "loss:        %" PRIu64 " gap records: %" PRIu64 " events, %" PRIu64
			      " bytes lost; %" PRIu64 " store gaps: %" PRIu64 " records, %" PRIu64
			      " bytes not written (disk full)\n", loss_records, loss_events, loss_bytes,
			      store_gaps, store_gap_records, store_gap_bytes);
		for (size_t i = 0; i < n_reasons; i++) {
			ta_buf_puts(&o, "             ");
			put_word(&o, reasons[i].name, reasons[i].name_len);
			ta_buf_printf(&o, ": %" PRIu64 " records, %" PRIu64 " events, %" PRIu64 " bytes",
				      reasons[i].records, reasons[i].events, reasons[i].bytes);
			if (reasons[i].unattributed_events || reasons[i].unattributed_bytes)
				ta_buf_printf(&o, " (%" PRIu64 " events, %" PRIu64 " bytes of no session)",
					      reasons[i].unattributed_events,
					      reasons[i].unattributed_bytes);
			ta_buf_puts(&o, "\n");
		}
		if (copied_events || copied_bytes)
			ta_buf_printf(&o, "             (each loss once: %" PRIu64 " events, %" PRIu64
				      " bytes more were copies, in terminal owners' sessions, of output "
				      "other sessions wrote and lost)\n", copied_events, copied_bytes);
		ta_buf_printf(&o, "stops:       %" PRIu64 " unclean (killed or crashed: no agent_stop "
			      "before the next start)\n", unclean_stops);
		ta_buf_printf(&o, "log:         %s in %" PRIu64 " segments, %" PRIu64 " records (from %" PRIu64
			      "), last record %s\n", sz, nseg, records, first == UINT64_MAX ? 0 : first, t2);
		ta_buf_printf(&o, "checkpoint:  %s (%" PRIu64 " checkpoint files)\n", why, nckpt);
		if (have_ship)
			ta_buf_printf(&o, "shipping:    %" PRIu64 " records published, cosigned up to %" PRIu64
				      " by the collector; backlog %" PRIu64 " records\n", ship.next, ship.acked,
				      backlog);
		if (damaged)
			ta_buf_printf(&o, "damage:      %s\n", damage_line);
	}
	cli_flush(&o, stdout);
	ta_buf_free(&o);
	rc = TA_EXIT_OK;
	if (ship_err) {
		ta_err(NULL, "the shipper's state %s: %s; not shown (--ship-state names the "
		       "shipper's own state file, a regular file in its state directory)", ship_file,
		       ta_ship_state_strerror(ship_err));
		rc = TA_EXIT_FAILURE;
	}
	if (damaged) {
		ta_err(NULL, "the log is damaged: %s", damage_line);
		rc = TA_EXIT_CORRUPT;
	}
	return rc;
}

static void reindex_usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit reindex [--log-dir DIR] [--index FILE]\n"
		"\n"
		"Reads the whole log and writes the index the other commands use to be fast:\n"
		"DIR/index/sessions.idx when writable, else a per-user cache file\n"
		"($XDG_CACHE_HOME/ttyaudit/), or FILE. The index is a cache: what it says is\n"
		"always read again from the log when shown. A damaged log is not indexed.\n"
		"\n"
		"Exit: 0, 1 could not write, 4 not allowed to read the log, 8 damaged.\n");
}

int ta_cmd_reindex(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "index", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = TA_STORE_DEFAULT_DIR, *index_opt = NULL;
	int c, rc;
	uint64_t a, b;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'X': index_opt = optarg; break;
		case 'h': reindex_usage(stdout); return TA_EXIT_OK;
		default: return cli_usage_error("reindex", NULL);
		}
	}
	a = ta_now_ns(CLOCK_MONOTONIC);
	struct cli_table ct;
	rc = cli_table_open(&ct, dir, index_opt, CLI_INDEX_REBUILD, 1);
	if (rc != TA_EXIT_OK)
		return rc;
	b = ta_now_ns(CLOCK_MONOTONIC);
	double secs = (double)(b - a) / 1e9;
	if (ct.damage) {
		rc = cli_damage_exit(&ct, 0, NULL);
	} else if (!ct.index_path[0]) {
		rc = TA_EXIT_FAILURE;
	} else {
		printf("indexed %" PRIu64 " records, %zu sessions in %.2f s: %s\n", ct.t->records, ct.t->n,
		       secs, ct.index_path);
	}
	cli_table_close(&ct);
	return rc;
}
