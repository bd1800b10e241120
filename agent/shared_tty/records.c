// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON of the shared-terminal records (docs/shared-terminals.md). */
#include <stdio.h>
#include <string.h>

#include "shared_tty/tracker_internal.h"
#include "ttyaudit/log_records.h"

/*
 * charged: some session's own doing, within the share of the writer's queue
 * of pay_ses (and counted as auid's loss when over; ta_record). Else the
 * daemon's own, never refused.
 */
static void send(struct ta_shared_tracker *t, uint16_t type, uint32_t ses, bool charged,
		 uint32_t pay_ses, uint32_t auid)
{
	struct ta_json *j = &t->json;
	struct ta_record rec = { .type = type, .ses = ses, .json = j->buf, .len = j->len,
				 .charged = charged, .charge_ses = pay_ses, .auid = auid };

	if (j->oom || !t->emit) {
		t->stats.emit_errors++;
		return;
	}
	if (t->emit(t->ctx, &rec))
		t->stats.emit_errors++;
}

static void put_tty(struct ta_json *j, const char *key, const char *dev_key,
		    const struct ta_tty_id *tty)
{
	char dev[32];

	ta_json_key(j, key);
	if (!tty->major && !tty->minor) {
		ta_json_null(j);
		return;
	}
	ta_json_strn(j, tty->name, strnlen(tty->name, sizeof(tty->name)));
	snprintf(dev, sizeof(dev), "%u:%u", tty->major, tty->minor);
	ta_json_key(j, dev_key);
	ta_json_str(j, dev);
}

static void put_server(struct ta_json *j, bool has_path, const char *path, uint32_t path_len,
		       uint32_t pid)
{
	ta_json_key(j, "server");
	if (has_path)
		ta_json_strn(j, path, path_len);
	else
		ta_json_null(j);
	ta_json_key(j, "server_pid");
	if (pid)
		ta_json_u64(j, pid);
	else
		ta_json_null(j);
}

static void put_who_flat(struct ta_json *j, const struct ta_sh_who *w)
{
	ta_json_key(j, "auid");
	ta_json_id(j, w->auid);
	ta_json_key(j, "ses");
	ta_json_id(j, w->ses);
	ta_json_key(j, "uid");
	ta_json_u64(j, w->uid);
	ta_json_key(j, "pid");
	ta_json_u64(j, w->pid);
	ta_json_key(j, "comm");
	ta_json_strn(j, w->comm, strnlen(w->comm, sizeof(w->comm)));
	put_tty(j, "tty", "tty_dev", &w->tty);
}

static void put_who_obj(struct ta_json *j, const char *key, const struct ta_sh_who *w)
{
	ta_json_key(j, key);
	ta_json_obj_begin(j);
	put_who_flat(j, w);
	ta_json_key(j, "attached");
	ta_json_bool(j, w->attached);
	ta_json_obj_end(j);
}

static void put_argv(struct ta_json *j, const uint8_t *argv, uint32_t len)
{
	ta_json_key(j, "argv");
	ta_json_strings(j, argv, len);
}

static void put_client_common(struct ta_shared_tracker *t, const struct ta_sh_client *c)
{
	struct ta_json *j = &t->json;
	const struct ta_sh_server *s = &t->servers[c->srv];

	put_who_flat(j, &c->who);
	if (c->argv_len) {
		put_argv(j, c->argv, c->argv_len);
	} else if (c->argv_evicted) {
		/* Seen, then pushed out of the cache: not a process whose exec went unseen. */
		ta_json_key(j, "argv_unknown");
		ta_json_str(j, "evicted");
	}
	put_server(j, s->has_path, s->path, s->path_len, s->pid);
	ta_json_key(j, "server_comm");
	if (s->pid)
		ta_json_strn(j, s->comm, strnlen(s->comm, sizeof(s->comm)));
	else
		ta_json_null(j);
	/* Whose server, and which socket: a look-alike under the same name has another inode. */
	ta_json_key(j, "server_uid");
	ta_json_id(j, s->pid ? s->uid : UINT32_MAX);
	ta_json_key(j, "server_inode");
	if (s->ino) {
		char id[TA_UNIX_INODE_LEN];

		ta_unix_inode_format(id, s->dev, s->ino);
		ta_json_str(j, id);
	} else {
		ta_json_null(j);
	}
	ta_json_key(j, "attached_at");
	ta_json_time(j, c->connect_rt);
}

void ta_sh_emit_attach(struct ta_shared_tracker *t, const struct ta_sh_client *c)
{
	struct ta_json *j = &t->json;
	const struct ta_sh_server *s = &t->servers[c->srv];

	ta_json_reset(j);
	ta_json_obj_begin(j);
	put_client_common(t, c);
	/* Why the socket is taken for a multiplexer's. */
	ta_json_key(j, "evidence");
	ta_json_str(j, s->confirmed ? "server_writes_panes" : "comm_hint");
	ta_json_obj_end(j);
	t->stats.attaches++;
	send(t, TA_REC_ATTACH, c->who.ses, true, c->who.ses, c->who.auid);
	if (t->attach_fn) {
		struct ta_shared_attach a = {
			.realtime_ns = c->connect_rt,
			.ses = c->who.ses, .auid = c->who.auid, .uid = c->who.uid, .pid = c->who.pid,
			.tty = c->who.tty,
			.server_pid = s->pid ? s->pid : UINT32_MAX,
			.server_uid = s->uid, .server_auid = s->auid, .server_ses = s->ses,
			.path = s->has_path ? s->path : NULL,
			.path_len = s->has_path ? s->path_len : 0,
		};

		memcpy(a.comm, c->who.comm, sizeof(a.comm));
		t->attach_fn(t->attach_ctx, &a);
	}
}

void ta_sh_emit_detach(struct ta_shared_tracker *t, const struct ta_sh_client *c,
		       const char *reason, const int32_t *exit_code, uint64_t at_rt)
{
	struct ta_json *j = &t->json;

	ta_json_reset(j);
	ta_json_obj_begin(j);
	put_client_common(t, c);
	ta_json_key(j, "detached_at");
	ta_json_time(j, at_rt);
	ta_json_key(j, "reason");
	ta_json_str(j, reason);
	if (exit_code) {
		ta_json_key(j, "exit_code");
		ta_json_i64(j, *exit_code);
	}
	ta_json_obj_end(j);
	t->stats.detaches++;
	send(t, TA_REC_DETACH, c->who.ses, true, c->who.ses, c->who.auid);
}

static const char *conf_name(int conf)
{
	switch (conf) {
	case TA_SH_EXACT:
		return "exact";
	case TA_SH_TIMING:
		return "timing";
	case TA_SH_AMBIGUOUS:
		return "ambiguous";
	default:
		return "none";
	}
}

void ta_sh_emit_run(struct ta_shared_tracker *t, const struct ta_sh_pane *p)
{
	struct ta_json *j = &t->json;
	const struct ta_sh_run *r = &p->run;

	ta_json_reset(j);
	ta_json_obj_begin(j);
	/* The person who typed, or null: the record joins their session (send below). */
	ta_json_key(j, "auid");
	ta_json_id(j, r->has_client ? r->client.auid : UINT32_MAX);
	ta_json_key(j, "ses");
	ta_json_id(j, r->has_client ? r->client.ses : UINT32_MAX);
	ta_json_key(j, "confidence");
	ta_json_str(j, conf_name(r->conf));
	put_tty(j, "pane", "pane_dev", &p->tty);
	ta_json_key(j, "pane_owner_auid");
	ta_json_id(j, p->owner_auid);
	ta_json_key(j, "pane_owner_ses");
	ta_json_id(j, p->owner_ses);
	put_server(j, r->srv_has_path, r->srv_path, r->srv_path_len, r->srv_pid);
	ta_json_key(j, "start");
	ta_json_time(j, r->start_rt);
	ta_json_key(j, "end");
	ta_json_time(j, r->end_rt);
	ta_json_key(j, "events");
	ta_json_u64(j, r->events);
	ta_json_key(j, "bytes");
	ta_json_u64(j, r->bytes);
	if (r->has_client) {
		put_who_obj(j, "client", &r->client);
	} else {
		ta_json_key(j, "client");
		ta_json_null(j);
	}
	if (r->conf == TA_SH_AMBIGUOUS) {
		ta_json_key(j, "candidates");
		ta_json_arr_begin(j);
		for (int i = 0; i < r->ncands; i++) {
			ta_json_obj_begin(j);
			put_who_flat(j, &r->cands[i]);
			ta_json_obj_end(j);
		}
		ta_json_arr_end(j);
	}
	if (r->has_cmd)
		put_who_obj(j, "command_client", &r->cmd);
	/* Made from a partial view: attached clients over the cap were not looked at. */
	if (r->skipped) {
		ta_json_key(j, "candidates_skipped");
		ta_json_u64(j, r->skipped);
		t->stats.partial++;
	}
	ta_json_obj_end(j);
	t->stats.attributions++;
	switch (r->conf) {
	case TA_SH_EXACT:
		t->stats.exact++;
		break;
	case TA_SH_TIMING:
		t->stats.timing++;
		break;
	case TA_SH_AMBIGUOUS:
		t->stats.ambiguous++;
		break;
	default:
		t->stats.none++;
	}
	/*
	 * Paid by the pane's session, as its input events are: one is written
	 * per run, and a writer can end runs byte by byte (two "tmux" processes
	 * writing in turn), so a free record would let one user fill the queue
	 * that every session shares.
	 */
	send(t, TA_REC_ATTRIBUTION, r->has_client ? r->client.ses : UINT32_MAX, true, r->pay_ses,
	     r->pay_auid);
}

void ta_sh_emit_notice(struct ta_shared_tracker *t)
{
	struct ta_json *j = &t->json;

	if (!(t->unreported_servers | t->unreported_clients | t->unreported_ttys |
	      t->unreported_panes | t->unreported_argvs | t->unreported_logins))
		return;
	ta_json_reset(j);
	ta_json_obj_begin(j);
	ta_json_key(j, "subsystem");
	ta_json_str(j, "shared");
	ta_json_key(j, "reason");
	ta_json_str(j, "table_full");
	ta_json_key(j, "evicted_servers");
	ta_json_u64(j, t->unreported_servers);
	ta_json_key(j, "evicted_clients");
	ta_json_u64(j, t->unreported_clients);
	ta_json_key(j, "evicted_ttys");
	ta_json_u64(j, t->unreported_ttys);
	ta_json_key(j, "evicted_panes");
	ta_json_u64(j, t->unreported_panes);
	ta_json_key(j, "evicted_argvs");
	ta_json_u64(j, t->unreported_argvs);
	ta_json_key(j, "evicted_logins");
	ta_json_u64(j, t->unreported_logins);
	ta_json_obj_end(j);
	t->unreported_servers = t->unreported_clients = 0;
	t->unreported_ttys = t->unreported_panes = t->unreported_argvs = 0;
	t->unreported_logins = 0;
	send(t, TA_REC_NOTICE, UINT32_MAX, false, UINT32_MAX, 0);
}
