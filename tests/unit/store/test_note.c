// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Signed notes: the C2SP/Go sumdb note example (PeterNeumann) must be
 * reproduced byte for byte from its signer key and verified from its vkey;
 * altered notes, other keys and malformed keys are rejected; checkpoint
 * bodies round-trip.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	test_known_note();
	test_bad_vkeys();
	test_generated_key();
	return check_result();
}
