// SPDX-License-Identifier: GPL-2.0-or-later
/* ttyaudit verify: check the whole log (tree, checkpoints, signatures). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "cli/cli_witness.h"
#include "cli/commands.h"
#include "cli/cli_util.h"
#include "base/exitcodes.h"
#include "base/json.h"
#include "base/log.h"
#include "store/walk.h"
#include "store/ckptset.h"
#include "store/cosig.h"
#include "store/note.h"
#include "sessions/anchor_claims.h"
#include "sessions/auparse_load.h"
#include "store/store.h"
#ifdef TA_HAVE_FLEET
#include "cli/fleet_verify.h"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit verify [--log-dir DIR | --fleet DSN] [--key VKEY] [--origin ORIGIN]\n"
		"                       [--checkpoint FILE]...\n"
		"                       [--audit-log FILE]... [--anchor-exe PATH]\n"
		"                       [--anchor-node NAME] [--json]\n"
		"                       [--witness VKEY... [--witness-quorum N] [--witness-dir DIR]]\n"
		"\n"
		"Recomputes the Merkle tree over every segment, checks every checkpoint's\n"
		"signature and root, and that the log is not older than any --checkpoint\n"
		"(a signed note kept elsewhere), and that the session index the other\n"
		"commands use says what the log says. On failure prints the first bad thing on one\n"
		"line and exits %d (--fleet: 6 database unreachable, 4 access refused).\n"
		"\n"
		"  --log-dir DIR      log directory (default %s)\n"
		"  --key VKEY         verifier key, or a file holding it (default: the log\n"
		"                     directory's own ttyaudit.vkey, which a forger can replace)\n"
		"  --origin ORIGIN    the origin every checkpoint must name (default: the key's\n"
		"                     name)\n"
		"  --checkpoint FILE  a newer checkpoint the log must contain (repeatable)\n"
		"  --audit-log FILE   an audit log holding checkpoint anchors written by\n"
		"                     ttyauditd: each must match the log (repeatable)\n"
		"  --anchor-exe PATH  the daemon's full path: anchors written by another\n"
		"                     program, or not by uid 0, are ignored (default %s)\n"
		"  --anchor-node NAME only anchors of this node= count (an aggregating\n"
		"                     auditd's trail; required when it holds several)\n"
		"  --witness VKEY     a witness's cosignature/v1 key, or a file holding it\n"
		"                     (repeatable): the newest checkpoint among --checkpoint\n"
		"                     files and the witness directory must carry a quorum\n"
		"                     of valid cosignatures, and the log must contain it\n"
		"  --witness-quorum N cosignatures required (default: every --witness)\n"
		"  --witness-dir DIR  witness-submit's directory (default %s)\n"
		"  --json             one JSON object on stdout\n"
		"  -q, --quiet        print nothing when the log verifies\n"
		"  --fleet DSN        each enrolled host's copy in the fleet's PostgreSQL instead\n"
		"                     (one line or JSON object per host); --origin TEXT then\n"
		"                     chooses hosts whose origin contains TEXT, --key replaces\n"
		"                     the enrolled keys, --witness is the collector's key\n",
		TA_EXIT_VERIFY, TA_STORE_DEFAULT_DIR, TA_DAEMON_PATH, TA_WITNESS_DEFAULT_DIR);
}

#define MAX_WITNESSES 32

struct witnessed {
	uint64_t size;
	size_t valid;
	char path[4200];
};

/* Considers the note file path for the newest cosigned checkpoint. */
static void consider(const struct ta_verifier *key, const char *origin, const char *path,
		     struct witnessed *best)
{
	char *buf;
	size_t len;
	struct ta_checkpoint cp;
	const char *why;
	if (ta_read_file_at(AT_FDCWD, path, &buf, &len))
		return;
	if (!ta_ckpt_check_note(key, origin, buf, len, &cp, &why) && (!best->path[0] || cp.size > best->size)) {
		best->size = cp.size;
		snprintf(best->path, sizeof(best->path), "%s", path);
	}
	free(buf);
}

/*
 * The newest cosigned checkpoint (from the --checkpoint files and the witness
 * directory) must carry quorum valid cosignatures. Exit code; best->path is
 * the note, for the log verification to check its root.
 */
/* One JSON object on stdout, through the one writer, with its newline. */
static void json_print(struct ta_json *j)
{
	ta_json_obj_end(j);
	fwrite(j->buf, 1, j->len, stdout);
	putchar('\n');
	ta_json_free(j);
}

/* {"ok":false,"error":...: what made the verification fail (its members follow). */
static void json_failed(struct ta_json *j, const char *msg)
{
	ta_json_init(j);
	ta_json_obj_begin(j);
	ta_json_key(j, "ok");
	ta_json_bool(j, false);
	ta_json_key(j, "error");
	ta_json_str(j, msg);
}

static void witness_failed(int json, const char *msg)
{
	if (json) {
		struct ta_json j;
		json_failed(&j, msg);
		json_print(&j);
	} else {
		printf("FAILED: %s\n", msg);
	}
}

static int check_witnesses(const char *dir, const char *keyarg, const char *origin,
			   const char *const *ext, size_t n_ext, const char *wdir,
			   struct ta_verifier *const *w, size_t nw, size_t quorum, int json,
			   struct witnessed *best)
{
	struct ta_verifier *key = NULL;
	int rc = cli_log_key("verify", keyarg, dir, &key);
	if (rc)
		return rc;
	for (size_t i = 0; i < n_ext; i++)
		consider(key, origin, ext[i], best);
	int wfd = open(wdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t *sizes = NULL;
	size_t n = 0;
	if (wfd >= 0 && !ta_cosig_store_list(wfd, &sizes, &n)) {
		for (size_t i = n; i-- > 0;) {
			char path[4200];
			snprintf(path, sizeof(path), "%s/" TA_COSIGNED_FMT, wdir, (unsigned long long)sizes[i]);
			uint64_t before = best->size;
			int had = best->path[0] != 0;
			consider(key, origin, path, best);
			if (!had ? best->path[0] != 0 : best->size != before)
				break;
		}
	}
	free(sizes);
	if (wfd >= 0)
		close(wfd);
	char msg[300], line[4800];
	if (!best->path[0]) {
		snprintf(line, sizeof(line), "no cosigned checkpoint of this log (in %s or --checkpoint)",
			 wdir);
		witness_failed(json, line);
		rc = TA_EXIT_VERIFY;
	} else {
		char *buf;
		size_t len;
		if (ta_read_file_at(AT_FDCWD, best->path, &buf, &len)) {
			rc = TA_EXIT_FAILURE;
		} else {
			if (cli_quorum(w, nw, quorum, buf, len, &best->valid, msg, sizeof(msg))) {
				snprintf(line, sizeof(line), "the newest cosigned checkpoint (%s, %llu "
					 "records): %s", best->path, (unsigned long long)best->size, msg);
				witness_failed(json, line);
				rc = TA_EXIT_VERIFY;
			}
			free(buf);
		}
	}
	ta_verifier_free(key);
	return rc;
}

static void b64_root(const uint8_t root[32], char out[64])
{
	ta_note_base64_encode(root, 32, out);
}

/* verify --fleet: the keys, then each host (fleet_verify.c). */
static int verify_fleet(const char *dsn, const char *origin, const char *keyarg,
			const char *const *wargs, size_t nw, size_t quorum, int json, int quiet,
			int local_only)
{
	if (local_only)
		return cli_usage_error("verify", "--fleet reads the fleet's database: not with --log-dir, "
				       "--checkpoint, --audit-log or --witness-dir");
#ifdef TA_HAVE_FLEET
	struct ta_verifier *key = NULL, *wkeys[MAX_WITNESSES] = { 0 };
	int rc = keyarg ? cli_log_key("verify", keyarg, NULL, &key) : 0;
	if (!rc && nw)
		rc = cli_witness_keys("verify", wargs, nw, wkeys);
	if (!rc) {
		struct fleet_verify_opts fo = { .dsn = dsn, .origin_pattern = origin, .key = key,
						.witnesses = wkeys, .n_witnesses = nw, .quorum = quorum,
						.json = json, .quiet = quiet };
		rc = fleet_verify(&fo);
	}
	cli_keys_free(wkeys, nw);
	ta_verifier_free(key);
	return rc;
#else
	(void)dsn; (void)origin; (void)keyarg; (void)wargs; (void)nw; (void)quorum; (void)json;
	(void)quiet;
	return cli_usage_error("verify", "--fleet: this ttyaudit was built without the fleet tier (libpq)");
#endif
}

/*
 * The session index queries would use must say what the log says: it is a
 * cache anyone who can write its place can rewrite, and query, show and
 * --grep print what it lists (a renamed user, a command left out). 0 when it
 * does or none is used, -EBADMSG with the message set when it does not.
 */
static int check_index(const char *dir, struct ta_verify_result *res)
{
	char path[4096] = "", why[160] = "";
	int e = cli_index_check(dir, NULL, path, sizeof(path), why, sizeof(why));

	if (e != -EBADMSG)
		return 0;
	snprintf(res->message, sizeof(res->message),
		 "the session index %s does not say what the log says (%s differs): it was not "
		 "written from this log, and queries would print it; keep it, and run 'ttyaudit "
		 "reindex'", path, why);
	snprintf(res->bad.segment_name, sizeof(res->bad.segment_name), "index");
	res->bad.offset = 0;
	res->bad.index = UINT64_MAX;
	return -EBADMSG;
}

int ta_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "audit-log", required_argument, NULL, 'a' },
		{ "anchor-exe", required_argument, NULL, 'E' },
		{ "anchor-node", required_argument, NULL, 'N' },
		{ "origin", required_argument, NULL, 'O' },
		{ "witness", required_argument, NULL, 'w' },
		{ "witness-quorum", required_argument, NULL, 'Q' },
		{ "witness-dir", required_argument, NULL, 'W' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "fleet", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = TA_STORE_DEFAULT_DIR, *keyarg = NULL, *origin = NULL, *fleet = NULL;
	struct ta_anchor_filter anchor = { .exe = TA_DAEMON_PATH };
	int local_only = 0;
	const char *wdir = TA_WITNESS_DEFAULT_DIR, *wargs[MAX_WITNESSES];
	size_t nw = 0, quorum = 0;
	struct ta_verifier *wkeys[MAX_WITNESSES] = { 0 };
	struct witnessed best = { 0 };
	const char **ext = calloc((size_t)argc + 2, sizeof(*ext));
	const char **audit_logs = calloc((size_t)argc + 1, sizeof(*audit_logs));
	size_t n_ext = 0, n_audit = 0;
	int json = 0, quiet = 0, c;
	optind = 1;
	if (!ext || !audit_logs) {
		free(ext);
		free(audit_logs);
		return TA_EXIT_FAILURE;
	}
	while ((c = getopt_long(argc, argv, "d:k:c:a:jqh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; local_only = 1; break;
		case 'k': keyarg = optarg; break;
		case 'c': ext[n_ext++] = optarg; local_only = 1; break;
		case 'a': audit_logs[n_audit++] = optarg; local_only = 1; break;
		case 'E': anchor.exe = optarg; local_only = 1; break;
		case 'N': anchor.node = optarg; local_only = 1; break;
		case 'F': fleet = optarg; break;
		case 'O': origin = optarg; break;
		case 'w':
			if (nw == MAX_WITNESSES) {
				usage(stderr);
				free(ext);
				free(audit_logs);
				return TA_EXIT_USAGE;
			}
			wargs[nw++] = optarg;
			break;
		case 'Q': quorum = cli_parse_quorum(optarg); break;
		case 'W': wdir = optarg; local_only = 1; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); free(ext); free(audit_logs); return TA_EXIT_OK;
		default: free(ext); free(audit_logs); return cli_usage_error("verify", NULL);
		}
	}
	if (!quorum)
		quorum = nw;
	if (optind != argc || quorum > nw) {
		free(ext);
		free(audit_logs);
		if (optind != argc)
			return cli_usage_error("verify", "takes no arguments, only options; '%s' is not one",
					       argv[optind]);
		return cli_usage_error("verify", "--witness-quorum %zu is more than the %zu --witness keys given",
				       (size_t)quorum, (size_t)nw);
	}
	if (fleet) {
		free(ext);
		free(audit_logs);
		return verify_fleet(fleet, origin, keyarg, wargs, nw, quorum, json, quiet, local_only);
	}
	/* No read access or no log is no damage: exit 4 or 6 like every command, before any check. */
	int acc = cli_log_open(dir);
	if (acc != TA_EXIT_OK) {
		free(ext);
		free(audit_logs);
		return acc;
	}
	if (nw) {
		int wrc = cli_witness_keys("verify", wargs, nw, wkeys);
		if (!wrc)
			wrc = check_witnesses(dir, keyarg, origin, ext, n_ext, wdir, wkeys, nw, quorum, json,
					     &best);
		cli_keys_free(wkeys, nw);
		if (wrc) {
			free(ext);
			free(audit_logs);
			return wrc;
		}
		/* The witnessed checkpoint must be in the log like any kept elsewhere. */
		ext[n_ext++] = best.path;
	}
	struct ta_verifier *key = NULL;
	if (keyarg) {
		int krc = cli_log_key("verify", keyarg, dir, &key);
		if (krc) {
			free(ext);
			free(audit_logs);
			return krc;
		}
	}
	struct ta_root_claim *claims = NULL;
	size_t n_claims = 0;
	for (size_t i = 0; i < n_audit; i++) {
		int aerr = ta_anchor_claims_load(audit_logs[i], &anchor, &claims, &n_claims);

		if (aerr) {
			char why[256];
			/* A directory read as an empty trail said OK: it is refused, as a FIFO is. */
			ta_err("verify", "cannot read anchors from %s: %s", audit_logs[i],
			       aerr == -EINVAL ? "not a regular file (name the audit log file itself)" :
			       aerr == -ENOMSG ? "it holds no audit record (name auditd's log file, "
						 "its log_file in auditd.conf)" :
			       ta_auparse_strerror(aerr, why, sizeof(why)));
			free(ext);
			free(audit_logs);
			free(claims);
			ta_verifier_free(key);
			return aerr == -ENOENT || aerr == -EACCES || aerr == -EINVAL || aerr == -ENOMSG ?
			       TA_EXIT_USAGE :
			       TA_EXIT_FAILURE;
		}
	}
	/*
	 * Root on any node of an aggregated trail can write an anchor naming this
	 * log's origin: whose anchors count is the investigator's to say.
	 */
	if (anchor.nodes > 1) {
		ta_err("verify", "the audit trail holds anchors of several nodes (%s%s, %s%s%s); say "
		       "whose count with --anchor-node NAME", anchor.node_seen[0][0] ? "node " : "",
		       anchor.node_seen[0][0] ? anchor.node_seen[0] : "no node=",
		       anchor.node_seen[1][0] ? "node " : "",
		       anchor.node_seen[1][0] ? anchor.node_seen[1] : "no node=",
		       anchor.nodes > 2 ? " and more" : "");
		free(ext);
		free(audit_logs);
		free(claims);
		ta_verifier_free(key);
		return TA_EXIT_USAGE;
	}
	struct ta_verify_opts vo = { .dir = dir, .key = key, .origin = origin, .external = ext, .n_external = n_ext,
				     .claims = claims, .n_claims = n_claims };
	struct ta_verify_result *res = calloc(1, sizeof(*res));
	int err = res ? ta_log_verify(&vo, res) : -ENOMEM;
	int rc;
	if (!err)
		err = check_index(dir, res);
	if (!res) {
		rc = TA_EXIT_FAILURE;
	} else if (err == 0 || err == -EBADMSG) {
		char root[64];
		b64_root(res->root, root);
		rc = err ? TA_EXIT_VERIFY : TA_EXIT_OK;
		if (json) {
			struct ta_json j;
			if (err) {
				json_failed(&j, res->message);
				ta_json_key(&j, "file");
				ta_json_str(&j, res->bad.segment_name);
				ta_json_key(&j, "offset");
				ta_json_u64(&j, res->bad.offset);
				if (res->bad.index != UINT64_MAX) {
					ta_json_key(&j, "index");
					ta_json_u64(&j, res->bad.index);
				}
			} else {
				const struct {
					const char *key;
					uint64_t v;
				} counts[] = {
					{ "first_index", res->first_index },
					{ "records", res->records },
					{ "segments", res->segments },
					{ "bytes", res->bytes },
					{ "checkpoints", res->checkpoints },
					{ "checkpoints_signature_only", res->checkpoints_sig_only },
					{ "external_signature_only", res->n_ext_sig_only },
					{ "latest_checkpoint", res->latest_checkpoint },
				};
				ta_json_init(&j);
				ta_json_obj_begin(&j);
				ta_json_key(&j, "ok");
				ta_json_bool(&j, true);
				for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
					ta_json_key(&j, counts[i].key);
					ta_json_u64(&j, counts[i].v);
				}
				ta_json_key(&j, "root");
				ta_json_str(&j, root);
				ta_json_key(&j, "recoveries");
				ta_json_u64(&j, res->recovery_records);
				ta_json_key(&j, "retentions");
				ta_json_u64(&j, res->retention_records);
				ta_json_key(&j, "gaps");
				ta_json_u64(&j, res->gap_records);
				ta_json_key(&j, "torn_tail");
				ta_json_bool(&j, res->torn);
				ta_json_key(&j, "anchors_checked");
				ta_json_u64(&j, res->claims_checked);
				ta_json_key(&j, "anchors_login_uid");
				ta_json_u64(&j, res->claims_login_uid);
				ta_json_key(&j, "anchors_unchecked");
				ta_json_u64(&j, res->claims_unchecked);
				ta_json_key(&j, "anchors_other_logs");
				ta_json_u64(&j, res->claims_foreign);
				ta_json_key(&j, "anchors_ignored");
				ta_json_u64(&j, anchor.ignored);
				ta_json_key(&j, "anchors_malformed");
				ta_json_u64(&j, anchor.malformed);
				ta_json_key(&j, "anchors_other_nodes");
				ta_json_u64(&j, anchor.other_node);
				ta_json_key(&j, "key_from_log_dir");
				ta_json_bool(&j, res->key_from_dir);
			}
			json_print(&j);
		} else if (err) {
			printf("FAILED: %s\n", res->message);
		} else if (!quiet) {
			uint64_t last = res->first_index + res->records;
			printf("OK: records %llu..%llu (%llu) in %llu segments, %llu bytes; %llu checkpoints "
			       "checked, the latest covers %llu records; root %s\n",
			       (unsigned long long)res->first_index,
			       (unsigned long long)(last ? last - 1 : 0), (unsigned long long)res->records,
			       (unsigned long long)res->segments, (unsigned long long)res->bytes,
			       (unsigned long long)res->checkpoints,
			       (unsigned long long)res->latest_checkpoint, root);
			if (last > res->latest_checkpoint)
				printf("note: %llu records after the latest checkpoint are not yet signed\n",
				       (unsigned long long)(last - res->latest_checkpoint));
			if (res->recovery_records)
				printf("note: %llu recoveries from torn writes (crashes) are recorded\n",
				       (unsigned long long)res->recovery_records);
			if (res->retention_records)
				printf("note: records before %llu were deleted by retention (%llu retention "
				       "records)\n", (unsigned long long)res->first_index,
				       (unsigned long long)res->retention_records);
			for (uint64_t i = 0; i < res->n_ext_sig_only && i < 8; i++)
				printf("note: --checkpoint %s (%llu records) could only have its signature "
				       "checked: the log now starts at record %llu (retention)\n",
				       res->ext_sig_only[i].file, (unsigned long long)res->ext_sig_only[i].size,
				       (unsigned long long)res->first_index);
			if (res->n_ext_sig_only > 8)
				printf("note: and %llu more --checkpoint notes only signature-checked\n",
				       (unsigned long long)(res->n_ext_sig_only - 8));
			if (res->gap_records)
				printf("note: %llu gap records (records dropped by the writer)\n",
				       (unsigned long long)res->gap_records);
			if (res->torn)
				printf("note: the log ends in a torn write at %s offset %llu (%s); the writer "
				       "will record it when it restarts\n", res->torn_at.segment_name,
				       (unsigned long long)res->torn_at.offset, res->torn_at.what);
		}
		if (!err && res->key_from_dir && !quiet && !json)
			ta_warn("verify", "checked with the key stored in the log directory; pass --key "
				"with a copy kept elsewhere to detect a log re-signed with another key");
	} else {
		ta_err("verify", "%s: %s", dir, res->message[0] ? res->message : strerror(-err));
		rc = TA_EXIT_STORAGE;
	}
	if (!err && nw && !quiet && !json)
		printf("witnesses: the checkpoint of %llu records carries %zu of the %zu required "
		       "cosignatures\n", (unsigned long long)best.size, best.valid, quorum);
	if (!err && n_audit && !quiet && !json) {
		/* Anchors are no signatures: counted apart from the checkpoints above. */
		printf("audit trail: %llu anchors matched this log, %llu before its first record kept "
		       "(not checkable), %llu belong to other logs, %zu ignored (not written by %s as "
		       "root, or failed)\n", (unsigned long long)res->claims_checked,
		       (unsigned long long)res->claims_unchecked, (unsigned long long)res->claims_foreign,
		       anchor.ignored, anchor.exe);
		if (anchor.malformed)
			printf("note: %zu anchors are malformed (not as ttyauditd writes them) and were "
			       "not checked\n", anchor.malformed);
		if (anchor.other_node)
			printf("note: %zu anchors of nodes other than --anchor-node were not counted\n",
			       anchor.other_node);
		if (res->claims_login_uid)
			printf("note: %llu matched anchors were written by a daemon with a login uid "
			       "(started from a login shell, not by systemd)\n",
			       (unsigned long long)res->claims_login_uid);
	}
	free(res);
	free(ext);
	free(audit_logs);
	free(claims);
	ta_verifier_free(key);
	return rc;
}
