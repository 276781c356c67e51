/* pipeline.c — the central request pipeline.
 *
 * Every request goes through pipeline_run, in this order: request id,
 * limits, route match, query parse, authentication, CSRF, sign-in stage,
 * the permission check (and the operator's: ACCESS_OPERATOR, and
 * ROUTE_OPERATOR_ORG after the permission), recent
 * re-authentication (ROUTE_REAUTH), content type, JSON parse, schema
 * validation, then the handler. Nothing a handler does can skip a step, and a
 * route that forgets its permission cannot be registered (router.c).
 */
#include "atrium.h"

#include <sodium.h>
#include <strings.h>

#include "core/app.h"
#include "core/buf.h"
#include "core/log.h"
#include "db/db.h"
#include "http/json_body.h"
#include "http/pipeline.h"
#include "http/problem.h"
#include "http/query.h"
#include "http/router.h"
#include "http/upload.h"

static enum http_method parse_method(const char *m)
{
	static const struct {
		const char *name;
		enum http_method m;
	} t[] = {{"GET", HTTP_GET},     {"HEAD", HTTP_HEAD},
		 {"POST", HTTP_POST},   {"PUT", HTTP_PUT},
		 {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE},
		 {"OPTIONS", HTTP_OPTIONS}};
	for (size_t i = 0; i < ATR_ARRAY_LEN(t); i++)
		if (strcmp(m, t[i].name) == 0)
			return t[i].m;
	return 0;
}

static bool unsafe(enum http_method m)
{
	return m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH ||
	       m == HTTP_DELETE;
}

static int check_csrf(struct req *r)
{
	const char *tok = req_header(r, "X-CSRF-Token");
	size_t n = strlen(r->who.csrf);
	if (!tok || strlen(tok) != n ||
	    sodium_memcmp(tok, r->who.csrf, n) != 0)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"missing or invalid csrf token");
	return 0;
}

/* Asks each module that authenticates the route's realm (staff: the
 * sessions module's cookie, API tokens; contacts: the portal's cookie)
 * in table order: 1 recognised, 0 nobody did, -1 error. The realms never
 * see each other's credentials. */
static int authenticate(struct req *r)
{
	const struct app *app = r->app;
	bool contact = r->route->access == ACCESS_CONTACT;
	int n = contact ? app->nauthenticate_contact : app->nauthenticate;
	for (int i = 0; i < n; i++) {
		int a = contact ? app->authenticate_contact[i](r)
				: app->authenticate[i](r);
		if (a != 0)
			return a;
	}
	return 0;
}

static bool schema_has_required(const struct schema *s)
{
	for (int i = 0; i < s->nfields; i++)
		if (s->fields[i].flags & F_REQUIRED)
			return true;
	return false;
}

bool pipeline_bad_path(const char *uri)
{
	if (!uri)
		return false;
	for (const char *p = uri; *p && *p != '?'; p++) {
		if (*p != '%' || !p[1] || !p[2])
			continue;
		char hi = p[1], lo = (char)(p[2] | 0x20);
		bool hex_lo = (lo >= '0' && lo <= '9') || (lo >= 'a' && lo <= 'f');
		if (((hi == '0' || hi == '1') && hex_lo) ||
		    (hi == '7' && lo == 'f'))
			return true;
	}
	return false;
}

/* Whether an API token may call rt (http.h, ROUTE_NO_TOKEN). */
static bool token_route(const struct route *rt)
{
	if (rt->flags & (ROUTE_NO_TOKEN | ROUTE_REAUTH))
		return false;
	return rt->access == ACCESS_PERM || (rt->flags & ROUTE_TOKEN_OK);
}

/* Whether this request must have re-authenticated lately (ROUTE_REAUTH,
 * or ROUTE_REAUTH_SELF on the caller's own {id}). */
static bool needs_reauth(const struct req *r)
{
	unsigned f = r->route->flags;
	if (r->route->access == ACCESS_PUBLIC)
		return false;
	return (f & ROUTE_REAUTH) ||
	       ((f & ROUTE_REAUTH_SELF) && r->id == r->who.staff_id);
}

static int add_query(struct req *r, const char *key, const char *value)
{
	if (r->nquery == QUERY_MAX)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"too many query parameters and form fields");
	r->query[r->nquery].key = arena_strdup(r->arena, key);
	r->query[r->nquery].value = arena_strdup(r->arena, value);
	r->nquery++;
	return 0;
}

/* A form post to an upload route: the file part's type is the file's,
 * and the text fields join the query parameters (a field in both is
 * refused: which one was meant?). */
static int form_fields(struct req *r, const struct upload *u)
{
	r->raw_body_type = u->file_type;
	for (int i = 0; i < u->nfields; i++) {
		const struct upload_field *f = &u->fields[i];
		if (req_query(r, f->name))
			atr_field(&r->err, f->name, "duplicate",
				  "given both in the query string and in "
				  "the form");
		else if (add_query(r, f->name,
				   f->value.p ? f->value.p : "") < 0)
			return -1;
	}
	if (r->err.kind)
		return -1;
	if (upload_declares(r->route->form, "filename") &&
	    !req_query(r, "filename") && u->file_name && *u->file_name)
		return add_query(r, "filename", u->file_name);
	return 0;
}

const struct route *pipeline_route(const struct app *app, const char *method,
				   const char *path)
{
	enum http_method m = parse_method(method);
	int idx = -1;
	if (!m || !path ||
	    router_match(app, m, path, NULL, &idx, NULL, 0) != MATCH_OK)
		return NULL;
	return &app->routes[idx];
}

size_t pipeline_body_limit(const struct app *app, const struct route *rt,
			   const char **setting)
{
	if (!rt || !(rt->flags & ROUTE_RAW_BODY)) {
		*setting = "max_body_bytes";
		return (size_t)app->cfg.max_body_bytes;
	}
	size_t up = (size_t)app->cfg.max_upload_bytes;
	if (rt->max_body && rt->max_body < up) {
		*setting = "this route's own bound";
		return rt->max_body;
	}
	*setting = "max_upload_bytes";
	return up;
}

static int run_steps(struct req *r, const struct pipeline_input *in)
{
	struct app *app = r->app;
	if (in->uri_too_long)
		return atr_fail(&r->err, ATR_E_TOO_LARGE, "the URL is too long");
	/* Decoding would cut the path at a NUL (and /healthz%00/x would
	 * match /healthz): refuse instead of routing a different path. */
	if (in->bad_path)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"the path contains an encoded control "
				"character");
	r->method = parse_method(in->method);
	if (!r->method)
		return atr_fail(&r->err, ATR_E_METHOD, "method not allowed");

	char allow[96];
	int idx = -1;
	switch (router_match(app, r->method, r->path, r, &idx, allow,
			     sizeof allow)) {
	case MATCH_OK:
		break;
	case MATCH_NO_METHOD:
		req_add_header(r, "Allow", arena_strdup(r->arena, allow));
		return atr_fail(&r->err, ATR_E_METHOD,
				"method %s not allowed here", in->method);
	case MATCH_BAD_ID:
	case MATCH_NO_PATH:
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "not found");
	}
	r->route = &app->routes[idx];
	r->route_index = idx;

	if (in->query &&
	    query_parse(in->query, strlen(in->query), r->arena, r->query,
			QUERY_MAX, &r->nquery, &r->err) < 0)
		return -1;

	if (r->route->access != ACCESS_PUBLIC) {
		int a = authenticate(r);
		if (a < 0)
			return -1;
		if (a == 0)
			return atr_fail(&r->err, ATR_E_UNAUTHORIZED,
					"authentication required");
		/* From here on the statements of a route over one
		 * organisation's data run for that organisation alone
		 * (PostgreSQL's row-level security, the second line behind
		 * every statement's own org_id): see req_bound_org. */
		if (r->db)
			db_conn_org(r->db, req_bound_org(r));
		/* A bearer token is not sent by browsers on their own, so it
		 * needs no CSRF token; it reaches only the routes tokens may
		 * use. */
		if (r->who.bearer) {
			if (!token_route(r->route))
				return atr_fail(&r->err, ATR_E_FORBIDDEN,
						"this route needs a signed-in "
						"session; API tokens cannot "
						"use it");
		} else if (unsafe(r->method) && check_csrf(r) < 0) {
			return -1;
		}
		/* Sign-in stages: each admits only its own routes. */
		if (r->who.stage == STAGE_MFA &&
		    !(r->route->flags & ROUTE_MFA_OK))
			return atr_fail(&r->err, ATR_E_UNAUTHORIZED,
					"enter your two-factor code first");
		/* A temporary password is replaced before anything else,
		 * enrolment included: otherwise whoever set it could bind
		 * their own authenticator to the account. */
		if (r->who.must_change_password) {
			if (!(r->route->flags & ROUTE_PASSWORD_CHANGE_OK))
				return atr_fail(&r->err, ATR_E_FORBIDDEN,
						"change your password first");
		} else if (r->who.stage == STAGE_ENROL &&
			   !(r->route->flags & ROUTE_ENROL_OK))
			return atr_fail(&r->err, ATR_E_FORBIDDEN,
					"set up two-factor authentication "
					"first");
	}
	if ((r->route->access == ACCESS_PERM ||
	     (r->route->access == ACCESS_CONTACT && r->route->module)) &&
	    perm_check(&r->who, r->route->module, r->route->cap) ==
		    PERM_DENY)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"you may not %s %s",
				perm_cap_name(r->route->cap),
				r->route->module);
	/* The installation's routes: the permission, held in the operator
	 * organisation. */
	if (r->route->access == ACCESS_PERM &&
	    (r->route->flags & ROUTE_OPERATOR_ORG) && !r->who.operator_org)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"this is the installation's, not an "
				"organisation's: only members of the operator "
				"organisation may use it");
	if (r->route->access == ACCESS_OPERATOR &&
	    !(r->who.admin && r->who.operator_org))
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"only administrators of the operator "
				"organisation may do this");

	if (needs_reauth(r) &&
	    r->who.reauth_ms + REAUTH_MINUTES * 60000LL < atr_now_ms())
		return atr_fail(&r->err, ATR_E_REAUTH,
				"enter your password (and a two-factor code "
				"when it is on) again to do this");

	if (in->body_too_large)
		return atr_fail(&r->err, ATR_E_TOO_LARGE,
				"the request body exceeds %zu bytes, the "
				"limit of this route (%s)",
				in->body_limit, in->body_limit_name);
	if (in->upload && in->upload->err.kind) {
		r->err = in->upload->err;
		return -1;
	}
	const struct schema *body = r->route->body;
	if (r->route->body_of) {
		/* A schema that follows the body (the type of the value a
		 * definition declares) reads it parsed. */
		if (in->body_len) {
			if (!json_content_type(req_header(r, "Content-Type")))
				return atr_fail(&r->err, ATR_E_MEDIA_TYPE,
						"the body must be "
						"application/json");
			if (json_body_parse(in->body, in->body_len, &r->body,
					    &r->err) < 0)
				return -1;
		}
		body = r->route->body_of(r);
	}
	if (body && in->body_len == 0 && !schema_has_required(body)) {
		json_decref(r->body);
		r->body = json_object(); /* an action with nothing to say */
	} else if (body) {
		if (!r->body && !json_content_type(req_header(r, "Content-Type")))
			return atr_fail(&r->err, ATR_E_MEDIA_TYPE,
					"the body must be application/json");
		if (!r->body && json_body_parse(in->body, in->body_len,
						&r->body, &r->err) < 0)
			return -1;
		validate_body(r->body, body,
			      r->method == HTTP_PATCH ? V_PATCH : V_CREATE,
			      &r->err);
		if (r->route->check)
			r->route->check(r);
		if (r->err.kind != ATR_E_NONE)
			return -1;
	}
	r->raw_body = in->body;
	r->raw_body_len = in->body_len;
	if (r->route->flags & ROUTE_RAW_BODY) {
		r->raw_body_type = req_header(r, "Content-Type");
		if (in->upload && in->upload->nfiles &&
		    form_fields(r, in->upload) < 0)
			return -1;
	}
	return r->route->fn(r);
}

static struct atr_log_limit outage_log = ATR_LOG_LIMIT_INIT(10);

/* A handler reports a failed database call as a 500 (req_db_error and its
 * like); what the database said decides what it really is: unavailable
 * (503, retry), a full disk (507), or a damaged page (503). Returns the
 * detail to show instead of the database's own words (which the log
 * keeps), or NULL when the error stays as it is. */
static const char *map_db_error(struct req *r)
{
	if (r->err.kind != ATR_E_INTERNAL || !r->db)
		return NULL;
	const char *detail;
	switch (db_err_class(r->db)) {
	case DB_ERR_UNAVAILABLE:
		r->err.kind = ATR_E_UNAVAILABLE;
		r->err.retry_after = 5;
		detail = "the database is unavailable; try again shortly";
		break;
	case DB_ERR_CORRUPT:
		r->err.kind = ATR_E_UNAVAILABLE;
		r->err.retry_after = 60;
		detail = "the database reported a damaged page";
		break;
	case DB_ERR_FULL:
		r->err.kind = ATR_E_STORAGE;
		detail = "the database's disk is full: nothing was saved";
		break;
	default:
		return NULL;
	}
	r->err.nfields = 0;
	return detail;
}

/* Turns r->err into the problem response, and logs what needs an
 * operator (500s always; 503 and 507 at most once per 10 s, with a count
 * of the lines left out, since an outage fails every request). */
static void answer_error(struct req *r)
{
	if (r->err.kind == ATR_E_NONE)
		atr_fail(&r->err, ATR_E_INTERNAL, "internal error");
	if (r->db && db_in_tx(r->db))
		db_rollback(r->db);
	char logged[sizeof r->err.msg];
	atr_strlcpy(logged, r->err.msg, sizeof logged);
	const char *detail = map_db_error(r);
	if (detail)
		atr_strlcpy(r->err.msg, detail, sizeof r->err.msg);
	if (r->out)
		json_decref(r->out);
	r->raw = NULL;
	free(r->raw_owned);
	r->raw_owned = NULL;
	if (r->raw_file)
		fclose(r->raw_file);
	r->raw_file = NULL;
	r->status = problem_status(r->err.kind);
	r->out = problem_json(&r->err, r->path, r->request_id);
	r->ctype = "application/problem+json";
	if ((r->err.kind == ATR_E_RATE_LIMITED ||
	     r->err.kind == ATR_E_UNAVAILABLE) &&
	    r->err.retry_after > 0)
		req_add_header(r, "Retry-After",
			       arena_printf(r->arena, "%d",
					    r->err.retry_after));
	if (r->err.kind == ATR_E_INTERNAL)
		atr_log("error request_id=%s: %s", r->request_id, logged);
	else if (r->err.kind == ATR_E_UNAVAILABLE ||
		 r->err.kind == ATR_E_STORAGE)
		atr_log_limited(&outage_log, "error request_id=%s: %s",
				r->request_id, logged);
}

static void start(struct req *r, const struct pipeline_input *in)
{
	unsigned char rid[16];
	randombytes_buf(rid, sizeof rid);
	sodium_bin2hex(r->request_id, sizeof r->request_id, rid, sizeof rid);
	atr_log_request(r->request_id); /* ended by the server after observe */
	r->route_index = -1;
	r->path = in->path;
}

static void finish(struct req *r)
{
	if (r->db) {
		db_release(r->db);
		r->db = NULL;
	}
	if (!r->status)
		r->status = 200;
}

/* True when a failed attempt may run again: a GET or HEAD (which change
 * nothing that matters) whose connection broke under it (a server
 * restart between the pool's check and the first statement). */
static bool worth_retry(const struct req *r, const struct pipeline_input *in)
{
	return (!strcmp(in->method, "GET") || !strcmp(in->method, "HEAD")) &&
	       r->db && db_conn_broken(r->db);
}

/* Forgets everything the failed attempt set, so it can run again. */
static void reset_attempt(struct req *r)
{
	while (r->ndefer > 0) {
		r->ndefer--;
		r->defer[r->ndefer].fn(r->defer[r->ndefer].arg);
	}
	db_release(r->db);
	r->db = NULL;
	atr_err_clear(&r->err);
	if (r->out)
		json_decref(r->out);
	r->out = NULL;
	if (r->body)
		json_decref(r->body);
	r->body = NULL;
	free(r->raw_owned);
	r->raw_owned = NULL;
	if (r->raw_file)
		fclose(r->raw_file);
	r->raw_file = NULL;
	r->raw = NULL;
	r->raw_len = 0;
	r->ctype = NULL;
	r->nhdr = 0;
	r->status = 0;
	r->nquery = 0;
	r->route = NULL;
	r->route_index = -1;
	r->authed = false;
	r->guess_failed = false;
	memset(&r->who, 0, sizeof r->who);
}

void pipeline_run(struct req *r, const struct pipeline_input *in)
{
	start(r, in);
	for (int attempt = 0;; attempt++) {
		int rc = run_steps(r, in);
		/* A request that ran on a guessed principal (a read that read
		 * nothing, or was refused before it read) is answered only
		 * once the guess is checked; one that did not hold runs again
		 * with a real lookup (auth/session_guess.h). */
		if (r->db && db_guard_pending(r->db))
			db_guard_run(r->db);
		if (r->guess_failed && !r->no_guess) {
			reset_attempt(r);
			r->no_guess = true;
			continue;
		}
		if (rc == 0 && r->err.kind == ATR_E_NONE)
			break;
		if (attempt == 0 && worth_retry(r, in)) {
			reset_attempt(r);
			continue;
		}
		answer_error(r);
		break;
	}
	finish(r);
}

int pipeline_precheck(struct req *r, const struct pipeline_input *in)
{
	start(r, in);
	r->precheck = true;
	r->no_guess = true;
	r->method = parse_method(in->method);
	char allow[96];
	int idx = -1, a = -1;
	if (r->method && !in->uri_too_long && !in->bad_path &&
	    router_match(r->app, r->method, r->path, r, &idx, allow,
			 sizeof allow) == MATCH_OK) {
		r->route = &r->app->routes[idx];
		r->route_index = idx;
		a = r->route->access == ACCESS_PUBLIC ? 1 : authenticate(r);
	}
	finish(r);
	return a;
}

void pipeline_reject(struct req *r, const struct pipeline_input *in,
		     enum atr_ekind kind, int retry_after, const char *msg)
{
	start(r, in);
	atr_fail(&r->err, kind, "%s", msg);
	r->err.retry_after = retry_after;
	answer_error(r);
	finish(r);
}

void req_free(struct req *r)
{
	while (r->ndefer > 0) {
		r->ndefer--;
		r->defer[r->ndefer].fn(r->defer[r->ndefer].arg);
	}
	if (r->body)
		json_decref(r->body);
	if (r->out)
		json_decref(r->out);
	free(r->raw_owned);
	if (r->raw_file)
		fclose(r->raw_file);
	arena_free(r->arena);
}
