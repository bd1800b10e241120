// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Signed notes: the C2SP/Go sumdb note example (PeterNeumann) must be
 * reproduced byte for byte from its signer key and verified from its vkey;
 * altered notes, other keys and malformed keys are rejected; checkpoint
 * bodies round-trip.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store/checkpoint.h"
#include "store/note.h"

#define SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define TEXT "If you think cryptography is the answer to your problem,\n" \
	     "then you don't know what your problem is.\n"
#define NOTE TEXT "\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

static void test_known_note(void)
{
	struct ta_signer *s = NULL;
	struct ta_verifier *v = NULL;
	CHECK_EQ_INT(ta_signer_from_skey(SKEY, &s), 0);
	CHECK_EQ_INT(ta_verifier_parse(VKEY, &v), 0);
	if (!s || !v)
		return;
	CHECK_EQ_STR(ta_signer_vkey(s), VKEY);
	char *note;
	size_t len;
	CHECK_EQ_INT(ta_note_sign(s, TEXT, strlen(TEXT), &note, &len), 0);
	CHECK_EQ_STR(note, NOTE);
	size_t tlen = 0;
	CHECK_EQ_INT(ta_note_open(v, NOTE, strlen(NOTE), &tlen), 0);
	CHECK_EQ_INT(tlen, strlen(TEXT));
	char *bad = strdup(NOTE);
	bad[10] ^= 0x20; /* one letter's case */
	CHECK_EQ_INT(ta_note_open(v, bad, strlen(bad), &tlen), -EKEYREJECTED);
	free(bad);
	/* a note by another key */
	struct ta_verifier *other = NULL;
	CHECK_EQ_INT(ta_verifier_parse("EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
				       &other), 0);
	if (other)
		CHECK_EQ_INT(ta_note_open(other, NOTE, strlen(NOTE), &tlen), -ENOKEY);
	ta_verifier_free(other);
	/* malformed notes */
	CHECK_EQ_INT(ta_note_open(v, TEXT, strlen(TEXT), &tlen), -EBADMSG);
	free(note);
	ta_signer_free(s);
	ta_verifier_free(v);
}

static void test_bad_vkeys(void)
{
	struct ta_verifier *v = NULL;
	CHECK(ta_verifier_parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v) < 0);
	CHECK(ta_verifier_parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX", &v) < 0);
	CHECK(ta_verifier_parse("PeterNeumann+c74f20a3", &v) < 0);
	CHECK(ta_verifier_parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v) < 0);
	CHECK(v == NULL);
}

static void test_generated_key(void)
{
	char dir[] = "/tmp/ta-note-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256];
	snprintf(path, sizeof(path), "%s/key", dir);
	struct ta_signer *s = NULL, *s2 = NULL;
	CHECK_EQ_INT(ta_signer_load_or_create(path, "host.example/ttyaudit", &s), 0);
	CHECK(access(path, R_OK) == 0);
	CHECK_EQ_INT(ta_signer_load_or_create(path, "ignored-name", &s2), 0);
	if (!s || !s2)
		return;
	CHECK_EQ_STR(ta_signer_vkey(s), ta_signer_vkey(s2));
	struct ta_verifier *v = NULL;
	CHECK_EQ_INT(ta_verifier_parse(ta_signer_vkey(s), &v), 0);
	uint8_t root[32] = { 1, 2, 3 };
	char body[512];
	int blen = ta_checkpoint_body("host.example/ttyaudit", 12345, root, body, sizeof(body));
	CHECK(blen > 0);
	char *note;
	size_t nlen, tlen;
	CHECK_EQ_INT(ta_note_sign(s2, body, (size_t)blen, &note, &nlen), 0);
	CHECK_EQ_INT(ta_note_open(v, note, nlen, &tlen), 0);
	struct ta_checkpoint cp;
	CHECK_EQ_INT(ta_checkpoint_parse(note, tlen, &cp), 0);
	CHECK_EQ_STR(cp.origin, "host.example/ttyaudit");
	CHECK_EQ_INT(cp.size, 12345);
	CHECK_MEM(cp.root, root, 32);
	CHECK(ta_checkpoint_parse("o\n012\nAAAA\n", 11, &cp) != 0);
	free(note);
	ta_verifier_free(v);
	ta_signer_free(s);
	ta_signer_free(s2);
	unlink(path);
	rmdir(dir);
}

static void on_alarm(int sig) { (void)sig; }

/*
 * key_file naming a FIFO (or a device): refused at once as not a key file. The
 * alarm interrupts an open() that waits for a writer: the old code failed here
 * with -EINTR where the daemon hung at start.
 */
static void test_fifo_key(void)
{
	char dir[] = "/tmp/ta-note-fifo-XXXXXX", path[256];
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct ta_signer *s = NULL;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/key", dir);
	CHECK_EQ_INT(mkfifo(path, 0600), 0);
	CHECK_EQ_INT(sigaction(SIGALRM, &sa, &old), 0); /* no SA_RESTART */
	alarm(2);
	CHECK_EQ_INT(ta_signer_load_or_create(path, "host.example/ttyaudit", &s), -EISDIR);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	CHECK(s == NULL);
	ta_signer_free(s);
	CHECK_EQ_INT(ta_signer_load_or_create(dir, "host.example/ttyaudit", &s), -EISDIR);
	unlink(path);
	rmdir(dir);
}

/*
 * An encrypted PEM key: refused as encrypted, without asking for a passphrase
 * (OpenSSL's default asks on the terminal: a daemon started by hand stopped
 * there). The same key unencrypted loads.
 */
static void test_encrypted_key(void)
{
	char dir[] = "/tmp/ta-note-enc-XXXXXX", path[256];
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct ta_signer *s = NULL;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(pk != NULL);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f && pk) {
		CHECK(PEM_write_PrivateKey(f, pk, EVP_aes_256_cbc(), (unsigned char *)"pw", 2, NULL,
					   NULL) == 1);
		fclose(f);
		CHECK_EQ_INT(ta_signer_load_or_create(path, "host.example/ttyaudit", &s), -EKEYREVOKED);
		CHECK(s == NULL);
	}
	f = fopen(path, "w");
	if (f && pk) {
		CHECK(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1);
		fclose(f);
		CHECK_EQ_INT(ta_signer_load_or_create(path, "host.example/ttyaudit", &s), 0);
		ta_signer_free(s);
	}
	EVP_PKEY_free(pk);
	unlink(path);
	rmdir(dir);
}

/* NOTE with one more signature line appended (its base64 of n bytes of 0x5a). */
static int open_with(const struct ta_verifier *v, const char *name, size_t n)
{
	uint8_t raw[200];
	char b64[300], note[1024];
	size_t tlen;
	memset(raw, 0x5a, sizeof(raw));
	ta_note_base64_encode(raw, n, b64);
	snprintf(note, sizeof(note), "%s\xe2\x80\x94 %s %s\n", NOTE, name, b64);
	return ta_note_open(v, note, strlen(note), &tlen);
}

static int open_text(const struct ta_verifier *v, const char *note)
{
	size_t tlen;
	return ta_note_open(v, note, strlen(note), &tlen);
}

static void test_spec_rules(void)
{
	struct ta_verifier *v = NULL;
	CHECK_EQ_INT(ta_verifier_parse(VKEY, &v), 0);
	if (!v)
		return;
	/* unknown keys' signatures of any length are ignored (ML-DSA, cosignatures) */
	CHECK_EQ_INT(open_with(v, "pq.example/log", 125), 0);
	CHECK_EQ_INT(open_with(v, "witness.example/w1", 4 + 8 + 64), 0);
	CHECK_EQ_INT(open_with(v, "\xc3\xa9t\xc3\xa9", 5), 0);  /* UTF-8 names are fine */
	/* ... but their lines must be well formed */
	CHECK_EQ_INT(open_with(v, "a+b", 68), -EBADMSG);        /* '+' in a key name */
	CHECK_EQ_INT(open_with(v, "a\xc2\xa0" "b", 68), -EBADMSG); /* a Unicode space */
	CHECK_EQ_INT(open_with(v, "short", 4), -EBADMSG);       /* key ID only */
	CHECK_EQ_INT(open_text(v, NOTE "\xe2\x80\x94 x\n"), -EBADMSG);
	CHECK_EQ_INT(open_text(v, NOTE "\xe2\x80\x94 x AAA\n"), -EBADMSG);
	CHECK_EQ_INT(open_text(v, NOTE "- x AAAAAAAA\n"), -EBADMSG);
	/* control characters other than newline and invalid UTF-8 anywhere */
	CHECK_EQ_INT(open_text(v, "If you\tthink\n\n" "\xe2\x80\x94 PeterNeumann AAAAAAAA\n"), -EBADMSG);
	CHECK_EQ_INT(open_text(v, "caf\xe9\n\n" "\xe2\x80\x94 " "PeterNeumann AAAAAAAA\n"), -EBADMSG);
	CHECK_EQ_INT(open_text(v, NOTE "\r"), -EBADMSG);
	/* the text ends at the last blank line: a note text may hold empty lines */
	struct ta_note_sigs sg;
	const char *two = "a\n\nb\n\n\xe2\x80\x94 k AAAAAAAA\n";
	CHECK_EQ_INT(ta_note_parse(two, strlen(two), &sg), 0);
	CHECK_EQ_INT(sg.text_len, 5);
	CHECK_EQ_INT(sg.n, 1);
	ta_note_sigs_free(&sg);
	ta_verifier_free(v);

	/* checkpoint bodies: extension lines accepted, empty lines and bad fields not */
	struct ta_checkpoint cp;
	const char *ok = "o.example/x\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next one\n";
	CHECK_EQ_INT(ta_checkpoint_parse(ok, strlen(ok), &cp), 0);
	CHECK_EQ_INT(cp.size, 7);
	const char *bad[] = {
		"o\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\next\n",
		"\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"o\n07\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"o\n+7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"o\n18446744073709551616\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"o\n7\nAAAA\n",
		"o\n7\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ta_checkpoint_parse(bad[i], strlen(bad[i]), &cp) != 0);
}

static void test_cosignature(void)
{
	char dir[] = "/tmp/ta-cosig-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256];
	snprintf(path, sizeof(path), "%s/witness.key", dir);
	struct ta_signer *w = NULL;
	struct ta_verifier *wv = NULL, *lv = NULL;
	CHECK_EQ_INT(ta_cosigner_load_or_create(path, "witness.example/w1", &w), 0);
	if (!w)
		return;
	CHECK_EQ_INT(ta_verifier_parse(ta_signer_vkey(w), &wv), 0);
	CHECK_EQ_INT(ta_verifier_parse(VKEY, &lv), 0);
	if (!wv || !lv)
		return;
	CHECK_EQ_INT(ta_verifier_alg(wv), TA_ALG_COSIG_V1);
	char *note = NULL;
	size_t nlen;
	CHECK_EQ_INT(ta_note_sign(w, TEXT, strlen(TEXT), &note, &nlen), -EINVAL); /* not a log key */
	char *line = NULL;
	CHECK_EQ_INT(ta_cosign(w, TEXT, strlen(TEXT), 1679315147, &line), 0);
	if (!line)
		return;
	char *cos = malloc(strlen(NOTE) + strlen(line) + 1);
	strcpy(cos, NOTE);
	strcat(cos, line);
	struct ta_note_sigs sg;
	uint64_t ts = 0;
	CHECK_EQ_INT(ta_note_parse(cos, strlen(cos), &sg), 0);
	CHECK_EQ_INT(ta_note_verify(wv, &sg, cos, &ts), 0);
	CHECK_EQ_INT(ts, 1679315147);
	CHECK_EQ_INT(ta_note_verify(lv, &sg, cos, &ts), 0);
	ta_note_sigs_free(&sg);
	/* the cosignature covers the text: another text does not verify */
	cos[3] ^= 1;
	CHECK_EQ_INT(ta_note_parse(cos, strlen(cos), &sg), 0);
	CHECK_EQ_INT(ta_note_verify(wv, &sg, cos, &ts), -EKEYREJECTED);
	ta_note_sigs_free(&sg);
	struct ta_verifier *tmp = NULL;
	CHECK_EQ_INT(ta_verifier_load(ta_signer_vkey(w), TA_ALG_ED25519, &tmp), -EPROTOTYPE);
	free(cos);
	free(line);
	ta_verifier_free(wv);
	ta_verifier_free(lv);
	ta_signer_free(w);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_known_note();
	test_spec_rules();
	test_cosignature();
	test_bad_vkeys();
	test_generated_key();
	test_fifo_key();
	test_encrypted_key();
	return check_result();
}
