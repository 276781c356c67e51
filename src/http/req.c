/* req.c — the helpers a handler uses on its request: the database
 * connection, query parameters, conditional and paging headers, the
 * response, and the activity row of the change it makes. */
#include "atrium.h"

#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "db/db.h"
#include "http/http.h"

struct db_conn *req_db(struct req *r)
{
	if (!r->db) {
		r->db = db_acquire(r->app->db, &r->err);
		/* Authenticated: bound as pipeline.c's run_steps binds. */
		if (r->db && r->authed)
			db_conn_org(r->db, req_bound_org(r));
	}
	return r->db;
}

int64_t req_bound_org(const struct req *r)
{
	/* A route over one organisation's records (perm), and the client
	 * portal's (contact): that organisation. A person's own account
	 * (session: sign-in state, password, 2FA, the sessions and
	 * memberships of every organisation they belong to) and the
	 * operator's console (operator) reach across organisations by
	 * design, and are not bound. Work outside a route (background
	 * work acting as a member) is not either. */
	if (!r->route)
		return 0;
	switch (r->route->access) {
	case ACCESS_PERM:
	case ACCESS_CONTACT:
		return r->who.org_id;
	default:
		return 0;
	}
}

const char *req_query(struct req *r, const char *key)
{
	for (int i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, key) == 0)
			return r->query[i].value;
	return NULL;
}

int req_db_error(struct req *r)
{
	/* Kinds other than a bug are mapped in pipeline_run
	 * (map_db_error), for every handler alike. */
	return atr_fail(&r->err, ATR_E_INTERNAL, "database error: %s",
			r->db ? db_errmsg(r->db) : "no connection");
}

int64_t req_if_match(struct req *r)
{
	const char *h = req_header(r, "If-Match");
	if (!h)
		return -1;
	if (!strncmp(h, "W/", 2))
		h += 2;
	size_t n = strlen(h);
	char tmp[24];
	if (n < 3 || h[0] != '"' || h[n - 1] != '"' || n - 2 >= sizeof tmp)
		return -2;
	memcpy(tmp, h + 1, n - 2);
	tmp[n - 2] = 0;
	int64_t v;
	return atr_parse_i64(tmp, &v) == 0 && v >= 0 ? v : -2;
}

void req_etag(struct req *r, int64_t version)
{
	req_add_header(r, "ETag",
		       arena_printf(r->arena, "\"%lld\"", (long long)version));
}

int req_check_version(struct req *r, int64_t current, const char *what)
{
	int64_t want = req_if_match(r);
	if (want == -2)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"If-Match must be a version like \"3\"");
	if (want >= 0 && want != current)
		return atr_fail(&r->err, ATR_E_PRECONDITION,
				"the %s changed since you read it", what);
	return 0;
}

int req_page_param(struct req *r, const char *key, const char *value,
		   int64_t *limit, int64_t *offset, int64_t max)
{
	bool lim = !strcmp(key, "limit");
	if (!lim && strcmp(key, "offset"))
		return 0;
	int64_t n;
	if (atr_parse_i64(value, &n) < 0 || n < (lim ? 1 : 0) ||
	    (lim && n > max))
		return lim ? atr_fail(&r->err, ATR_E_BAD_REQUEST,
				      "limit must be an integer in 1..%lld",
				      (long long)max)
			   : atr_fail(&r->err, ATR_E_BAD_REQUEST,
				      "offset must be an integer >= 0");
	*(lim ? limit : offset) = n;
	return 1;
}

void req_add_header(struct req *r, const char *name, const char *value)
{
	ATR_ASSERT(r->nhdr < RESP_HDR_MAX);
	r->hdr[r->nhdr].name = name;
	r->hdr[r->nhdr].value = value;
	r->nhdr++;
}

void req_json(struct req *r, int status, json_t *body)
{
	if (r->out)
		json_decref(r->out);
	r->status = status;
	r->out = body;
}

void req_raw_json(struct req *r, int status, struct buf *b)
{
	free(r->raw_owned);
	r->raw_len = b->len;
	r->raw_owned = buf_detach(b);
	r->raw = r->raw_owned;
	r->ctype = "application/json";
	r->status = status;
}

const char *req_attachment(struct req *r, const char *name)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "attachment; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf_addc(&b, (char)*p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	const char *out = arena_strdup(r->arena, buf_str(&b));
	buf_free(&b);
	return out;
}

const char *req_actor_name(struct req *r)
{
	if (!r->authed)
		return NULL;
	if (r->who.acting == ACT_OPERATOR)
		return arena_printf(r->arena, "%s (operator mode)",
				    r->who.name);
	if (r->who.acting == ACT_PARENT)
		return arena_printf(r->arena, "%s (of organisation %lld)",
				    r->who.name, (long long)r->who.home_org_id);
	return r->who.name;
}

int activity_mirror(struct req *r, const char *action, const char *entity,
		    const int64_t *ids, int n)
{
	if (!r->who.acting || !r->who.home_org_id || n <= 0)
		return 0;
	json_t *diff = json_pack(
	    "{s:{s:I,s:s}}", "acting_in", "org_id", (json_int_t)r->who.org_id,
	    "mode", r->who.acting == ACT_OPERATOR ? "operator" : "parent");
	/* The member's own organisation: past row-level security, which
	 * binds this request to the one acted in. */
	db_conn_as_owner(r->db, true);
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		struct activity a = {
		    .org_id = r->who.home_org_id,
		    .actor_id = r->who.staff_id,
		    .actor_name = r->who.name,
		    .action = action,
		    .entity = entity,
		    .entity_id = ids[i],
		    .diff = diff,
		    .ip = r->ip,
		    .request_id = r->request_id,
		};
		rc = activity_record(r->db, &a);
	}
	db_conn_as_owner(r->db, false);
	json_decref(diff);
	if (rc < 0)
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"cannot write the activity log: %s",
				db_errmsg(r->db));
	return 0;
}

int activity_from_req(struct req *r, const char *action, const char *entity,
		      int64_t entity_id, const json_t *diff)
{
	struct activity a = {
	    .org_id = r->who.org_id ? r->who.org_id : 1,
	    .actor_id = r->authed ? r->who.staff_id : 0,
	    .actor_name = req_actor_name(r),
	    .action = action,
	    .entity = entity,
	    .entity_id = entity_id,
	    .diff = diff,
	    .ip = r->ip,
	    .request_id = r->request_id,
	};
	if (activity_record(r->db, &a) < 0)
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"cannot write the activity log: %s",
				db_errmsg(r->db));
	return activity_mirror(r, action, entity, &entity_id, 1);
}

void req_defer(struct req *r, void (*fn)(void *arg), void *arg)
{
	ATR_ASSERT(r->ndefer < REQ_DEFER_MAX);
	r->defer[r->ndefer].fn = fn;
	r->defer[r->ndefer].arg = arg;
	r->ndefer++;
}
