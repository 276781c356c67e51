/* activity_api.c — the activity module: reading the activity log.
 *
 * GET /api/v1/activity              a page, through the list-query engine
 * GET /api/v1/activity/{id}         one entry, with the names of the staff
 *                                   its diff refers to
 * GET /api/v1/activity/export       the same selection as CSV
 *
 * Read-only by design: no route updates or deletes activity rows.
 *
 * The log follows the view scope (DESIGN.md): an entry about a record is
 * shown only to whoever may see that record. Each permission module names
 * the `entity` its rows carry (perm_module.log_entity); for a member who
 * is not an administrator the list is the union of one arm per such
 * entity — all its rows when the member has view, the rows of their own
 * records when view_own (the records' own view_own predicate), none
 * otherwise — plus the rows about themselves (their sign-ins). A module's
 * log_also entities (a currency's rates) get an arm with view.
 */
#include "atrium.h"

#include "auth/perm.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/l10n.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "http/http.h"
#include "http/list.h"

#define EXPORT_MAX 10000 /* rows in one CSV export */

#define COLS_BASE                                                              \
	"id, at, actor_id, actor_name, action, entity, entity_id, diff, ip, "  \
	"request_id, "
/* The row's signals (admin/signals.h), one primary-key probe per row of
 * the page: comma-separated kinds, or NULL. */
#define COLS_SQLITE                                                            \
	COLS_BASE "(SELECT group_concat(kind, ',') FROM activity_signal sg "   \
		  "WHERE sg.activity_id = activity_log.id)"
#define COLS_PG                                                                \
	COLS_BASE "(SELECT string_agg(kind, ',' ORDER BY kind) FROM "         \
		  "activity_signal sg WHERE sg.activity_id = activity_log.id)"
#define COLS COLS_SQLITE

/* The kinds a `signal=` filter takes. */
static const char *const signal_kinds[] = {"new_address", "unusual_hours",
					   "mass_delete", NULL};

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "at", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "actor_id", false);
	if (db_col_null(st, 2))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 2));
	jout_key(b, "actor_name", false);
	jout_str(b, db_col_text(st, 3));
	jout_key(b, "action", false);
	jout_str(b, db_col_text(st, 4));
	jout_key(b, "entity", false);
	jout_str(b, db_col_text(st, 5));
	jout_key(b, "entity_id", false);
	if (db_col_null(st, 6))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 6));
	jout_key(b, "diff", false);
	/* Written by us as JSON; re-encoded so a hand-edited row cannot make
	 * the answer invalid. */
	json_t *d = db_col_text(st, 7) ? json_loads(db_col_text(st, 7), 0, NULL)
				       : NULL;
	/* arg: the request, for a caller who is not an administrator: what
	 * only administrators see is left out of the diff. */
	const struct entity *e =
		arg && db_col_text(st, 5) ? entity_find(db_col_text(st, 5)) : NULL;
	if (e)
		entity_redact_diff((struct req *)arg, e, d);
	char *enc = d ? json_dumps(d, JSON_COMPACT) : NULL;
	buf_adds(b, enc ? enc : "null");
	free(enc);
	json_decref(d);
	jout_key(b, "ip", false);
	jout_str(b, db_col_text(st, 8));
	jout_key(b, "request_id", false);
	jout_str(b, db_col_text(st, 9));
	/* Sorted and without repeats whatever the dialect's order. */
	jout_key(b, "signals", false);
	buf_addc(b, '[');
	const char *sig = db_col_text(st, 10);
	for (int i = 0, n = 0; signal_kinds[i]; i++) {
		if (!sig || !strstr(sig, signal_kinds[i]))
			continue;
		if (n++)
			buf_addc(b, ',');
		jout_str(b, signal_kinds[i]);
	}
	buf_addc(b, ']');
	buf_addc(b, '}');
}

static const struct field f_actor = {.name = "actor_id", .type = FT_INT};
static const struct field f_entity = {.name = "entity", .type = FT_TEXT};
static const struct field f_entity_id = {.name = "entity_id",
					 .type = FT_INT};
static const struct field f_action = {.name = "action", .type = FT_TEXT};
static const struct field f_ip = {.name = "ip", .type = FT_TEXT};
static const struct field f_at = {.name = "at", .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_actor, NULL, LIST_FILTER},	  {&f_entity, NULL, LIST_FILTER},
	{&f_entity_id, NULL, LIST_FILTER}, {&f_action, NULL, LIST_FILTER},
	{&f_ip, NULL, LIST_FILTER},	  {&f_at, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

/* "2026-11-24" or a full ISO 8601 UTC time. */
static bool valid_bound(const char *s)
{
	char t[ATR_TIME_LEN];
	return valid_date(s) || datetime_normalise(s, t) == 0;
}

/* from= and to= (a bare date `to` includes that whole day). */
static int param(struct req *r, struct list_query *q, const char *key,
		 const char *op, const char *value, const void *arg)
{
	if (!strcmp(key, "signal")) {
		/* The weekly check's saved filters (admin/signals.h): rows
		 * flagged with this signal, through activity_signal_kind. */
		bool known = false;
		for (int i = 0; signal_kinds[i]; i++)
			known = known || !strcmp(value, signal_kinds[i]);
		if (op || !known)
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"signal must be new_address, "
					"unusual_hours or mass_delete");
		list_where(q, "id IN (SELECT activity_id FROM activity_signal "
			      "WHERE org_id = ? AND kind = ?)");
		list_int(q, r->who.org_id);
		list_text(q, value);
		q->filtered = true;
		return 1;
	}
	bool to = !strcmp(key, "to");
	if (!to && strcmp(key, "from"))
		return 0;
	if (op || !valid_bound(value))
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"%s must be a date like 2026-11-24 or an ISO "
				"8601 time",
				key);
	char t[ATR_TIME_LEN];
	const char *v = value;
	if (strlen(value) != 10 && datetime_normalise(value, t) == 0)
		v = t;
	list_where(q, to ? "at < ?" : "at >= ?");
	list_text(q, to && strlen(value) == 10
			     ? arena_printf(r->arena, "%sT99", value)
			     : v);
	return 1;
}

/* The view scope: arms per visible entity, and the member's own rows. */
static int scope(struct req *r, struct list_query *q, const void *arg)
{
	if (r->who.admin)
		return 0;
	struct arena *a = r->arena;
	for (int i = 0; i < perm_module_count(); i++) {
		const struct perm_module *pm = perm_module_at(i);
		if (!pm->log_entity)
			continue;
		enum perm_grant g = perm_view_scope(&r->who, pm->name);
		const struct entity *e = entity_find(pm->log_entity);
		if (g == PERM_ALL) {
			if (list_arm(q, "entity = ?") < 0)
				goto many;
			list_text(q, pm->log_entity);
			for (const char *const *x = pm->log_also; x && *x; x++) {
				if (list_arm(q, "entity = ?") < 0)
					goto many;
				list_text(q, *x);
			}
		} else if (g == PERM_OWN && e) {
			const struct entity_sql *s = entity_sql_of(e);
			char *cond = arena_printf(
				a, "entity = ? AND entity_id IN (SELECT id FROM "
				   "%s WHERE org_id = ?%s)",
				e->name, s->own);
			if (list_arm(q, cond) < 0)
				goto many;
			list_text(q, pm->log_entity);
			list_int(q, r->who.org_id);
			for (int k = 0; k < s->nown; k++)
				list_int(q, r->who.staff_id);
		}
	}
	/* One's own sign-ins and security events (rows about oneself that
	 * the staff arm above did not already give). */
	if (perm_view_scope(&r->who, "staff") != PERM_ALL) {
		if (list_arm(q, "entity = 'staff' AND entity_id = ?") < 0)
			goto many;
		list_int(q, r->who.staff_id);
	}
	return 0;
many:
	return atr_fail(&r->err, ATR_E_INTERNAL, "too many activity arms");
}

static const struct list_spec spec = {
	.from = "activity_log",
	.cols = COLS,
	.id = "id",
	.org = "org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "-id",
	.limit_default = 25,
	.limit_max = 200,
	.row = row,
	.scope = scope,
	.param = param,
};

/* The spec with the SELECT list of the request's database. */
static int spec_for(struct req *r, struct list_spec *s)
{
	*s = spec;
	if (!req_db(r))
		return -1;
	if (db_conn_dialect(r->db) == DB_PG)
		s->cols = COLS_PG;
	s->arg = r->who.admin ? NULL : r;
	return 0;
}

static int activity_h_list(struct req *r)
{
	struct list_spec s;
	if (spec_for(r, &s) < 0)
		return -1;
	return list_run(r, &s);
}

/* ---- one entry -------------------------------------------------------------- */

/* Collects the staff ids a diff names ({"owner_id":{"from":3,"to":5}},
 * {"assignees":{"from":[3],"to":[3,5]}}) for the fields of type staff or
 * staff list of the entry's entity. */
static void staff_refs(const char *entity, const json_t *diff, json_t *ids)
{
	const struct entity *e = entity ? entity_find(entity) : NULL;
	const char *k;
	json_t *ch;
	json_object_foreach((json_t *)diff, k, ch)
	{
		bool staff = !strcmp(k, "actor_id") || !strcmp(k, "reassigned_to");
		for (int i = 0; e && i < e->schema.nfields; i++)
			if (!strcmp(e->schema.fields[i].name, k) &&
			    (e->schema.fields[i].type == FT_STAFF ||
			     e->schema.fields[i].type == FT_STAFF_LIST))
				staff = true;
		if (!staff)
			continue;
		const char *sides[] = {"from", "to"};
		for (size_t s = 0; s < 2; s++) {
			json_t *v = json_object_get(ch, sides[s]), *item;
			size_t j;
			if (json_is_integer(v))
				json_array_append(ids, v);
			json_array_foreach(v, j, item)
				if (json_is_integer(item) && j < 100)
					json_array_append(ids, item);
		}
	}
}

static const struct field f_id = {.name = "id", .type = FT_INT};

static const struct list_col one_columns[] = {
	{&f_id, NULL, LIST_FILTER},
};

/* GET /api/v1/activity/{id}: the entry (within the caller's scope: the
 * list's, asked for this one id) and {"names": {"staff": {"3": "Ana"}}}
 * for the staff ids it names. */
static int one_h_get(struct req *r)
{
	struct list_spec one;
	if (spec_for(r, &one) < 0)
		return -1;
	one.columns = one_columns;
	one.ncolumns = 1;
	one.param = NULL;
	one.limit_default = 1;
	r->nquery = 0;
	r->query[r->nquery++] = (struct qparam){
		"id", arena_printf(r->arena, "%lld", (long long)r->id)};
	if (list_run(r, &one) < 0)
		return -1;
	json_t *page = json_loadb(r->raw_owned, r->raw_len, 0, NULL);
	json_t *entry = json_incref(json_array_get(json_object_get(page, "data"), 0));
	json_decref(page);
	free(r->raw_owned);
	r->raw_owned = NULL;
	r->raw = NULL;
	r->ctype = NULL;
	if (!entry)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"activity entry %lld not found",
				(long long)r->id);
	json_t *ids = json_array();
	if (json_is_integer(json_object_get(entry, "actor_id")))
		json_array_append(ids, json_object_get(entry, "actor_id"));
	const char *ent = json_string_value(json_object_get(entry, "entity"));
	staff_refs(ent, json_object_get(entry, "diff"), ids);
	if (ent && !strcmp(ent, "staff") &&
	    json_is_integer(json_object_get(entry, "entity_id")))
		json_array_append(ids, json_object_get(entry, "entity_id"));
	/* The names in one query (a staff list's diff names up to twice its
	 * maximum). */
	json_t *names = json_object();
	size_t i, n = json_array_size(ids);
	json_t *v;
	struct buf sql = BUF_INIT;
	buf_adds(&sql, "SELECT id, name FROM staff WHERE org_id = ? AND id IN (");
	for (i = 0; i < n; i++)
		buf_adds(&sql, i ? ", ?" : "?");
	buf_addc(&sql, ')');
	struct db_stmt *st = n ? db_prepare(r->db, buf_str(&sql)) : NULL;
	buf_free(&sql);
	if (st) {
		db_bind_int(st, 1, r->who.org_id);
		json_array_foreach(ids, i, v)
			db_bind_int(st, (int)i + 2,
				    (int64_t)json_integer_value(v));
		while (db_step(st) == 1) {
			char key[24];
			snprintf(key, sizeof key, "%lld",
				 (long long)db_col_int(st, 0));
			json_object_set_new(names, key,
					    json_string(db_col_text(st, 1)));
		}
		db_reset(st);
	}
	json_decref(ids);
	json_object_set_new(entry, "names", json_pack("{s:o}", "staff", names));
	req_json(r, 200, entry);
	return 0;
}

/* ---- CSV export -------------------------------------------------------------- */

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break; a leading = + - @ is prefixed with ' so a spreadsheet does not
 * run it as a formula. */
static void csv_field(struct buf *b, const char *s)
{
	if (!s)
		return;
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		buf_addc(b, '"');
	if (strchr("=+-@", *s) && *s)
		buf_addc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	if (quote)
		buf_addc(b, '"');
}

/* GET /api/v1/activity/export: the list's selection (same filters and
 * scope) as CSV, newest first, at most EXPORT_MAX rows, paged through the
 * engine with its cursor. */
static int activity_h_export(struct req *r)
{
	struct list_spec big;
	if (spec_for(r, &big) < 0)
		return -1;
	big.limit_max = 200;
	int nq = r->nquery;
	for (int i = 0; i < nq; i++)
		if (!strcmp(r->query[i].key, "limit") ||
		    !strcmp(r->query[i].key, "cursor") ||
		    !strcmp(r->query[i].key, "offset") ||
		    !strcmp(r->query[i].key, "sort"))
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"the export takes filters only (no "
					"%s)",
					r->query[i].key);
	if (nq + 2 > QUERY_MAX)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"too many query parameters");
	struct l10n l;
	if (!req_db(r) || l10n_load(r->db, r->who.org_id, r->who.staff_id, &l) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	r->query[r->nquery++] = (struct qparam){"limit", "200"};
	struct buf out = BUF_INIT;
	/* `at` stays ISO 8601 UTC for programs; local_time is the time as the
	 * member reads it (their zone and format). */
	buf_adds(&out, "id,at,actor_id,actor_name,action,entity,entity_id,ip,"
		       "request_id,diff,local_time\r\n");
	int rows = 0;
	const char *cursor = NULL;
	for (;;) {
		r->nquery = nq + 1;
		if (cursor)
			r->query[r->nquery++] =
				(struct qparam){"cursor", cursor};
		if (list_run(r, &big) < 0) {
			buf_free(&out);
			return -1;
		}
		json_t *page = json_loadb(r->raw_owned, r->raw_len, 0, NULL);
		free(r->raw_owned);
		r->raw_owned = NULL;
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(page, "data"), i, e)
		{
			char num[3][24];
			snprintf(num[0], sizeof num[0], "%lld",
				 (long long)json_integer_value(
					 json_object_get(e, "id")));
			snprintf(num[1], sizeof num[1], "%lld",
				 (long long)json_integer_value(
					 json_object_get(e, "actor_id")));
			snprintf(num[2], sizeof num[2], "%lld",
				 (long long)json_integer_value(
					 json_object_get(e, "entity_id")));
			char *diff = json_dumps(json_object_get(e, "diff"),
						JSON_COMPACT | JSON_ENCODE_ANY);
			const char *at =
				json_string_value(json_object_get(e, "at"));
			char local[96] = "";
			if (at && atr_iso_ms(at) >= 0)
				l10n_format_datetime(&l, atr_iso_ms(at), local,
						     sizeof local);
			const char *cells[] = {
				num[0],
				json_string_value(json_object_get(e, "at")),
				json_is_null(json_object_get(e, "actor_id"))
					? NULL
					: num[1],
				json_string_value(
					json_object_get(e, "actor_name")),
				json_string_value(json_object_get(e, "action")),
				json_string_value(json_object_get(e, "entity")),
				json_is_null(json_object_get(e, "entity_id"))
					? NULL
					: num[2],
				json_string_value(json_object_get(e, "ip")),
				json_string_value(
					json_object_get(e, "request_id")),
				diff && strcmp(diff, "null") ? diff : NULL,
				local,
			};
			for (size_t k = 0; k < ATR_ARRAY_LEN(cells); k++) {
				if (k)
					buf_addc(&out, ',');
				csv_field(&out, cells[k]);
			}
			buf_adds(&out, "\r\n");
			free(diff);
			rows++;
		}
		const char *next = json_string_value(
			json_object_get(page, "next_cursor"));
		cursor = next && rows < EXPORT_MAX ? arena_strdup(r->arena, next)
						   : NULL;
		json_decref(page);
		if (!cursor)
			break;
	}
	r->raw_len = out.len;
	r->raw_owned = buf_detach(&out);
	r->raw = r->raw_owned;
	r->ctype = "text/csv; charset=utf-8";
	req_add_header(r, "Content-Disposition",
		       "attachment; filename=\"activity.csv\"");
	r->status = 200;
	return 0;
}

static const struct route activity_routes[] = {
	{HTTP_GET, "/api/v1/activity", activity_h_list, ACCESS_PERM,
	 "activity", CAP_VIEW, NULL, NULL},
	{HTTP_GET, "/api/v1/activity/export", activity_h_export, ACCESS_PERM,
	 "activity", CAP_VIEW, NULL, NULL},
	{HTTP_GET, "/api/v1/activity/{id}", one_h_get, ACCESS_PERM, "activity",
	 CAP_VIEW, NULL, NULL},
	{0},
};

static const struct perm_module activity_perms[] = {
	{"activity", "Activity log", PB_VIEW},
	{0},
};

const struct module module_activity = {
	.name = "activity",
	.perms = activity_perms,
	.routes = activity_routes,
};
