// SPDX-License-Identifier: GPL-2.0-or-later
/* ttyaudit prove / verify-proof: inclusion and consistency proofs as files. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "cli/cli_util.h"
#include "cli/cli_witness.h"
#include "cli/commands.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "store/walk.h"
#include "store/checkpoint.h"
#include "store/ckptset.h"
#include "store/note.h"
#include "store/store.h"

static void prove_usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit prove [--log-dir DIR] [--tree-size N] [-o FILE]\n"
		"                      (--record N... | --session ID | --consistency OLD NEW)\n"
		"\n"
		"Writes a proof (text, see docs/log-format.md) that 'ttyaudit verify-proof'\n"
		"checks without the log: the records themselves, their audit paths and the\n"
		"signed checkpoint; or a consistency proof between two tree sizes.\n"
		"\n"
		"  --record N         prove record N (repeatable)\n"
		"  --session ID       prove every record of the session: BOOT-SES as 'query'\n"
		"                     prints it, its 16-hex-digit or 0x key, or an audit\n"
		"                     session id (the latest boot that has it)\n"
		"  --consistency OLD NEW  prove the tree of size OLD is a prefix of size NEW\n"
		"  --tree-size N      checkpoint to prove against (default: the latest)\n"
		"  -o, --output FILE  write there instead of stdout\n"
		"  --origin ORIGIN    the checkpoints' origin (default: the key's name)\n"
		"  --log-dir DIR      log directory (default %s)\n", TA_STORE_DEFAULT_DIR);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return -1;
	*v = x;
	return 0;
}

/* The session forms every command takes; a bare audit session id needs the table. */
static int resolve_session(const char *dir, const char *arg, uint64_t *key)
{
	int ses_only;
	if (ta_sess_id_parse(arg, key, &ses_only)) {
		ta_err("prove", "'%s' is not a session id (BOOT-SES as 'ttyaudit query' prints, "
		       "16 hex digits, 0xHEX or a number)", arg);
		return TA_EXIT_USAGE;
	}
	if (!ses_only)
		return TA_EXIT_OK;
	struct cli_table ct;
	size_t ord;
	int rc = cli_table_open(&ct, dir, NULL, CLI_INDEX_AUTO, 0);
	if (rc != TA_EXIT_OK)
		return rc;
	rc = cli_find_session(&ct, arg, &ord);
	if (rc == TA_EXIT_OK)
		*key = ct.t->s[ord].key;
	cli_table_close(&ct);
	return rc;
}

int ta_cmd_prove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "record", required_argument, NULL, 'r' },
		{ "session", required_argument, NULL, 's' },
		{ "consistency", required_argument, NULL, 'c' },
		{ "tree-size", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "origin", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = TA_STORE_DEFAULT_DIR, *out = NULL, *session = NULL;
	uint64_t *idx = calloc((size_t)argc + 1, sizeof(*idx));
	struct ta_proof_request req = { .kind = TA_PROOF_INCLUSION, .indexes = idx };
	int c, kinds = 0, rc = TA_EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:r:s:c:t:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'o': out = optarg; break;
		case 'O': req.origin = optarg; break;
		case 'r':
			if (parse_u64(optarg, &idx[req.n_indexes]))
				goto usage;
			if (!req.n_indexes++)
				kinds++;
			break;
		case 's':
			session = optarg;
			req.by_session = 1;
			kinds++;
			break;
		case 'c':
			/* --consistency OLD NEW: NEW is the next argument */
			if (optind >= argc || parse_u64(optarg, &req.old_size) ||
			    parse_u64(argv[optind], &req.tree_size))
				goto usage;
			optind++;
			req.kind = TA_PROOF_CONSISTENCY;
			kinds++;
			break;
		case 't':
			if (parse_u64(optarg, &req.tree_size))
				goto usage;
			break;
		case 'h':
			prove_usage(stdout);
			free(idx);
			return TA_EXIT_OK;
		default:
			goto usage;
		}
	}
	if (kinds != 1 || optind != argc)
		goto usage;
	/* No read access or no log: exit 4 or 6 like every command, not a missing key or record. */
	if ((rc = cli_log_open(dir)) != TA_EXIT_OK)
		goto done;
	if (session && (rc = resolve_session(dir, session, &req.session)) != TA_EXIT_OK)
		goto done;
	char err[512];
	char *text = NULL;
	size_t len = 0;
	int e = ta_proof_build(dir, &req, &text, &len, err, sizeof(err));
	if (e) {
		char id[32] = "";
		if (session)
			ta_sess_id(req.session, id, sizeof(id));
		ta_err("prove", "%s%s%s", id, id[0] ? ": " : "", err[0] ? err : strerror(-e));
		rc = e == -ENOENT ? TA_EXIT_NOTFOUND : e == -EBADMSG ? TA_EXIT_VERIFY :
		     e == -ENODATA ? TA_EXIT_NOTFOUND : e == -EACCES || e == -EPERM ? TA_EXIT_NOPERM :
		     TA_EXIT_STORAGE;
		goto done;
	}
	FILE *f = out ? fopen(out, "we") : stdout;
	if (!f || fwrite(text, 1, len, f) != len || (out && fclose(f))) {
		ta_err("prove", "cannot write %s: %s", out ? out : "stdout", strerror(errno));
		rc = TA_EXIT_FAILURE;
	} else {
		rc = TA_EXIT_OK;
	}
	free(text);
	goto done;
usage:
	rc = cli_usage_error("prove", "needs exactly one of --record N (repeatable), --session KEY or "
			     "--consistency OLD NEW, each with numbers, and no other arguments");
done:
	free(idx);
	return rc;
}

static void vp_usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit verify-proof PROOF --key VKEY [--origin ORIGIN]\n"
		"                             [--checkpoint FILE]... [-q]\n"
		"                             [--witness VKEY... [--witness-quorum N]]\n"
		"\n"
		"Checks a proof file offline: the checkpoint's signature with VKEY (a key, or\n"
		"a file holding one) and its origin (default: the key's name), every\n"
		"record's audit path to the signed root (or the consistency proof), and that\n"
		"each trusted --checkpoint is the proof's checkpoint (or its old one).\n"
		"With --witness (a cosignature/v1 key or a file, repeatable), the proof's\n"
		"checkpoint, or a --checkpoint of the same tree ('ttyaudit checkpoint\n"
		"--cosigned'), must carry --witness-quorum (default: all) valid cosignatures.\n"
		"Exits %d if the proof does not hold.\n", TA_EXIT_VERIFY);
}

static void print_record(void *ctx, const struct ta_log_record *rec)
{
	if (*(int *)ctx)
		return;
	time_t t = (time_t)(rec->time_ns / 1000000000ull);
	struct tm tm;
	char when[40] = "?";
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	char id[32];
	ta_sess_id(rec->session, id, sizeof(id));
	printf("record %" PRIu64 " type 0x%04x time %s session %s %zu bytes%s\n",
	       rec->index, rec->type, when, id, rec->len,
	       rec->flags & TA_LOG_REC_COMPRESSED ? " (stored compressed)" : "");
}

/* A proof or tile file, whole (a pipe too, as `<(...)` gives). */
static int read_path(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = ta_read_fd(fd, SIZE_MAX - 1, buf, len);
	close(fd);
	return err;
}

int ta_cmd_verify_proof(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "origin", required_argument, NULL, 'O' },
		{ "witness", required_argument, NULL, 'w' },
		{ "witness-quorum", required_argument, NULL, 'Q' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *keyarg = NULL, *origin = NULL;
	const char **wargs = calloc((size_t)argc + 1, sizeof(*wargs));
	struct ta_verifier **wkeys = calloc((size_t)argc + 1, sizeof(*wkeys));
	size_t nw = 0, quorum = 0;
	const char **tpaths = calloc((size_t)argc + 1, sizeof(*tpaths));
	char **tbuf = calloc((size_t)argc + 1, sizeof(*tbuf));
	size_t *tlen = calloc((size_t)argc + 1, sizeof(*tlen));
	size_t nt = 0;
	int quiet = 0, c, rc = TA_EXIT_USAGE;
	struct ta_verifier *key = NULL;
	char *proof = NULL;
	size_t plen;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:c:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyarg = optarg; break;
		case 'c': tpaths[nt++] = optarg; break;
		case 'O': origin = optarg; break;
		case 'w': wargs[nw++] = optarg; break;
		case 'Q': quorum = cli_parse_quorum(optarg); break;
		case 'q': quiet = 1; break;
		case 'h': vp_usage(stdout); rc = TA_EXIT_OK; goto out;
		default: rc = cli_usage_error("verify-proof", NULL); goto out;
		}
	}
	if (!quorum)
		quorum = nw;
	if (!keyarg) {
		rc = cli_usage_error("verify-proof", "needs --key VKEY (the verifier key, or a file holding it)");
		goto out;
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error("verify-proof", "needs one PROOF file%s", optind == argc ? "" : ", no more");
		goto out;
	}
	if (!wargs || !wkeys) {
		ta_err("verify-proof", "out of memory");
		rc = TA_EXIT_FAILURE;
		goto out;
	}
	if (quorum > nw) {
		rc = cli_usage_error("verify-proof", "--witness-quorum %zu is more than the %zu --witness keys given",
				     quorum, nw);
		goto out;
	}
	if (nw && (rc = cli_witness_keys("verify-proof", wargs, nw, wkeys)) != TA_EXIT_OK)
		goto out;
	rc = TA_EXIT_USAGE;
	int e;
	if ((rc = cli_log_key("verify-proof", keyarg, NULL, &key)) != TA_EXIT_OK)
		goto out;
	rc = TA_EXIT_USAGE;
	if ((e = read_path(argv[optind], &proof, &plen))) {
		ta_err("verify-proof", "cannot read %s: %s", argv[optind], strerror(-e));
		rc = TA_EXIT_NOTFOUND;
		goto out;
	}
	for (size_t i = 0; i < nt; i++) {
		if ((e = read_path(tpaths[i], &tbuf[i], &tlen[i]))) {
			ta_err("verify-proof", "cannot read %s: %s", tpaths[i], strerror(-e));
			rc = TA_EXIT_NOTFOUND;
			goto out;
		}
	}
	struct ta_proof_result res;
	e = ta_proof_verify(proof, plen, key, origin, (const char *const *)tbuf, tlen, nt, print_record,
			    &quiet, &res);
	char wmsg[300] = "";
	size_t valid = 0;
	if (!e && nw) {
		/* The most cosignatures on a note of the proven tree: the proof's, or a trusted copy. */
		int we = cli_quorum(wkeys, nw, 0, proof + res.note_off, res.note_len, &valid, wmsg,
				    sizeof(wmsg));
		for (size_t i = 0; i < nt && we != -EKEYREJECTED; i++) {
			struct ta_checkpoint cp;
			const char *why;
			size_t v = 0;
			if (ta_ckpt_check_note(key, origin, tbuf[i], tlen[i], &cp, &why) ||
			    cp.size != res.tree_size)
				continue;
			we = cli_quorum(wkeys, nw, 0, tbuf[i], tlen[i], &v, wmsg, sizeof(wmsg));
			if (v > valid)
				valid = v;
		}
		if (we == -EKEYREJECTED) {
			e = we;
		} else if (valid < quorum) {
			snprintf(wmsg, sizeof(wmsg), "%zu valid cosignatures of the %zu required", valid,
				 quorum);
			e = -ENOKEY;
		}
		if (e)
			snprintf(res.message, sizeof(res.message), "witnesses: %s", wmsg);
	}
	if (e) {
		printf("FAILED: %s\n", res.message[0] ? res.message : strerror(-e));
		rc = TA_EXIT_VERIFY;
	} else {
		if (!quiet) {
			if (res.kind == TA_PROOF_CONSISTENCY)
				printf("OK: the tree of %" PRIu64 " records is a prefix of the signed tree of "
				       "%" PRIu64 " records\n", res.old_size, res.tree_size);
			else
				/* A proof shows records are in the log, never that a session has no others. */
				printf("OK: %zu records proven in the signed tree of %" PRIu64 " records "
				       "(in the log; not that they are all of the session's)\n",
				       res.n_records, res.tree_size);
			if (nw)
				printf("witnesses: %zu valid cosignatures (%zu required)\n", valid, quorum);
		}
		rc = TA_EXIT_OK;
	}
out:
	if (wkeys)
		cli_keys_free(wkeys, nw);
	free(wkeys);
	free(wargs);
	for (size_t i = 0; i < nt; i++)
		free(tbuf[i]);
	free(tbuf);
	free(tlen);
	free(tpaths);
	free(proof);
	ta_verifier_free(key);
	return rc;
}
