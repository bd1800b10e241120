// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttyaudit verify --fleet: each chosen host's copy in the fleet's PostgreSQL
 * checked as verify checks a local log. The tree is recomputed from the
 * stored records (a record whose row is gone counts with the leaf the
 * collector verified), each checkpoint's signature is checked with the
 * host's key and its root against the tree of its size, and with --witness
 * each cosigned checkpoint's cosignature with the collector's key. The
 * Merkle and note code is the store's (ta_crange_*, ta_ckpt_check_note,
 * ta_rec_decode, ta_cosig_count).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_witness.h"
#include "cli/fleet_source.h"
#include "cli/fleet_verify.h"
#include "base/exitcodes.h"
#include "view/neutralise.h"
#include "base/json.h"
#include "base/log.h"
#include "store/ckptset.h"
#include "store/merkle.h"
#include "store/note.h"
#include "store/store.h"

struct fv_host {
	const struct fleet_verify_opts *o;
	const char *origin;
	int ok;
	char message[1024];
	uint64_t records, bytes, missing, first_missing, gaps, recoveries;
	/*
	 * Records the host sent past a hole that no stored checkpoint covers: the
	 * missing ones (hole_from .. past_from - 1) have not arrived; not verified.
	 */
	uint64_t hole_from, not_arrived, past_hole;
	uint64_t checkpoints, latest, cosigned, cosig_valid;
	uint8_t root[TA_HASH_LEN];
};

static int fail(struct fv_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct fv_host *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->message, sizeof(h->message), fmt, ap);
	va_end(ap);
	h->ok = 0;
	return TA_EXIT_VERIFY;
}

/* The checkpoints, each checked (signature, origin, cosignature with --witness). */
static int check_notes(struct fv_host *h, const struct ta_verifier *key,
		       const struct cli_fleet_ckpt *c, size_t n, struct ta_checkpoint *cps)
{
	const struct fleet_verify_opts *o = h->o;
	for (size_t i = 0; i < n; i++) {
		const char *why;
		if (ta_ckpt_check_note(key, h->origin, c[i].note, c[i].note_len, &cps[i], &why))
			return fail(h, "checkpoint of size %" PRIu64 ": %s", c[i].size, why);
		if (cps[i].size != c[i].size)
			return fail(h, "checkpoint stored as size %" PRIu64 " signs size %" PRIu64,
				    c[i].size, cps[i].size);
		if (!c[i].cosigned)
			continue;
		h->cosigned = c[i].size;
		if (!o->n_witnesses)
			continue;
		char msg[300];
		size_t valid = 0;
		if (cli_quorum(o->witnesses, o->n_witnesses, o->quorum, c[i].note, c[i].note_len, &valid,
			       msg, sizeof(msg)))
			return fail(h, "checkpoint of size %" PRIu64 ": cosignature: %s", c[i].size, msg);
		h->cosig_valid = valid;
	}
	if (o->n_witnesses && !h->cosigned)
		return fail(h, "no checkpoint of this host is cosigned by the collector");
	return 0;
}

/* Every checkpoint of the tree's current size: its root must be the tree's. */
static int check_roots(struct fv_host *h, struct ta_hasher *hs, const struct ta_crange *cr,
		       const struct ta_checkpoint *cps, size_t n, size_t *ci)
{
	uint8_t root[TA_HASH_LEN];
	int have = 0;
	for (; *ci < n && cps[*ci].size == cr->size; (*ci)++) {
		if (!have)
			ta_crange_root(hs, cr, root);
		have = 1;
		if (memcmp(root, cps[*ci].root, TA_HASH_LEN))
			return fail(h, "checkpoint of size %" PRIu64 ": root differs from the tree of the "
				    "database's records (records before index %" PRIu64 " were changed, "
				    "removed or reordered)", cr->size, cr->size);
		h->checkpoints++;
		h->latest = cr->size;
	}
	return 0;
}

/*
 * One row's own checks: a leaf the collector verified, and bytes that decode
 * as the record of that index and hash to it. Its leaf in `leaf`; 0 or
 * TA_EXIT_VERIFY.
 */
static int check_row(struct fv_host *h, struct ta_rec_decoder *dec, struct ta_hasher *hs,
		     const struct cli_fleet_leaf *l, uint8_t leaf[TA_HASH_LEN])
{
	if (!l->leaf)
		return fail(h, "record %" PRIu64 ": no leaf the collector verified (the row was added "
			    "to the database)", l->index);
	if (!l->stored) {
		/* Its row is gone (a dropped partition): the tree still holds its leaf. */
		if (!h->missing++)
			h->first_missing = l->index;
		memcpy(leaf, l->leaf, TA_HASH_LEN);
		return 0;
	}
	struct ta_log_record rec;
	const char *why = "";
	if (ta_rec_decode(dec, l->stored, l->stored_len, l->index, &rec, &why))
		return fail(h, "record %" PRIu64 ": %s", l->index, why);
	ta_hash_leaf(hs, l->stored, l->stored_len, leaf);
	if (memcmp(leaf, l->leaf, TA_HASH_LEN))
		return fail(h, "record %" PRIu64 ": its bytes do not hash to the leaf the collector "
			    "verified (the row was changed in the database)", l->index);
	h->gaps += rec.type == TA_REC_GAP;
	h->recoveries += rec.type == TA_REC_RECOVERY;
	h->bytes += l->stored_len;
	return 0;
}

/* One host: 0 verified, TA_EXIT_VERIFY (h->message), or another exit code (err). */
static int verify_host(struct cli_fleet *f, struct fv_host *h, struct ta_rec_decoder *dec,
		       struct ta_hasher *hs, char *err, size_t errlen)
{
	struct ta_verifier *enrolled = NULL;
	struct cli_fleet_ckpt *c = NULL;
	struct ta_checkpoint *cps = NULL;
	size_t n = 0, ci = 0;
	int rc = h->o->key ? 0 : cli_fleet_key(f, h->origin, &enrolled, err, errlen);
	if (rc == TA_EXIT_VERIFY) {
		rc = fail(h, "%s", err);
		err[0] = '\0';
	}
	if (!rc)
		rc = cli_fleet_ckpts(f, h->origin, &c, &n, err, errlen);
	if (!rc && !(cps = calloc(n + 1, sizeof(*cps)))) {
		snprintf(err, errlen, "out of memory");
		rc = TA_EXIT_FAILURE;
	}
	if (!rc)
		rc = check_notes(h, h->o->key ? h->o->key : enrolled, c, n, cps);
	struct ta_crange cr;
	ta_crange_init(&cr);
	if (!rc)
		rc = cli_fleet_leaves_begin(f, h->origin, UINT64_MAX, NULL, err, errlen);
	struct cli_fleet_leaf l;
	int k = 0;
	while (!rc && (k = cli_fleet_leaves_next(f, &l, err, errlen)) == 1) {
		if (l.index < cr.size) {
			rc = fail(h, "record %" PRIu64 ": the database holds it twice", l.index);
			break;
		}
		if (l.index > cr.size) {
			/*
			 * Past every stored checkpoint, a hole is the host's: records it sent
			 * after ones that have not arrived (the collector stores them as they
			 * come). Within a checkpoint's range the collector verified every
			 * leaf before storing it: the database lost them.
			 */
			if ((rc = check_roots(h, hs, &cr, cps, n, &ci)))
				break;
			if (ci < n) {
				rc = fail(h, "records %" PRIu64 "..%" PRIu64 " are missing from the tree (no "
					  "leaf, no record) below the checkpoint of size %" PRIu64,
					  cr.size, l.index - 1, cps[ci].size);
				break;
			}
			/* Each row past it is checked on its own; none goes into the tree. */
			uint8_t held[TA_HASH_LEN];
			uint64_t prev = l.index;
			h->hole_from = cr.size;
			h->not_arrived = l.index - cr.size;
			while (!(rc = check_row(h, dec, hs, &l, held))) {
				h->past_hole++;
				if ((k = cli_fleet_leaves_next(f, &l, err, errlen)) != 1)
					break;
				if (l.index <= prev) {
					rc = fail(h, "record %" PRIu64 ": the database holds it twice", l.index);
					break;
				}
				h->not_arrived += l.index - prev - 1;
				prev = l.index;
			}
			break;
		}
		if ((rc = check_roots(h, hs, &cr, cps, n, &ci)))
			break;
		uint8_t leaf[TA_HASH_LEN];
		if ((rc = check_row(h, dec, hs, &l, leaf)))
			break;
		ta_crange_append(hs, &cr, leaf, NULL, NULL);
	}
	cli_fleet_leaves_end(f);
	if (!rc && k < 0)
		rc = k;
	if (!rc)
		rc = check_roots(h, hs, &cr, cps, n, &ci);
	if (!rc && ci < n)
		rc = fail(h, "checkpoint of size %" PRIu64 " covers %" PRIu64 " records but the database "
			  "has only %" PRIu64, cps[ci].size, cps[ci].size, cr.size);
	if (!rc) {
		h->records = cr.size;
		ta_crange_root(hs, &cr, h->root);
	}
	free(cps);
	cli_fleet_ckpts_free(c, n);
	ta_verifier_free(enrolled);
	return rc;
}

static void print_json(const struct fv_host *h, const struct fleet_verify_opts *o)
{
	struct ta_json j;
	char root[64];
	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "origin");
	ta_json_str(&j, h->origin);
	ta_json_key(&j, "ok");
	ta_json_bool(&j, h->ok);
	if (!h->ok) {
		ta_json_key(&j, "error");
		ta_json_str(&j, h->message);
	} else {
		ta_note_base64_encode(h->root, TA_HASH_LEN, root);
		const struct { const char *k; uint64_t v; } f[] = {
			{ "first_index", 0 }, { "records", h->records }, { "bytes", h->bytes },
			{ "checkpoints", h->checkpoints }, { "latest_checkpoint", h->latest },
			{ "cosigned_checkpoint", h->cosigned }, { "records_missing", h->missing },
			{ "recoveries", h->recoveries }, { "gaps", h->gaps },
			{ "records_not_arrived", h->not_arrived },
			{ "records_held_past_hole", h->past_hole },
		};
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			ta_json_key(&j, f[i].k);
			ta_json_u64(&j, f[i].v);
		}
		ta_json_key(&j, "root");
		ta_json_str(&j, root);
		ta_json_key(&j, "cosignatures_checked");
		ta_json_bool(&j, o->n_witnesses > 0);
		ta_json_key(&j, "key_from_database");
		ta_json_bool(&j, !o->key);
	}
	ta_json_obj_end(&j);
	if (!j.oom)
		printf("%s\n", j.buf);
	ta_json_free(&j);
}

/* The text lines of one host; origin and message as shown (print_text). */
static void print_text_as(const struct fv_host *h, const struct fleet_verify_opts *o,
			  const char *origin, const char *message)
{
	if (!h->ok) {
		printf("%s: FAILED: %s\n", origin, message);
		return;
	}
	if (o->quiet)
		return;
	char root[64];
	ta_note_base64_encode(h->root, TA_HASH_LEN, root);
	printf("%s: OK: records 0..%" PRIu64 " (%" PRIu64 ") in the fleet database, %" PRIu64 " bytes; "
	       "%" PRIu64 " checkpoints checked, the latest covers %" PRIu64 " records; root %s\n",
	       origin, h->records ? h->records - 1 : 0, h->records, h->bytes, h->checkpoints,
	       h->latest, root);
	if (h->records > h->latest)
		printf("%s: note: %" PRIu64 " records after the latest checkpoint are not yet signed\n",
		       origin, h->records - h->latest);
	if (h->missing)
		printf("%s: note: %" PRIu64 " records (the first %" PRIu64 ") are no longer in the "
		       "database (retention): their leaves are verified, their contents gone\n",
		       origin, h->missing, h->first_missing);
	if (h->recoveries)
		printf("%s: note: %" PRIu64 " recoveries from torn writes (crashes) are recorded\n",
		       origin, h->recoveries);
	if (h->gaps)
		printf("%s: note: %" PRIu64 " gap records (records dropped by the writer)\n", origin,
		       h->gaps);
	if (h->past_hole)
		printf("%s: note: %" PRIu64 " records from index %" PRIu64 " on have not reached the "
		       "database; %" PRIu64 " records the host sent after them are held, each checked, "
		       "in no verified tree until they come\n",
		       origin, h->not_arrived, h->hole_from, h->past_hole);
	if (o->n_witnesses)
		printf("%s: collector: the checkpoint of %" PRIu64 " records carries %" PRIu64 " of the "
		       "%zu required cosignatures\n", origin, h->cosigned, h->cosig_valid, o->quorum);
	else if (h->latest > h->cosigned)
		printf("%s: note: the collector cosigned up to %" PRIu64 " records\n", origin,
		       h->cosigned);
}

/*
 * A host names itself (its key's name: anything but C0, space and '+') and its
 * failures quote what it sent: both are shown neutralised, never obeyed by the
 * investigator's terminal (the JSON output escapes them as every string).
 */
static void print_text(const struct fv_host *h, const struct fleet_verify_opts *o)
{
	struct ta_buf origin, message;

	ta_buf_init(&origin);
	ta_buf_init(&message);
	ta_neutralise_line(h->origin, &origin);
	ta_neutralise(h->message, strnlen(h->message, sizeof(h->message)), TA_NEUT_LINE, &message);
	ta_buf_putc(&origin, '\0');
	ta_buf_putc(&message, '\0');
	if (origin.oom || message.oom)
		printf("(out of memory)\n");
	else
		print_text_as(h, o, (const char *)origin.p, (const char *)message.p);
	ta_buf_free(&origin);
	ta_buf_free(&message);
}

int fleet_verify(const struct fleet_verify_opts *o)
{
	struct cli_fleet *f = NULL;
	struct ta_rec_decoder *dec = NULL;
	struct ta_hasher *hs = NULL;
	char **origins = NULL, err[512] = "";
	size_t n = 0, failed = 0;
	int rc = cli_fleet_open(&f, o->dsn, err, sizeof(err));
	if (!rc)
		rc = cli_fleet_origins(f, o->origin_pattern, &origins, &n, err, sizeof(err));
	if (!rc && !n) {
		snprintf(err, sizeof(err), "--origin: no enrolled host's origin contains '%s'",
			 o->origin_pattern ? o->origin_pattern : "");
		rc = TA_EXIT_USAGE;
	}
	if (!rc && (ta_rec_decoder_new(&dec) || ta_hasher_new(&hs))) {
		snprintf(err, sizeof(err), "out of memory");
		rc = TA_EXIT_FAILURE;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		struct fv_host h = { .o = o, .origin = origins[i], .ok = 1 };
		int hrc = verify_host(f, &h, dec, hs, err, sizeof(err));
		if (hrc && hrc != TA_EXIT_VERIFY) {
			rc = hrc;
			break;
		}
		failed += !h.ok;
		if (o->json)
			print_json(&h, o);
		else
			print_text(&h, o);
	}
	fflush(stdout);
	if (rc && err[0])
		ta_err("verify", "%s", err);
	if (!rc && failed)
		rc = TA_EXIT_VERIFY;
	if (!rc && !o->key && !o->quiet && !o->json)
		ta_warn("verify", "checked with the hosts' keys enrolled in the fleet database; pass "
			"--key with a copy kept elsewhere to detect a database whose enrolment was changed");
	free(origins);
	ta_hasher_free(hs);
	ta_rec_decoder_free(dec);
	cli_fleet_close(f);
	return rc;
}
