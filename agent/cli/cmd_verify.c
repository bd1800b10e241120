// SPDX-License-Identifier: GPL-2.0-or-later
/* ttyaudit verify: check the whole log (tree, checkpoints, signatures). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/cli_util.h"
#include "common/exitcodes.h"
#include "common/log.h"
#include "index/walk.h"
#include "store/note.h"
#include "sessions/anchor_claims.h"
#include "store/store.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit verify [--log-dir DIR] [--key VKEY] [--checkpoint FILE]...\n"
		"                       [--audit-log FILE]... [--json]\n"
		"\n"
		"Recomputes the Merkle tree over every segment, checks every checkpoint's\n"
		"signature and root, and that the log is not older than any --checkpoint\n"
		"(a signed note kept elsewhere). On failure prints the first bad thing on one\n"
		"line and exits %d.\n"
		"\n"
		"  --log-dir DIR      log directory (default %s)\n"
		"  --key VKEY         verifier key, or a file holding it (default: the log\n"
		"                     directory's own ttyaudit.vkey, which a forger can replace)\n"
		"  --checkpoint FILE  a newer checkpoint the log must contain (repeatable)\n"
		"  --audit-log FILE   an audit log holding checkpoint anchors written by\n"
		"                     ttyauditd: each must match the log (repeatable)\n"
		"  --json             one JSON object on stdout\n"
		"  -q, --quiet        print nothing when the log verifies\n",
		TA_EXIT_VERIFY, TA_STORE_DEFAULT_DIR);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void b64_root(const uint8_t root[32], char out[64])
{
	ta_note_base64_encode(root, 32, out);
}

int ta_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "audit-log", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = TA_STORE_DEFAULT_DIR, *keyarg = NULL;
	const char **ext = calloc((size_t)argc + 1, sizeof(*ext));
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
		case 'd': dir = optarg; break;
		case 'k': keyarg = optarg; break;
		case 'c': ext[n_ext++] = optarg; break;
		case 'a': audit_logs[n_audit++] = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); free(ext); return TA_EXIT_OK;
		default: free(ext); return cli_usage_error("verify", NULL);
		}
	}
	if (optind != argc) {
		free(ext);
		return cli_usage_error("verify", "takes no arguments, only options; '%s' is not one", argv[optind]);
	}
	/* No read access is not damage: exit 4 like every command, before anything is checked. */
	int acc = ta_walk_access(dir);
	if (acc == -EACCES || acc == -EPERM) {
		free(ext);
		return cli_log_error(dir, acc);
	}
	struct ta_verifier *key = NULL;
	if (keyarg) {
		int err = ta_verifier_load(keyarg, &key);
		if (err) {
			ta_err("verify", "cannot use key %s: %s", keyarg,
			       err == -EINVAL ? "not a valid Ed25519 verifier key" : strerror(-err));
			free(ext);
			return TA_EXIT_USAGE;
		}
	}
	struct ta_root_claim *claims = NULL;
	size_t n_claims = 0;
	for (size_t i = 0; i < n_audit; i++) {
		int aerr = ta_anchor_claims_load(audit_logs[i], &claims, &n_claims);

		if (aerr) {
			ta_err("verify", "cannot read anchors from %s: %s", audit_logs[i], strerror(-aerr));
			free(ext);
			free(audit_logs);
			free(claims);
			return aerr == -ENOENT || aerr == -EACCES ? TA_EXIT_USAGE : TA_EXIT_FAILURE;
		}
	}
	struct ta_verify_opts vo = { .dir = dir, .key = key, .external = ext, .n_external = n_ext,
				     .claims = claims, .n_claims = n_claims };
	struct ta_verify_result *res = calloc(1, sizeof(*res));
	int err = res ? ta_log_verify(&vo, res) : -ENOMEM;
	int rc;
	if (!res) {
		rc = TA_EXIT_FAILURE;
	} else if (err == 0 || err == -EBADMSG) {
		char root[64];
		b64_root(res->root, root);
		rc = err ? TA_EXIT_VERIFY : TA_EXIT_OK;
		if (json) {
			printf("{\"ok\":%s,", err ? "false" : "true");
			if (err) {
				printf("\"error\":");
				json_str(stdout, res->message);
				printf(",\"file\":");
				json_str(stdout, res->bad.segment_name);
				printf(",\"offset\":%llu", (unsigned long long)res->bad.offset);
				if (res->bad.index != UINT64_MAX)
					printf(",\"index\":%llu", (unsigned long long)res->bad.index);
				printf("}\n");
			} else {
				printf("\"first_index\":%llu,\"records\":%llu,\"segments\":%llu,\"bytes\":%llu,"
				       "\"checkpoints\":%llu,\"checkpoints_signature_only\":%llu,"
				       "\"latest_checkpoint\":%llu,\"root\":\"%s\",\"recoveries\":%llu,"
				       "\"retentions\":%llu,\"gaps\":%llu,\"torn_tail\":%s,"
				       "\"anchors_checked\":%llu,\"anchors_other_logs\":%llu,"
				       "\"key_from_log_dir\":%s}\n",
				       (unsigned long long)res->first_index, (unsigned long long)res->records,
				       (unsigned long long)res->segments, (unsigned long long)res->bytes,
				       (unsigned long long)res->checkpoints,
				       (unsigned long long)res->checkpoints_sig_only,
				       (unsigned long long)res->latest_checkpoint, root,
				       (unsigned long long)res->recovery_records,
				       (unsigned long long)res->retention_records,
				       (unsigned long long)res->gap_records, res->torn ? "true" : "false",
				       (unsigned long long)res->claims_checked,
				       (unsigned long long)res->claims_foreign,
				       res->key_from_dir ? "true" : "false");
			}
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
	if (!err && n_audit && !quiet && !json)
		printf("audit trail: %llu anchors matched this log, %llu belong to other logs\n",
		       (unsigned long long)res->claims_checked, (unsigned long long)res->claims_foreign);
	free(res);
	free(ext);
	free(audit_logs);
	free(claims);
	ta_verifier_free(key);
	return rc;
}
