/* router.c — route table assembly and matching.
 *
 * Patterns are literal segments, "{id}" (a positive integer), "{name}"
 * with any other name (one lower-case word, [a-z_]+, exposed as r->param)
 * and a final "*" (the rest of the path). Matching walks the table once;
 * the table is small (tens of rows) and scanned without allocation (only
 * the matched {name} word is copied, into the request arena).
 */
#include "atrium.h"

#include "core/app.h"
#include "core/module.h"
#include "http/router.h"

static void check_route(const struct route *rt)
{
	if (!rt->fn || !rt->path || rt->path[0] != '/' || !rt->access)
		die("route table: incomplete row '%s'",
		    rt->path ? rt->path : "?");
	if ((rt->access == ACCESS_PERM ||
	     (rt->access == ACCESS_CONTACT && rt->module)) &&
	    (!rt->module || !rt->cap))
		die("route table: %s %s needs a permission module and cap",
		    http_method_name(rt->method), rt->path);
	if ((rt->method == HTTP_POST || rt->method == HTTP_PATCH ||
	     rt->method == HTTP_PUT) &&
	    !rt->body && !rt->body_of && !(rt->flags & ROUTE_RAW_BODY) &&
	    strncmp(rt->path, "/api/", 5) == 0 &&
	    strcmp(rt->path, "/api/v1/auth/logout") != 0)
		die("route table: %s %s has no body schema",
		    http_method_name(rt->method), rt->path);
	if ((rt->flags & ROUTE_OPERATOR_ORG) && rt->access != ACCESS_PERM)
		die("route table: %s %s: ROUTE_OPERATOR_ORG is for ACCESS_PERM "
		    "routes (ACCESS_OPERATOR says it for administrators)",
		    http_method_name(rt->method), rt->path);
	if ((rt->max_body || rt->form) && !(rt->flags & ROUTE_RAW_BODY))
		die("route table: %s %s: max_body and form are for "
		    "ROUTE_RAW_BODY routes",
		    http_method_name(rt->method), rt->path);
}

void routes_build(struct app *app)
{
	int cap = 64, n = 0;
	struct route *t = xcalloc((size_t)cap, sizeof *t);
	for (int m = 0; app->modules[m]; m++) {
		const struct route *rt = app->modules[m]->routes;
		for (; rt && rt->path; rt++) {
			if (n == cap) {
				cap *= 2;
				t = xrealloc(t, (size_t)cap * sizeof *t);
			}
			t[n++] = *rt;
		}
	}
	for (int i = 0; i < n; i++) {
		check_route(&t[i]);
		for (int j = 0; j < i; j++)
			if (t[j].method == t[i].method &&
			    strcmp(t[j].path, t[i].path) == 0)
				die("route table: %s %s appears twice",
				    http_method_name(t[i].method), t[i].path);
	}
	app->routes = t;
	app->nroutes = n;
	app->nauthenticate = 0;
	app->nauthenticate_contact = 0;
	for (int m = 0; app->modules[m]; m++) {
		const struct module *mod = app->modules[m];
		if ((mod->authenticate &&
		     app->nauthenticate == APP_AUTH_MAX) ||
		    (mod->authenticate_contact &&
		     app->nauthenticate_contact == APP_AUTH_MAX))
			die("more than %d modules authenticate requests",
			    APP_AUTH_MAX);
		if (mod->authenticate)
			app->authenticate[app->nauthenticate++] =
				mod->authenticate;
		if (mod->authenticate_contact)
			app->authenticate_contact
				[app->nauthenticate_contact++] =
				mod->authenticate_contact;
	}
}

void routes_free(struct app *app)
{
	free(app->routes);
	app->routes = NULL;
	app->nroutes = 0;
}

#define PARAM_MAX 64

/* Matches one pattern; fills id/wildcard/param on success. */
static bool match_path(const char *pat, const char *path, int64_t *id,
		       const char **wild, const char **param,
		       size_t *param_len, bool *bad_id)
{
	const char *p = pat, *s = path;
	while (*p) {
		if (p[0] == '*' && p[1] == 0) {
			*wild = s;
			return true;
		}
		if (p[0] == '{') {
			const char *close = strchr(p, '}');
			const char *seg_end = strchr(s, '/');
			size_t slen = seg_end ? (size_t)(seg_end - s) : strlen(s);
			if (slen == 0)
				return false;
			if (strncmp(p, "{id}", 4) != 0) {
				/* A word segment: lower-case letters and _. */
				if (slen > PARAM_MAX)
					return false;
				for (size_t i = 0; i < slen; i++)
					if ((s[i] < 'a' || s[i] > 'z') &&
					    s[i] != '_')
						return false;
				*param = s;
				*param_len = slen;
				p = close + 1;
				s += slen;
				continue;
			}
			int64_t v = 0;
			bool ok = slen <= 18;
			for (size_t i = 0; ok && i < slen; i++) {
				if (s[i] < '0' || s[i] > '9')
					ok = false;
				else
					v = v * 10 + (s[i] - '0');
			}
			if (!ok || v < 1)
				*bad_id = true;
			*id = v;
			p = close + 1;
			s += slen;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return *s == 0;
}

enum match_result router_match(const struct app *app, enum http_method m,
			       const char *path, struct req *r, int *index,
			       char *allow, size_t allow_len)
{
	bool path_found = false, bad_id_seen = false;
	size_t an = 0;
	if (allow_len)
		allow[0] = 0;
	for (int i = 0; i < app->nroutes; i++) {
		const struct route *rt = &app->routes[i];
		int64_t id = 0;
		const char *wild = NULL, *param = NULL;
		size_t param_len = 0;
		bool bad_id = false;
		if (!match_path(rt->path, path, &id, &wild, &param, &param_len,
				&bad_id))
			continue;
		if (bad_id) {
			bad_id_seen = true;
			continue;
		}
		path_found = true;
		if (rt->method == m ||
		    (m == HTTP_HEAD && rt->method == HTTP_GET)) {
			*index = i;
			if (!r) /* only which route (the server, early) */
				return MATCH_OK;
			r->id = id;
			r->wildcard = wild;
			r->param = param ? arena_strndup(r->arena, param,
							 param_len)
					 : NULL;
			return MATCH_OK;
		}
		if (an < allow_len)
			an += (size_t)snprintf(allow + an, allow_len - an,
					       "%s%s", an ? ", " : "",
					       http_method_name(rt->method));
	}
	if (path_found)
		return MATCH_NO_METHOD;
	return bad_id_seen ? MATCH_BAD_ID : MATCH_NO_PATH;
}

const char *http_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_GET:
		return "GET";
	case HTTP_HEAD:
		return "HEAD";
	case HTTP_POST:
		return "POST";
	case HTTP_PUT:
		return "PUT";
	case HTTP_PATCH:
		return "PATCH";
	case HTTP_DELETE:
		return "DELETE";
	case HTTP_OPTIONS:
		return "OPTIONS";
	}
	return "?";
}
