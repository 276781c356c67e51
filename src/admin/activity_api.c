/* activity_api.c — GET /api/v1/activity: read the activity log.
 *
 * Read-only by design: no route updates or deletes activity rows.
 */
#include "atrium.h"

#include "auth/perm.h"
#include "core/buf.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"

#define ACTIVITY_PAGE_DEFAULT 25
#define ACTIVITY_PAGE_MAX 200

/* "2026-11-24" or a full timestamp; returns false when malformed. */
static bool valid_date(const char *s)
{
	size_t n = strlen(s);
	if (n != 10 && (n < 20 || n > 24))
		return false;
	int y, m, d;
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 ||
	    d < 1 || d > 31 || s[4] != '-' || s[7] != '-')
		return false;
	if (n > 10 && (s[10] != 'T' || s[n - 1] != 'Z'))
		return false;
	return true;
}

static int activity_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct buf where = BUF_INIT;
	struct {
		bool is_int;
		int64_t i;
		const char *s;
	} p[12];
	int np = 0, rc = -1;
	int64_t limit = ACTIVITY_PAGE_DEFAULT, offset = 0;
	buf_adds(&where, " WHERE org_id = ?");
	p[np].is_int = true;
	p[np++].i = r->who.org_id;
	for (int i = 0; i < r->nquery; i++) {
		const char *k = r->query[i].key, *v = r->query[i].value;
		int64_t n;
		int pg = req_page_param(r, k, v, &limit, &offset,
					ACTIVITY_PAGE_MAX);
		if (pg < 0)
			goto out;
		if (pg)
			continue;
		if (!strcmp(k, "actor_id") || !strcmp(k, "entity_id")) {
			if (atr_parse_i64(v, &n) < 0) {
				atr_fail(&r->err, ATR_E_BAD_REQUEST,
					 "%s must be an integer", k);
				goto out;
			}
			buf_printf(&where, " AND %s = ?", k);
			p[np].is_int = true;
			p[np++].i = n;
		} else if (!strcmp(k, "entity") || !strcmp(k, "action")) {
			buf_printf(&where, " AND %s = ?", k);
			p[np].is_int = false;
			p[np++].s = v;
		} else if (!strcmp(k, "from") || !strcmp(k, "to")) {
			if (!valid_date(v)) {
				atr_fail(&r->err, ATR_E_BAD_REQUEST,
					 "%s must be a date like 2026-11-24 "
					 "or an ISO 8601 UTC time",
					 k);
				goto out;
			}
			/* "to" a bare date includes that whole day. */
			bool to = k[0] == 't';
			buf_printf(&where, " AND at %s ?", to ? "<" : ">=");
			p[np].is_int = false;
			p[np++].s = to && strlen(v) == 10
					    ? arena_printf(r->arena, "%sT99", v)
					    : v;
		} else {
			atr_fail(&r->err, ATR_E_BAD_REQUEST,
				 "unknown query parameter '%s'", k);
			goto out;
		}
	}
	char *sql = arena_printf(
		r->arena,
		"SELECT id, at, actor_id, actor_name, action, entity, "
		"entity_id, diff, ip, request_id FROM activity_log%s "
		"ORDER BY id DESC LIMIT ? OFFSET ?",
		buf_str(&where));
	char *csql = arena_printf(r->arena,
				  "SELECT COUNT(*) FROM activity_log%s",
				  buf_str(&where));
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		goto dberr;
	for (int i = 0; i < np; i++)
		p[i].is_int ? db_bind_int(st, i + 1, p[i].i)
			    : db_bind_text(st, i + 1, p[i].s);
	db_bind_int(st, np + 1, limit);
	db_bind_int(st, np + 2, offset);
	json_t *data = json_array();
	int s;
	while ((s = db_step(st)) == 1) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
		json_object_set_new(o, "at", json_string(db_col_text(st, 1)));
		json_object_set_new(o, "actor_id",
				    db_col_null(st, 2)
					    ? json_null()
					    : json_integer(db_col_int(st, 2)));
		const char *an = db_col_text(st, 3);
		json_object_set_new(o, "actor_name",
				    an ? json_string(an) : json_null());
		json_object_set_new(o, "action",
				    json_string(db_col_text(st, 4)));
		const char *en = db_col_text(st, 5);
		json_object_set_new(o, "entity",
				    en ? json_string(en) : json_null());
		json_object_set_new(o, "entity_id",
				    db_col_null(st, 6)
					    ? json_null()
					    : json_integer(db_col_int(st, 6)));
		const char *d = db_col_text(st, 7);
		json_t *dj = d ? json_loads(d, 0, NULL) : NULL;
		json_object_set_new(o, "diff", dj ? dj : json_null());
		const char *ip = db_col_text(st, 8);
		json_object_set_new(o, "ip", ip ? json_string(ip) : json_null());
		const char *rid = db_col_text(st, 9);
		json_object_set_new(o, "request_id",
				    rid ? json_string(rid) : json_null());
		json_array_append_new(data, o);
	}
	db_reset(st);
	if (s < 0) {
		json_decref(data);
		goto dberr;
	}
	int64_t total = 0;
	st = db_prepare(c, csql);
	if (!st) {
		json_decref(data);
		goto dberr;
	}
	for (int i = 0; i < np; i++)
		p[i].is_int ? db_bind_int(st, i + 1, p[i].i)
			    : db_bind_text(st, i + 1, p[i].s);
	if ((s = db_step(st)) == 1)
		total = db_col_int(st, 0);
	db_reset(st);
	if (s < 0) {
		json_decref(data);
		goto dberr;
	}
	req_json(r, 200,
		 json_pack("{s:o,s:I,s:I,s:I}", "data", data, "total",
			   (json_int_t)total, "limit", (json_int_t)limit,
			   "offset", (json_int_t)offset));
	rc = 0;
	goto out;
dberr:
	atr_fail(&r->err, ATR_E_INTERNAL, "database error: %s", db_errmsg(c));
out:
	buf_free(&where);
	return rc;
}

static const struct route activity_routes[] = {
	{HTTP_GET, "/api/v1/activity", activity_h_list, ACCESS_PERM,
	 "activity", CAP_VIEW, NULL, NULL},
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
