// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Damage to signed records: a last segment cut inside checkpointed records,
 * or a checkpoint file with a complete but malformed entry at its end. The
 * writer refuses to open (it would fork the signed tree) and verify reports
 * it; an ordinary torn tail after the last checkpoint is still recovered.
 */
#include "store_test_util.h"
#include "check.h"

static void cut(const char *dir, const char *name, off_t by)
{
	char *p = test_path(dir, name);
	struct stat st;

	test_unlock_dir(dir);
	CHECK(stat(p, &st) == 0);
	CHECK(truncate(p, st.st_size - by) == 0);
	free(p);
}

static void append_text(const char *dir, const char *name, const char *text)
{
	char *p = test_path(dir, name);
	FILE *f;

	test_unlock_dir(dir);
	f = fopen(p, "a");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

int main(void)
{
	char *dir = test_mkdtemp("signedtail"), *key = test_path(dir, "../signedtail.key");
	struct ta_store_opts o;
	struct ta_store *s;
	struct ta_verify_result res;

	/* Key outside the log: a new log in the same directory is not the point here. */
	free(key);
	key = malloc(512);
	snprintf(key, 512, "%s.key", dir);
	test_opts(&o, dir, key);
	o.no_append_only = 1;
	CHECK_EQ_INT(test_write_log(&o, 200), 0);  /* closed: its last checkpoint covers all 200 */

	/* Cutting the last segment into signed records refuses the open, saying what to do. */
	cut(dir, "seg-0000000000000000.log", 100);
	CHECK_EQ_INT(ta_store_open(&s, &o), -EUCLEAN);
	CHECK(s == NULL);
	CHECK(strstr(ta_store_open_error(), "signed checkpoint") != NULL);
	CHECK(strstr(ta_store_open_error(), "new, empty log directory") != NULL);
	fprintf(stderr, "refused: %s\n", ta_store_open_error());
	test_rmtree(dir);
	unlink(key);

	/* A complete malformed entry appended to a checkpoint file: verify reports it, open refuses. */
	test_opts(&o, dir, key);
	o.no_append_only = 1;
	CHECK(mkdir(dir, 0700) == 0);
	CHECK_EQ_INT(test_write_log(&o, 50), 0);
	append_text(dir, "seg-0000000000000000.ckpt", "garbage\n");
	CHECK(test_verify(dir, NULL, NULL, &res) != 0);
	CHECK(strstr(res.message, "ckpt") != NULL);
	fprintf(stderr, "verify: %s\n", res.message);
	CHECK_EQ_INT(ta_store_open(&s, &o), -EUCLEAN);

	/* A key file that is not a key, or a directory: -ENOKEY and one clear line. */
	{
		struct ta_store_opts ko;
		char *bad = test_path(dir, "bad.key");
		FILE *f = fopen(bad, "w");

		CHECK(f != NULL);
		if (f) {
			fputs("not a key at all\n", f);
			fclose(f);
		}
		test_opts(&ko, dir, bad);
		ko.no_append_only = 1;
		CHECK_EQ_INT(ta_store_open(&s, &ko), -ENOKEY);
		CHECK(strstr(ta_store_open_error(), "is not a signing key") != NULL);
		ko.key_file = "/";
		CHECK_EQ_INT(ta_store_open(&s, &ko), -ENOKEY);
		CHECK(strstr(ta_store_open_error(), "not a regular file") != NULL);
		unlink(bad);
		free(bad);
	}

	/*
	 * An origin no key can be named after (a space, '+', a C1 control, a bidi
	 * override, too long): refused before any key is made or read, with a
	 * line that says so and does not repeat the bytes.
	 */
	{
		static char long_origin[TA_KEY_NAME_MAX + 8];
		const char *bad_origins[] = { "host a/ttyaudit", "host+a/ttyaudit", "host\xc2\x9b" "2J",
					      "host\xe2\x80\xae", "", long_origin };
		struct ta_store_opts ko;
		char *sub = test_path(dir, "origins");
		char *okey = test_path(dir, "origins.key");
		struct stat st;

		memset(long_origin, 'h', sizeof(long_origin) - 1);
		for (size_t i = 0; i < sizeof(bad_origins) / sizeof(bad_origins[0]); i++) {
			test_opts(&ko, sub, okey);
			ko.no_append_only = 1;
			ko.origin = bad_origins[i];
			CHECK_EQ_INT(ta_store_open(&s, &ko), -EINVAL);
			CHECK(strstr(ta_store_open_error(), "origin cannot name its signing key") != NULL);
			CHECK(strstr(ta_store_open_error(), "\xc2\x9b") == NULL);
			CHECK(stat(okey, &st) != 0); /* no key made under it */
		}
		test_opts(&ko, sub, okey);
		ko.no_append_only = 1;
		ko.origin = "host-a.example/ttyaudit/1";
		CHECK_EQ_INT(ta_store_open(&s, &ko), 0);
		if (s)
			ta_store_close(s);
		test_rmtree(sub);
		unlink(okey);
		free(sub);
		free(okey);
	}

	/* A torn checkpoint write (a prefix of a real note) stays a torn entry, not damage. */
	test_rmtree(dir);
	unlink(key);
	CHECK(mkdir(dir, 0700) == 0);
	CHECK_EQ_INT(test_write_log(&o, 50), 0);
	append_text(dir, "seg-0000000000000000.ckpt", "test.example/ttyaudit\n5");
	CHECK_EQ_INT(test_verify(dir, NULL, NULL, &res), 0);
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (s)
		ta_store_close(s);
	test_rmtree(dir);
	unlink(key);
	free(key);
	free(dir);
	return check_result();
}
