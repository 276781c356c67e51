/* webhook.c — the webhooks module: endpoints (/admin/webhooks).
 *
 * GET    /api/v1/webhooks                     list, with delivery counts
 * POST   /api/v1/webhooks                     add; the signing secret is in
 *                                             this answer only
 * GET    /api/v1/webhooks/{id}                one endpoint
 * PATCH  /api/v1/webhooks/{id}                name, URL (a new URL gets a
 *                                             new secret), entities, events,
 *                                             active, debug_mode
 * DELETE /api/v1/webhooks/{id}                remove it and its log
 * POST   /api/v1/webhooks/{id}/rotate-secret  a new secret; the old one
 *                                             still signs for overlap_hours
 * POST   /api/v1/webhooks/{id}/test           queue a test message (202)
 *
 * Deliveries are webhook_delivery.c, the log and replay webhook_log.c; the HTTP attempt
 * is webhook_send.c. Secrets are encrypted at rest (core/secret.h) and
 * never returned after the answer that created them. Debug mode keeps
 * request and response bodies in the log and turns itself off after 24
 * hours (the spec: "otherwise logs grow rapidly").
 */
#include "atrium.h"

#include <sodium.h>

#include "admin/webhook_int.h"
#include "auth/perm.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "core/secret.h"
#include "core/settings.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/http.h"
#include "http/list.h"
#include "jobs/jobs.h"

#define NAME_MAX_CHARS 100
#define URL_MAX 2000
#define OVERLAP_DEFAULT_H 24
#define OVERLAP_MAX_H 168

const char *webhook_entity_module(const char *entity)
{
	if (!entity)
		return NULL;
	if (!strcmp(entity, "staff"))
		return "staff";
	const struct entity *e = entity_find(entity);
	return e ? e->plural : NULL;
}

/* ---- the record ------------------------------------------------------------ */

#define COLS                                                                   \
	"w.id, w.name, w.url, w.entities, w.events, w.active, w.debug_until, " \
	"w.disabled_reason, w.failure_streak, w.created_by, w.created_at, "    \
	"w.updated_at, w.version, w.previous_until, "                         \
	"(SELECT COUNT(*) FROM webhook_delivery d WHERE d.webhook_id = w.id " \
	"AND d.status = 'delivered'), "                                       \
	"(SELECT COUNT(*) FROM webhook_delivery d WHERE d.webhook_id = w.id " \
	"AND d.status = 'failed'), "                                          \
	"(SELECT COUNT(*) FROM webhook_delivery d WHERE d.webhook_id = w.id " \
	"AND d.status = 'pending')"

static void stored_array(struct buf *b, const char *s)
{
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;
	char *t = json_is_array(v) ? json_dumps(v, JSON_COMPACT) : NULL;
	buf_adds(b, t ? t : "[]");
	free(t);
	json_decref(v);
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "name", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "url", false);
	jout_str(b, db_col_text(st, 2));
	jout_key(b, "entities", false);
	stored_array(b, db_col_text(st, 3));
	jout_key(b, "events", false);
	stored_array(b, db_col_text(st, 4));
	jout_key(b, "active", false);
	buf_adds(b, db_col_int(st, 5) ? "true" : "false");
	bool debug = !db_col_null(st, 6) && strcmp(db_col_text(st, 6), now) > 0;
	jout_key(b, "debug_mode", false);
	buf_adds(b, debug ? "true" : "false");
	jout_key(b, "debug_until", false);
	if (debug)
		jout_str(b, db_col_text(st, 6));
	else
		buf_adds(b, "null");
	jout_key(b, "disabled_reason", false);
	if (db_col_null(st, 7))
		buf_adds(b, "null");
	else
		jout_str(b, db_col_text(st, 7));
	jout_key(b, "failure_streak", false);
	jout_int(b, db_col_int(st, 8));
	jout_key(b, "created_by", false);
	jout_int(b, db_col_int(st, 9));
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 10));
	jout_key(b, "updated_at", false);
	jout_str(b, db_col_text(st, 11));
	jout_key(b, "version", false);
	jout_int(b, db_col_int(st, 12));
	bool overlap = !db_col_null(st, 13) &&
		       strcmp(db_col_text(st, 13), now) > 0;
	jout_key(b, "previous_secret_until", false);
	if (overlap)
		jout_str(b, db_col_text(st, 13));
	else
		buf_adds(b, "null");
	int64_t ok = db_col_int(st, 14), bad = db_col_int(st, 15);
	jout_key(b, "deliveries", false);
	buf_adds(b, "{\"delivered\":");
	jout_int(b, ok);
	jout_key(b, "failed", false);
	jout_int(b, bad);
	jout_key(b, "pending", false);
	jout_int(b, db_col_int(st, 16));
	buf_addc(b, '}');
	/* The health indicator: delivered / (delivered + failed). */
	jout_key(b, "delivery_rate", false);
	if (ok + bad)
		buf_printf(b, "%.4f", (double)ok / (double)(ok + bad));
	else
		buf_adds(b, "null");
	buf_addc(b, '}');
}

static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct field f_active = {.name = "active", .type = FT_BOOL};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_name, "w.name", LIST_FILTER | LIST_SORT},
	{&f_active, "w.active", LIST_FILTER},
	{&f_created, "w.created_at", LIST_FILTER | LIST_SORT},
};

static const char *const search[] = {"w.name", "w.url", NULL};

static const struct list_spec spec = {
	.from = "webhook w",
	.cols = COLS,
	.id = "w.id",
	.org = "w.org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "-id",
	.limit_default = 50,
	.limit_max = 200,
	.search = search,
	.count_default = true,
	.row = row,
};

static int webhooks_h_list(struct req *r)
{
	return list_run(r, &spec);
}

/* The endpoint as JSON (caller's reference): 1, 0 absent, -1 error. */
static int load_json(struct req *r, int64_t id, json_t **out)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT " COLS
		       " FROM webhook w WHERE w.id = ? AND w.org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		struct buf b = BUF_INIT;
		row(&b, st, NULL);
		*out = json_loadb(b.p, b.len, 0, NULL);
		buf_free(&b);
	}
	db_reset(st);
	return rc;
}

/* ---- validation ----------------------------------------------------------------- */

static const char *const event_choices[] = {WH_EVENTS, NULL};

static const struct field hook_fields[] = {
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_CHARS},
	{"url", FT_URL, F_REQUIRED, URL_MAX},
	{"entities", FT_TAGS, F_REQUIRED, 20},
	{"events", FT_MULTI, F_REQUIRED, 4, event_choices},
	{"active", FT_BOOL, 0, 0},
	{"debug_mode", FT_BOOL, 0, 0},
};
static const struct schema hook_schema = SCHEMA(hook_fields);

static const struct field rotate_fields[] = {
	{"overlap_hours", FT_INT, 0, 0},
};
static const struct schema rotate_schema = SCHEMA(rotate_fields);

static bool has_error(const struct atr_err *e, const char *field)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].field, field))
			return true;
	return false;
}

/* The URL's scheme (https unless the operator allows private
 * destinations), known entities, at least one entity and event. */
static void hook_check(struct req *r)
{
	json_t *b = r->body;
	if (!json_is_object(b))
		return;
	const char *url = json_string_value(json_object_get(b, "url"));
	char why[200];
	if (url && !has_error(&r->err, "url") &&
	    webhook_url_check(url, r->app->cfg.webhook_allow_private, why,
			      sizeof why) < 0)
		atr_field(&r->err, "url", "invalid", "%s", why);
	json_t *ents = json_object_get(b, "entities");
	size_t i;
	json_t *v;
	if (json_is_array(ents) && !has_error(&r->err, "entities")) {
		if (json_array_size(ents) == 0)
			atr_field(&r->err, "entities", "required",
				  "choose at least one entity");
		json_array_foreach(ents, i, v)
		{
			if (!webhook_entity_module(json_string_value(v))) {
				atr_field(&r->err, "entities", "invalid",
					  "'%s' is not an entity webhooks can "
					  "follow",
					  json_string_value(v));
				break;
			}
		}
	}
	json_t *evs = json_object_get(b, "events");
	if (json_is_array(evs) && json_array_size(evs) == 0 &&
	    !has_error(&r->err, "events"))
		atr_field(&r->err, "events", "required",
			  "choose at least one event");
}

static void rotate_check(struct req *r)
{
	json_t *v = json_object_get(r->body, "overlap_hours");
	if (json_is_integer(v) && json_integer_value(v) > OVERLAP_MAX_H)
		atr_field(&r->err, "overlap_hours", "out_of_range",
			  "must be 1 to %d hours", OVERLAP_MAX_H);
}

/* ---- create ----------------------------------------------------------------------- */

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT);
}

/* Answers a created or rotated endpoint with its new secret, once. */
static void answer_with_secret(struct req *r, int status, json_t *rec,
			       const char *secret)
{
	json_object_set_new(rec, "secret", json_string(secret));
	req_json(r, status, rec);
}

static int webhooks_h_create(struct req *r)
{
	json_t *b = r->body;
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char secret[WH_SECRET_LEN + 1];
	webhook_secret_new(secret);
	char *enc = secret_encrypt(secret);
	if (!enc) {
		sodium_memzero(secret, sizeof secret);
		return atr_fail(&r->err, ATR_E_UNAVAILABLE,
				"the master key is not loaded");
	}
	char now[ATR_TIME_LEN], debug[ATR_TIME_LEN];
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() + WH_DEBUG_MS, debug);
	bool dbg = json_is_true(json_object_get(b, "debug_mode"));
	json_t *act = json_object_get(b, "active");
	char *ents = dump(json_object_get(b, "entities"));
	char *evs = dump(json_object_get(b, "events"));
	int64_t id = 0;
	int rc = -1;
	if (db_begin(c) == 0) {
		struct db_stmt *st = db_prepare(
			c, "INSERT INTO webhook (org_id, name, url, entities, "
			   "events, secret, active, debug_until, created_by, "
			   "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, "
			   "?, ?, ?, ?, ?) RETURNING id");
		if (st) {
			db_bind_int(st, 1, r->who.org_id);
			db_bind_text(st, 2, json_string_value(
						    json_object_get(b, "name")));
			db_bind_text(st, 3, json_string_value(
						    json_object_get(b, "url")));
			db_bind_text(st, 4, ents);
			db_bind_text(st, 5, evs);
			db_bind_text(st, 6, enc);
			db_bind_int(st, 7, act && !json_is_true(act) ? 0 : 1);
			dbg ? db_bind_text(st, 8, debug) : db_bind_null(st, 8);
			db_bind_int(st, 9, r->who.staff_id);
			db_bind_text(st, 10, now);
			db_bind_text(st, 11, now);
			rc = db_step(st);
			if (rc == 1)
				id = db_col_int(st, 0);
			db_reset(st);
		}
	}
	free(ents);
	free(evs);
	free(enc);
	json_t *rec = NULL;
	if (rc != 1 || load_json(r, id, &rec) != 1) {
		sodium_memzero(secret, sizeof secret);
		return req_db_error(r);
	}
	json_t *diff = json_pack("{s:{s:O},s:{s:O},s:{s:O},s:{s:O},s:{s:O}}",
				 "name", "to", json_object_get(rec, "name"),
				 "url", "to", json_object_get(rec, "url"),
				 "entities", "to",
				 json_object_get(rec, "entities"), "events",
				 "to", json_object_get(rec, "events"),
				 "active", "to", json_object_get(rec, "active"));
	int a = activity_from_req(r, "create", "webhook", id, diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0) {
		json_decref(rec);
		sodium_memzero(secret, sizeof secret);
		return r->err.kind ? -1 : req_db_error(r);
	}
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/webhooks/%lld",
				    (long long)id));
	answer_with_secret(r, 201, rec, secret);
	sodium_memzero(secret, sizeof secret);
	return 0;
}

static int webhooks_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *rec = NULL;
	int rc = load_json(r, r->id, &rec);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0 || !rec)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"webhook %lld not found", (long long)r->id);
	req_etag(r, json_integer_value(json_object_get(rec, "version")));
	req_json(r, 200, rec);
	return 0;
}

/* Loads the endpoint for a change in the open transaction (locked on
 * PostgreSQL); 404, or 412 on a stale If-Match. */
static int load_for_change(struct req *r, json_t **rec)
{
	if (db_conn_dialect(r->db) == DB_PG) {
		struct db_stmt *st = db_prepare(
			r->db, "SELECT id FROM webhook WHERE id = ? AND org_id "
			       "= ? FOR UPDATE");
		if (!st)
			return req_db_error(r);
		db_bind_int(st, 1, r->id);
		db_bind_int(st, 2, r->who.org_id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return req_db_error(r);
	}
	int rc = load_json(r, r->id, rec);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0 || !*rec)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"webhook %lld not found", (long long)r->id);
	return req_check_version(
		r, json_integer_value(json_object_get(*rec, "version")),
		"webhook");
}

/* The activity row of a change (before -> after) and the commit. */
static int log_change(struct req *r, const char *action, const json_t *before,
		      const json_t *after)
{
	json_t *diff = json_object();
	static const char *const keys[] = {"name",	 "url",	   "entities",
					   "events",	 "active", "debug_mode",
					   "disabled_reason"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(keys); i++) {
		json_t *x = json_object_get(before, keys[i]),
		       *y = json_object_get(after, keys[i]);
		if (!json_equal(x, y))
			json_object_set_new(diff, keys[i],
					    json_pack("{s:O,s:O}", "from", x,
						      "to", y));
	}
	if (!strcmp(action, "rotate_secret"))
		json_object_set_new(diff, "secret",
				    json_pack("{s:s}", "to", "rotated"));
	if (json_object_get(after, "secret_reset"))
		json_object_set_new(diff, "secret",
				    json_pack("{s:s}", "to",
					      "new (the URL changed)"));
	int a = json_object_size(diff)
			? activity_from_req(r, action, "webhook", r->id, diff)
			: 0;
	json_decref(diff);
	if (a < 0 || db_commit(r->db) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	return 0;
}

static int webhooks_h_update(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *before = NULL, *after = NULL;
	char secret[WH_SECRET_LEN + 1] = "";
	char *enc = NULL;
	int ret = -1;
	if (load_for_change(r, &before) < 0)
		goto out;
	json_t *b = r->body;
	const char *url = json_string_value(json_object_get(b, "url"));
	/* A new destination never receives messages signed with a secret
	 * someone else holds: it gets a new secret, shown in this answer. */
	bool new_url = url && strcmp(url, json_string_value(json_object_get(
							 before, "url")));
	if (new_url) {
		webhook_secret_new(secret);
		enc = secret_encrypt(secret);
		if (!enc) {
			atr_fail(&r->err, ATR_E_UNAVAILABLE,
				 "the master key is not loaded");
			goto out;
		}
	}
	struct buf sql = BUF_INIT;
	buf_adds(&sql, "UPDATE webhook SET version = version + 1, "
		       "updated_at = ?");
	if (json_object_get(b, "name"))
		buf_adds(&sql, ", name = ?");
	if (new_url)
		buf_adds(&sql, ", url = ?, secret = ?, previous_secret = NULL, "
			       "previous_until = NULL");
	if (json_object_get(b, "entities"))
		buf_adds(&sql, ", entities = ?");
	if (json_object_get(b, "events"))
		buf_adds(&sql, ", events = ?");
	json_t *act = json_object_get(b, "active");
	if (act)
		buf_adds(&sql, ", active = ?, disabled_reason = NULL, "
			       "failure_streak = 0");
	json_t *dbg = json_object_get(b, "debug_mode");
	if (dbg)
		buf_adds(&sql, ", debug_until = ?");
	buf_adds(&sql, " WHERE id = ? AND org_id = ?");
	struct db_stmt *st = db_prepare(c, buf_str(&sql));
	buf_free(&sql);
	if (!st) {
		req_db_error(r);
		goto out;
	}
	int p = 1;
	char now[ATR_TIME_LEN], until[ATR_TIME_LEN];
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() + WH_DEBUG_MS, until);
	db_bind_text(st, p++, now);
	if (json_object_get(b, "name"))
		db_bind_text(st, p++,
			     json_string_value(json_object_get(b, "name")));
	if (new_url) {
		db_bind_text(st, p++, url);
		db_bind_text(st, p++, enc);
	}
	char *ents = json_object_get(b, "entities")
			     ? dump(json_object_get(b, "entities"))
			     : NULL;
	char *evs = json_object_get(b, "events")
			    ? dump(json_object_get(b, "events"))
			    : NULL;
	if (ents)
		db_bind_text(st, p++, ents);
	if (evs)
		db_bind_text(st, p++, evs);
	if (act)
		db_bind_int(st, p++, json_is_true(act) ? 1 : 0);
	if (dbg)
		json_is_true(dbg) ? db_bind_text(st, p++, until)
				  : db_bind_null(st, p++);
	db_bind_int(st, p++, r->id);
	db_bind_int(st, p++, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	free(ents);
	free(evs);
	if (rc < 0 || load_json(r, r->id, &after) != 1) {
		req_db_error(r);
		goto out;
	}
	if (new_url)
		json_object_set_new(after, "secret_reset",
				    json_true()); /* for the diff below */
	if (log_change(r, "update", before, after) < 0)
		goto out;
	json_object_del(after, "secret_reset");
	req_etag(r, json_integer_value(json_object_get(after, "version")));
	if (new_url)
		answer_with_secret(r, 200, json_incref(after), secret);
	else
		req_json(r, 200, json_incref(after));
	ret = 0;
out:
	sodium_memzero(secret, sizeof secret);
	free(enc);
	json_decref(before);
	json_decref(after);
	return ret;
}

static int webhooks_h_delete(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *before = NULL;
	if (load_for_change(r, &before) < 0) {
		json_decref(before);
		return -1;
	}
	/* Deliveries still queued find their endpoint gone and end. */
	static const char *const del[] = {
		"DELETE FROM webhook_attempt WHERE webhook_id = ?",
		"DELETE FROM webhook_delivery WHERE webhook_id = ?",
		"DELETE FROM webhook WHERE id = ?"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(del); i++) {
		struct db_stmt *st = db_prepare(c, del[i]);
		if (!st) {
			json_decref(before);
			return req_db_error(r);
		}
		db_bind_int(st, 1, r->id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0) {
			json_decref(before);
			return req_db_error(r);
		}
	}
	json_t *diff = json_pack("{s:{s:O},s:{s:O}}", "name", "from",
				 json_object_get(before, "name"), "url", "from",
				 json_object_get(before, "url"));
	json_decref(before);
	int a = activity_from_req(r, "delete", "webhook", r->id, diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	r->status = 204;
	return 0;
}

static int webhooks_h_rotate(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *before = NULL, *after = NULL;
	int ret = -1;
	char secret[WH_SECRET_LEN + 1] = "";
	char *enc = NULL;
	if (load_for_change(r, &before) < 0)
		goto out;
	json_t *oh = json_object_get(r->body, "overlap_hours");
	int64_t hours = json_is_integer(oh) ? json_integer_value(oh)
					    : OVERLAP_DEFAULT_H;
	webhook_secret_new(secret);
	enc = secret_encrypt(secret);
	if (!enc) {
		atr_fail(&r->err, ATR_E_UNAVAILABLE,
			 "the master key is not loaded");
		goto out;
	}
	char now[ATR_TIME_LEN], until[ATR_TIME_LEN];
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() + hours * 3600000LL, until);
	/* The current secret becomes the previous one: receivers accept
	 * either signature while they switch. */
	struct db_stmt *st = db_prepare(
		c, "UPDATE webhook SET previous_secret = secret, previous_until "
		   "= ?, secret = ?, version = version + 1, updated_at = ? "
		   "WHERE id = ? AND org_id = ?");
	if (!st) {
		req_db_error(r);
		goto out;
	}
	db_bind_text(st, 1, until);
	db_bind_text(st, 2, enc);
	db_bind_text(st, 3, now);
	db_bind_int(st, 4, r->id);
	db_bind_int(st, 5, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || load_json(r, r->id, &after) != 1) {
		req_db_error(r);
		goto out;
	}
	if (log_change(r, "rotate_secret", before, after) < 0)
		goto out;
	answer_with_secret(r, 200, json_incref(after), secret);
	ret = 0;
out:
	sodium_memzero(secret, sizeof secret);
	free(enc);
	json_decref(before);
	json_decref(after);
	return ret;
}

/* POST /api/v1/webhooks/{id}/test: the spec's steps 4-5 (send a test
 * event, then check the log); answers 202 with the delivery to watch. */
static int webhooks_h_test(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *rec = NULL;
	if (load_for_change(r, &rec) < 0) {
		json_decref(rec);
		return -1;
	}
	json_decref(rec);
	int64_t did = 0;
	if (webhook_queue_test(c, r->who.org_id, r->id, &did) < 0)
		return req_db_error(r);
	json_t *diff = json_pack("{s:{s:I}}", "test_delivery", "to",
				 (json_int_t)did);
	int a = activity_from_req(r, "test", "webhook", r->id, diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	jobs_wake();
	req_add_header(r, "Location",
		       arena_printf(r->arena,
				    "/api/v1/webhook-deliveries/%lld",
				    (long long)did));
	req_json(r, 202,
		 json_pack("{s:I,s:s}", "delivery_id", (json_int_t)did,
			   "status", "pending"));
	return 0;
}

/* ---- the module ---------------------------------------------------------------- */

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/webhooks", webhooks_h_list, ACCESS_PERM,
	 "webhooks", CAP_VIEW},
	{HTTP_POST, "/api/v1/webhooks", webhooks_h_create, ACCESS_PERM,
	 "webhooks", CAP_CREATE, &hook_schema, NULL, hook_check},
	{HTTP_GET, "/api/v1/webhooks/{id}", webhooks_h_get, ACCESS_PERM,
	 "webhooks", CAP_VIEW},
	{HTTP_PATCH, "/api/v1/webhooks/{id}", webhooks_h_update, ACCESS_PERM,
	 "webhooks", CAP_EDIT, &hook_schema, NULL, hook_check},
	{HTTP_DELETE, "/api/v1/webhooks/{id}", webhooks_h_delete, ACCESS_PERM,
	 "webhooks", CAP_DELETE},
	{HTTP_POST, "/api/v1/webhooks/{id}/rotate-secret", webhooks_h_rotate,
	 ACCESS_PERM, "webhooks", CAP_EDIT, &rotate_schema, NULL,
	 rotate_check},
	{HTTP_POST, "/api/v1/webhooks/{id}/test", webhooks_h_test, ACCESS_PERM,
	 "webhooks", CAP_EDIT, &schema_empty},
	{0},
};

static const struct perm_module perms[] = {
	{"webhooks", "Webhooks", PB_VIEW | PB_CREATE | PB_EDIT | PB_DELETE,
	 "webhook"},
	{0},
};

static const struct setting_def settings[] = {
	{"integrations", "webhook_disable_after", SET_INT, "100", 1, 100000},
	{0},
};

/* Whether org has an active endpoint: without one the outbox hands its
 * events no job (an endpoint gets only events after it was added). */
static int webhooks_interested(struct db_conn *c, int64_t org,
			       const char *entity)
{
	if (!webhook_entity_module(entity))
		return 0;
	struct db_stmt *st = db_prepare(c, "SELECT 1 FROM webhook WHERE org_id "
					   "= ? AND active = 1 LIMIT 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

static const struct event_sub subscribers[] = {
	{"webhooks", NULL, webhook_on_event, .max_attempts = 10,
	 .interested = webhooks_interested},
	{0},
};

static const struct job_kind kinds[] = {
	{"webhook", webhook_job, .max_attempts = WH_MAX_ATTEMPTS,
	 .lease_ms = (WH_CONNECT_TIMEOUT_S + WH_TIMEOUT_S + 40) * 1000LL,
	 .backoff_cap_ms = 24LL * 3600 * 1000,
	 .backoff_base = webhook_backoff_base},
	{0},
};

/* Old deliveries and attempts are archived and removed by log retention
 * (the `webhook_attempts` and `webhook_deliveries` logs,
 * admin/retention.h), never deleted here. */
const struct module module_webhooks = {
	.name = "webhooks",
	.perms = perms,
	.routes = routes,
	.settings = settings,
	.job_kinds = kinds,
	.subscribers = subscribers,
};

/* The delivery log's routes are their own row of the module table, so
 * each file keeps its own route array. */
const struct module module_webhook_deliveries = {
	.name = "webhook_deliveries",
	.routes = webhook_delivery_routes,
};
