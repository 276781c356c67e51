/* pipeline.h — what the server glue hands the pipeline, and back. */
#ifndef ATR_PIPELINE_H
#define ATR_PIPELINE_H

#include "http/http.h"

struct pipeline_input {
	const char *method;
	const char *path;  /* decoded path, no query */
	const char *query; /* raw query string after '?', or NULL */
	const char *body;
	size_t body_len;
	bool body_too_large;
	size_t body_limit;           /* the route's bound on the body */
	const char *body_limit_name; /* the setting that set it */
	/* The body as read (http/upload.h): a refused form or a failed
	 * spool (its err), a form's text fields and the file's type. NULL:
	 * none. */
	const struct upload *upload;
	bool uri_too_long;
	bool bad_path; /* an encoded control character (%00-%1F, %7F) */
};

/* Runs the request through every step and the handler. Afterwards r holds
 * status, out/raw, ctype and headers; the database connection is back in
 * the pool. A GET or HEAD whose database connection broke under it runs
 * once more on a fresh connection. */
void pipeline_run(struct req *r, const struct pipeline_input *in);
/* Before an upload's body is read: whether the credentials the request
 * carries name someone, as the pipeline's authentication asks the
 * modules (a session, an API token, a contact's session; r->precheck
 * set, so nothing is counted against a limit). 1 they do (or the route
 * is public), 0 nobody: the body need not be kept, -1 not known (no
 * route, a refusal such as an address a token may not use, a database
 * error): the request runs as it would have. The connection is back in
 * the pool afterwards. */
int pipeline_precheck(struct req *r, const struct pipeline_input *in);
/* Answers without running anything: a problem of the given kind (the
 * server is busy, a body far too large). retry_after 0: no header. */
void pipeline_reject(struct req *r, const struct pipeline_input *in,
		     enum atr_ekind kind, int retry_after, const char *msg);
/* True when a raw URI's path (before '?') has a percent-encoded control
 * character, which decoding would turn into a NUL or a line break. */
bool pipeline_bad_path(const char *uri);
/* The route of method+path, known before the body is read (the server
 * bounds the body by it), or NULL. */
const struct route *pipeline_route(const struct app *app, const char *method,
				   const char *path);
/* The bound on the body of a request to rt (NULL: no route), and in
 * *setting what sets it: max_body_bytes for every route but an upload
 * (ROUTE_RAW_BODY), whose bound is max_upload_bytes or, when smaller, the
 * route's own max_body. */
size_t pipeline_body_limit(const struct app *app, const struct route *rt,
			   const char **setting);
/* Frees what the request owns (body, out, arena). */
void req_free(struct req *r);


#endif
