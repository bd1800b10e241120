// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttyauditd: load the capture programs, drain their ring buffer into the log.
 * Thin on purpose: the work is in libttyaudit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cap-ng.h>
#include <libaudit.h>

#include "capture/capture.h"
#include "capture/diagnose.h"
#include "base/exitcodes.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/trusted_path.h"
#include "base/notify.h"
#include "config/config_file.h"
#include "config/options.h"
#include "recorder/activity.h"
#include "recorder/recorder.h"
#include "shared_tty/shared.h"
#include "alerting.h"
#include "logins.h"
#include "sessions/anchor.h"
#include "status.h"
#include "base/clock.h"
#include "sink/sink.h"
#include "sink/sink_queue.h"
#include "sink/sink_store.h"
#include "store/store.h"

/* Scheduling priority of the daemon (negative: ahead of ordinary processes). */
#define TA_DAEMON_NICE (-10)
/* While records flow: drain every 20 ms; idle again after 1 s without any. */
#define TA_BUSY_TICK_NS 20000000L
#define TA_BUSY_IDLE_TICKS 50
/*
 * What a kill -9 can lose: what the ring holds (one drain round, 20 ms) and
 * terminal batches younger than this (kept open so that a terminal's
 * keystrokes share a record). Older batches go to the log file every round.
 */
#define TA_SETTLE_AGE_NS 40000000ull
/*
 * The journal's heartbeat is this much before the round started: a record
 * carries its call's start time, and a long call's last chunks, or one still
 * being committed when the drain passed, may come after the round began.
 */
#define TA_HEARTBEAT_MARGIN_NS 10000000ull

struct daemon_ctx {
	struct ta_daemon_opts opts;
	uint64_t heartbeat_ns;  /* the journal's: the log holds what came before (write_activity) */
	struct ta_store_opts store_tuning;  /* from the config file; dir/key_file unset */
	int argc;                           /* kept for SIGHUP: file and argv again */
	char **argv;
	struct ta_capture *cap;
	struct ta_capture_report report;
	struct ta_sink *sink;
	struct ta_store *store;     /* owned by the sink; for status only */
	int log_dirfd;              /* the store's directory, our own copy: journal and status */
	struct ta_sink *log_sink;   /* the store's sink (d->sink may be a tee) */
	/*
	 * The writer in front of d->sink once running: from then on d->sink,
	 * the store, the activity journal and the status file are the writer
	 * thread's (the functions it runs are marked "writer thread").
	 */
	struct ta_sink *queue;
	/* The writer's copies of settings (a reload rewrites d->opts on the drain's thread). */
	char log_dir[sizeof(((struct ta_daemon_opts *)0)->log_dir)];
	uint32_t ring_bytes;
	uint64_t disk_full_warned;  /* records dropped when we last said so */
	uint64_t disk_full_base, disk_full_base_bytes; /* settled gap totals when it filled up */
	uint64_t status_written_ns, status_events, status_durable;
	int busy;                   /* draining on the short timer */
	int idle_ticks;             /* short ticks in a row that found nothing */
	uint64_t housekeeping_ns;   /* last once-a-second round */
	struct ta_recorder rec;
	uint64_t started_ns;
	struct ta_activity_file act;  /* the activity journal (recorder/activity.h) */
	struct ta_activity prev_act;  /* what the previous daemon left in it */
	int prev_act_valid;
	int act_error;                /* last journal write failure, logged once */
	struct ta_logins logins;
	struct ta_alerting alerting;
	int anchor_error;           /* last anchoring failure, logged once */
	int audit_fd;               /* audit netlink socket for anchors, -1 if none */
	int ready_pipe;     /* to the waiting parent when daemonized, else -1 */
	char config_path[4096];     /* the configuration file in use, "" if none */
};

/* What the capabilities allow, whatever the uid: root with a narrow bounding set is not enough. */
static int has_bpf_privilege(void)
{
	capng_get_caps_process();
	return capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) ||
	       (capng_have_capability(CAPNG_EFFECTIVE, CAP_BPF) &&
		capng_have_capability(CAPNG_EFFECTIVE, CAP_PERFMON));
}

/* Every checkpoint also goes into the audit trail, so the two logs vouch for each other. */
static void anchor_checkpoint(void *ctx, const char *origin, uint64_t size, const uint8_t root[32],
			      const char *note)
{
	struct daemon_ctx *d = ctx;
	int err = d->audit_fd >= 0 ? ta_anchor_send(d->audit_fd, origin, size, root, 32) : -ENOTCONN;

	if (err && err != d->anchor_error)
		ta_warn("anchor", "cannot write checkpoint %llu into the audit trail: %s",
			(unsigned long long)size, strerror(-err));
	else if (!err && d->anchor_error)
		ta_info("anchor", "writing checkpoints into the audit trail again");
	d->anchor_error = err;
	(void)note;
}

static int open_store(struct daemon_ctx *d, struct ta_sink **out)
{
	struct ta_store_opts so = d->store_tuning;
	struct ta_store *store;
	const char *why;
	int err;

	so.dir = d->opts.log_dir;
	so.key_file = d->opts.key_file[0] ? d->opts.key_file : NULL;
	so.on_checkpoint = anchor_checkpoint;
	so.on_checkpoint_ctx = d;
	err = ta_store_open(&store, &so);
	if (err) {
		ta_err("log", "cannot open the log in %s: %s", d->opts.log_dir,
		       *ta_store_open_error() ? ta_store_open_error() : strerror(-err));
		/* Damage to signed records: appending would fork the tree (docs/ttyauditd.8). */
		if (err == -EUCLEAN)
			return TA_EXIT_CORRUPT;
		if (err == -ENOKEY) /* --key-file / key_file names something that is not a key */
			return TA_EXIT_CONFIG;
		return err == -ENOSPC || err == -EACCES || err == -EROFS || err == -ENOENT ||
		       err == -EBUSY || err == -ENOTDIR ? TA_EXIT_STORAGE : TA_EXIT_FAILURE;
	}
	if (ta_store_append_only_status(store, &why))
		ta_warn("log", "segments are not append-only: %s", why ? why : "unknown reason");
	ta_info("log", "writing %s; checkpoint key %s", d->opts.log_dir, ta_store_vkey(store));
	d->store = store;
	/* The directory the store checked and opened; outlives the store at a stop. */
	d->log_dirfd = fcntl(ta_store_dirfd(store), F_DUPFD_CLOEXEC, 3);
	if (d->log_dirfd < 0) {
		ta_err("log", "cannot keep %s open: %s", d->opts.log_dir, strerror(errno));
		ta_store_close(store);
		return TA_EXIT_FAILURE;
	}
	err = ta_sink_store_open(out, store);
	if (err) {
		ta_store_close(store);
		close(d->log_dirfd);
		d->log_dirfd = -1;
		return TA_EXIT_FAILURE;
	}
	return TA_EXIT_OK;
}

/*
 * The log directory and the signing key must be root's alone: a directory a
 * user made beforehand, or a key she can read, would let her rewrite the log
 * or sign checkpoints. Refused, never repaired: modes and owners of paths the
 * daemon did not create are not its to change.
 */
static int check_log_paths(const struct daemon_ctx *d)
{
	char key[4200], dir[4200], why[512];
	struct stat st;
	char *slash;

	if (ta_path_trusted(d->opts.log_dir, 0022, why, sizeof(why))) {
		ta_err("log", "refusing log directory %s: %s; use a directory that root owns and only "
		       "root can write (chown root, chmod go-w), or another --log-dir", d->opts.log_dir, why);
		return TA_EXIT_STORAGE;
	}
	if (d->opts.key_file[0])
		snprintf(key, sizeof(key), "%s", d->opts.key_file);
	else
		snprintf(key, sizeof(key), "%s/ttyaudit.key", d->opts.log_dir);
	if (lstat(key, &st) == 0) {
		if (ta_path_trusted(key, 0077, why, sizeof(why))) {
			ta_err("log", "refusing signing key %s: %s; a key must be root's and readable by root "
			       "only (chown root, chmod 600), or move it away and a new one is made", key, why);
			return TA_EXIT_STORAGE;
		}
		return TA_EXIT_OK;
	}
	/* To be created: where it will be must be trusted. */
	snprintf(dir, sizeof(dir), "%s", key);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), slash ? "/" : ".");
	if (ta_path_trusted(dir, 0022, why, sizeof(why))) {
		ta_err("log", "refusing to create signing key %s: %s", key, why);
		return TA_EXIT_STORAGE;
	}
	return TA_EXIT_OK;
}

static int open_sink(struct daemon_ctx *d)
{
	struct ta_sink *log = NULL, *copy = NULL;
	char why[600];
	int err, rc;

	/*
	 * What exists of the path first: making the rest follows it as it is
	 * now, and root must not make directories where a user's symlink points.
	 */
	{
		char have[4200];
		struct stat st;
		char *slash;

		snprintf(have, sizeof(have), "%s", d->opts.log_dir);
		/* An existing log directory is check_log_paths' to judge. */
		while (lstat(have, &st) && errno == ENOENT) {
			slash = strrchr(have, '/');
			if (!slash)
				snprintf(have, sizeof(have), ".");
			else if (slash == have)
				have[1] = '\0';
			else
				*slash = '\0';
			if (!slash || slash == have)
				break;
		}
		if (strcmp(have, d->opts.log_dir) && ta_parent_trusted(have, why, sizeof(why))) {
			ta_err("log", "refusing to create log directory %s: %s; create it below "
			       "directories only root can change, or choose another --log-dir",
			       d->opts.log_dir, why);
			return TA_EXIT_STORAGE;
		}
	}
	err = ta_mkdir_p(d->opts.log_dir, 0750);
	if (err) {
		ta_err("log", "cannot create log directory %s: %s", d->opts.log_dir, strerror(-err));
		return TA_EXIT_STORAGE;
	}
	rc = check_log_paths(d);
	if (rc)
		return rc;
	rc = open_store(d, &log);
	if (rc)
		return rc;
	if (!d->opts.jsonl_path[0]) {
		d->log_sink = d->sink = log;
		return TA_EXIT_OK;
	}
	d->log_sink = log;
	snprintf(why, sizeof(why), "%.500s: out of memory", d->opts.jsonl_path);
	err = ta_sink_jsonl_open(&copy, d->opts.jsonl_path, why, sizeof(why));
	if (!err)
		err = ta_sink_tee_open(&d->sink, log, copy);
	if (err) {
		ta_err("log", "refusing the JSON Lines copy: %s; point --jsonl (jsonl =) at a new "
		       "name in a directory only root can change, or remove what is there", why);
		if (copy)
			copy->ops->close(copy);
		log->ops->close(log);
		return TA_EXIT_STORAGE;
	}
	return TA_EXIT_OK;
}

static void read_line_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void write_agent_start(struct daemon_ctx *d)
{
	struct ta_json j;
	char host[256] = "", boot_id[64];

	gethostname(host, sizeof(host) - 1);
	read_line_file("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "version");
	ta_json_str(&j, TA_VERSION);
	ta_json_key(&j, "pid");
	ta_json_u64(&j, (uint64_t)getpid());
	ta_json_key(&j, "hostname");
	ta_json_str(&j, host);
	ta_json_key(&j, "boot_id");
	ta_json_str(&j, boot_id);
	ta_json_key(&j, "backend");
	ta_json_str(&j, ta_backend_name(d->report.chosen));
	ta_json_key(&j, "refused");
	ta_json_obj_begin(&j);
	for (int b = TA_BACKEND_FENTRY; b < TA_BACKEND_COUNT; b++) {
		if (!d->report.refused[b][0])
			continue;
		ta_json_key(&j, ta_backend_name((enum ta_backend)b));
		ta_json_str(&j, d->report.refused[b]);
	}
	ta_json_obj_end(&j);
	ta_json_key(&j, "integrity");
	ta_json_str(&j, ta_backend_integrity(d->report.chosen));
	ta_json_key(&j, "limitations");
	ta_json_str(&j, ta_backend_limitations(d->report.chosen));
	ta_json_key(&j, "hooks_missing");
	ta_json_str(&j, d->report.optional_missing);
	ta_json_key(&j, "return_probes");
	ta_json_str(&j, d->report.kretprobe_pool);
	ta_json_key(&j, "programs");
	ta_json_str(&j, ta_programs_name(d->report.programs));
	ta_json_key(&j, "programs_limitations");
	ta_json_str(&j, ta_programs_limitations(d->report.programs));
	ta_json_key(&j, "kernel_lacks");
	ta_json_str(&j, d->report.kernel_lacks);
	ta_json_key(&j, "typed_reads");
	ta_json_bool(&j, d->report.typed_reads);
	ta_json_key(&j, "ring_bytes");
	ta_json_u64(&j, d->opts.capture.ring_bytes);
	ta_json_key(&j, "redact_noecho");
	ta_json_bool(&j, d->opts.capture.redact_noecho);
	ta_json_key(&j, "footprint");
	ta_json_str(&j, ta_footprint_name(d->opts.capture.footprint));
	ta_json_key(&j, "previous_stop");
	ta_json_str(&j, !d->prev_act_valid ? "unknown" : d->prev_act.running ? "unclean" : "clean");
	if (d->prev_act_valid && d->prev_act.running) {
		/* Nothing was recorded from here until this start. */
		ta_json_key(&j, "lost_since");
		ta_json_time(&j, d->prev_act.heartbeat_ns);
	}
	ta_json_obj_end(&j);
	ta_recorder_record(&d->rec, TA_REC_AGENT_START, UINT32_MAX, &j);
	ta_json_free(&j);
	d->sink->ops->flush(d->sink);
}

static void write_agent_stop(struct daemon_ctx *d, const char *why)
{
	const struct ta_recorder_stats *s = &d->rec.stats;
	struct ta_json j;

	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "reason");
	ta_json_str(&j, why);
	ta_json_key(&j, "events");
	ta_json_u64(&j, s->events);
	ta_json_key(&j, "bytes_output");
	ta_json_u64(&j, s->bytes_output);
	ta_json_key(&j, "bytes_input");
	ta_json_u64(&j, s->bytes_input);
	ta_json_key(&j, "execs");
	ta_json_u64(&j, s->execs);
	ta_json_key(&j, "lost_events");
	ta_json_u64(&j, s->lost_events);
	ta_json_key(&j, "lost_bytes");
	ta_json_u64(&j, s->lost_bytes);
	ta_json_key(&j, "bad_records");
	ta_json_u64(&j, s->bad_records);
	ta_json_key(&j, "sink_lost_events");
	ta_json_u64(&j, s->sink_lost_events + s->writer_lost_events);
	ta_json_key(&j, "queue_lost_events");
	ta_json_u64(&j, s->queue_lost_events);
	ta_json_key(&j, "queue_lost_bytes");
	ta_json_u64(&j, s->queue_lost_bytes);
	ta_json_key(&j, "incomplete_bytes");
	ta_json_u64(&j, ta_continuity_pending(&d->rec.cont));
	ta_json_obj_end(&j);
	ta_recorder_record(&d->rec, TA_REC_AGENT_STOP, UINT32_MAX, &j);
	ta_json_free(&j);
	ta_info("daemon", "stopping (%s): %llu events, %llu bytes output, %llu bytes input; "
		"lost %llu events / %llu bytes in the kernel, %llu / %llu over the writer queue's "
		"share, %llu at the log", why,
		(unsigned long long)s->events, (unsigned long long)s->bytes_output,
		(unsigned long long)s->bytes_input, (unsigned long long)s->lost_events,
		(unsigned long long)s->lost_bytes, (unsigned long long)s->queue_lost_events,
		(unsigned long long)s->queue_lost_bytes,
		(unsigned long long)(s->sink_lost_events + s->writer_lost_events));
}

static void log_refusals(const struct daemon_ctx *d, const struct ta_host_facts *facts, bool error)
{
	for (int b = TA_BACKEND_FENTRY; b < TA_BACKEND_COUNT; b++) {
		const char *hint;

		if (!d->report.refused[b][0])
			continue;
		hint = ta_backend_hint(facts, (enum ta_backend)b, d->report.refused[b]);
		ta_log(error ? TA_LOG_ERR : TA_LOG_INFO, "capture", "backend %s refused: %s%s%s",
		       ta_backend_name((enum ta_backend)b), d->report.refused[b],
		       hint ? " — " : "", hint ? hint : "");
	}
}

static void log_backend_choice(const struct daemon_ctx *d, const struct ta_host_facts *facts)
{
	log_refusals(d, facts, false);
	ta_info("capture", "recording with backend %s, integrity %s; not seen: %s",
		ta_backend_name(d->report.chosen), ta_backend_integrity(d->report.chosen),
		ta_backend_limitations(d->report.chosen));
	if (d->report.optional_missing[0])
		ta_warn("capture", "optional hooks unavailable: %s", d->report.optional_missing);
	/* Calls beyond the pool are counted (return_missed), not recorded. */
	if (d->report.kretprobe_default_pool)
		ta_warn("capture", "return probes have %s: calls beyond it in progress at once "
			"are counted lost (return_missed), not recorded; for the larger pool let the "
			"daemon mount tracefs privately (under systemd: RestrictNamespaces=mnt and "
			"SystemCallFilter=@mount, docs/service.md)", d->report.kretprobe_pool);
	else if (d->report.kretprobe_pool[0])
		ta_info("capture", "return probes: %s", d->report.kretprobe_pool);
	if (d->report.typed_refused[0])
		ta_warn("capture", "the typed build of the programs was refused (%s): the full build "
			"is loaded, its reads through the helper", d->report.typed_refused);
	if (d->report.programs == TA_PROGRAMS_FALLBACK && d->opts.capture.programs == TA_PROGRAMS_AUTO)
		ta_warn("capture", "the kernel lacks %s: %s", d->report.kernel_lacks,
			ta_programs_limitations(d->report.programs));
	else if (d->report.programs == TA_PROGRAMS_FALLBACK)
		ta_warn("capture", "--programs fallback: %s",
			ta_programs_limitations(d->report.programs));
}

/*
 * After an unclean stop: the terminal data the previous daemon had drained
 * but not written is lost; each open batch becomes a gap in its session.
 */
static void record_unclean_stop(struct daemon_ctx *d)
{
	const struct ta_activity *a = &d->prev_act;
	uint64_t now = ta_now_ns(CLOCK_REALTIME);
	struct ta_json j;

	if (!d->prev_act_valid || !a->running)
		return;
	ta_warn("daemon", "the previous run (pid %llu) did not stop cleanly: nothing was recorded "
		"since its last round; %zu terminals had data not yet in the log",
		(unsigned long long)a->pid, a->n_open);
	ta_json_init(&j);
	for (size_t i = 0; i < a->n_open; i++) {
		const struct ta_activity_open *o = &a->open[i];

		ta_session_gap_to_json(&j, "unclean_stop", o->ses, o->tty, o->since_ns, now,
				       o->entries, o->bytes, o->copy_entries, o->copy_bytes);
		ta_recorder_record(&d->rec, TA_REC_LOSS, o->ses, &j);
	}
	ta_json_free(&j);
	/*
	 * In the file before this run's journal replaces the one that named
	 * them: killed again before its first round, this run would otherwise
	 * take them along, and the next start would know only its own heartbeat.
	 */
	if (a->n_open)
		d->sink->ops->flush(d->sink);
}

/*
 * The journal says: everything before `heartbeat` is in the log file, except
 * the open batches. Writer thread (or before it starts, after it stopped).
 */
static void write_activity(struct daemon_ctx *d, uint64_t heartbeat, int running)
{
	struct ta_activity a = { .running = running, .pid = (uint64_t)getpid(),
				 .heartbeat_ns = heartbeat };
	struct ta_sink_pending p[TA_ACTIVITY_MAX_OPEN];
	size_t n = running ? ta_sink_store_pending(d->log_sink, p, TA_ACTIVITY_MAX_OPEN) : 0;
	int err;

	if (d->act.fd < 0)
		return;
	for (size_t i = 0; i < n && i < TA_ACTIVITY_MAX_OPEN; i++) {
		struct ta_activity_open *o = &a.open[a.n_open++];

		o->ses = p[i].ses;
		memcpy(o->tty, p[i].tty, sizeof(o->tty));
		o->since_ns = p[i].since_ns;
		o->entries = p[i].entries;
		o->bytes = p[i].bytes;
		o->copy_entries = p[i].copy_entries;
		o->copy_bytes = p[i].copy_bytes;
	}
	err = ta_activity_file_write(&d->act, &a);
	if (err && err != d->act_error) /* once per kind of failure, not every round */
		ta_warn("daemon", "cannot write %s/%s: %s", d->log_dir, TA_ACTIVITY_NAME,
			strerror(-err));
	d->act_error = err;
}

static void open_activity(struct daemon_ctx *d)
{
	const char *why = "";
	int r = ta_activity_file_open(&d->act, d->log_dirfd, &d->prev_act, &why);

	if (r < 0) {
		d->act.fd = -1;
		ta_warn("daemon", "cannot open %s/%s: %s; an unclean stop will not say which "
			"sessions lost data", d->opts.log_dir, TA_ACTIVITY_NAME, strerror(-r));
		return;
	}
	d->prev_act_valid = r == 1;
}

static int start_capture(struct daemon_ctx *d)
{
	struct ta_host_facts facts;
	char why[512];
	int err;

	d->opts.capture.self_tgid = (uint32_t)getpid();
	d->opts.capture.verbose_libbpf = d->opts.verbose;
	err = ta_capture_open(&d->cap, &d->opts.capture, &d->report);
	ta_host_facts_read(&facts, d->opts.capture.btf_path, has_bpf_privilege());
	if (!err && d->opts.capture.require_kernel_capture &&
	    strcmp(ta_backend_integrity(d->report.chosen), "kernel")) {
		log_refusals(d, &facts, true);
		ta_err("capture", "--require-kernel-capture: only %s capture (backend %s) works "
		       "on this host; refusing to run (docs/capture.md says what fentry and kprobes "
		       "need; without the option the recorder runs with syscall capture)",
		       ta_backend_integrity(d->report.chosen),
		       ta_backend_name(d->report.chosen));
		ta_capture_close(d->cap);
		d->cap = NULL;
		return TA_EXIT_UNSUPPORTED;
	}
	if (!err) {
		log_backend_choice(d, &facts);
		return TA_EXIT_OK;
	}
	if (err == -ENOTSUP) {
		log_refusals(d, &facts, true);
		ta_err("capture", "no capture backend could start: %s",
		       ta_capture_explain(&facts, &d->report, why, sizeof(why)));
		return facts.have_bpf_caps ? TA_EXIT_UNSUPPORTED : TA_EXIT_NOPERM;
	}
	ta_err("capture", "cannot start: %s", strerror(-err));
	return TA_EXIT_FAILURE;
}

/*
 * Keep only what the running daemon still needs, in every set including the
 * bounding set: CAP_LINUX_IMMUTABLE to set append-only on new log segments
 * and to clear it for retention, CAP_AUDIT_WRITE to anchor checkpoints and
 * send alerts into the audit trail, CAP_AUDIT_CONTROL to remove at stop the
 * audit watches on its own files it installed at start (without it they
 * would outlive the daemon). Loading and attaching are done by now; CAP_BPF
 * stays only where the kernel demands it for the maps (bpf_needs_cap_bpf).
 */
static int drop_capabilities(bool keep_bpf)
{
	if (geteuid() != 0)
		return 0;
	capng_clear(CAPNG_SELECT_BOTH);
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
		      CAP_LINUX_IMMUTABLE, CAP_AUDIT_WRITE, CAP_AUDIT_CONTROL, -1);
	if (keep_bpf)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			     CAP_BPF);
	if (capng_apply(CAPNG_SELECT_BOTH))
		return -EPERM;
	return 0;
}

/*
 * Whether the kernel refuses bpf() on the loaded maps to this process once
 * CAP_BPF and CAP_SYS_ADMIN are gone: older kernels (5.10 among them) check
 * kernel.unprivileged_bpf_disabled for every bpf() command, so without them
 * the daemon could neither read its loss counters nor switch its drain
 * mode. Asked of the kernel with the effective set lowered for a moment.
 */
static bool bpf_needs_cap_bpf(struct ta_capture *cap)
{
	void *saved;
	bool refused;

	if (geteuid() != 0)
		return false;
	capng_get_caps_process();
	saved = capng_save_state();
	if (!saved)
		return false;
	capng_updatev(CAPNG_DROP, CAPNG_EFFECTIVE, CAP_BPF, CAP_SYS_ADMIN, -1);
	if (capng_apply(CAPNG_SELECT_CAPS)) {
		free(saved);
		return false;
	}
	refused = ta_capture_probe_access(cap) == -EPERM;
	capng_restore_state(&saved);
	if (capng_apply(CAPNG_SELECT_CAPS))
		ta_warn("daemon", "cannot restore the effective capabilities");
	return refused;
}

/*
 * A full disk must be loud: say when records start being dropped, how many
 * while it lasts, and when the log takes them again (the gap is recorded).
 * Writer thread.
 */
static void report_disk_full(struct daemon_ctx *d)
{
	uint64_t bytes, n = ta_sink_store_pending_drops(d->log_sink, &bytes), sb;
	uint64_t settled = ta_sink_store_settled(d->log_sink, &sb);

	if (n && !d->disk_full_warned) {
		ta_err("log", "cannot write %s: %s; recording goes on and what is dropped is "
			      "counted until space returns", d->log_dir,
		       strerror(-ta_sink_store_last_error(d->log_sink)));
		d->disk_full_base = settled;
		d->disk_full_base_bytes = sb;
	} else if (n && n / 1000 > d->disk_full_warned / 1000) {
		ta_err("log", "%s still full: %llu records (%llu bytes) dropped so far",
		       d->log_dir, (unsigned long long)n, (unsigned long long)bytes);
	} else if (!n && d->disk_full_warned) {
		/* The numbers the gap records hold, not the last count we printed. */
		ta_info("log", "%s takes records again; the %llu dropped records (%llu bytes) are "
			"recorded as a gap", d->log_dir,
			(unsigned long long)(settled - d->disk_full_base),
			(unsigned long long)(sb - d->disk_full_base_bytes));
	}
	d->disk_full_warned = n;
}

/*
 * Rewritten when something changed, or every 30 s: an idle host sees no
 * writes. Writer thread: stats is the drain's copy, taken when it asked.
 */
static void write_status(struct daemon_ctx *d, const struct ta_recorder_stats *stats,
			 const struct ta_sink_queue_stats *queue)
{
	uint64_t now = ta_now_ns(CLOCK_MONOTONIC);
	uint64_t durable = d->store ? ta_store_durable_index(d->store) : 0;
	struct ta_status_info si = {
		.dirfd = d->log_dirfd,
		.backend = ta_backend_name(d->report.chosen),
		.integrity = ta_backend_integrity(d->report.chosen),
		.ring_bytes = d->ring_bytes,
		.started_ns = d->started_ns,
		.stats = stats,
		.store = d->store,
		.queue = queue,
	};

	if (d->status_written_ns && stats->events == d->status_events &&
	    durable == d->status_durable && now - d->status_written_ns < 30000000000ull)
		return;
	if (ta_status_write(&si) == 0) {
		d->status_written_ns = now;
		d->status_events = stats->events;
		d->status_durable = durable;
	}
}

static int setup_loop(int *epfd, int *sigfd, int *timerfd, int ringfd)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	/* An ignored signal never becomes pending, so signalfd would not see it:
	 * a shell starting us in the background leaves SIGINT ignored. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	*sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	*timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	*epfd = epoll_create1(EPOLL_CLOEXEC);
	if (*sigfd < 0 || *timerfd < 0 || *epfd < 0)
		return -errno;
	if (timerfd_settime(*timerfd, 0, &its, NULL))
		return -errno;
	ev.data.fd = ringfd;
	if (epoll_ctl(*epfd, EPOLL_CTL_ADD, ringfd, &ev))
		return -errno;
	ev.data.fd = *sigfd;
	if (epoll_ctl(*epfd, EPOLL_CTL_ADD, *sigfd, &ev))
		return -errno;
	ev.data.fd = *timerfd;
	if (epoll_ctl(*epfd, EPOLL_CTL_ADD, *timerfd, &ev))
		return -errno;
	return 0;
}

/* SIGHUP: file and command line again; filters and redaction apply now. */
static void reload_config(struct daemon_ctx *d)
{
	struct ta_daemon_opts next;
	struct ta_store_opts next_store;
	struct ta_config_diff diff;
	char err[512];
	int rc;

	rc = ta_config_reload(&d->opts, &d->store_tuning, d->argc, d->argv, &next, &next_store,
			      &diff, err, sizeof(err));
	if (rc) {
		ta_err("config", "reload refused, running settings kept: %s", err);
		return;
	}
	/*
	 * The rules first: a bad rules file refuses the whole reload. They are
	 * put in force last, once the kernel took the capture settings: a
	 * refusal there kept the old settings with the new rules in force.
	 */
	struct ta_alerting_next rules;
	rc = ta_alerting_load_next(&next, &rules, err, sizeof(err));
	if (rc) {
		ta_err("config", "reload refused, running settings and rules kept: %s", err);
		return;
	}
	if (diff.capture_live) {
		rc = ta_capture_update_config(d->cap, &next.capture);
		if (rc) {
			ta_alerting_drop_next(&rules);
			ta_err("config", "cannot apply %s: %s; running settings and rules kept",
			       diff.applied, strerror(-rc));
			return;
		}
	}
	ta_alerting_use_next(&d->alerting, &rules);
	d->opts = next;
	d->store_tuning = next_store;
	ta_info("alerts", "%zu rules from %s", ta_alert_engine_rule_count(d->alerting.engine),
		d->alerting.rules_path[0] ? d->alerting.rules_path : "no rules file");
	ta_info("config", "reloaded: %s%s", diff.applied[0] ? "applied " : "no run-time change",
		diff.applied);
	if (diff.restart[0])
		ta_warn("config", "changed but only taken at restart (systemctl restart ttyauditd): %s",
			diff.restart);
}

/* What the drain asks of the log every round: settle, then say so in the journal. */
struct settle_req {
	uint64_t before_ns;     /* batches older than this go to the log file (0: all) */
	uint64_t heartbeat_ns;
};

/* Writer thread: every record the drain handed over before this is in the file, but open batches. */
static void settle_on_writer(void *ctx, const void *arg, size_t len)
{
	struct daemon_ctx *d = ctx;
	const struct settle_req *req = arg;

	(void)len;
	ta_sink_store_settle(d->log_sink, req->before_ns);
	write_activity(d, req->heartbeat_ns, 1);
}

/* The drain's counters, copied when it asks for the status file. */
struct housekeeping_req {
	struct ta_recorder_stats stats;
	struct ta_sink_queue_stats queue;
};

/* Writer thread, once a second: the sinks' buffers, the disk-full warnings, the status file. */
static void housekeeping_on_writer(void *ctx, const void *arg, size_t len)
{
	struct daemon_ctx *d = ctx;
	const struct housekeeping_req *req = arg;

	(void)len;
	if (d->sink->ops->flush(d->sink))
		ta_warn("log", "flush failed; records are kept and retried");
	report_disk_full(d);
	write_status(d, &req->stats, &req->queue);
}

static void on_queue_drop(void *ctx, const struct ta_drop_delta *drop)
{
	struct daemon_ctx *d = ctx;

	ta_recorder_note_drop(&d->rec, drop, ta_now_ns(CLOCK_REALTIME));
}

/*
 * The writer's losses: over the share, as gap records; what the log refused
 * in the counters (the writer files those as sink_error gaps itself).
 */
static void collect_writer_losses(struct daemon_ctx *d)
{
	ta_sink_queue_collect_drops(d->queue, on_queue_drop, d);
	ta_sink_queue_refused(d->queue, &d->rec.stats.writer_lost_events,
			      &d->rec.stats.writer_lost_bytes);
}

/* Capture events go to the log; their sessions learn which terminals they used. */
static int on_capture_event(void *ctx, const struct ta_event *ev)
{
	struct daemon_ctx *d = ctx;

	ta_recorder_on_event(&d->rec, ev);
	ta_alert_engine_feed(d->alerting.engine, ev,
			     ta_clock_boot_to_real(&d->rec.clock, ev->ts_boot_ns));
	if (ev->kind == TA_EV_TTY_OUTPUT)
		ta_logins_note_tty(&d->logins, ev->task.ses, ev->task.auid, ev->tty.name);
	else if (ev->kind == TA_EV_TTY_INPUT)
		ta_logins_note_tty(&d->logins, ev->owner_ses, ev->owner_auid, ev->tty.name);
	return 0;
}

static void on_bad_record(void *ctx, int err, size_t len)
{
	struct daemon_ctx *d = ctx;

	ta_recorder_on_bad_record(&d->rec, err, len);
}

/*
 * Busy: records do not wake us, a short timer drains them in batches. Idle:
 * a 1 s timer for housekeeping, and the first record wakes us at once.
 */
static void set_busy(struct daemon_ctx *d, int timerfd, int busy)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };

	if (d->busy == busy)
		return;
	if (busy) {
		its.it_interval = (struct timespec){ 0, TA_BUSY_TICK_NS };
		its.it_value = its.it_interval;
	}
	/* Idle again: from now on records wake us; then take what came meanwhile. */
	if (timerfd_settime(timerfd, 0, &its, NULL) || ta_capture_set_idle(d->cap, !busy)) {
		ta_warn("daemon", "cannot switch the drain mode: %s", strerror(errno));
		return;
	}
	d->busy = busy;
	d->idle_ticks = 0;
	if (!busy)
		ta_capture_drain(d->cap);
}

static int run_loop(struct daemon_ctx *d)
{
	int epfd = -1, sigfd = -1, timerfd = -1, err, ringfd = ta_capture_fd(d->cap);
	const char *why = "signal";

	err = setup_loop(&epfd, &sigfd, &timerfd, ringfd);
	if (!err)
		err = ta_logins_add_to_epoll(&d->logins, epfd);
	if (err) {
		ta_err("daemon", "cannot set up the event loop: %s", strerror(-err));
		return TA_EXIT_FAILURE;
	}
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(epfd, evs, 4, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ta_err("daemon", "epoll_wait: %s", strerror(errno));
			why = "error";
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == ringfd) {
				if (ta_capture_drain(d->cap) > 0)
					set_busy(d, timerfd, 1);
			} else if (fd == timerfd) {
				uint64_t ticks, now = ta_now_ns(CLOCK_MONOTONIC);
				/* Everything reserved before this instant is taken by the drain below. */
				uint64_t round = ta_now_ns(CLOCK_REALTIME);

				if (read(timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					ta_warn("daemon", "timer read: %s", strerror(errno));
				bool complete;
				if (ta_capture_drain_round(d->cap, &complete) > 0)
					d->idle_ticks = 0;
				else if (d->busy && ++d->idle_ticks >= TA_BUSY_IDLE_TICKS)
					set_busy(d, timerfd, 0);
				/*
				 * A record reserved before the round and still being written
				 * (its program preempted, its vCPU descheduled) holds back
				 * what others committed after it: the journal keeps its last
				 * heartbeat until a drain gets past it, or a kill now would
				 * lose those records outside the time it says was lost.
				 */
				if (complete)
					d->heartbeat_ns = round - TA_HEARTBEAT_MARGIN_NS;
				/*
				 * Idle: nothing waits for more; busy: only young batches
				 * stay open. The writer does it in its turn, after what
				 * this round queued: the drain never waits on the disk.
				 */
				struct settle_req sr = {
					.before_ns = d->busy ? round - TA_SETTLE_AGE_NS : 0,
					.heartbeat_ns = d->heartbeat_ns,
				};

				ta_sink_queue_call(d->queue, settle_on_writer, d, &sr, sizeof(sr));
				if (now - d->housekeeping_ns < 1000000000ull)
					continue;
				d->housekeeping_ns = now;
				ta_recorder_collect_drops(&d->rec, d->cap);
				collect_writer_losses(d);
				ta_recorder_tick(&d->rec, 0);
				ta_alerting_tick(&d->alerting);
				struct housekeeping_req hr = { .stats = d->rec.stats };

				ta_sink_queue_stats(d->queue, &hr.queue);
				ta_sink_queue_call(d->queue, housekeeping_on_writer, d, &hr, sizeof(hr));
			} else if (ta_logins_handle(&d->logins, fd)) {
				continue;
			} else if (fd == sigfd) {
				struct signalfd_siginfo si;

				if (read(sigfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP) {
					reload_config(d);
					continue;
				}
				why = si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT";
				goto stop;
			}
		}
	}
stop:
	/* Everything the kernel handed over before the signal goes to the log. */
	while (ta_capture_drain(d->cap) > 0)
		;
	/* Twice: losses no session's counter holds are written when a second look still sees them. */
	ta_recorder_collect_drops(&d->rec, d->cap);
	ta_recorder_collect_drops(&d->rec, d->cap);
	collect_writer_losses(d);
	ta_recorder_tick(&d->rec, 1);
	write_agent_stop(d, why);
	close(epfd);
	close(sigfd);
	close(timerfd);
	return strcmp(why, "error") ? TA_EXIT_OK : TA_EXIT_FAILURE;
}

/* Fork; the parent waits until the child reports its start-up exit code. */
static int daemonize(struct daemon_ctx *d)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		unsigned char code = TA_EXIT_FAILURE;

		close(p[1]);
		if (read(p[0], &code, 1) != 1)
			code = TA_EXIT_FAILURE;
		_exit(code);
	}
	close(p[0]);
	d->ready_pipe = p[1];
	if (setsid() < 0)
		return -errno;
	if (chdir("/"))
		return -errno;
	return 0;
}

/*
 * Draining competes with the writers it records: on a busy host a
 * normal-priority daemon falls behind, the ring overflows, and a kill finds
 * more data not yet in the log. Raised before the capture programs load
 * (their verification is seconds of CPU on a busy host, and a restart
 * records nothing meanwhile). With the scheduler's autogroups (one per
 * session, weighed against each other) a process's nice only counts inside
 * its session: as the leader of its own session (daemonized, or a unit,
 * which systemd starts with setsid) the daemon gives its session the same
 * nice. Best effort; systemd's Nice= does the first part under the unit.
 */
static void raise_priority(void)
{
	char v[16];
	int fd, n;

	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) > TA_DAEMON_NICE && !errno &&
	    setpriority(PRIO_PROCESS, 0, TA_DAEMON_NICE) && errno != EACCES && errno != EPERM)
		ta_debug("daemon", "cannot raise priority: %s", strerror(errno));
	if (getsid(0) != getpid())
		return; /* others share the session: their priority is not ours to change */
	fd = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* no autogroups in this kernel */
	n = snprintf(v, sizeof(v), "%d", TA_DAEMON_NICE);
	if (write(fd, v, (size_t)n) != n && errno != EACCES && errno != EPERM)
		ta_debug("daemon", "cannot raise the session's priority: %s", strerror(errno));
	close(fd);
}

static void report_startup(struct daemon_ctx *d, int code)
{
	unsigned char c = (unsigned char)code;

	if (d->ready_pipe < 0)
		return;
	if (write(d->ready_pipe, &c, 1) != 1)
		ta_warn("daemon", "cannot report start-up to the parent");
	close(d->ready_pipe);
	d->ready_pipe = -1;
	if (code == TA_EXIT_OK) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			close(null);
		}
	}
}

int main(int argc, char **argv)
{
	struct daemon_ctx d = { .ready_pipe = -1, .audit_fd = -1, .log_dirfd = -1, .act = { .fd = -1 } };
	char err[512];
	int rc, code;
	bool keep_bpf;

	ta_log_init("ttyauditd", TA_LOG_INFO);
	/* defaults < /etc/ttyaudit/ttyauditd.conf (or --config FILE) < command line */
	d.argc = argc;
	d.argv = argv;
	rc = ta_config_build(&d.opts, &d.store_tuning, argc, argv, d.config_path,
			     sizeof(d.config_path), err, sizeof(err), &code, stdout);
	if (rc == TA_OPTS_EXIT)
		return TA_EXIT_OK;
	if (rc < 0) {
		ta_err(NULL, "%s", err);
		return code;
	}
	ta_log_init("ttyauditd", d.opts.verbose ? TA_LOG_DEBUG : TA_LOG_INFO);
	if (!has_bpf_privilege()) {
		ta_err(NULL, "missing privilege: loading the capture programs needs CAP_BPF and CAP_PERFMON "
			    "(or CAP_SYS_ADMIN) in the effective set; run as root or through the unit");
		return TA_EXIT_NOPERM;
	}
	if (!d.opts.foreground && daemonize(&d)) {
		ta_err("daemon", "cannot detach: %s", strerror(errno));
		return TA_EXIT_FAILURE;
	}
	raise_priority();
	/* Opened while privileged; anchors are sent on it for the daemon's life. */
	d.audit_fd = audit_open();
	if (d.audit_fd < 0)
		ta_warn("anchor", "no kernel audit socket (%s): checkpoints will not be anchored in "
			"the audit trail", strerror(errno));
	/* The rules are checked before the log is touched; hits go to d.rec once it runs. */
	if (ta_alerting_open(&d.alerting, &d.opts, &d.rec, err, sizeof(err))) {
		ta_err(NULL, "%s", err);
		ta_alerting_close(&d.alerting);
		report_startup(&d, TA_EXIT_CONFIG);
		return TA_EXIT_CONFIG;
	}
	ta_info("alerts", "%zu rules from %s", ta_alert_engine_rule_count(d.alerting.engine),
		d.alerting.rules_path[0] ? d.alerting.rules_path : "no rules file");
	rc = open_sink(&d);
	if (rc) {
		ta_alerting_close(&d.alerting);
		report_startup(&d, rc);
		return rc;
	}
	ta_recorder_init(&d.rec, d.sink);
	memcpy(d.log_dir, d.opts.log_dir, sizeof(d.log_dir));
	d.ring_bytes = d.opts.capture.ring_bytes;
	if (d.rec.shared)
		ta_shared_set_attach_hook(d.rec.shared, ta_alerting_on_attach, &d.alerting);
	d.started_ns = ta_now_ns(CLOCK_REALTIME);
	rc = start_capture(&d);
	if (rc) {
		ta_alerting_close(&d.alerting);
		d.sink->ops->close(d.sink);
		report_startup(&d, rc);
		return rc;
	}
	ta_capture_set_handlers(d.cap, on_capture_event, on_bad_record, &d);
	open_activity(&d);
	write_agent_start(&d);
	record_unclean_stop(&d);
	d.heartbeat_ns = ta_now_ns(CLOCK_REALTIME);
	write_activity(&d, d.heartbeat_ns, 1);
	ta_logins_open(&d.logins, d.opts.login_socket, d.opts.audit_log[0] ? d.opts.audit_log : NULL,
		       &d.rec);
	d.logins.on_watch = ta_alerting_on_watch;
	d.logins.watch_ctx = &d.alerting;
	ta_alerting_install_watches(&d.alerting, &d.opts, d.audit_fd, d.config_path);
	keep_bpf = bpf_needs_cap_bpf(d.cap);
	if (keep_bpf)
		ta_info("daemon", "this kernel refuses bpf() on the capture maps without CAP_BPF "
			"(kernel.unprivileged_bpf_disabled): CAP_BPF is kept");
	if (drop_capabilities(keep_bpf))
		ta_warn("daemon", "could not drop capabilities; running with all of them");
	/*
	 * From here on the log is written by the writer thread
	 * (sink/sink_queue.h). Started only now: capabilities are per thread,
	 * and a thread made before the drop would keep all of them.
	 */
	rc = ta_sink_queue_open(&d.queue, d.sink, 0);
	if (rc) {
		ta_err("log", "cannot start the log writer: %s", strerror(-rc));
		ta_capture_close(d.cap);
		ta_logins_close(&d.logins);
		ta_alerting_close(&d.alerting);
		d.sink->ops->close(d.sink);
		ta_activity_file_close(&d.act);
		report_startup(&d, TA_EXIT_FAILURE);
		return TA_EXIT_FAILURE;
	}
	d.rec.sink = d.queue;
	ta_notify("READY=1\nSTATUS=recording");
	report_startup(&d, TA_EXIT_OK);

	rc = run_loop(&d);
	ta_notify("STOPPING=1");
	ta_capture_close(d.cap);
	ta_logins_close(&d.logins);
	ta_alerting_close(&d.alerting);
	/* The writer writes what is queued, then the log closes. */
	d.queue->ops->close(d.queue);
	/* Everything is in the log: the next start knows this stop was clean. */
	write_activity(&d, ta_now_ns(CLOCK_REALTIME), 0);
	ta_activity_file_close(&d.act);
	ta_status_remove(d.log_dirfd);
	close(d.log_dirfd);
	if (d.audit_fd >= 0)
		audit_close(d.audit_fd);
	ta_recorder_fini(&d.rec);
	return rc;
}
