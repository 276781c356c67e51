/* audit.c — verifying the activity log's keyed chains, and checkpoints.
 *
 * The design is in core/activity.h. This file walks every organisation's
 * chain (activity_verify), writes a signed checkpoint of every head
 * (activity_checkpoint), checks the chains against one
 * (activity_verify_checkpoint), and seals a chain written before the keys
 * existed (activity_seal_legacy, run by `atrium migrate`).
 */
#include "atrium.h"

#include <sodium.h>

#include "core/activity.h"
#include "core/activity_int.h"
#include "db/db.h"


/* What one organisation's walk found. */
struct walk {
	int64_t rows, erased, legacy;
	int64_t cut_seq; /* > 0: rows up to it were archived (audit_cut) */
	char cut_hash[AUDIT_HASH_HEX];
	int64_t last_id;
	char last_hash[AUDIT_HASH_HEX];
	bool broken;
};

static void broken(FILE *out, struct walk *w, const char *fmt, ...)
	ATR_PRINTF(3, 4);
static void broken(FILE *out, struct walk *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("broken: ", out);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	va_end(ap);
	w->broken = true;
}

/* Checks a personal part of a keyed row against its seal. NULL when it
 * holds, else what is wrong. */
static const char *check_part(const struct audit_keys *k, const char *salt,
			      const char *seal, const char *a, const char *b,
			      int64_t *erased)
{
	if (!seal)
		return "its seal is missing";
	if (!salt) {
		/* Erased: the salt went with the values. */
		if (a || b)
			return "it holds personal data without a salt";
		(*erased)++;
		return NULL;
	}
	char h[AUDIT_HASH_HEX];
	audit_seal(k, salt, a, b, h);
	return sodium_memcmp(h, seal, AUDIT_HASH_HEX - 1) == 0
		       ? NULL
		       : "its personal data does not match its seal";
}

/* Walks one organisation's rows in order. -1 on a database error. */
static int walk_org(struct db_conn *c, const struct audit_keys *k,
		    int64_t org, FILE *out, struct walk *w)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, seq, at, actor_id, actor_name, action, entity, "
		   "entity_id, diff, ip, request_id, prev_hash, hash, "
		   "mac_version, who_salt, who_seal, what_salt, what_seal "
		   "FROM activity_log WHERE org_id = ? ORDER BY seq");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	char prev[AUDIT_HASH_HEX] = AUDIT_ZERO_HASH;
	bool keyed_seen = false;
	int rc = 0;
	/* Rows archived by retention: the chain starts after the cut. */
	if (w->cut_seq > 0) {
		w->rows = w->cut_seq;
		atr_strlcpy(prev, w->cut_hash, sizeof prev);
		keyed_seen = true;
	}
	while (!w->broken && (rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0);
		struct audit_row r = {
			.org_id = org,
			.seq = db_col_int(st, 1),
			.at = db_col_text(st, 2),
			.actor_id = db_col_int(st, 3),
			.actor_null = db_col_null(st, 3),
			.actor_name = db_col_text(st, 4),
			.action = db_col_text(st, 5),
			.entity = db_col_text(st, 6),
			.entity_id = db_col_int(st, 7),
			.entity_id_null = db_col_null(st, 7),
			.diff = db_col_text(st, 8),
			.ip = db_col_text(st, 9),
			.request_id = db_col_text(st, 10),
			.prev_hash = db_col_text(st, 11),
			.version = (int)db_col_int(st, 13),
			.who_salt = db_col_text(st, 14),
			.who_seal = db_col_text(st, 15),
			.what_salt = db_col_text(st, 16),
			.what_seal = db_col_text(st, 17),
		};
		const char *stored = db_col_text(st, 12);
		if (r.seq != w->rows + 1) {
			broken(out, w,
			       "activity_log row id %lld (org %lld): sequence "
			       "%lld follows %lld — rows before it were "
			       "removed",
			       (long long)id, (long long)org, (long long)r.seq,
			       (long long)w->rows);
			break;
		}
		if (!r.prev_hash || strcmp(r.prev_hash, prev) != 0) {
			broken(out, w,
			       "activity_log row id %lld (org %lld, seq %lld): "
			       "does not link to the row before it",
			       (long long)id, (long long)org, (long long)r.seq);
			break;
		}
		char h[AUDIT_HASH_HEX];
		const char *bad = NULL;
		if (r.version == 2) {
			keyed_seen = true;
			audit_mac_v2(k, &r, h);
			if (!stored ||
			    sodium_memcmp(h, stored, AUDIT_HASH_HEX - 1) != 0)
				bad = "content does not match its MAC";
			if (!bad)
				bad = check_part(k, r.who_salt, r.who_seal,
						 r.actor_name, r.ip, &w->erased);
			if (!bad)
				bad = check_part(k, r.what_salt, r.what_seal,
						 r.diff, NULL, &w->erased);
		} else if (r.version == 1 && !keyed_seen) {
			/* Written before the keyed chain; the first keyed
			 * row's MAC covers the last of them. */
			audit_hash_v1(&r, h);
			if (!stored || strcmp(h, stored) != 0)
				bad = "content does not match its hash";
			w->legacy++;
		} else {
			bad = "an unkeyed row after keyed ones (rewritten)";
		}
		if (bad) {
			broken(out, w,
			       "activity_log row id %lld (org %lld, seq %lld): "
			       "%s — the row was altered",
			       (long long)id, (long long)org, (long long)r.seq,
			       bad);
			break;
		}
		atr_strlcpy(prev, stored, sizeof prev);
		w->rows++;
		w->last_id = id;
	}
	db_reset(st);
	if (!w->broken && rc < 0)
		return -1;
	atr_strlcpy(w->last_hash, prev, sizeof w->last_hash);
	return 0;
}

/* Verifies org's chain against its head. 0 intact, 1 broken, -1 error. */
static int verify_org(struct db_conn *c, const struct audit_keys *k,
		      int64_t org, int64_t head_seq, const char *head_hash,
		      const char *head_mac, FILE *out)
{
	struct walk w = {0};
	int cut = audit_cut_load(c, k, org, &w.cut_seq, w.cut_hash);
	if (cut < 0)
		return -1;
	if (cut > 0) {
		broken(out, &w,
		       "the retention cut of org %lld does not match its MAC "
		       "— rows were removed or the cut moved behind Atrium's "
		       "back",
		       (long long)org);
		return 1;
	}
	if (walk_org(c, k, org, out, &w) < 0)
		return -1;
	if (w.broken)
		return 1;
	char m[AUDIT_HASH_HEX];
	audit_head_mac(k, org, head_seq, head_hash, m);
	if (w.rows != head_seq || strcmp(w.last_hash, head_hash) != 0) {
		broken(out, &w,
		       "activity_log of org %lld ends at seq %lld (row id "
		       "%lld) but the chain head says seq %lld — rows at the "
		       "end were removed",
		       (long long)org, (long long)w.rows, (long long)w.last_id,
		       (long long)head_seq);
	} else if (!head_mac) {
		broken(out, &w,
		       "the chain head of org %lld is not keyed: written "
		       "behind Atrium's back, or `atrium migrate` did not "
		       "seal the chain",
		       (long long)org);
	} else if (sodium_memcmp(m, head_mac, AUDIT_HASH_HEX - 1) != 0) {
		broken(out, &w,
		       "the chain head of org %lld (seq %lld) does not match "
		       "its MAC — rewound or rewritten",
		       (long long)org, (long long)head_seq);
	}
	if (w.broken)
		return 1;
	fprintf(out, "ok: org %lld, %lld rows, chain intact", (long long)org,
		(long long)(w.rows - w.cut_seq));
	if (w.cut_seq)
		fprintf(out, " (from seq %lld: seq 1-%lld archived, the cut "
			     "verified)",
			(long long)w.cut_seq + 1, (long long)w.cut_seq);
	if (w.legacy)
		fprintf(out, " (%lld unkeyed rows from before the keyed chain, "
			     "sealed by the row after them)",
			(long long)w.legacy);
	if (w.erased)
		fprintf(out, " (%lld personal parts erased)",
			(long long)w.erased);
	fputc('\n', out);
	return 0;
}

/* Organisations with staff but no chain at all: every staff member's
 * creation wrote a row, so the log was emptied. 1 when any, -1 error. */
static int missing_chains(struct db_conn *c, FILE *out)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT DISTINCT s.org_id FROM staff s LEFT JOIN audit_head "
		   "h ON h.org_id = s.org_id LEFT JOIN activity_log l ON "
		   "l.org_id = s.org_id WHERE h.org_id IS NULL AND l.org_id "
		   "IS NULL ORDER BY s.org_id");
	if (!st)
		return -1;
	int rc, found = 0;
	while ((rc = db_step(st)) == 1) {
		fprintf(out,
			"broken: the activity log of org %lld is empty, but "
			"the organisation has staff (each was logged when "
			"created) — the log was emptied\n",
			(long long)db_col_int(st, 0));
		found = 1;
	}
	db_reset(st);
	return rc < 0 ? -1 : found;
}

int activity_verify(struct db *db, FILE *out, struct atr_err *err)
{
	struct audit_keys k;
	if (audit_keys_load(&k) < 0)
		return atr_fail(err, ATR_E_INTERNAL,
				"no master key is loaded: the chain's MACs "
				"cannot be checked");
	struct db_conn *c = db_acquire(db, err);
	if (!c) {
		audit_keys_wipe(&k);
		return -1;
	}
	int result = 0;
	/* Rows of an organisation without a head are a break as well. */
	struct db_stmt *st = db_prepare(
		c, "SELECT DISTINCT l.org_id FROM activity_log l "
		   "LEFT JOIN audit_head h ON h.org_id = l.org_id "
		   "WHERE h.org_id IS NULL");
	if (!st)
		goto dberr;
	int rc;
	while ((rc = db_step(st)) == 1) {
		fprintf(out,
			"broken: activity_log of org %lld has no chain head\n",
			(long long)db_col_int(st, 0));
		result = 1;
	}
	db_reset(st);
	if (rc < 0)
		goto dberr;
	int m = missing_chains(c, out);
	if (m < 0)
		goto dberr;
	if (m)
		result = 1;

	/* Every organisation's chain, however many there are. */
	st = db_prepare(c, "SELECT org_id, seq, hash, mac FROM audit_head "
			   "ORDER BY org_id");
	if (!st)
		goto dberr;
	while ((rc = db_step(st)) == 1) {
		char head[AUDIT_HASH_HEX], mac[AUDIT_HASH_HEX] = "";
		atr_strlcpy(head, db_col_text(st, 2), sizeof head);
		bool has_mac = !db_col_null(st, 3);
		if (has_mac)
			atr_strlcpy(mac, db_col_text(st, 3), sizeof mac);
		int v = verify_org(c, &k, db_col_int(st, 0), db_col_int(st, 1),
				   head, has_mac ? mac : NULL, out);
		if (v < 0) {
			db_reset(st);
			goto dberr;
		}
		if (v)
			result = 1;
	}
	db_reset(st);
	if (rc < 0)
		goto dberr;
	audit_keys_wipe(&k);
	db_release(c);
	return result;
dberr:
	audit_keys_wipe(&k);
	atr_fail(err, ATR_E_INTERNAL, "database error: %s", db_errmsg(c));
	db_release(c);
	return -1;
}

/* ---- checkpoints ---------------------------------------------------------- */

char *audit_checkpoint_message(const char *created_at, const json_t *chains)
{
	char *msg = xasprintf("%s\n%s\n", CHECKPOINT_FORMAT, created_at);
	size_t i;
	json_t *ch;
	json_array_foreach(chains, i, ch)
	{
		char *line = xasprintf(
			"%s%lld %lld %s\n", msg,
			(long long)json_integer_value(json_object_get(ch, "org_id")),
			(long long)json_integer_value(json_object_get(ch, "seq")),
			json_string_value(json_object_get(ch, "hash")));
		free(msg);
		msg = line;
	}
	return msg;
}

int activity_checkpoint(struct db *db, FILE *out, struct atr_err *err)
{
	struct audit_keys k;
	if (audit_keys_load(&k) < 0)
		return atr_fail(err, ATR_E_INTERNAL,
				"no master key is loaded: a checkpoint cannot "
				"be signed");
	struct db_conn *c = db_acquire(db, err);
	if (!c) {
		audit_keys_wipe(&k);
		return -1;
	}
	int rc = -1;
	json_t *chains = json_array();
	struct db_stmt *st = db_prepare(c, "SELECT org_id, seq, hash FROM "
					   "audit_head ORDER BY org_id");
	if (!st) {
		atr_fail(err, ATR_E_INTERNAL, "database error: %s",
			 db_errmsg(c));
		goto out;
	}
	int s;
	while ((s = db_step(st)) == 1)
		json_array_append_new(
			chains, json_pack("{s:I,s:I,s:s}", "org_id",
					  (json_int_t)db_col_int(st, 0), "seq",
					  (json_int_t)db_col_int(st, 1), "hash",
					  db_col_text(st, 2)));
	db_reset(st);
	if (s < 0) {
		atr_fail(err, ATR_E_INTERNAL, "database error: %s",
			 db_errmsg(c));
		goto out;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	unsigned char pk[crypto_sign_PUBLICKEYBYTES],
		sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	crypto_sign_seed_keypair(pk, sk, k.sign);
	char *msg = audit_checkpoint_message(now, chains);
	crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg),
			     sk);
	sodium_memzero(sk, sizeof sk);
	free(msg);
	char pkh[2 * sizeof pk + 1], sigh[2 * sizeof sig + 1];
	sodium_bin2hex(pkh, sizeof pkh, pk, sizeof pk);
	sodium_bin2hex(sigh, sizeof sigh, sig, sizeof sig);
	json_t *doc = json_pack("{s:s,s:s,s:O,s:s,s:s}", "format",
				CHECKPOINT_FORMAT, "created_at", now, "chains",
				chains, "public_key", pkh, "signature", sigh);
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	fprintf(out, "%s\n", text);
	free(text);
	rc = 0;
out:
	json_decref(chains);
	audit_keys_wipe(&k);
	db_release(c);
	return rc;
}

int audit_checkpoint_genuine(const struct audit_keys *k, const json_t *doc,
			     FILE *out)
{
	const char *fmt = json_string_value(json_object_get(doc, "format"));
	const char *at = json_string_value(json_object_get(doc, "created_at"));
	const char *sigh = json_string_value(json_object_get(doc, "signature"));
	json_t *chains = json_object_get(doc, "chains");
	if (!fmt || strcmp(fmt, CHECKPOINT_FORMAT) || !at || !sigh ||
	    !json_is_array(chains)) {
		fprintf(out, "broken: the checkpoint is not an Atrium audit "
			     "checkpoint\n");
		return 1;
	}
	size_t i;
	json_t *ch;
	json_array_foreach(chains, i, ch)
	{
		const char *h = json_string_value(json_object_get(ch, "hash"));
		if (!json_is_integer(json_object_get(ch, "org_id")) ||
		    !json_is_integer(json_object_get(ch, "seq")) || !h ||
		    strlen(h) != AUDIT_HASH_HEX - 1) {
			fprintf(out, "broken: the checkpoint is malformed\n");
			return 1;
		}
	}
	unsigned char pk[crypto_sign_PUBLICKEYBYTES],
		sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	crypto_sign_seed_keypair(pk, sk, k->sign);
	sodium_memzero(sk, sizeof sk);
	size_t n = 0;
	char *msg = audit_checkpoint_message(at, chains);
	bool ok = sodium_hex2bin(sig, sizeof sig, sigh, strlen(sigh), NULL, &n,
				 NULL) == 0 &&
		  n == sizeof sig &&
		  crypto_sign_verify_detached(sig, (const unsigned char *)msg,
					      strlen(msg), pk) == 0;
	free(msg);
	if (!ok) {
		fprintf(out, "broken: the checkpoint's signature does not hold "
			     "(altered, or made with another master key)\n");
		return 1;
	}
	return 0;
}

int activity_verify_checkpoint(struct db *db, const char *text, FILE *out,
			       struct atr_err *err)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	if (!doc) {
		fprintf(out, "broken: the checkpoint is not JSON (line %d: "
			     "%s)\n",
			je.line, je.text);
		return 1;
	}
	struct audit_keys k;
	if (audit_keys_load(&k) < 0) {
		json_decref(doc);
		return atr_fail(err, ATR_E_INTERNAL,
				"no master key is loaded");
	}
	int result = audit_checkpoint_genuine(&k, doc, out);
	audit_keys_wipe(&k);
	struct db_conn *c = result ? NULL : db_acquire(db, err);
	if (!result && !c) {
		json_decref(doc);
		return -1;
	}
	size_t i;
	json_t *ch;
	json_array_foreach(result ? NULL : json_object_get(doc, "chains"), i,
			   ch)
	{
		int64_t org = json_integer_value(json_object_get(ch, "org_id"));
		int64_t seq = json_integer_value(json_object_get(ch, "seq"));
		const char *want =
			json_string_value(json_object_get(ch, "hash"));
		struct db_stmt *st = db_prepare(
			c, "SELECT hash FROM activity_log WHERE org_id = ? AND "
			   "seq = ?");
		if (!st) {
			result = atr_fail(err, ATR_E_INTERNAL,
					  "database error: %s", db_errmsg(c));
			break;
		}
		db_bind_int(st, 1, org);
		db_bind_int(st, 2, seq);
		int rc = db_step(st);
		bool same = rc == 1 && !strcmp(db_col_text(st, 0), want);
		db_reset(st);
		if (rc < 0) {
			result = atr_fail(err, ATR_E_INTERNAL,
					  "database error: %s", db_errmsg(c));
			break;
		}
		int64_t cut_seq = 0;
		char cut_hash[AUDIT_HASH_HEX] = "";
		if (rc == 0 && audit_cut_load(c, NULL, org, &cut_seq,
					      cut_hash) < 0) {
			result = atr_fail(err, ATR_E_INTERNAL,
					  "database error: %s", db_errmsg(c));
			break;
		}
		if (rc == 0 && seq <= cut_seq) {
			/* Archived by retention: the archive holds it
			 * (`atrium logs verify`); the cut itself is checked
			 * against its MAC by activity_verify. */
			bool at_cut = seq == cut_seq && !strcmp(cut_hash, want);
			fprintf(out,
				"ok: org %lld: seq %lld was archived by "
				"retention (the log starts after seq %lld)%s\n",
				(long long)org, (long long)seq,
				(long long)cut_seq,
				at_cut ? "; it is the cut" : "");
			if (seq == cut_seq && !at_cut) {
				fprintf(out, "broken: org %lld: the cut at seq "
					     "%lld differs from the checkpoint\n",
					(long long)org, (long long)seq);
				result = 1;
			}
		} else if (rc == 0) {
			fprintf(out,
				"broken: org %lld: the checkpoint holds seq "
				"%lld, which the log no longer has — the log "
				"was truncated after the checkpoint\n",
				(long long)org, (long long)seq);
			result = 1;
		} else if (!same) {
			fprintf(out,
				"broken: org %lld: seq %lld differs from the "
				"checkpoint — the log was rewritten\n",
				(long long)org, (long long)seq);
			result = 1;
		} else {
			fprintf(out,
				"ok: org %lld matches the checkpoint at seq "
				"%lld\n",
				(long long)org, (long long)seq);
		}
	}
	if (c)
		db_release(c);
	json_decref(doc);
	return result;
}

/* ---- the chain written before the keys ---------------------------------- */

int activity_seal_legacy(struct db *db, struct atr_err *err)
{
	struct db_conn *c = db_acquire(db, err);
	if (!c)
		return -1;
	int sealed = 0;
	for (;;) {
		struct db_stmt *st = db_prepare(
			c, "SELECT org_id FROM audit_head WHERE mac IS NULL "
			   "ORDER BY org_id LIMIT 1");
		if (!st)
			goto dberr;
		int rc = db_step(st);
		int64_t org = rc == 1 ? db_col_int(st, 0) : 0;
		db_reset(st);
		if (rc < 0)
			goto dberr;
		if (rc == 0)
			break;
		/* One keyed row closes the unkeyed chain: its MAC covers the
		 * last unkeyed hash, and the head gets a MAC. */
		struct activity a = {.org_id = org,
				     .actor_name = "cli",
				     .action = "audit_chain_keyed"};
		if (db_begin(c) < 0 || activity_record(c, &a) < 0 ||
		    db_commit(c) < 0)
			goto dberr;
		sealed++;
	}
	db_release(c);
	return sealed;
dberr:
	atr_fail(err, ATR_E_INTERNAL, "cannot seal the activity log: %s",
		 db_errmsg(c));
	if (db_in_tx(c))
		db_rollback(c);
	db_release(c);
	return -1;
}
