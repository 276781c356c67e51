/* api_tokens.c — the api_tokens module: API Management
 * (/admin/api/api_management).
 *
 * GET    /api/v1/api-tokens             list (filters; the weekly check:
 *                                       stale=true, unusual volume flags)
 * POST   /api/v1/api-tokens             create (password re-entered); the
 *                                       token is in this answer only
 * GET    /api/v1/api-tokens/{id}        one token and its requests per day
 * PATCH  /api/v1/api-tokens/{id}        name, description, key role,
 *                                       networks, rate limit, expiry
 * POST   /api/v1/api-tokens/{id}/revoke revoke (for good)
 *
 * Every route refuses API tokens (ROUTE_NO_TOKEN): a token cannot mint or
 * widen tokens. Whoever creates or edits a token of another member must
 * be allowed to manage that member's account (perm_may_manage), and must
 * have entered their password lately (ROUTE_REAUTH), so nobody mints or
 * widens a credential that holds more than they do; revoking needs
 * neither. Administrators' tokens
 * are refused unless the operator allows them (api_tokens_for_admins).
 * Authentication by token is auth/api_token.c.
 */
#include "atrium.h"

#include <sodium.h>

#include "auth/api_token.h"
#include "auth/perm.h"
#include "auth/token.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"

#define NAME_MAX_CHARS 100
#define DESC_MAX_CHARS 500
#define NETS_MAX 20
#define DAY_MS (24LL * 3600 * 1000)
#define STALE_MS (183 * DAY_MS)     /* the weekly check: 6 months unused */
#define DEFAULT_LIFE_MS (365 * DAY_MS)
#define UNUSUAL_MIN 1000            /* requests in a day before it can be */
#define USAGE_DAYS 30

/* ---- the record ------------------------------------------------------------ */

#define COLS_COMMON                                                            \
	"t.id, t.name, t.description, t.staff_id, s.name, t.prefix, "          \
	"t.permissions, t.allowed_networks, t.rate_limit, t.expires_at, "      \
	"t.revoked_at, t.revoked_reason, t.created_at, t.created_by, "         \
	"t.last_used_at, t.last_used_ip, s.active, t.version, s.admin, "

#define USAGE_SQLITE                                                           \
	"(SELECT COALESCE(SUM(u.requests), 0) FROM api_token_usage u WHERE "  \
	"u.token_id = t.id AND u.day = strftime('%Y-%m-%d', 'now')), "        \
	"(SELECT COALESCE(SUM(u.requests), 0) FROM api_token_usage u WHERE "  \
	"u.token_id = t.id AND u.day > strftime('%Y-%m-%d', 'now', "          \
	"'-30 days'))"
#define USAGE_PG                                                               \
	"(SELECT COALESCE(SUM(u.requests), 0) FROM api_token_usage u WHERE "  \
	"u.token_id = t.id AND u.day = to_char(now() AT TIME ZONE 'UTC', "    \
	"'YYYY-MM-DD')), "                                                     \
	"(SELECT COALESCE(SUM(u.requests), 0) FROM api_token_usage u WHERE "  \
	"u.token_id = t.id AND u.day > to_char((now() AT TIME ZONE 'UTC') - " \
	"interval '30 days', 'YYYY-MM-DD'))"

#define FROM "api_token t JOIN staff s ON s.id = t.staff_id"

static void jtext_or_null(struct buf *b, struct db_stmt *st, int col)
{
	if (db_col_null(st, col))
		buf_adds(b, "null");
	else
		jout_str(b, db_col_text(st, col));
}

/* Stored JSON text re-encoded (or the fallback when absent). */
static void jstored(struct buf *b, struct db_stmt *st, int col,
		    const char *fallback)
{
	json_t *v = db_col_null(st, col)
			    ? NULL
			    : json_loads(db_col_text(st, col), 0, NULL);
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	buf_adds(b, s ? s : fallback);
	free(s);
	json_decref(v);
}

static const char *status_of(struct db_stmt *st, const char *now)
{
	if (!db_col_null(st, 10))
		return "revoked";
	if (!db_col_null(st, 9) && strcmp(db_col_text(st, 9), now) <= 0)
		return "expired";
	if (!db_col_int(st, 16))
		return "owner_inactive";
	return "active";
}

/* One token as JSON (the list's row writer and the record's). */
static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	char now[ATR_TIME_LEN], stale[ATR_TIME_LEN];
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() - STALE_MS, stale);
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "name", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "description", false);
	jout_str(b, db_col_text(st, 2));
	jout_key(b, "staff_id", false);
	jout_int(b, db_col_int(st, 3));
	jout_key(b, "staff_name", false);
	jout_str(b, db_col_text(st, 4));
	jout_key(b, "staff_admin", false);
	buf_adds(b, db_col_int(st, 18) ? "true" : "false");
	jout_key(b, "prefix", false);
	jout_str(b, db_col_text(st, 5));
	jout_key(b, "permissions", false);
	jstored(b, st, 6, "null");
	jout_key(b, "allowed_networks", false);
	jstored(b, st, 7, "[]");
	jout_key(b, "rate_limit", false);
	jout_int(b, db_col_int(st, 8));
	static const struct {
		const char *key;
		int col;
	} times[] = {{"expires_at", 9},   {"revoked_at", 10},
		     {"revoked_reason", 11}, {"created_at", 12},
		     {"last_used_at", 14}, {"last_used_ip", 15}};
	for (size_t i = 0; i < ATR_ARRAY_LEN(times); i++) {
		jout_key(b, times[i].key, false);
		jtext_or_null(b, st, times[i].col);
	}
	jout_key(b, "created_by", false);
	if (db_col_null(st, 13))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 13));
	jout_key(b, "version", false);
	jout_int(b, db_col_int(st, 17));
	jout_key(b, "status", false);
	jout_str(b, status_of(st, now));
	int64_t today = db_col_int(st, 19), month = db_col_int(st, 20);
	jout_key(b, "requests_today", false);
	jout_int(b, today);
	jout_key(b, "requests_30d", false);
	jout_int(b, month);
	/* The weekly check: unused for more than 6 months (or never used
	 * and older than that), and a day far above the usual. */
	const char *used = db_col_null(st, 14) ? db_col_text(st, 12)
					       : db_col_text(st, 14);
	jout_key(b, "unused_6_months", false);
	buf_adds(b, strcmp(used, stale) < 0 ? "true" : "false");
	int64_t avg = (month - today) / (USAGE_DAYS - 1);
	jout_key(b, "unusual_volume", false);
	buf_adds(b, today >= UNUSUAL_MIN && today > 3 * (avg > 0 ? avg : 1)
			    ? "true"
			    : "false");
	buf_addc(b, '}');
}

/* ---- list ------------------------------------------------------------------- */

static const struct field f_staff = {.name = "staff_id", .type = FT_INT};
static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};
static const struct field f_used = {.name = "last_used_at",
				    .type = FT_DATETIME};
static const struct field f_expires = {.name = "expires_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_staff, "t.staff_id", LIST_FILTER},
	{&f_name, "t.name", LIST_FILTER | LIST_SORT},
	{&f_created, "t.created_at", LIST_FILTER | LIST_SORT},
	{&f_used, "t.last_used_at", LIST_FILTER | LIST_SORT},
	{&f_expires, "t.expires_at", LIST_FILTER | LIST_SORT},
};

static const char *const search[] = {"t.name", "t.description", NULL};

/* status=active|revoked|expired and stale=true (the weekly check). */
static int param(struct req *r, struct list_query *q, const char *key,
		 const char *op, const char *value, const void *arg)
{
	(void)arg;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (!strcmp(key, "status") && !op) {
		if (!strcmp(value, "active")) {
			list_where(q, "t.revoked_at IS NULL AND (t.expires_at "
				      "IS NULL OR t.expires_at > ?) AND "
				      "s.active = 1");
			list_text(q, arena_strdup(r->arena, now));
		} else if (!strcmp(value, "revoked")) {
			list_where(q, "t.revoked_at IS NOT NULL");
		} else if (!strcmp(value, "expired")) {
			list_where(q, "t.revoked_at IS NULL AND t.expires_at "
				      "<= ?");
			list_text(q, arena_strdup(r->arena, now));
		} else {
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"status must be one of active, "
					"revoked, expired");
		}
		return 1;
	}
	if (!strcmp(key, "stale") && !op) {
		if (strcmp(value, "true"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"stale takes true");
		char t[ATR_TIME_LEN];
		atr_time_iso(atr_now_ms() - STALE_MS, t);
		list_where(q, "t.revoked_at IS NULL AND COALESCE("
			      "t.last_used_at, t.created_at) < ?");
		list_text(q, arena_strdup(r->arena, t));
		return 1;
	}
	return 0;
}

#define TOKEN_SPEC(usage)                                                      \
	{                                                                      \
		.from = FROM, .cols = COLS_COMMON usage, .id = "t.id",         \
		.org = "t.org_id", .columns = columns,                         \
		.ncolumns = (int)ATR_ARRAY_LEN(columns),                       \
		.sort_default = "-id", .limit_default = 50,                    \
		.limit_max = 200, .search = search, .count_default = true,     \
		.row = row, .param = param,                                    \
	}
static const struct list_spec spec_sqlite = TOKEN_SPEC(USAGE_SQLITE);
static const struct list_spec spec_pg = TOKEN_SPEC(USAGE_PG);

static const struct list_spec *spec_of(struct db_conn *c)
{
	return db_conn_dialect(c) == DB_PG ? &spec_pg : &spec_sqlite;
}

static int tokens_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	return list_run(r, spec_of(c));
}

/* The token record id of the caller's organisation as JSON (the caller's
 * reference), 0 when absent, -1 on a database error. */
static int load_json(struct req *r, int64_t id, json_t **out)
{
	char *sql = arena_printf(r->arena,
				 "SELECT %s FROM " FROM
				 " WHERE t.id = ? AND t.org_id = ?",
				 spec_of(r->db)->cols);
	struct db_stmt *st = db_prepare(r->db, sql);
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

/* ---- validation -------------------------------------------------------------- */

static const struct field token_fields[] = {
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_CHARS},
	{"description", FT_TEXT, F_MULTILINE, DESC_MAX_CHARS},
	{"staff_id", FT_INT, F_REQUIRED, 0},
	{"expires_at", FT_DATETIME, 0, 0},
	{"never_expires", FT_BOOL, 0, 0},
	{"permissions", FT_OBJECT, 0, 0},
	{"allowed_networks", FT_TAGS, 0, NETS_MAX},
	{"rate_limit", FT_INT, 0, 0},
};
static const struct schema token_schema = SCHEMA(token_fields);

static const struct field patch_fields[] = {
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_CHARS},
	{"description", FT_TEXT, F_MULTILINE, DESC_MAX_CHARS},
	{"expires_at", FT_DATETIME, 0, 0},
	{"never_expires", FT_BOOL, 0, 0},
	{"permissions", FT_OBJECT, 0, 0},
	{"allowed_networks", FT_TAGS, 0, NETS_MAX},
	{"rate_limit", FT_INT, 0, 0},
};
static const struct schema patch_schema = SCHEMA(patch_fields);

static const struct field revoke_fields[] = {
	{"reason", FT_TEXT, 0, 200},
};
static const struct schema revoke_schema = SCHEMA(revoke_fields);

static bool has_error(const struct atr_err *e, const char *field)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].field, field))
			return true;
	return false;
}

/* Rules beyond the schema: the key role names real modules and caps,
 * networks are addresses or CIDR blocks, the limit is in range, an expiry
 * lies ahead and "never" is said explicitly. */
static void token_check(struct req *r)
{
	json_t *b = r->body;
	if (!json_is_object(b))
		return;
	json_t *perms = json_object_get(b, "permissions");
	if (json_is_object(perms))
		perm_validate_matrix(perms, "permissions", &r->err);
	json_t *nets = json_object_get(b, "allowed_networks");
	size_t i;
	json_t *v;
	if (json_is_array(nets) && !has_error(&r->err, "allowed_networks"))
		json_array_foreach(nets, i, v)
		{
			if (!api_token_cidr_valid(json_string_value(v))) {
				atr_field(&r->err, "allowed_networks",
					  "invalid",
					  "'%s' is not an IP address or CIDR "
					  "block (203.0.113.0/24)",
					  json_string_value(v));
				break;
			}
		}
	json_t *rl = json_object_get(b, "rate_limit");
	if (json_is_integer(rl) && (json_integer_value(rl) < 1 ||
				    json_integer_value(rl) > API_TOKEN_RATE_MAX))
		atr_field(&r->err, "rate_limit", "out_of_range",
			  "must be 1 to %d requests a minute",
			  API_TOKEN_RATE_MAX);
	const char *exp = json_string_value(json_object_get(b, "expires_at"));
	char t[ATR_TIME_LEN], now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (exp && datetime_normalise(exp, t) == 0 && strcmp(t, now) <= 0)
		atr_field(&r->err, "expires_at", "in_past",
			  "must lie in the future");
	if (exp && json_is_true(json_object_get(b, "never_expires")))
		atr_field(&r->err, "never_expires", "conflict",
			  "give an expiry or never_expires, not both");
}

/* The stored expiry of body (NULL: never), or def_ms from now when the
 * body says nothing and def_ms > 0; *given tells whether it said. */
static const char *expiry_of(struct req *r, int64_t def_ms, bool *given)
{
	const char *exp = json_string_value(json_object_get(r->body,
							    "expires_at"));
	*given = true;
	if (exp) {
		char *t = arena_alloc(r->arena, ATR_TIME_LEN);
		datetime_normalise(exp, t);
		return t;
	}
	if (json_is_true(json_object_get(r->body, "never_expires")))
		return NULL;
	*given = false;
	if (def_ms <= 0)
		return NULL;
	char *t = arena_alloc(r->arena, ATR_TIME_LEN);
	atr_time_iso(atr_now_ms() + def_ms, t);
	return t;
}

static char *json_text(const json_t *v)
{
	return v && !json_is_null(v) ? json_dumps(v, JSON_COMPACT) : NULL;
}

/* ---- create -------------------------------------------------------------------- */

/* Whether the caller may give member id a token: 0, or -1 with a field
 * error on staff_id (absent, inactive, an administrator) or a 403 (an
 * account the caller may not manage). */
static int owner_check(struct req *r, int64_t id)
{
	struct perm_member m;
	int rc = perm_member_load(r->db, r->who.org_id, id, &m);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0) {
		atr_field(&r->err, "staff_id", "not_found",
			  "no staff member with id %lld", (long long)id);
		return -1;
	}
	if (!m.active) {
		atr_field(&r->err, "staff_id", "inactive",
			  "'%s' is deactivated", m.name);
		return -1;
	}
	if (m.admin && !r->app->cfg.api_tokens_for_admins) {
		atr_field(&r->err, "staff_id", "admin",
			  "'%s' is an administrator: give integrations a "
			  "dedicated member with a limited role (a "
			  "compromised token with admin rights is "
			  "catastrophic)",
			  m.name);
		return -1;
	}
	if (id != r->who.staff_id &&
	    perm_may_manage(r->db, &r->who, id, &r->err) < 0)
		return -1;
	return 0;
}

static int tokens_h_create(struct req *r)
{
	json_t *b = r->body;
	int64_t owner = json_integer_value(json_object_get(b, "staff_id"));
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (owner_check(r, owner) < 0)
		return -1;
	bool given;
	const char *exp = expiry_of(r, DEFAULT_LIFE_MS, &given);
	char tok[API_TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1],
		prefix[API_TOKEN_SHOWN + 1];
	api_token_new(tok);
	token_hash(tok, h);
	atr_strlcpy(prefix, tok, sizeof prefix);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	char *perms = json_text(json_object_get(b, "permissions"));
	json_t *nets_v = json_object_get(b, "allowed_networks");
	char *nets = json_array_size(nets_v) ? json_text(nets_v) : NULL;
	json_t *rl = json_object_get(b, "rate_limit");
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO api_token (org_id, staff_id, name, description, "
		   "prefix, token_hash, permissions, allowed_networks, "
		   "rate_limit, expires_at, created_by, created_at, "
		   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
		   "RETURNING id");
	int rc = -1;
	int64_t id = 0;
	if (st) {
		const char *desc = json_string_value(
			json_object_get(b, "description"));
		db_bind_int(st, 1, r->who.org_id);
		db_bind_int(st, 2, owner);
		db_bind_text(st, 3, json_string_value(json_object_get(b, "name")));
		db_bind_text(st, 4, desc ? desc : "");
		db_bind_text(st, 5, prefix);
		db_bind_text(st, 6, h);
		perms ? db_bind_text(st, 7, perms) : db_bind_null(st, 7);
		nets ? db_bind_text(st, 8, nets) : db_bind_null(st, 8);
		db_bind_int(st, 9, json_is_integer(rl) ? json_integer_value(rl)
						       : API_TOKEN_RATE_DEFAULT);
		exp ? db_bind_text(st, 10, exp) : db_bind_null(st, 10);
		db_bind_int(st, 11, r->who.staff_id);
		db_bind_text(st, 12, now);
		db_bind_text(st, 13, now);
		rc = db_step(st);
		if (rc == 1)
			id = db_col_int(st, 0);
		db_reset(st);
	}
	free(perms);
	free(nets);
	if (rc != 1) {
		sodium_memzero(tok, sizeof tok);
		return req_db_error(r);
	}
	json_t *rec = NULL;
	if (load_json(r, id, &rec) != 1) {
		sodium_memzero(tok, sizeof tok);
		return req_db_error(r);
	}
	json_t *diff = json_pack("{s:{s:O},s:{s:O},s:{s:O},s:{s:O},s:{s:O}}",
				 "name", "to", json_object_get(rec, "name"),
				 "staff_id", "to",
				 json_object_get(rec, "staff_id"), "prefix",
				 "to", json_object_get(rec, "prefix"),
				 "expires_at", "to",
				 json_object_get(rec, "expires_at"),
				 "permissions", "to",
				 json_object_get(rec, "permissions"));
	int a = activity_from_req(r, "create", "api_token", id, diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0) {
		json_decref(rec);
		sodium_memzero(tok, sizeof tok);
		return r->err.kind ? -1 : req_db_error(r);
	}
	/* The one time the token is shown. */
	json_object_set_new(rec, "token", json_string(tok));
	sodium_memzero(tok, sizeof tok);
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/api-tokens/%lld",
				    (long long)id));
	req_json(r, 201, rec);
	return 0;
}

/* ---- one token ------------------------------------------------------------------ */

static int tokens_h_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *rec = NULL;
	int rc = load_json(r, r->id, &rec);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0 || !rec)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"API token %lld not found", (long long)r->id);
	char since[ATR_TIME_LEN];
	atr_time_iso(atr_now_ms() - USAGE_DAYS * DAY_MS, since);
	since[10] = 0;
	struct db_stmt *st = db_prepare(
		c, "SELECT day, requests FROM api_token_usage WHERE token_id = "
		   "? AND day > ? ORDER BY day");
	if (!st) {
		json_decref(rec);
		return req_db_error(r);
	}
	db_bind_int(st, 1, r->id);
	db_bind_text(st, 2, since);
	json_t *days = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(
			days, json_pack("{s:s,s:I}", "day", db_col_text(st, 0),
					"requests",
					(json_int_t)db_col_int(st, 1)));
	db_reset(st);
	if (rc < 0) {
		json_decref(days);
		json_decref(rec);
		return req_db_error(r);
	}
	json_object_set_new(rec, "usage", days);
	req_etag(r, json_integer_value(json_object_get(rec, "version")));
	req_json(r, 200, rec);
	return 0;
}

/* Loads the token for a change in the open transaction (locked on
 * PostgreSQL); 404 when absent, 412 on a stale If-Match, 409 revoked. */
static int load_for_change(struct req *r, json_t **rec)
{
	if (db_conn_dialect(r->db) == DB_PG) {
		struct db_stmt *st = db_prepare(
			r->db, "SELECT id FROM api_token WHERE id = ? AND "
			       "org_id = ? FOR UPDATE");
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
				"API token %lld not found", (long long)r->id);
	if (req_check_version(
		    r, json_integer_value(json_object_get(*rec, "version")),
		    "token") < 0)
		return -1;
	if (!json_is_null(json_object_get(*rec, "revoked_at")))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"API token '%s' is revoked",
				json_string_value(
					json_object_get(*rec, "name")));
	return 0;
}

/* Commits a change: the activity row (diff before/after), the answer. */
static int finish_change(struct req *r, const char *action, json_t *before)
{
	json_t *after = NULL;
	if (load_json(r, r->id, &after) != 1 || !after) {
		json_decref(before);
		return req_db_error(r);
	}
	json_t *diff = json_object();
	static const char *const keys[] = {
		"name",	     "description",  "permissions", "allowed_networks",
		"rate_limit", "expires_at", "revoked_at",  "revoked_reason"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(keys); i++) {
		json_t *x = json_object_get(before, keys[i]),
		       *y = json_object_get(after, keys[i]);
		if (!json_equal(x, y))
			json_object_set_new(diff, keys[i],
					    json_pack("{s:O,s:O}", "from", x,
						      "to", y));
	}
	json_decref(before);
	int a = json_object_size(diff)
			? activity_from_req(r, action, "api_token", r->id, diff)
			: 0;
	json_decref(diff);
	if (a < 0 || db_commit(r->db) < 0) {
		json_decref(after);
		return r->err.kind ? -1 : req_db_error(r);
	}
	req_etag(r, json_integer_value(json_object_get(after, "version")));
	req_json(r, 200, after);
	return 0;
}

static int tokens_h_update(struct req *r)
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
	/* Widening a token (its key role, networks, limit, expiry) is
	 * minting power for its owner: only who could create it for that
	 * member may (owner_check's rule; revoking needs no such right). */
	int64_t owner = json_integer_value(json_object_get(before, "staff_id"));
	if (owner != r->who.staff_id &&
	    perm_may_manage(r->db, &r->who, owner, &r->err) < 0) {
		json_decref(before);
		return -1;
	}
	json_t *b = r->body;
	struct buf sql = BUF_INIT;
	buf_adds(&sql, "UPDATE api_token SET version = version + 1, "
		       "updated_at = ?");
	static const char *const texts[] = {"name", "description"};
	for (size_t i = 0; i < 2; i++)
		if (json_object_get(b, texts[i]))
			buf_printf(&sql, ", %s = ?", texts[i]);
	bool perms = json_object_get(b, "permissions") != NULL;
	bool nets = json_object_get(b, "allowed_networks") != NULL;
	bool rl = json_is_integer(json_object_get(b, "rate_limit"));
	bool given;
	const char *exp = expiry_of(r, 0, &given);
	if (perms)
		buf_adds(&sql, ", permissions = ?");
	if (nets)
		buf_adds(&sql, ", allowed_networks = ?");
	if (rl)
		buf_adds(&sql, ", rate_limit = ?");
	if (given)
		buf_adds(&sql, ", expires_at = ?");
	buf_adds(&sql, " WHERE id = ? AND org_id = ?");
	struct db_stmt *st = db_prepare(c, buf_str(&sql));
	buf_free(&sql);
	if (!st) {
		json_decref(before);
		return req_db_error(r);
	}
	int p = 1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	db_bind_text(st, p++, now);
	for (size_t i = 0; i < 2; i++)
		if (json_object_get(b, texts[i])) {
			const char *s = json_string_value(
				json_object_get(b, texts[i]));
			db_bind_text(st, p++, s ? s : "");
		}
	char *pt = perms ? json_text(json_object_get(b, "permissions")) : NULL;
	json_t *nv = json_object_get(b, "allowed_networks");
	char *nt = nets && json_array_size(nv) ? json_text(nv) : NULL;
	if (perms)
		pt ? db_bind_text(st, p++, pt) : db_bind_null(st, p++);
	if (nets)
		nt ? db_bind_text(st, p++, nt) : db_bind_null(st, p++);
	if (rl)
		db_bind_int(st, p++,
			    json_integer_value(json_object_get(b, "rate_limit")));
	if (given)
		exp ? db_bind_text(st, p++, exp) : db_bind_null(st, p++);
	db_bind_int(st, p++, r->id);
	db_bind_int(st, p++, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	free(pt);
	free(nt);
	if (rc < 0) {
		json_decref(before);
		return req_db_error(r);
	}
	return finish_change(r, "update", before);
}

static int tokens_h_revoke(struct req *r)
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
	const char *reason =
		json_string_value(json_object_get(r->body, "reason"));
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE api_token SET revoked_at = ?, revoked_reason = ?, "
		   "version = version + 1, updated_at = ? WHERE id = ? AND "
		   "org_id = ?");
	if (!st) {
		json_decref(before);
		return req_db_error(r);
	}
	db_bind_text(st, 1, now);
	db_bind_text(st, 2, reason && *reason ? reason : "revoked");
	db_bind_text(st, 3, now);
	db_bind_int(st, 4, r->id);
	db_bind_int(st, 5, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0) {
		json_decref(before);
		return req_db_error(r);
	}
	return finish_change(r, "revoke", before);
}

/* ---- the module ------------------------------------------------------------------ */

static void tokens_stop(struct app *app)
{
	struct db_conn *c = db_acquire(app->db, NULL);
	if (!c)
		return;
	api_token_flush(c);
	db_release(c);
}

static const struct route token_routes[] = {
	{HTTP_GET, "/api/v1/api-tokens", tokens_h_list, ACCESS_PERM,
	 "api_tokens", CAP_VIEW, NULL, NULL, NULL, ROUTE_NO_TOKEN},
	{HTTP_POST, "/api/v1/api-tokens", tokens_h_create, ACCESS_PERM,
	 "api_tokens", CAP_CREATE, &token_schema, NULL, token_check,
	 ROUTE_NO_TOKEN | ROUTE_REAUTH},
	{HTTP_GET, "/api/v1/api-tokens/{id}", tokens_h_get, ACCESS_PERM,
	 "api_tokens", CAP_VIEW, NULL, NULL, NULL, ROUTE_NO_TOKEN},
	{HTTP_PATCH, "/api/v1/api-tokens/{id}", tokens_h_update, ACCESS_PERM,
	 "api_tokens", CAP_EDIT, &patch_schema, NULL, token_check,
	 ROUTE_NO_TOKEN | ROUTE_REAUTH},
	{HTTP_POST, "/api/v1/api-tokens/{id}/revoke", tokens_h_revoke,
	 ACCESS_PERM, "api_tokens", CAP_EDIT, &revoke_schema, NULL, NULL,
	 ROUTE_NO_TOKEN},
	{0},
};

static const struct perm_module token_perms[] = {
	{"api_tokens", "API tokens", PB_VIEW | PB_CREATE | PB_EDIT,
	 "api_token"},
	{0},
};

/* The rate limit's shared minutes (auth/api_token.c), once past. */
static const struct housekeeping token_housekeeping[] = {
	{"DELETE FROM api_token_window WHERE window_start < ? RETURNING "
	 "token_id",
	 1, {10 * 60000}},
	{0},
};

const struct module module_api_tokens = {
	.name = "api_tokens",
	.perms = token_perms,
	.routes = token_routes,
	.housekeeping = token_housekeeping,
	.authenticate = api_token_authenticate,
	.stop = tokens_stop,
};
