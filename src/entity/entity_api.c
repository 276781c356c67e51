/* entity_api.c — generic CRUD over the entity registry.
 *
 * SQL that does not depend on the request (column list, fetch, insert,
 * delete) is built once per entity at start-up; list queries add only the
 * WHERE and ORDER BY the request asks for, from fields the registry marks
 * filterable, searchable and sortable — never from raw input.
 *
 * Each write runs in one transaction: the row, its activity-log row, its
 * outbox event, the entity count and the idempotency record commit
 * together or not at all.
 */
#include "atrium.h"

#include <sodium.h>

#include "auth/staff_store.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"

#define LIST_DEFAULT 25
#define LIST_MAX 200
#define SEARCH_MAX 200
#define IDEMPOTENCY_KEY_MAX 200
#define NBASE 5 /* id, created_at, updated_at, version, created_by */

struct entity_sql {
	char *cols;   /* "id, created_at, ..., name, company" */
	char *get;    /* one record by id and org */
	char *get_own; /* the same, limited to the member's own records */
	char *own;    /* " AND (...)": the view_own predicate */
	int nown;     /* its parameters, each the member's staff id */
	char *insert; /* all fields, RETURNING cols */
	char *del;    /* DELETE ... RETURNING id */
};

/* Every module's entities and their SQL, parallel arrays built by
 * records_init and read-only afterwards. */
static const struct entity **entities;
static struct entity_sql *sqls;
static int nentities;

static int entity_index(const struct entity *e)
{
	for (int i = 0; i < nentities; i++)
		if (entities[i] == e)
			return i;
	ATR_ASSERT(0);
	return -1;
}

int entity_count(void)
{
	return nentities;
}

const struct entity *entity_at(int i)
{
	return i >= 0 && i < nentities ? entities[i] : NULL;
}

const struct entity *entity_find(const char *name)
{
	for (int i = 0; i < nentities; i++)
		if (!strcmp(entities[i]->name, name))
			return entities[i];
	return NULL;
}

static void build_sql(const struct entity *e, struct entity_sql *s)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "id, created_at, updated_at, version, created_by");
	for (int i = 0; i < e->schema.nfields; i++)
		buf_printf(&b, ", %s", e->schema.fields[i].name);
	s->cols = buf_detach(&b);
	s->get = xasprintf("SELECT %s FROM %s WHERE id = ? AND org_id = ?",
			   s->cols, e->name);
	/* view_own: owner, assignee, or one of the member's departments or
	 * teams, for whichever of those fields the entity has. */
	buf_adds(&b, " AND (");
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		const char *sep = s->nown ? " OR " : "";
		if (f->flags & (F_OWNER | F_ASSIGNEE))
			buf_printf(&b, "%s%s = ?", sep, f->name);
		else if (f->flags & F_DEPARTMENT)
			buf_printf(&b, "%s%s IN (SELECT department_id FROM "
				       "staff_department WHERE staff_id = ?)",
				   sep, f->name);
		else if (f->flags & F_TEAM)
			buf_printf(&b, "%s%s IN (SELECT team_id FROM "
				       "staff_team WHERE staff_id = ?)",
				   sep, f->name);
		else
			continue;
		s->nown++;
	}
	if (e->member_table) {
		buf_printf(&b, "%sid IN (SELECT %s FROM %s WHERE staff_id = ?)",
			   s->nown ? " OR " : "", e->member_col,
			   e->member_table);
		s->nown++;
	}
	buf_adds(&b, s->nown ? ")" : "1 = 0)");
	s->own = buf_detach(&b);
	s->get_own = xasprintf("%s%s", s->get, s->own);
	buf_printf(&b, "INSERT INTO %s (org_id, created_by, created_at, "
		       "updated_at, version",
		   e->name);
	for (int i = 0; i < e->schema.nfields; i++)
		buf_printf(&b, ", %s", e->schema.fields[i].name);
	buf_adds(&b, ") VALUES (?, ?, ?, ?, 1");
	for (int i = 0; i < e->schema.nfields; i++)
		buf_adds(&b, ", ?");
	buf_printf(&b, ") RETURNING %s", s->cols);
	s->insert = buf_detach(&b);
	s->del = xasprintf("DELETE FROM %s WHERE id = ? AND org_id = ? "
			   "RETURNING id",
			   e->name);
}

/* ---- values between JSON and SQL ---------------------------------------- */

void entity_row_write(const struct entity *e, struct db_stmt *st,
		      struct buf *b)
{
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "updated_at", false);
	jout_str(b, db_col_text(st, 2));
	jout_key(b, "version", false);
	jout_int(b, db_col_int(st, 3));
	jout_key(b, "created_by", false);
	if (db_col_null(st, 4))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 4));
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		int col = NBASE + i;
		jout_key(b, f->name, false);
		if (db_col_null(st, col)) {
			buf_adds(b, f->type == FT_TAGS ? "[]" : "null");
			continue;
		}
		switch (f->type) {
		case FT_MONEY: {
			char m[32];
			money_format(db_col_int(st, col), m);
			jout_str(b, m);
			break;
		}
		case FT_STAFF:
		case FT_INT:
			jout_int(b, db_col_int(st, col));
			break;
		case FT_BOOL:
			buf_adds(b, db_col_int(st, col) ? "true" : "false");
			break;
		case FT_TAGS: {
			/* Stored as JSON by us; re-encode so a hand-edited
			 * row can never make the response invalid. */
			json_t *t = json_loads(db_col_text(st, col), 0, NULL);
			char *enc = json_is_array(t)
					    ? json_dumps(t, JSON_COMPACT)
					    : NULL;
			buf_adds(b, enc ? enc : "[]");
			free(enc);
			json_decref(t);
			break;
		}
		default:
			jout_str(b, db_col_text(st, col));
			break;
		}
	}
	buf_addc(b, '}');
}

json_t *entity_row_json(const struct entity *e, struct db_stmt *st)
{
	struct buf b = BUF_INIT;
	entity_row_write(e, st, &b);
	json_t *o = json_loadb(b.p, b.len, 0, NULL);
	buf_free(&b);
	ATR_ASSERT(o);
	return o;
}

/* Binds a validated JSON value of f at idx; "" and null store NULL. */
static void bind_value(struct db_stmt *st, int idx, const struct field *f,
		       const json_t *v)
{
	if (!v || json_is_null(v)) {
		db_bind_null(st, idx);
		return;
	}
	switch (f->type) {
	case FT_MONEY: {
		int64_t cents = 0;
		money_from_json(v, &cents);
		db_bind_int(st, idx, cents);
		return;
	}
	case FT_STAFF:
	case FT_INT:
		db_bind_int(st, idx, (int64_t)json_integer_value(v));
		return;
	case FT_BOOL:
		db_bind_int(st, idx, json_is_true(v));
		return;
	case FT_TAGS: {
		if (json_array_size(v) == 0) {
			db_bind_null(st, idx);
			return;
		}
		char *s = json_dumps(v, JSON_COMPACT);
		db_bind_text(st, idx, s);
		free(s);
		return;
	}
	default: {
		const char *s = json_string_value(v);
		if (!*s)
			db_bind_null(st, idx);
		else
			db_bind_text(st, idx, s);
		return;
	}
	}
}

/* The value a record would hold after storing v (for diffs and echo). */
static json_t *normalised(const struct field *f, const json_t *v)
{
	if (!v || json_is_null(v))
		return f->type == FT_TAGS ? json_array() : json_null();
	if (f->type == FT_MONEY) {
		int64_t cents = 0;
		char m[32];
		money_from_json(v, &cents);
		money_format(cents, m);
		return json_string(m);
	}
	if (json_is_string(v) && !*json_string_value(v))
		return json_null();
	return json_deep_copy(v);
}

/* ---- validation --------------------------------------------------------- */

/* The route check: staff references must be active members of the org
 * (those the staff directory shows); any other id — absent, another
 * organisation's, deactivated — gets the same answer, so none can be
 * probed. Runs after the schema check, adding to the same error list. */
void entity_check_refs(struct req *r)
{
	const struct entity *e = r->route->arg;
	struct db_conn *c = NULL;
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		json_t *v = json_object_get(r->body, f->name);
		if (f->type != FT_STAFF || !json_is_integer(v) ||
		    json_integer_value(v) < 1)
			continue;
		if (!c && !(c = req_db(r)))
			return;
		int ex = staff_store_assignable(c, r->who.org_id,
						(int64_t)json_integer_value(v));
		if (ex < 0) {
			atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
			return;
		}
		if (ex == 0)
			atr_field(&r->err, f->name, "not_found",
				  "no active staff member with id %lld",
				  (long long)json_integer_value(v));
	}
}

/* ---- helpers ------------------------------------------------------------ */

static void set_etag(struct req *r, int64_t version)
{
	req_add_header(r, "ETag",
		       arena_printf(r->arena, "\"%lld\"", (long long)version));
}

/* Loads one record (in the caller's org); 1 found, 0 not, -1 error. */
static int load_record(struct req *r, const struct entity *e, json_t **out)
{
	struct entity_sql *s = &sqls[entity_index(e)];
	enum perm_grant scope = perm_view_scope(&r->who, e->plural);
	if (scope == PERM_DENY)
		return 0; /* cannot see it: as if it did not exist */
	struct db_stmt *st =
		db_prepare(r->db, scope == PERM_OWN ? s->get_own : s->get);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	if (scope == PERM_OWN)
		for (int i = 0; i < s->nown; i++)
			db_bind_int(st, 3 + i, r->who.staff_id);
	int rc = db_step(st);
	if (rc == 1)
		*out = entity_row_json(e, st);
	db_reset(st);
	return rc;
}

static int count_add(struct db_conn *c, int64_t org, const char *entity,
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

/* After a failed write: a unique violation becomes a field error on the
 * entity's unique field, anything else a database error. */
static int write_error(struct req *r, const struct entity *e)
{
	if (r->db && db_err_unique(r->db)) {
		for (int i = 0; i < e->schema.nfields; i++)
			if (e->schema.fields[i].flags & F_UNIQUE) {
				atr_field(&r->err, e->schema.fields[i].name,
					  "taken", "is already used by another "
					  "%s", e->name);
				return -1;
			}
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"the %s conflicts with an existing one",
				e->name);
	}
	return req_db_error(r);
}

/* ---- list --------------------------------------------------------------- */

struct sql_param {
	bool is_int;
	int64_t i;
	const char *s;
};

#define LIST_PARAMS 40

static void like_pattern(struct buf *b, const char *q)
{
	buf_addc(b, '%');
	for (const char *p = q; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_addc(b, '\\');
		buf_addc(b, (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p);
	}
	buf_addc(b, '%');
}

static bool base_sortable(const char *n)
{
	return !strcmp(n, "id") || !strcmp(n, "created_at") ||
	       !strcmp(n, "updated_at");
}

int entity_h_list(struct req *r)
{
	const struct entity *e = r->route->arg;
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t limit = LIST_DEFAULT, offset = 0;
	const char *sort = "-id", *q = NULL;
	struct buf where = BUF_INIT;
	struct sql_param params[LIST_PARAMS];
	int np = 0;
	bool filtered = false;
	int rc = -1;

	params[np++] = (struct sql_param){true, r->who.org_id, NULL};
	buf_adds(&where, " WHERE org_id = ?");
	if (perm_view_scope(&r->who, e->plural) == PERM_OWN) {
		struct entity_sql *s0 = &sqls[entity_index(e)];
		buf_adds(&where, s0->own);
		for (int i = 0; i < s0->nown; i++)
			params[np++] =
				(struct sql_param){true, r->who.staff_id, NULL};
		filtered = true;
	}

	for (int i = 0; i < r->nquery; i++) {
		const char *k = r->query[i].key, *v = r->query[i].value;
		int pg = req_page_param(r, k, v, &limit, &offset, LIST_MAX);
		if (pg < 0)
			goto out;
		if (pg)
			continue;
		if (!strcmp(k, "sort")) {
			sort = v;
			continue;
		}
		if (!strcmp(k, "q")) {
			if (strlen(v) > SEARCH_MAX) {
				atr_fail(&r->err, ATR_E_BAD_REQUEST,
					 "q must be at most %d bytes",
					 SEARCH_MAX);
				goto out;
			}
			q = v;
			continue;
		}
		const struct field *f = schema_find(&e->schema, k);
		if (!f) {
			atr_fail(&r->err, ATR_E_BAD_REQUEST,
				 "unknown query parameter '%s'", k);
			goto out;
		}
		if (!(f->flags & F_FILTER)) {
			atr_fail(&r->err, ATR_E_BAD_REQUEST,
				 "cannot filter on '%s'", k);
			goto out;
		}
		if (np >= LIST_PARAMS - 8) {
			atr_fail(&r->err, ATR_E_BAD_REQUEST,
				 "too many filters");
			goto out;
		}
		filtered = true;
		if (f->type == FT_STAFF || f->type == FT_INT) {
			int64_t n;
			if (atr_parse_i64(v, &n) < 0) {
				atr_fail(&r->err, ATR_E_BAD_REQUEST,
					 "%s must be an integer", k);
				goto out;
			}
			buf_printf(&where, " AND %s = ?", f->name);
			params[np++] = (struct sql_param){true, n, NULL};
		} else if (f->type == FT_TAGS) {
			/* Tags are stored as a JSON array: look for the
			 * JSON-encoded string, quotes included. */
			json_t *js = json_string(v);
			char *enc = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
			json_decref(js);
			if (!enc) {
				atr_fail(&r->err, ATR_E_BAD_REQUEST,
					 "%s must be valid UTF-8", k);
				goto out;
			}
			buf_printf(&where, " AND %s(%s, ?) > 0",
				   db_conn_dialect(c) == DB_PG ? "strpos"
							       : "instr",
				   f->name);
			params[np++] = (struct sql_param){
				false, 0, arena_strdup(r->arena, enc)};
			free(enc);
		} else {
			buf_printf(&where, " AND %s = ?", f->name);
			params[np++] = (struct sql_param){false, 0, v};
		}
	}
	if (q && *q) {
		filtered = true;
		struct buf pat = BUF_INIT;
		like_pattern(&pat, q);
		const char *p = arena_strdup(r->arena, buf_str(&pat));
		buf_free(&pat);
		buf_adds(&where, " AND (");
		int n = 0;
		for (int i = 0; i < e->schema.nfields; i++) {
			const struct field *f = &e->schema.fields[i];
			if (!(f->flags & F_SEARCH))
				continue;
			buf_printf(&where, "%slower(%s) LIKE ? ESCAPE '\\'",
				   n++ ? " OR " : "", f->name);
			params[np++] = (struct sql_param){false, 0, p};
		}
		buf_addc(&where, ')');
	}

	bool desc = sort[0] == '-';
	const char *sname = desc ? sort + 1 : sort;
	const struct field *sf = schema_find(&e->schema, sname);
	if (!base_sortable(sname) && (!sf || !(sf->flags & F_SORT))) {
		atr_fail(&r->err, ATR_E_BAD_REQUEST, "cannot sort by '%s'",
			 sname);
		goto out;
	}
	bool textual = sf && sf->type != FT_MONEY && sf->type != FT_STAFF &&
		       sf->type != FT_INT;
	const char *dir = desc ? "DESC" : "ASC";

	struct buf sql = BUF_INIT;
	struct entity_sql *s = &sqls[entity_index(e)];
	buf_printf(&sql, "SELECT %s FROM %s%s ORDER BY ", s->cols, e->name,
		   buf_str(&where));
	if (textual)
		buf_printf(&sql, "lower(%s) %s NULLS LAST, ", sname, dir);
	else if (strcmp(sname, "id"))
		buf_printf(&sql, "%s %s NULLS LAST, ", sname, dir);
	buf_printf(&sql, "id %s LIMIT ? OFFSET ?", dir);

	struct db_stmt *st = db_prepare(c, buf_str(&sql));
	buf_free(&sql);
	if (!st) {
		req_db_error(r);
		goto out;
	}
	for (int i = 0; i < np; i++) {
		if (params[i].is_int)
			db_bind_int(st, i + 1, params[i].i);
		else
			db_bind_text(st, i + 1, params[i].s);
	}
	db_bind_int(st, np + 1, limit);
	db_bind_int(st, np + 2, offset);
	struct buf out = BUF_INIT;
	buf_grow(&out, (size_t)limit * 512); /* a record is ~400 bytes */
	buf_adds(&out, "{\"data\":[");
	int s_rc, nrows = 0;
	while ((s_rc = db_step(st)) == 1) {
		if (nrows++)
			buf_addc(&out, ',');
		entity_row_write(e, st, &out);
	}
	db_reset(st);
	if (s_rc < 0) {
		buf_free(&out);
		req_db_error(r);
		goto out;
	}

	/* The total: the maintained count when unfiltered, else COUNT. */
	int64_t total = 0;
	if (!filtered) {
		st = db_prepare(c, "SELECT n FROM entity_count "
				   "WHERE org_id = ? AND entity = ?");
		if (st) {
			db_bind_int(st, 1, r->who.org_id);
			db_bind_text(st, 2, e->name);
			s_rc = db_step(st);
			if (s_rc == 1)
				total = db_col_int(st, 0);
			db_reset(st);
		}
	} else {
		char *csql = arena_printf(r->arena, "SELECT COUNT(*) FROM %s%s",
					  e->name, buf_str(&where));
		st = db_prepare(c, csql);
		if (st) {
			for (int i = 0; i < np; i++) {
				if (params[i].is_int)
					db_bind_int(st, i + 1, params[i].i);
				else
					db_bind_text(st, i + 1, params[i].s);
			}
			s_rc = db_step(st);
			if (s_rc == 1)
				total = db_col_int(st, 0);
			db_reset(st);
		}
	}
	if (!st || s_rc < 0) {
		buf_free(&out);
		req_db_error(r);
		goto out;
	}
	buf_printf(&out, "],\"total\":%lld,\"limit\":%lld,\"offset\":%lld}",
		   (long long)total, (long long)limit, (long long)offset);
	req_raw_json(r, 200, &out);
	rc = 0;
out:
	buf_free(&where);
	return rc;
}

/* ---- get ---------------------------------------------------------------- */

int entity_h_get(struct req *r)
{
	const struct entity *e = r->route->arg;
	if (!req_db(r))
		return -1;
	json_t *rec = NULL;
	int rc = load_record(r, e, &rec);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
				e->name, (long long)r->id);
	set_etag(r, json_integer_value(json_object_get(rec, "version")));
	req_json(r, 200, rec);
	return 0;
}

/* ---- create ------------------------------------------------------------- */

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
static int idempotent_replay(struct req *r, const char *key,
			     const char *hash)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT route, body_hash, status, response, location "
		       "FROM idempotency_key WHERE org_id = ? AND staff_id = ? "
		       "AND key = ? AND created_at > ?");
	if (!st)
		return req_db_error(r);
	/* A key is honoured for 24 hours (housekeeping removes it after). */
	char day_ago[ATR_TIME_LEN];
	atr_time_iso(atr_now_ms() - 24LL * 3600 * 1000, day_ago);
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, r->who.staff_id);
	db_bind_text(st, 3, key);
	db_bind_text(st, 4, day_ago);
	int rc = db_step(st);
	if (rc == 1) {
		if (strcmp(db_col_text(st, 0), r->route->path) ||
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
			set_etag(r, json_integer_value(
					    json_object_get(r->out, "version")));
	}
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	return rc;
}

static int idempotent_store(struct req *r, const char *key, const char *hash,
			    const char *location)
{
	char now[ATR_TIME_LEN], day_ago[ATR_TIME_LEN];
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() - 24LL * 3600 * 1000, day_ago);
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
		db_bind_text(st, 4, r->route->path);
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

int entity_h_create(struct req *r)
{
	const struct entity *e = r->route->arg;
	const char *key = req_header(r, "Idempotency-Key");
	if (key) {
		size_t kl = strlen(key);
		bool ok = kl >= 1 && kl <= IDEMPOTENCY_KEY_MAX;
		for (size_t i = 0; ok && i < kl; i++)
			ok = key[i] > 0x20 && key[i] < 0x7f;
		if (!ok)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"Idempotency-Key must be 1..%d "
					"printable ASCII characters",
					IDEMPOTENCY_KEY_MAX);
	}
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	char hash[65] = "";
	if (key) {
		body_hash(r, hash);
		int rep = idempotent_replay(r, key, hash);
		if (rep != 0) {
			db_rollback(c);
			return rep < 0 ? -1 : 0;
		}
	}

	struct entity_sql *s = &sqls[entity_index(e)];
	struct db_stmt *st = db_prepare(c, s->insert);
	if (!st)
		return req_db_error(r);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, r->who.staff_id);
	db_bind_text(st, 3, now);
	db_bind_text(st, 4, now);
	json_t *diff = json_object();
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		json_t *v = json_object_get(r->body, f->name);
		json_t *dflt = NULL;
		if (!v || json_is_null(v)) {
			if (f->def)
				v = dflt = json_string(f->def);
			else if (f->flags & F_OWNER)
				v = dflt = json_integer(r->who.staff_id);
		}
		bind_value(st, 5 + i, f, v);
		json_t *nv = normalised(f, v);
		if (!json_is_null(nv) &&
		    !(json_is_array(nv) && !json_array_size(nv)))
			json_object_set_new(diff, f->name,
					    json_pack("{s:O}", "to", nv));
		json_decref(nv);
		json_decref(dflt);
	}
	int rc = db_step(st);
	json_t *rec = rc == 1 ? entity_row_json(e, st) : NULL;
	db_reset(st);
	if (rc != 1) {
		json_decref(diff);
		return write_error(r, e);
	}
	int64_t id = json_integer_value(json_object_get(rec, "id"));
	if (activity_from_req(r, "create", e->name, id, diff) < 0 ||
	    outbox_emit(c, r->who.org_id, e->name, id, "created", NULL, rec) <
		    0 ||
	    count_add(c, r->who.org_id, e->name, 1) < 0) {
		json_decref(diff);
		json_decref(rec);
		return r->err.kind ? -1 : req_db_error(r);
	}
	json_decref(diff);
	char *loc = arena_printf(r->arena, "/api/v1/%s/%lld", e->plural,
				 (long long)id);
	req_json(r, 201, rec);
	if (key && idempotent_store(r, key, hash, loc) < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_add_header(r, "Location", loc);
	set_etag(r, 1);
	return 0;
}

/* ---- update ------------------------------------------------------------- */

int entity_h_update(struct req *r)
{
	const struct entity *e = r->route->arg;
	int64_t want = req_if_match(r);
	if (want == -1)
		return atr_fail(&r->err, ATR_E_PRECOND_REQ,
				"send If-Match with the ETag of the record "
				"you edited");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *before = NULL;
	int rc = load_record(r, e, &before);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
				e->name, (long long)r->id);
	int64_t version = json_integer_value(json_object_get(before, "version"));
	if (want != version) {
		json_decref(before);
		return atr_fail(&r->err, ATR_E_PRECONDITION,
				"%s %lld was changed by someone else (now "
				"version %lld); reload it and apply your "
				"change again",
				e->name, (long long)r->id, (long long)version);
	}

	/* Only fields whose value changes are written and logged. */
	struct buf sql = BUF_INIT;
	json_t *diff = json_object();
	buf_printf(&sql, "UPDATE %s SET ", e->name);
	int nset = 0;
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		json_t *v = json_object_get(r->body, f->name);
		if (!v)
			continue;
		json_t *nv = normalised(f, v);
		json_t *old = json_object_get(before, f->name);
		if (!json_equal(nv, old)) {
			buf_printf(&sql, "%s = ?, ", f->name);
			json_object_set_new(diff, f->name,
					    json_pack("{s:O,s:O}", "from", old,
						      "to", nv));
			nset++;
		}
		json_decref(nv);
	}
	if (nset == 0) {
		buf_free(&sql);
		json_decref(diff);
		db_rollback(c);
		set_etag(r, version);
		req_json(r, 200, before);
		return 0;
	}
	struct entity_sql *s = &sqls[entity_index(e)];
	buf_printf(&sql,
		   "updated_at = ?, version = version + 1 WHERE id = ? AND "
		   "org_id = ? AND version = ? RETURNING %s",
		   s->cols);
	struct db_stmt *st = db_prepare(c, buf_str(&sql));
	buf_free(&sql);
	if (!st) {
		json_decref(diff);
		json_decref(before);
		return req_db_error(r);
	}
	int idx = 1;
	for (int i = 0; i < e->schema.nfields; i++) {
		const struct field *f = &e->schema.fields[i];
		if (json_object_get(diff, f->name))
			bind_value(st, idx++, f,
				   json_object_get(r->body, f->name));
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	db_bind_text(st, idx++, now);
	db_bind_int(st, idx++, r->id);
	db_bind_int(st, idx++, r->who.org_id);
	db_bind_int(st, idx++, version);
	rc = db_step(st);
	json_t *after = rc == 1 ? entity_row_json(e, st) : NULL;
	db_reset(st);
	if (rc != 1) {
		json_decref(diff);
		json_decref(before);
		return rc < 0 ? write_error(r, e)
			      : atr_fail(&r->err, ATR_E_PRECONDITION,
					 "%s %lld was changed by someone else",
					 e->name, (long long)r->id);
	}
	rc = activity_from_req(r, "update", e->name, r->id, diff);
	if (!rc && outbox_emit(c, r->who.org_id, e->name, r->id, "updated",
			       before, after) < 0)
		rc = req_db_error(r);
	json_decref(diff);
	json_decref(before);
	if (rc < 0 || db_commit(c) < 0) {
		json_decref(after);
		return r->err.kind ? -1 : req_db_error(r);
	}
	set_etag(r, json_integer_value(json_object_get(after, "version")));
	req_json(r, 200, after);
	return 0;
}

/* ---- delete ------------------------------------------------------------- */

int entity_h_delete(struct req *r)
{
	const struct entity *e = r->route->arg;
	int64_t want = req_if_match(r);
	bool present = want != -1;
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *before = NULL;
	int rc = load_record(r, e, &before);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "%s %lld not found",
				e->name, (long long)r->id);
	int64_t version = json_integer_value(json_object_get(before, "version"));
	if (present && want != version) {
		json_decref(before);
		return atr_fail(&r->err, ATR_E_PRECONDITION,
				"%s %lld was changed by someone else (now "
				"version %lld)",
				e->name, (long long)r->id, (long long)version);
	}
	struct entity_sql *s = &sqls[entity_index(e)];
	struct db_stmt *st = db_prepare(c, s->del);
	if (!st) {
		json_decref(before);
		return req_db_error(r);
	}
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	json_t *diff = json_object();
	for (int i = 0; i < e->schema.nfields; i++) {
		const char *n = e->schema.fields[i].name;
		json_t *v = json_object_get(before, n);
		if (v && !json_is_null(v) &&
		    !(json_is_array(v) && !json_array_size(v)))
			json_object_set_new(diff, n,
					    json_pack("{s:O}", "from", v));
	}
	if (rc == 1 || rc == 0)
		rc = activity_from_req(r, "delete", e->name, r->id, diff);
	else
		rc = req_db_error(r);
	if (!rc && (outbox_emit(c, r->who.org_id, e->name, r->id, "deleted",
				before, NULL) < 0 ||
		    count_add(c, r->who.org_id, e->name, -1) < 0))
		rc = req_db_error(r);
	json_decref(diff);
	json_decref(before);
	if (rc < 0)
		return -1;
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

/* ---- the records module ------------------------------------------------ */

static void records_fini(struct app *app)
{
	for (int i = 0; i < nentities; i++) {
		struct entity_sql *q = &sqls[i];
		free(q->cols);
		free(q->get);
		free(q->get_own);
		free(q->own);
		free(q->insert);
		free(q->del);
	}
	free(sqls);
	free(entities);
	sqls = NULL;
	entities = NULL;
	nentities = 0;
}

/* True when the module routes e's collection at /api/v1/<plural>. */
static bool routed(const struct module *m, const struct entity *e)
{
	char path[128];
	snprintf(path, sizeof path, "/api/v1/%s", e->plural);
	for (const struct route *rt = m->routes; rt && rt->path; rt++)
		if (rt->arg == e && rt->fn == entity_h_list &&
		    !strcmp(rt->path, path) && !strcmp(rt->module, e->plural))
			return true;
	return false;
}

/* Collects every module's entities, checks each has its permission
 * module and routes, and builds the SQL that does not depend on the
 * request. */
static int records_init(struct app *app, struct atr_err *err)
{
	records_fini(app);
	int cap = 0;
	for (int m = 0; app->modules[m]; m++)
		for (const struct entity *const *e = app->modules[m]->entities;
		     e && *e; e++)
			cap++;
	entities = xcalloc((size_t)cap + 1, sizeof *entities);
	sqls = xcalloc((size_t)cap + 1, sizeof *sqls);
	for (int m = 0; app->modules[m]; m++) {
		const struct module *mod = app->modules[m];
		for (const struct entity *const *ep = mod->entities; ep && *ep;
		     ep++) {
			const struct entity *e = *ep;
			if (entity_find(e->name))
				return atr_fail(err, ATR_E_INTERNAL,
						"entity '%s' is declared twice",
						e->name);
			if (perm_module_index(e->plural) < 0 || !routed(mod, e))
				return atr_fail(err, ATR_E_INTERNAL,
						"entity '%s' needs the "
						"permission module '%s' and "
						"ENTITY_ROUTES in module %s",
						e->name, e->plural, mod->name);
			entities[nentities] = e;
			build_sql(e, &sqls[nentities]);
			nentities++;
		}
	}
	return 0;
}

/* Replays are honoured for 24 hours, as payment APIs do. */
static const struct housekeeping records_housekeeping[] = {
	{"DELETE FROM idempotency_key WHERE created_at < ? RETURNING org_id",
	 1, {24LL * 3600 * 1000}},
	{0},
};

const struct module module_records = {
	.name = "records",
	.housekeeping = records_housekeeping,
	.init = records_init,
	.fini = records_fini,
};
