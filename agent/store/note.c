// SPDX-License-Identifier: GPL-2.0-or-later
/* Ed25519 signed notes (C2SP signed-note) over OpenSSL. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/utf8.h"
#include "store/merkle.h"
#include "store/note.h"

#define ALG_ED25519 TA_ALG_ED25519
#define ALG_COSIG TA_ALG_COSIG_V1
#define SIG_PREFIX "\xe2\x80\x94 " /* em dash, space */

struct ta_signer {
	EVP_PKEY *pkey;
	uint8_t alg;
	EVP_MD_CTX *ctx;
	char name[TA_KEY_NAME_MAX];
	uint8_t keyid[4];
	char vkey[TA_VKEY_MAX];
};

struct ta_verifier {
	EVP_PKEY *pkey;
	uint8_t alg;
	char name[TA_KEY_NAME_MAX];
	uint8_t keyid[4];
	char vkey[TA_VKEY_MAX];
};

/* Unicode White_Space (Go's unicode.IsSpace), which a key name must not contain. */
static int is_space_cp(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

int ta_note_name_valid(const char *name, size_t len)
{
	const uint8_t *p = (const uint8_t *)name;
	uint8_t marks = TA_MARKS_NO_BASE;

	if (!len)
		return 0;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		int n = ta_utf8_decode(p + i, len - i, &c);

		if (n <= 0)
			return 0;
		/* What a note may not hold (valid_text) makes no name either. */
		if (is_space_cp(c) || c == '+' || ta_cp_dangerous(c) || ta_cp_mark_escaped(c, &marks))
			return 0;
		i += (size_t)n;
	}
	return 1;
}

static int name_ok(const char *name)
{
	size_t len = strlen(name);

	return len < TA_KEY_NAME_MAX && ta_note_name_valid(name, len);
}

static int key_id(const char *name, uint8_t alg, const uint8_t pub[32], uint8_t out[4])
{
	/* SHA-256(name || '\n' || alg || key) with the low-level call (merkle.c): no EVP fetch,
	 * which would set up OpenSSL's providers for a hash (~0.1 ms of every query). */
	uint8_t buf[TA_KEY_NAME_MAX + 2 + 32], md[TA_HASH_LEN];
	size_t n = strlen(name);
	if (n > TA_KEY_NAME_MAX)
		return -EINVAL;
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = alg;
	memcpy(buf + n + 2, pub, 32);
	ta_sha256(NULL, buf, n + 2 + 32, md);
	memcpy(out, md, 4);
	return 0;
}

static void format_vkey(char *out, const char *name, uint8_t alg, const uint8_t keyid[4],
			const uint8_t pub[32])
{
	uint8_t k[33];
	char b64[64];
	k[0] = alg;
	memcpy(k + 1, pub, 32);
	ta_note_base64_encode(k, 33, b64);
	snprintf(out, TA_VKEY_MAX, "%s+%02x%02x%02x%02x+%s", name, keyid[0], keyid[1], keyid[2],
		 keyid[3], b64);
}

static int signer_finish(struct ta_signer *s, const char *name)
{
	uint8_t pub[32];
	size_t publen = sizeof(pub);
	if (!name_ok(name))
		return -EINVAL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (EVP_PKEY_get_raw_public_key(s->pkey, pub, &publen) != 1 || publen != 32)
		return -EINVAL;
	int err = key_id(name, s->alg, pub, s->keyid);
	if (err)
		return err;
	format_vkey(s->vkey, name, s->alg, s->keyid, pub);
	s->ctx = EVP_MD_CTX_new();
	return s->ctx ? 0 : -ENOMEM;
}

static int signer_from_seed(const uint8_t seed[32], uint8_t alg, const char *name,
			    struct ta_signer **out)
{
	struct ta_signer *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->alg = alg;
	s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	int err = s->pkey ? signer_finish(s, name) : -EINVAL;
	if (err) {
		ta_signer_free(s);
		return err;
	}
	*out = s;
	return 0;
}

/* Splits "a+b+c..." at the first two '+' after skipping `skip` fields. */
static int split_key(const char *k, const char **name, size_t *name_len, uint8_t keyid[4],
		     const char **b64)
{
	const char *p1 = strchr(k, '+');
	if (!p1)
		return -EINVAL;
	const char *p2 = strchr(p1 + 1, '+');
	if (!p2 || p2 - p1 - 1 != 8)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		unsigned v;
		char hx[3] = { p1[1 + 2 * i], p1[2 + 2 * i], 0 };
		if (!hx[0] || !hx[1] || !strchr("0123456789abcdef", hx[0]) ||
		    !strchr("0123456789abcdef", hx[1]) || sscanf(hx, "%x", &v) != 1)
			return -EINVAL;
		keyid[i] = (uint8_t)v;
	}
	*name = k;
	*name_len = (size_t)(p1 - k);
	*b64 = p2 + 1;
	return 0;
}

int ta_signer_from_skey(const char *skey, struct ta_signer **out)
{
	static const char pfx[] = "PRIVATE+KEY+";
	if (strncmp(skey, pfx, sizeof(pfx) - 1))
		return -EINVAL;
	const char *name, *b64;
	size_t nlen;
	uint8_t keyid[4], raw[64];
	int err = split_key(skey + sizeof(pfx) - 1, &name, &nlen, keyid, &b64);
	if (err || nlen >= TA_KEY_NAME_MAX)
		return -EINVAL;
	size_t blen = strcspn(b64, "\r\n");
	long n = ta_note_base64_decode(b64, blen, raw, sizeof(raw));
	if (n != 33 || (raw[0] != ALG_ED25519 && raw[0] != ALG_COSIG))
		return -EINVAL;
	char nm[TA_KEY_NAME_MAX];
	memcpy(nm, name, nlen);
	nm[nlen] = 0;
	err = signer_from_seed(raw + 1, raw[0], nm, out);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (err)
		return err;
	if (memcmp((*out)->keyid, keyid, 4)) {
		ta_signer_free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

static int signer_create(const char *path, uint8_t alg, const char *name, struct ta_signer **out)
{
	uint8_t seed[32], k[33];
	char b64[64];
	if (RAND_priv_bytes(seed, 32) != 1)
		return -EIO;
	int err = signer_from_seed(seed, alg, name, out);
	if (err)
		return err;
	k[0] = alg;
	memcpy(k + 1, seed, 32);
	ta_note_base64_encode(k, 33, b64);
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(k, sizeof(k));
	char text[TA_VKEY_MAX + 16];
	const uint8_t *id = (*out)->keyid;
	int len = snprintf(text, sizeof(text), "PRIVATE+KEY+%s+%02x%02x%02x%02x+%s\n", name, id[0],
			   id[1], id[2], id[3], b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if (write(fd, text, (size_t)len) != len || fsync(fd)) {
		err = errno ? -errno : -EIO;
		close(fd);
		unlink(path);
		goto fail;
	}
	close(fd);
	OPENSSL_cleanse(text, sizeof(text));
	return 0;
fail:
	OPENSSL_cleanse(text, sizeof(text));
	ta_signer_free(*out);
	*out = NULL;
	return err;
}

/*
 * OpenSSL's default asks for a passphrase on the controlling terminal: a
 * daemon started by hand would stop there, under systemd it fails as
 * "not a key". None is given; an encrypted key is said to be one.
 */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int load_or_create(const char *path, uint8_t alg, const char *name, struct ta_signer **out)
{
	/* A regular file, opened without blocking: a FIFO there held the daemon in open(). */
	int fd = ta_open_named_regular(path, NULL);
	if (fd == -ENOENT) {
		int err = signer_create(path, alg, name, out);
		if (err != -EEXIST)
			return err;
		fd = ta_open_named_regular(path, NULL); /* lost a race with another creator */
	}
	if (fd == -EINVAL)
		return -EISDIR; /* a directory, FIFO or device is not a key file */
	if (fd < 0)
		return fd;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		int err = -errno;
		close(fd);
		return err;
	}
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	int err;
	if (!strncmp(buf, "PRIVATE+KEY+", 12)) {
		err = ta_signer_from_skey(buf, out);
	} else if (strstr(buf, "-----BEGIN")) {
		rewind(f);
		EVP_PKEY *pk = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
		/* PKCS#8 ("BEGIN ENCRYPTED PRIVATE KEY") or a legacy header ("Proc-Type: 4,ENCRYPTED"). */
		err = !pk && strstr(buf, "ENCRYPTED") ? -EKEYREVOKED : -ENOKEY;
		if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
			struct ta_signer *s = calloc(1, sizeof(*s));
			if (s) {
				s->alg = ALG_ED25519;
				s->pkey = pk;
				pk = NULL;
				err = signer_finish(s, name);
				if (err)
					ta_signer_free(s);
				else
					*out = s;
			} else {
				err = -ENOMEM;
			}
		}
		EVP_PKEY_free(pk);
	} else {
		err = -ENOKEY; /* neither an skey line nor a PEM key */
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	fclose(f);
	return err;
}

int ta_signer_load_or_create(const char *path, const char *name, struct ta_signer **out)
{
	return load_or_create(path, ALG_ED25519, name, out);
}

int ta_cosigner_load_or_create(const char *path, const char *name, struct ta_signer **out)
{
	int err = load_or_create(path, ALG_COSIG, name, out);
	if (!err && (*out)->alg != ALG_COSIG) {
		ta_signer_free(*out);
		*out = NULL;
		return -EPROTOTYPE;
	}
	return err;
}

void ta_signer_free(struct ta_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pkey);
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

const char *ta_signer_name(const struct ta_signer *s) { return s->name; }
const char *ta_signer_vkey(const struct ta_signer *s) { return s->vkey; }

int ta_note_sign(struct ta_signer *s, const char *text, size_t len, char **note_out, size_t *note_len)
{
	if (!len || text[len - 1] != '\n' || s->alg != ALG_ED25519)
		return -EINVAL;
	uint8_t sig[4 + 64];
	size_t siglen = 64;
	memcpy(sig, s->keyid, 4);
	if (EVP_DigestSignInit(s->ctx, NULL, NULL, NULL, s->pkey) != 1 ||
	    EVP_DigestSign(s->ctx, sig + 4, &siglen, (const uint8_t *)text, len) != 1 || siglen != 64)
		return -EIO;
	char b64[100];
	size_t blen = ta_note_base64_encode(sig, sizeof(sig), b64);
	size_t total = len + 1 + strlen(SIG_PREFIX) + strlen(s->name) + 1 + blen + 1;
	char *n = malloc(total + 1);
	if (!n)
		return -ENOMEM;
	int w = snprintf(n, total + 1, "%.*s\n" SIG_PREFIX "%s %s\n", (int)len, text, s->name, b64);
	if (w < 0 || (size_t)w != total) {
		free(n);
		return -EIO;
	}
	*note_out = n;
	if (note_len)
		*note_len = total;
	return 0;
}

int ta_verifier_parse(const char *vkey, struct ta_verifier **out)
{
	const char *name, *b64;
	size_t nlen;
	uint8_t keyid[4], raw[64], want[4];
	if (split_key(vkey, &name, &nlen, keyid, &b64) || nlen == 0 || nlen >= TA_KEY_NAME_MAX)
		return -EINVAL;
	size_t blen = strcspn(b64, " \t\r\n");
	if (b64[blen] && strspn(b64 + blen, " \t\r\n") != strlen(b64 + blen))
		return -EINVAL;
	long n = ta_note_base64_decode(b64, blen, raw, sizeof(raw));
	if (n != 33 || (raw[0] != ALG_ED25519 && raw[0] != ALG_COSIG))
		return -EINVAL;
	struct ta_verifier *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->alg = raw[0];
	memcpy(v->name, name, nlen);
	if (!name_ok(v->name) || key_id(v->name, v->alg, raw + 1, want) || memcmp(want, keyid, 4)) {
		free(v);
		return -EINVAL;
	}
	memcpy(v->keyid, keyid, 4);
	v->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw + 1, 32);
	if (!v->pkey) {
		free(v);
		return -EINVAL;
	}
	format_vkey(v->vkey, v->name, v->alg, v->keyid, raw + 1);
	*out = v;
	return 0;
}

int ta_verifier_load(const char *path_or_vkey, int want_alg, struct ta_verifier **out)
{
	/* A key pasted on the command line has '/' in its name as often as a path does:
	 * what parses as a vkey is one, anything else must be a readable file. */
	int err = ta_verifier_parse(path_or_vkey, out);
	if (err == -ENOMEM)
		return err;
	if (err) {
		FILE *f = fopen(path_or_vkey, "re");
		if (!f)
			return errno == ENOENT && strchr(path_or_vkey, '+') ? -EINVAL : -errno;
		char line[TA_VKEY_MAX + 64];
		err = -EINVAL;
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = 0;
			if (!line[0] || line[0] == '#')
				continue;
			err = ta_verifier_parse(line, out);
			break;
		}
		fclose(f);
		if (err)
			return err;
	}
	if (want_alg && (*out)->alg != want_alg) {
		ta_verifier_free(*out);
		*out = NULL;
		return -EPROTOTYPE;
	}
	return 0;
}

const char *ta_verifier_load_strerror(int err)
{
	switch (err) {
	case -EINVAL: return "neither a valid verifier key nor a file holding one";
	case -EPROTOTYPE: return "a key of another signature type";
	default: return strerror(-err);
	}
}

void ta_verifier_free(struct ta_verifier *v)
{
	if (!v)
		return;
	EVP_PKEY_free(v->pkey);
	free(v);
}

const char *ta_verifier_name(const struct ta_verifier *v) { return v->name; }
const char *ta_verifier_vkey(const struct ta_verifier *v) { return v->vkey; }

int ta_verifier_alg(const struct ta_verifier *v) { return v->alg; }

uint32_t ta_verifier_keyid(const struct ta_verifier *v)
{
	return (uint32_t)v->keyid[0] << 24 | (uint32_t)v->keyid[1] << 16 | (uint32_t)v->keyid[2] << 8 |
	       v->keyid[3];
}

/*
 * Valid UTF-8 with nothing a terminal acts on or hides but '\n': C0, DEL, C1,
 * bidi and invisible characters, piles of combining marks (ta_cp_dangerous,
 * ta_cp_mark_escaped, as show escapes them). Stricter than c2sp.org/signed-note
 * (DEL, C1): `checkpoint` and `prove` print notes byte for byte, and a note
 * cannot be escaped without breaking its signatures (docs/log-format.md §6).
 */
static int valid_text(const char *note, size_t len)
{
	const uint8_t *p = (const uint8_t *)note;
	uint8_t marks = TA_MARKS_NO_BASE;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int n = ta_utf8_decode(p + i, len - i, &cp);

		if (n <= 0)
			return 0;
		if (cp == '\n') {
			marks = TA_MARKS_NO_BASE; /* a mark first on a line has nothing under it */
		} else if (ta_cp_dangerous(cp) || ta_cp_mark_escaped(cp, &marks)) {
			return 0;
		}
		i += (size_t)n;
	}
	return 1;
}

int ta_note_parse(const char *note, size_t len, struct ta_note_sigs *out)
{
	memset(out, 0, sizeof(*out));
	if (!valid_text(note, len))
		return -EBADMSG;
	/* The text ends at the last blank line (it may hold empty lines itself). */
	size_t split = 0;
	int have = 0;
	for (size_t i = len; i >= 2; i--)
		if (note[i - 1] == '\n' && note[i - 2] == '\n') {
			split = i - 2;
			have = 1;
			break;
		}
	if (!have || split + 2 >= len || note[len - 1] != '\n')
		return -EBADMSG;
	out->text_len = split + 1;
	out->raw = malloc(len);
	if (!out->raw)
		return -ENOMEM;
	size_t plen = strlen(SIG_PREFIX), used = 0;
	const char *p = note + split + 2, *end = note + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)(nl - p);
		if (ll < plen || memcmp(p, SIG_PREFIX, plen))
			goto bad;
		const char *nm = p + plen;
		const char *sp = memchr(nm, ' ', (size_t)(nl - nm));
		if (!sp || sp + 1 == nl || !ta_note_name_valid(nm, (size_t)(sp - nm)))
			goto bad;
		/* Signatures of any length: unknown ones (post-quantum, cosignatures) are skipped. */
		long sl = ta_note_base64_decode(sp + 1, (size_t)(nl - sp - 1), out->raw + used,
						len - used);
		if (sl < 5 || out->n == TA_NOTE_MAX_SIGS)
			goto bad;
		struct ta_note_sig *g = &out->v[out->n++];
		g->name = nm;
		g->name_len = (size_t)(sp - nm);
		g->id = (uint32_t)out->raw[used] << 24 | (uint32_t)out->raw[used + 1] << 16 |
			(uint32_t)out->raw[used + 2] << 8 | out->raw[used + 3];
		g->sig = out->raw + used + 4;
		g->sig_len = (size_t)sl - 4;
		used += (size_t)sl;
		p = nl + 1;
	}
	return 0;
bad:
	ta_note_sigs_free(out);
	return -EBADMSG;
}

void ta_note_sigs_free(struct ta_note_sigs *s)
{
	free(s->raw);
	s->raw = NULL;
	s->n = 0;
}

static int ed25519_verify(EVP_PKEY *pk, const uint8_t sig[64], const uint8_t *msg, size_t len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return -ENOMEM;
	int ok = EVP_DigestVerifyInit(c, NULL, NULL, NULL, pk) == 1 &&
		 EVP_DigestVerify(c, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EKEYREJECTED;
}

/* The cosignature/v1 message: header and time lines, then the checkpoint text. */
static char *cosig_message(uint64_t ts, const char *text, size_t len, size_t *mlen)
{
	char head[64];
	int h = snprintf(head, sizeof(head), "cosignature/v1\ntime %llu\n", (unsigned long long)ts);
	char *m = malloc((size_t)h + len);
	if (!m)
		return NULL;
	memcpy(m, head, (size_t)h);
	memcpy(m + h, text, len);
	*mlen = (size_t)h + len;
	return m;
}

int ta_note_verify(const struct ta_verifier *v, const struct ta_note_sigs *sigs, const char *note,
		   uint64_t *timestamp)
{
	uint32_t id = ta_verifier_keyid(v);
	size_t nlen = strlen(v->name);
	for (size_t i = 0; i < sigs->n; i++) {
		const struct ta_note_sig *g = &sigs->v[i];
		if (g->id != id || g->name_len != nlen || memcmp(g->name, v->name, nlen))
			continue;
		/* The first signature by a known key decides; repeats are ignored (as Go does). */
		if (v->alg == ALG_ED25519) {
			if (g->sig_len != 64)
				return -EKEYREJECTED;
			if (timestamp)
				*timestamp = 0;
			return ed25519_verify(v->pkey, g->sig, (const uint8_t *)note, sigs->text_len);
		}
		uint64_t ts = 0;
		for (int k = 0; k < 8 && g->sig_len == 72; k++)
			ts = ts << 8 | g->sig[k];
		if (g->sig_len != 72 || ts > INT64_MAX)
			return -EKEYREJECTED;
		size_t mlen;
		char *m = cosig_message(ts, note, sigs->text_len, &mlen);
		if (!m)
			return -ENOMEM;
		int err = ed25519_verify(v->pkey, g->sig + 8, (const uint8_t *)m, mlen);
		free(m);
		if (!err && timestamp)
			*timestamp = ts;
		return err;
	}
	return -ENOKEY;
}

int ta_note_open(const struct ta_verifier *v, const char *note, size_t len, size_t *text_len)
{
	struct ta_note_sigs sigs;
	int err = ta_note_parse(note, len, &sigs);
	if (err)
		return err;
	err = ta_note_verify(v, &sigs, note, NULL);
	if (!err)
		*text_len = sigs.text_len;
	ta_note_sigs_free(&sigs);
	return err;
}

int ta_cosign(struct ta_signer *s, const char *text, size_t len, uint64_t timestamp, char **line_out)
{
	if (s->alg != ALG_COSIG || !len || text[len - 1] != '\n' || timestamp > INT64_MAX)
		return -EINVAL;
	size_t mlen, siglen = 64;
	char *m = cosig_message(timestamp, text, len, &mlen);
	if (!m)
		return -ENOMEM;
	uint8_t sig[4 + 8 + 64];
	memcpy(sig, s->keyid, 4);
	for (int k = 0; k < 8; k++)
		sig[4 + k] = (uint8_t)(timestamp >> (56 - 8 * k));
	int ok = EVP_DigestSignInit(s->ctx, NULL, NULL, NULL, s->pkey) == 1 &&
		 EVP_DigestSign(s->ctx, sig + 12, &siglen, (const uint8_t *)m, mlen) == 1 && siglen == 64;
	free(m);
	if (!ok)
		return -EIO;
	char b64[128];
	ta_note_base64_encode(sig, sizeof(sig), b64);
	size_t total = strlen(SIG_PREFIX) + strlen(s->name) + 1 + strlen(b64) + 1;
	char *line = malloc(total + 1);
	if (!line)
		return -ENOMEM;
	snprintf(line, total + 1, SIG_PREFIX "%s %s\n", s->name, b64);
	*line_out = line;
	return 0;
}
