// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Conformance against an independent implementation: Go's
 * golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's golang-go and
 * golang-golang-x-mod-dev, built offline in GOPATH mode) judge
 *  - the hostile notes of notes/ (expected verdicts in notes/expected),
 *  - every checkpoint of a log written by the project's own writer, and
 *    those checkpoints bent (a signature byte, another origin), and each
 *    cosigned by a witness key of the project's cosignature/v1 code,
 *  - inclusion and consistency proofs made by `ttyaudit prove`, and bent ones,
 * and the project's parsers must give the same verdict on each.
 * Usage: test_conformance TTYAUDIT SRCDIR (SRCDIR: tests/conformance).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "store/checkpoint.h"
#include "store/ckptset.h"
#include "store/cosig.h"
#include "store/log_dir.h"
#include "store/note.h"
#include "store_test_util.h"

static const char *bin, *src;
static char *work, oracle[512];
static int compared;

/* Debian installs Go packages' sources under this GOPATH entry. */
#define DEBIAN_GOPATH "/usr/share/gocode"

static int build_oracle(void)
{
	const char *gp = getenv("TA_GOPATH") ? getenv("TA_GOPATH") : DEBIAN_GOPATH;
	char probe[512], cmd[4096];
	snprintf(probe, sizeof(probe), "%s/src/golang.org/x/mod/sumdb/note/note.go", gp);
	if (access(probe, R_OK) || system("command -v go >/dev/null 2>&1")) {
		printf("SKIP: go or golang.org/x/mod (golang-golang-x-mod-dev) not installed\n");
		return 77;
	}
	snprintf(oracle, sizeof(oracle), "%s/oracle", work);
	/* GOPATH mode, offline, every cache in the test's own directory (root, fresh host). */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && env GO111MODULE=off GOPATH='%s/gopath:%s' GOCACHE='%s/gocache' "
		 "GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 HOME='%s' go build -o '%s' '%s/oracle/oracle.go'",
		 work, work, gp, work, work, oracle, src);
	if (system(cmd)) {
		fprintf(stderr, "cannot build the Go oracle\n");
		return 1;
	}
	return 0;
}

static char *run_oracle(const char *args)
{
	char cmd[4096];
	static char out[256];
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>>'%s/oracle.log'", oracle, args, work);
	FILE *p = popen(cmd, "r");
	out[0] = 0;
	if (p) {
		if (!fgets(out, sizeof(out), p))
			out[0] = 0;
		pclose(p);
	}
	out[strcspn(out, "\n")] = 0;
	return out;
}

static char *slurp(const char *path, size_t *len)
{
	char *b = NULL;
	if (ta_read_file_at(AT_FDCWD, path, &b, len))
		return NULL;
	return b;
}

static void spill(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		perror(path);
}

/* The project's verdict on a checkpoint note, in the oracle's words. */
static void judge_note(const struct ta_verifier *log, const char *origin,
		       const struct ta_verifier *const *ws, size_t nw, const char *note, size_t len,
		       char *out, size_t cap)
{
	struct ta_checkpoint cp;
	const char *why;
	size_t valid = 0, bad;
	if (ta_ckpt_check_note(log, origin, note, len, &cp, &why) ||
	    ta_cosig_count(ws, nw, note, len, &valid, &bad))
		snprintf(out, cap, "reject");
	else
		snprintf(out, cap, "accept %llu %zu", (unsigned long long)cp.size, valid);
}

static void compare_note(const struct ta_verifier *log, const char *logkey, const char *origin,
			 const struct ta_verifier *const *ws, const char *const *wkeys, size_t nw,
			 const char *path, const char *expected)
{
	size_t len;
	char *note = slurp(path, &len), mine[128], args[2048];
	CHECK(note != NULL);
	if (!note)
		return;
	judge_note(log, origin, ws, nw, note, len, mine, sizeof(mine));
	int o = snprintf(args, sizeof(args), "note '%s' '%s' '%s'", logkey, origin, path);
	for (size_t i = 0; i < nw; i++)
		o += snprintf(args + o, sizeof(args) - (size_t)o, " '%s'", wkeys[i]);
	const char *go = run_oracle(args);
	/* "reject stricter": Go accepts what a terminal acts on, ttyaudit refuses it (note.h). */
	int stricter = expected && !strcmp(expected, "reject stricter");
	int same = stricter ? !strncmp(go, "accept ", 7) : !strcmp(mine, go);
	int as_expected = !expected || !strcmp(mine, stricter ? "reject" : expected);
	compared++;
	if (!same || !as_expected)
		fprintf(stderr, "%s: ttyaudit says '%s', Go says '%s'%s%s\n", path, mine, go,
			expected ? ", expected " : "", expected ? expected : "");
	CHECK(same);
	CHECK(as_expected);
	free(note);
}

static void corpus(void)
{
	char dir[512], path[1024], line[512], lk[1024], w1[1024], w2[1024];
	snprintf(dir, sizeof(dir), "%s/notes", src);
	snprintf(lk, sizeof(lk), "%s/log.vkey", dir);
	snprintf(w1, sizeof(w1), "%s/w1.vkey", dir);
	snprintf(w2, sizeof(w2), "%s/w2.vkey", dir);
	struct ta_verifier *log = NULL, *wv[2] = { NULL, NULL };
	CHECK_EQ_INT(ta_verifier_load(lk, TA_ALG_ED25519, &log), 0);
	CHECK_EQ_INT(ta_verifier_load(w1, TA_ALG_COSIG_V1, &wv[0]), 0);
	CHECK_EQ_INT(ta_verifier_load(w2, TA_ALG_COSIG_V1, &wv[1]), 0);
	snprintf(path, sizeof(path), "%s/expected", dir);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f || !log || !wv[0] || !wv[1])
		return;
	const char *wk[2] = { w1, w2 };
	int n = 0, accepted = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		compare_note(log, lk, "conformance.example/log", (const struct ta_verifier *const *)wv, wk,
			     2, path, sp + 1);
		n++;
		accepted += !strncmp(sp + 1, "accept", 6);
	}
	fclose(f);
	/* The corpus must exercise both directions. */
	CHECK(n >= 40);
	CHECK(accepted >= 10 && n - accepted >= 20);
	ta_verifier_free(log);
	ta_verifier_free(wv[0]);
	ta_verifier_free(wv[1]);
}

struct notes {
	char **v;
	size_t *len, n;
};

static int collect(void *ctx, uint64_t off, const char *note, size_t len)
{
	(void)off;
	struct notes *ns = ctx;
	ns->v = realloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	ns->len = realloc(ns->len, (ns->n + 1) * sizeof(*ns->len));
	ns->v[ns->n] = strndup(note, len);
	ns->len[ns->n++] = len;
	return 0;
}

static int run_cli(const char *args)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "'%s' %s >/dev/null 2>>'%s/cli.log'", bin, args, work);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void compare_proof(const struct ta_verifier *log, const char *logkey, const char *path,
			  int expect_ok)
{
	size_t len;
	char *text = slurp(path, &len), args[2048];
	CHECK(text != NULL);
	if (!text)
		return;
	struct ta_proof_result res;
	int mine = ta_proof_verify(text, len, log, NULL, NULL, NULL, 0, NULL, NULL, &res) == 0;
	snprintf(args, sizeof(args), "proof '%s' test.example/ttyaudit '%s'", logkey, path);
	const char *go = run_oracle(args);
	int theirs = !strncmp(go, "accept ", 7);
	compared++;
	if (mine != theirs || mine != expect_ok)
		fprintf(stderr, "%s: ttyaudit %s (%s), Go says '%s', expected %s\n", path,
			mine ? "accepts" : "rejects", res.message, go, expect_ok ? "accept" : "reject");
	CHECK_EQ_INT(mine, theirs);
	CHECK_EQ_INT(mine, expect_ok);
	free(text);
}

/* A copy of the proof at path with the first occurrence of what after `after` altered. */
static void bend(const char *path, const char *out, const char *after, int delta)
{
	size_t len;
	char *t = slurp(path, &len);
	if (!t)
		return;
	char *p = strstr(t, after);
	if (p) {
		p += strlen(after);
		*p = *p == '0' ? '1' : (char)(*p + delta);
	}
	spill(out, t, len);
	free(t);
}

static void real_log(void)
{
	char *dir = test_path(work, "log"), *key = test_path(work, "log.key");
	struct ta_store_opts o;
	test_opts(&o, dir, key);
	o.segment_max_bytes = 64 * 1024;
	o.checkpoint_every_records = 97;
	CHECK_EQ_INT(test_write_log(&o, 1000), 0);
	char vk[600], tmp[700], args[2048];
	snprintf(vk, sizeof(vk), "%s/ttyaudit.vkey", dir);
	struct ta_verifier *log = NULL;
	CHECK_EQ_INT(ta_verifier_load(vk, TA_ALG_ED25519, &log), 0);
	if (!log)
		return;

	/* every checkpoint the writer made, and each bent */
	struct notes ns = { 0 };
	uint64_t *seqs;
	size_t nseq;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK_EQ_INT(ta_list_seq_files(dfd, TA_CKPT_SUFFIX, &seqs, &nseq), 0);
	for (size_t i = 0; i < nseq; i++) {
		char name[TA_SEG_NAME_MAX], *buf;
		size_t len;
		uint64_t torn, badoff;
		ta_seg_name(name, seqs[i], TA_CKPT_SUFFIX);
		if (!ta_read_file_at(dfd, name, &buf, &len)) {
			ta_ckpt_split(buf, len, collect, &ns, &torn, &badoff);
			free(buf);
		}
	}
	free(seqs);
	close(dfd);
	CHECK(ns.n >= 10);
	uint64_t sizes[4] = { 0, 0, 0, 0 }; /* of the 2nd, 3rd, 5th and last checkpoints */
	for (size_t i = 0; i < ns.n; i++) {
		struct ta_checkpoint cp;
		const char *why;
		if (ta_ckpt_check_note(log, NULL, ns.v[i], ns.len[i], &cp, &why))
			continue;
		if (i == 1 || i == 2 || i == 4)
			sizes[i == 1 ? 0 : i == 2 ? 1 : 2] = cp.size;
		sizes[3] = cp.size;
	}
	char wkf[600], wvk[600], *wline = NULL;
	struct ta_signer *wsig = NULL;
	struct ta_verifier *wver = NULL;
	snprintf(wkf, sizeof(wkf), "%s/witness.key", work);
	snprintf(wvk, sizeof(wvk), "%s/witness.vkey", work);
	CHECK_EQ_INT(ta_cosigner_load_or_create(wkf, "witness.example/conformance", &wsig), 0);
	if (!wsig)
		return;
	spill(wvk, ta_signer_vkey(wsig), strlen(ta_signer_vkey(wsig)));
	CHECK_EQ_INT(ta_verifier_parse(ta_signer_vkey(wsig), &wver), 0);
	const char *wkeys[1] = { wvk };
	for (size_t i = 0; i < ns.n; i++) {
		snprintf(tmp, sizeof(tmp), "%s/ckpt-%zu.note", work, i);
		spill(tmp, ns.v[i], ns.len[i]);
		compare_note(log, vk, "test.example/ttyaudit", NULL, NULL, 0, tmp, NULL);
		/* cosigned (the text is the note up to its blank line) */
		char *blank = strstr(ns.v[i], "\n\n");
		if (blank && !ta_cosign(wsig, ns.v[i], (size_t)(blank - ns.v[i]) + 1, 1700000000 + i,
					&wline)) {
			char *both = malloc(ns.len[i] + strlen(wline) + 1);
			memcpy(both, ns.v[i], ns.len[i]);
			strcpy(both + ns.len[i], wline);
			char ctmp[800];
			snprintf(ctmp, sizeof(ctmp), "%s.cosigned", tmp);
			spill(ctmp, both, strlen(both));
			char want[64];
			struct ta_checkpoint cp;
			const char *why;
			ta_ckpt_check_note(log, NULL, both, strlen(both), &cp, &why);
			snprintf(want, sizeof(want), "accept %llu 1", (unsigned long long)cp.size);
			compare_note(log, vk, "test.example/ttyaudit",
				     (const struct ta_verifier *const *)&wver, wkeys, 1, ctmp, want);
			both[strlen(both) - 10] ^= 1; /* a character of the cosignature */
			spill(ctmp, both, strlen(both));
			compare_note(log, vk, "test.example/ttyaudit",
				     (const struct ta_verifier *const *)&wver, wkeys, 1, ctmp, "reject");
			free(both);
			free(wline);
			wline = NULL;
		}
		compare_note(log, vk, "other.example/ttyaudit", NULL, NULL, 0, tmp, "reject");
		ns.v[i][ns.len[i] - 8] ^= 1;
		spill(tmp, ns.v[i], ns.len[i]);
		compare_note(log, vk, "test.example/ttyaudit", NULL, NULL, 0, tmp, "reject");
		free(ns.v[i]);
	}

	/* proofs by ttyaudit prove, and bent ones */
	static const char *incl[] = { "--record 0", "--record 1 --record 500 --record 999",
				      "--record 96", "--record 97", "--session 0x3" };
	for (size_t i = 0; i < sizeof(incl) / sizeof(incl[0]); i++) {
		snprintf(tmp, sizeof(tmp), "%s/incl-%zu.proof", work, i);
		snprintf(args, sizeof(args), "prove --log-dir '%s' %s -o '%s'", dir, incl[i], tmp);
		CHECK_EQ_INT(run_cli(args), 0);
		compare_proof(log, vk, tmp, 1);
		char bent[800];
		snprintf(bent, sizeof(bent), "%s.path", tmp);
		bend(tmp, bent, "\npath ", 1); /* the count of hashes */
		compare_proof(log, vk, bent, 0);
		snprintf(bent, sizeof(bent), "%s.tree", tmp);
		bend(tmp, bent, "\ntree-size ", 1);
		compare_proof(log, vk, bent, 0);
	}
	/* between checkpoints the log has (old sizes anywhere below) */
	uint64_t cons[][2] = { { 1, sizes[0] }, { sizes[0], sizes[1] }, { sizes[0] - 1, sizes[3] },
			       { sizes[2], sizes[3] }, { sizes[3], sizes[3] }, { 7, sizes[2] } };
	for (size_t i = 0; i < sizeof(cons) / sizeof(cons[0]); i++) {
		snprintf(tmp, sizeof(tmp), "%s/cons-%zu.proof", work, i);
		snprintf(args, sizeof(args), "prove --log-dir '%s' --consistency %llu %llu -o '%s'", dir,
			 (unsigned long long)cons[i][0], (unsigned long long)cons[i][1], tmp);
		int rc = run_cli(args);
		CHECK_EQ_INT(rc, 0);
		if (rc)
			continue;
		compare_proof(log, vk, tmp, 1);
		char bent[800];
		snprintf(bent, sizeof(bent), "%s.root", tmp);
		bend(tmp, bent, "\nold-root ", 1);
		compare_proof(log, vk, bent, 0);
		snprintf(bent, sizeof(bent), "%s.size", tmp);
		bend(tmp, bent, "\nold-size ", 1);
		compare_proof(log, vk, bent, 0);
	}
	free(ns.v);
	free(ns.len);
	ta_signer_free(wsig);
	ta_verifier_free(wver);
	ta_verifier_free(log);
	free(dir);
	free(key);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_conformance TTYAUDIT SRCDIR\n");
		return 2;
	}
	bin = argv[1];
	src = argv[2];
	work = test_mkdtemp("conformance");
	int rc = build_oracle();
	if (rc) {
		test_rmtree(work);
		return rc;
	}
	corpus();
	real_log();
	printf("%d verdicts compared with Go's sumdb/note and sumdb/tlog\n", compared);
	CHECK(compared > 100);
	if (check_failures) {
		fprintf(stderr, "work directory kept: %s\n", work);
		return check_result();
	}
	test_rmtree(work);
	return check_result();
}
