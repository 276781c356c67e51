/* write.c — the one write path (see write.h). */
#include "atrium.h"

#include <sodium.h>

#include "core/activity.h"
#include "core/arena.h"
#include "core/json_out.h"
#include "db/db.h"
#include "http/http.h"
#include "http/write.h"

#define IDEMPOTENCY_KEY_MAX 200
#define IDEMPOTENCY_MS (24LL * 3600 * 1000) /* honoured a day, as Stripe */

static const char *const bookkeeping[] = {"id", "version", "created_at",
					  "updated_at", "created_by", NULL};

static bool is_bookkeeping(const char *k)
{
	for (const char *const *b = bookkeeping; *b; b++)
		if (!strcmp(*b, k))
			return true;
	return false;
}

static bool empty(const json_t *v)
{
	return !v || json_is_null(v) ||
	       (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && !json_array_size(v));
}

/* Adds the changes of before -> after to d, keys prefixed by pfx ("" at
 * the top; "custom_fields." one level down: nested objects are diffed
 * key by key). */
static void diff_into(json_t *d, const char *pfx, const json_t *before,
		      const json_t *after)
{
	const char *k;
	json_t *v;
	char key[160];
	if (before && after) {
		json_object_foreach((json_t *)after, k, v)
		{
			json_t *old = json_object_get(before, k);
			if ((!*pfx && is_bookkeeping(k)) ||
			    (old && json_equal(old, v)))
				continue;
			snprintf(key, sizeof key, "%s%s", pfx, k);
			if (!*pfx && json_is_object(v) && json_is_object(old)) {
				snprintf(key, sizeof key, "%s.", k);
				diff_into(d, key, old, v);
				continue;
			}
			json_object_set_new(d, key,
					    json_pack("{s:O,s:O}", "from",
						      old ? old : json_null(),
						      "to", v));
		}
		return;
	}
	const json_t *rec = before ? before : after;
	json_object_foreach((json_t *)rec, k, v)
	{
		if ((!*pfx && is_bookkeeping(k)) || empty(v))
			continue;
		if (!*pfx && json_is_object(v)) {
			snprintf(key, sizeof key, "%s.", k);
			diff_into(d, key, before ? v : NULL, before ? NULL : v);
			continue;
		}
		snprintf(key, sizeof key, "%s%s", pfx, k);
		json_object_set_new(d, key,
				    json_pack("{s:O}", before ? "from" : "to",
					      v));
	}
}

json_t *write_diff(const json_t *before, const json_t *after)
{
	json_t *d = json_object();
	diff_into(d, "", before, after);
	return d;
}

/* ---- a created record's texts, written once ------------------------------ */

void write_leaves_add(struct write_leaves *l, const char *k, const char *sub,
		      size_t off, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
	}
	struct write_leaf *f = &l->v[l->n++];
	/* as diff_into's snprintf: cut at the key's size */
	if (sub)
		snprintf(f->key, sizeof f->key, "%s.%s", k, sub);
	else
		atr_strlcpy(f->key, k, sizeof f->key);
	f->top = !sub;
	f->off = off;
	f->len = len;
}

void write_leaves_free(struct write_leaves *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int leaf_cmp(const void *a, const void *b)
{
	return strcmp(((const struct write_leaf *)a)->key,
		      ((const struct write_leaf *)b)->key);
}

/* empty() of a value given as its JSON text: null, "" or [] */
static bool empty_text(const char *t, size_t n)
{
	if ((n == 4 && !memcmp(t, "null", 4)) || (n == 2 && !memcmp(t, "\"\"", 2)) ||
	    (n == 2 && !memcmp(t, "[]", 2)))
		return true;
	if (n && t[0] == '[') { /* an array written with spaces */
		size_t i = 1;
		while (i < n && strchr(" \t\r\n", t[i]))
			i++;
		return i < n && t[i] == ']';
	}
	return false;
}

int write_created_diff(const char *text, struct write_leaves *l,
		       struct buf *diff)
{
	int kept = 0;
	for (int i = 0; i < l->n; i++) {
		struct write_leaf *f = &l->v[i];
		const char *t = text + f->off;
		if (f->top && f->len && t[0] == '{')
			return -1; /* diff_into would go one level down */
		if ((f->top && is_bookkeeping(f->key)) || empty_text(t, f->len))
			continue;
		l->v[kept++] = *f;
	}
	/* JSON_SORT_KEYS: by the keys' bytes */
	qsort(l->v, (size_t)kept, sizeof *l->v, leaf_cmp);
	buf_addc(diff, '{');
	for (int i = 0; i < kept; i++) {
		jout_key(diff, l->v[i].key, i == 0);
		buf_add(diff, "{\"to\":", 6);
		buf_add(diff, text + l->v[i].off, l->v[i].len);
		buf_addc(diff, '}');
	}
	buf_addc(diff, '}');
	return 0;
}

/* v as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) writes it; strings
 * and integers (nearly every value) without jansson's machinery. */
static void value_text(struct buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		jout_str(b, json_string_value(v));
		break;
	case JSON_INTEGER:
		jout_int(b, json_integer_value(v));
		break;
	case JSON_TRUE:
		buf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		buf_add(b, "false", 5);
		break;
	case JSON_NULL:
		buf_add(b, "null", 4);
		break;
	default: {
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		buf_adds(b, t ? t : "null");
		free(t);
	}
	}
}

void write_created_text(const json_t *rec, struct buf *after,
			struct buf *diff)
{
	struct write_leaves l = {0};
	size_t base = after->len;
	const char *k, *ck;
	json_t *v, *cv;
	bool first = true;
	buf_addc(after, '{');
	json_object_foreach((json_t *)rec, k, v)
	{
		jout_key(after, k, first);
		first = false;
		if (!json_is_object(v)) {
			size_t off = after->len;
			value_text(after, v);
			write_leaves_add(&l, k, NULL, off - base, after->len - off);
			continue;
		}
		/* diff_into: an object's members one level down */
		bool cfirst = true;
		buf_addc(after, '{');
		json_object_foreach(v, ck, cv)
		{
			jout_key(after, ck, cfirst);
			cfirst = false;
			size_t off = after->len;
			value_text(after, cv);
			if (!is_bookkeeping(k))
				write_leaves_add(&l, k, ck, off - base,
						 after->len - off);
		}
		buf_addc(after, '}');
	}
	buf_addc(after, '}');
	ATR_ASSERT(write_created_diff(after->p + base, &l, diff) == 0);
	write_leaves_free(&l);
}

static void set_etag(struct req *r, const json_t *rec)
{
	req_etag(r, json_integer_value(json_object_get(rec, "version")));
}

int write_count_add(struct db_conn *c, int64_t org, const char *entity,
		    int delta)
{
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO entity_count (org_id, entity, n) VALUES (?, ?, ?) "
		   "ON CONFLICT (org_id, entity) DO UPDATE SET "
		   "n = entity_count.n + excluded.n");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, entity);
	db_bind_int(st, 3, delta);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* ---- Idempotency-Key ------------------------------------------------------ */

static int key_check(struct req *r, const char *key)
{
	size_t kl = strlen(key);
	bool ok = kl >= 1 && kl <= IDEMPOTENCY_KEY_MAX;
	for (size_t i = 0; ok && i < kl; i++)
		ok = key[i] > 0x20 && key[i] < 0x7f;
	if (!ok)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"Idempotency-Key must be 1..%d printable ASCII "
				"characters",
				IDEMPOTENCY_KEY_MAX);
	return 0;
}

/* The value of response header name the handler set, or NULL. */
static const char *out_header(const struct req *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (!strcasecmp(r->hdr[i].name, name))
			return r->hdr[i].value;
	return NULL;
}

/* The hash of the request body, for idempotent replays. */
static void body_hash(struct req *r, char out[65])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)r->raw_body,
			   r->raw_body_len, NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof h);
}

/* Looks the key up inside the transaction. 1 = replayed into r, 0 = new
 * key, -1 = error (r->err). */
static int key_replay(struct req *r, const char *key, const char *hash)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT route, body_hash, status, response, location "
		       "FROM idempotency_key WHERE org_id = ? AND staff_id = ? "
		       "AND key = ? AND created_at > ?");
	if (!st)
		return req_db_error(r);
	char day_ago[ATR_TIME_LEN];
	atr_time_iso(atr_now_ms() - IDEMPOTENCY_MS, day_ago);
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, r->who.staff_id);
	db_bind_text(st, 3, key);
	db_bind_text(st, 4, day_ago);
	int rc = db_step(st);
	if (rc == 1) {
		if (strcmp(db_col_text(st, 0), r->path) ||
		    strcmp(db_col_text(st, 1), hash)) {
			db_reset(st);
			return atr_fail(&r->err, ATR_E_CONFLICT,
					"Idempotency-Key was already used "
					"with a different request");
		}
		r->status = (int)db_col_int(st, 2);
		r->out = json_loads(db_col_text(st, 3), 0, NULL);
		if (!db_col_null(st, 4))
			req_add_header(r, "Location",
				       arena_strdup(r->arena,
						    db_col_text(st, 4)));
		req_add_header(r, "Idempotent-Replayed", "true");
		if (r->out)
			set_etag(r, r->out);
	}
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	return rc;
}

static int key_store(struct req *r, const char *key, const char *hash,
		     const char *location)
{
	char now[ATR_TIME_LEN], day_ago[ATR_TIME_LEN];
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() - IDEMPOTENCY_MS, day_ago);
	/* A key older than a day no longer counts: drop it if housekeeping
	 * has not yet. */
	struct db_stmt *st = db_prepare(
		r->db, "DELETE FROM idempotency_key WHERE org_id = ? AND "
		       "staff_id = ? AND key = ? AND created_at <= ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, r->who.staff_id);
	db_bind_text(st, 3, key);
	db_bind_text(st, 4, day_ago);
	int drc = db_step(st);
	db_reset(st);
	if (drc < 0)
		return req_db_error(r);
	char *resp = json_dumps(r->out, JSON_COMPACT);
	st = db_prepare(
		r->db, "INSERT INTO idempotency_key (org_id, staff_id, key, "
		       "route, body_hash, status, response, location, "
		       "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	int rc = -1;
	if (st) {
		db_bind_int(st, 1, r->who.org_id);
		db_bind_int(st, 2, r->who.staff_id);
		db_bind_text(st, 3, key);
		db_bind_text(st, 4, r->path);
		db_bind_text(st, 5, hash);
		db_bind_int(st, 6, r->status);
		db_bind_text(st, 7, resp);
		db_bind_text(st, 8, location);
		db_bind_text(st, 9, now);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	}
	free(resp);
	if (rc < 0 && db_err_unique(r->db))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"a request with this Idempotency-Key is in "
				"progress");
	return rc < 0 ? req_db_error(r) : 0;
}

/* ---- the sequence ---------------------------------------------------------- */

static const char *const actions[] = {
	[WRITE_CREATE] = "create", [WRITE_UPDATE] = "update",
	[WRITE_DELETE] = "delete"};
static const char *const events[] = {
	[WRITE_CREATE] = "created", [WRITE_UPDATE] = "updated",
	[WRITE_DELETE] = "deleted"};

/* -1 with r->err kept, or a database error when the callback set none. */
static int failed(struct req *r)
{
	return r->err.kind ? -1 : req_db_error(r);
}

int write_run(struct req *r, const struct write_op *op)
{
	const char *key =
	    op->kind == WRITE_CREATE || (op->idempotent && op->reply)
		? req_header(r, "Idempotency-Key")
		: NULL;
	if (key && key_check(r, key) < 0)
		return -1;
	int64_t want = -1;
	if (op->kind != WRITE_CREATE) {
		want = req_if_match(r);
		if (want == -1 && op->kind == WRITE_UPDATE &&
		    !op->if_match_optional)
			return atr_fail(&r->err, ATR_E_PRECOND_REQ,
					"send If-Match with the ETag of the "
					"record you edited");
	}
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *before = NULL, *after = NULL, *diff = NULL;
	char hash[65] = "";
	int rc = -1;
	if (key) {
		body_hash(r, hash);
		int rep = key_replay(r, key, hash);
		if (rep != 0) {
			db_rollback(c);
			return rep < 0 ? -1 : 0;
		}
	}
	if (op->kind != WRITE_CREATE) {
		int found = op->load(r, op, &before);
		if (found < 0) {
			failed(r);
			goto out;
		}
		if (found == 0) {
			atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
				 op->entity, (long long)r->id);
			goto out;
		}
		int64_t version =
			json_integer_value(json_object_get(before, "version"));
		if (want != -1 && want != version) {
			atr_fail(&r->err, ATR_E_PRECONDITION,
				 "%s %lld was changed by someone else (now "
				 "version %lld); reload it and apply your "
				 "change again",
				 op->entity, (long long)r->id,
				 (long long)version);
			goto out;
		}
	}
	int done = op->apply(r, op, before, &after);
	if (done < 0) {
		failed(r);
		goto out;
	}
	if (done == 0) {
		atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
			 op->entity, (long long)r->id);
		goto out;
	}
	if (op->kind == WRITE_UPDATE && !after) {
		/* Nothing changes: no write, no log, the record as it is. */
		db_rollback(c);
		set_etag(r, before);
		req_json(r, 200, before);
		return 0;
	}
	const json_t *rec = op->kind == WRITE_DELETE ? before : after;
	int64_t id = json_integer_value(json_object_get(rec, "id"));
	diff = write_diff(op->kind == WRITE_CREATE ? NULL : before,
			  op->kind == WRITE_DELETE ? NULL : after);
	if (op->diff_edit)
		op->diff_edit(r, op, diff);
	if (activity_from_req(r, actions[op->kind], op->entity, id, diff) < 0)
		goto out;
	if (outbox_emit(c, r->who.org_id, op->entity, id, events[op->kind],
			before, after) < 0 ||
	    (op->counted && op->kind != WRITE_UPDATE &&
	     write_count_add(c, r->who.org_id, op->entity,
		       op->kind == WRITE_CREATE ? 1 : -1) < 0)) {
		req_db_error(r);
		goto out;
	}
	if (op->kind == WRITE_CREATE) {
		char *loc = arena_printf(r->arena, "%s/%lld", op->location,
					 (long long)id);
		req_json(r, 201, json_incref(after));
		if (key && key_store(r, key, hash, loc) < 0)
			goto out;
		req_add_header(r, "Location", loc);
	} else if (op->kind == WRITE_UPDATE && key) {
		/* The reply is what a repeat of the key answers: kept with
		 * it, in the transaction. */
		op->reply(r, op);
		if (key_store(r, key, hash, out_header(r, "Location")) < 0)
			goto out;
	} else if (op->kind == WRITE_UPDATE) {
		req_json(r, 200, json_incref(after));
	}
	if (db_commit(c) < 0) {
		req_db_error(r);
		goto out;
	}
	if (op->kind == WRITE_DELETE)
		r->status = 204;
	else if (op->kind == WRITE_UPDATE && op->reply) {
		if (!key) /* else set before the key was stored */
			op->reply(r, op);
	} else
		set_etag(r, after);
	rc = 0;
out:
	if (rc < 0 && db_in_tx(c))
		db_rollback(c);
	json_decref(before);
	json_decref(after);
	json_decref(diff);
	return rc;
}
