/* http.h — the route table, the request context and the handler contract.
 *
 * A route row names method, path pattern, handler, who may call it and its
 * body schema. The pipeline (pipeline.c) authenticates, authorises, limits,
 * parses and validates before any handler runs; a handler never checks its
 * own permission.
 *
 * Adding a route:
 *   1. write the handler `<module>_h_<verb>(struct req *r)` in its module;
 *   2. add one row to that module's route array (the `routes` member of
 *      its `struct module`, core/module.h);
 *   3. document it in docs/openapi.yaml and test it in tests/http/ (happy
 *      path, each invalid field, 401, 403): the meta-test fails otherwise.
 *
 * A handler sets r->status and r->out (a JSON value the pipeline encodes and
 * frees) or r->raw, and returns 0; or returns -1 with r->err filled, and the
 * pipeline answers with problem+json.
 */
#ifndef ATR_HTTP_H
#define ATR_HTTP_H

#include "atrium.h"

#include <jansson.h>

#include "http/perm.h"
#include "core/arena.h"
#include "core/validate.h"

struct app;
struct db_conn;
struct req;

enum http_method {
	HTTP_GET = 1,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OPTIONS,
};

/* Who may call a route. */
enum access {
	ACCESS_PUBLIC = 1, /* anyone */
	ACCESS_SESSION,    /* any signed-in staff member */
	ACCESS_PERM,       /* a signed-in member allowed module.cap */
	/* A signed-in client contact (the portal realm): its own cookie and
	 * sessions, recognised only by the modules' authenticate_contact
	 * hooks; with a module, allowed module.cap by the contact's own
	 * grants (r->who.perms, filled by that hook). A staff credential
	 * never reaches these routes, a contact's never the others. */
	ACCESS_CONTACT,
	/* A signed-in administrator of the operator organisation (the
	 * installation's owner, auth/org.h): the operator console. Session
	 * only (API tokens never reach it); the pipeline answers 403 to
	 * anybody else, a business's administrators included, before the
	 * handler runs. */
	ACCESS_OPERATOR,
};

typedef int (*handler_fn)(struct req *r);

struct route {
	enum http_method method;
	const char *path; /* "/api/v1/leads/{id}"; a final "*" segment matches the rest */
	handler_fn fn;
	enum access access;
	const char *module; /* ACCESS_PERM: the permission module */
	enum perm_cap cap;  /* ACCESS_PERM: the capability */
	const struct schema *body; /* JSON body schema, or NULL: no body */
	const void *arg;    /* handler data (the entity descriptor, ...) */
	/* Optional checks beyond the schema (references, cross-field rules);
	 * runs even when the schema found errors, so one response lists
	 * every invalid field. Adds field errors to r->err. */
	void (*check)(struct req *r);
	unsigned flags; /* ROUTE_* */
	/* Instead of body: the schema of this request, for bodies whose
	 * fields are known only at run time (the settings of every module,
	 * an organisation's custom fields). Never NULL when set. */
	const struct schema *(*body_of)(struct req *r);
	/* ROUTE_RAW_BODY only: the largest body this route takes, when
	 * smaller than max_upload_bytes (0: max_upload_bytes). Every other
	 * route's body is bounded by max_body_bytes. The server knows the
	 * route before it reads the body, and answers 413 beyond this. */
	size_t max_body;
	/* ROUTE_RAW_BODY only: the text fields a form post
	 * (multipart/form-data) may carry beside its file part, "a,b"; they
	 * reach the handler as query parameters (http/upload.h). A route
	 * that declares "filename" gets the file part's name in it when
	 * neither the query nor the form gives one. */
	const char *form;
};

/* Usable by a member who must change their password first (temporary or
 * expired password): everything else answers 403 until they do. */
#define ROUTE_PASSWORD_CHANGE_OK 1u
/* Usable after the password while the second factor is pending. */
#define ROUTE_MFA_OK 2u
/* Usable by a member who must set up 2FA before anything else. */
#define ROUTE_ENROL_OK 4u
/* Never touches the database: answered on the server's I/O thread, so it
 * answers while every worker is blocked (liveness). */
#define ROUTE_INLINE 8u
/* The readiness probe: answered by its own worker, never queued behind
 * requests (see http/health.h). */
#define ROUTE_PROBE 16u
/* Dangerous to the account itself (removing or replacing 2FA, changing
 * one's email, creating API tokens, revealing a vault secret): needs the
 * password, and a current code when 2FA is on, re-entered in this session
 * within REAUTH_MINUTES (POST /api/v1/auth/reauth). The pipeline answers
 * 403 reauth-required otherwise; the web UI asks and retries. */
#define ROUTE_REAUTH 32u
/* The same, only when the route's {id} is the caller (an administrator
 * resetting another member's 2FA needs no re-entry; resetting their own
 * does). */
#define ROUTE_REAUTH_SELF 64u
#define REAUTH_MINUTES 5
/* Reads the session without extending it: the request is not activity
 * (the web UI asking how long the session has left must not keep it
 * alive). */
#define ROUTE_NO_TOUCH 128u
/* API tokens (Authorization: Bearer, auth/api_token.h) reach ACCESS_PERM
 * routes through the same permission check as sessions, narrowed by the
 * token's key role. Session-only routes refuse them: every
 * ACCESS_SESSION route unless ROUTE_TOKEN_OK, every ROUTE_REAUTH route,
 * and ACCESS_PERM routes marked ROUTE_NO_TOKEN (token management). */
#define ROUTE_NO_TOKEN 256u
#define ROUTE_TOKEN_OK 512u
/* An upload: the body is not JSON but bytes the handler reads itself
 * (r->raw_body, r->raw_body_len, r->raw_body_type: the file's
 * Content-Type), an image or a spreadsheet. It is bounded by
 * max_upload_bytes or the route's max_body (not max_body_bytes), spooled
 * to a temporary file as it arrives and mapped read-only for the
 * handler, and may come as a form post, multipart/form-data, with one
 * file part and the route's declared text fields (route->form; see
 * http/upload.h). The route has no schema; a PUT or POST under /api/
 * without one needs this flag. */
#define ROUTE_RAW_BODY 1024u
/* ACCESS_PERM only: the installation's, not an organisation's (backups,
 * the scheduler): besides module.cap, the principal's organisation must
 * be the operator (principal.operator_org). Any member of the operator
 * organisation holding the permission passes, through a session or an
 * API token; everybody else, a business's administrators included, gets
 * 403 from the pipeline, after the permission check. `atrium routes`
 * prints it as "operator_org": true. */
#define ROUTE_OPERATOR_ORG 2048u

#define QUERY_MAX 32

struct qparam {
	const char *key, *value; /* decoded, in the arena */
};

/* How far sign-in has got (see auth/twofa.h). */
enum session_stage { STAGE_FULL = 0, STAGE_MFA, STAGE_ENROL };

struct principal {
	int64_t staff_id; /* 0 for a client contact */
	/* The staff row that holds the person's credentials (password, 2FA,
	 * email): staff_id itself, or the home row of a membership of
	 * another organisation (docs/internals/organisations.md). 0 when
	 * not known (read it through who_person). */
	int64_t person_id;
	/* A client contact (ACCESS_CONTACT routes only): who, and the client
	 * whose records they may see. 0 for staff. */
	int64_t contact_id, client_id;
	int64_t org_id;
	int64_t session_id;
	int64_t token_id; /* signed in with an API token (no session, no CSRF) */
	bool admin;
	/* The principal's organisation is the operator (its kind), filled
	 * by the authenticator (session or API token) with the
	 * organisation's status; with admin, what ACCESS_OPERATOR routes
	 * need; alone, what ROUTE_OPERATOR_ORG routes add to their
	 * permission. */
	bool operator_org;
	/* A session acting in another organisation than its member's own
	 * (docs/internals/organisations.md, "Acting in another
	 * organisation"): org_id is the one acted in, home_org_id the
	 * member's own, whose activity chain gets a copy of every row the
	 * request writes (activity_from_req). ACT_NONE otherwise. */
	enum principal_acting {
		ACT_NONE = 0,
		ACT_OPERATOR, /* the operator's administrator, operator mode */
		ACT_PARENT,   /* a business's member in one of its merchants */
	} acting;
	int64_t home_org_id;
	char name[128];
	char email[256];
	char csrf[65];
	/* Signed in without a cookie (an API token in a header): a browser
	 * cannot send it on its own, so there is no CSRF token to check.
	 * Only an authenticator that reads no cookie sets it. */
	bool bearer;
	bool must_change_password;
	enum session_stage stage;
	int64_t reauth_ms; /* when this session last re-authenticated; 0 never */
	/* The session's clock: its last activity (this request's, when it
	 * touched the session), its idle limit and its absolute end. */
	int64_t seen_ms, idle_ms, expires_ms;
	struct perm_set perms; /* effective grants (not used for admins) */
};

#define RESP_HDR_MAX 8
#define REQ_DEFER_MAX 32

/* The request context: one per request, freed at its end. */
struct req {
	struct app *app;
	struct arena *arena;
	void *conn; /* the server's connection handle (struct MHD_Connection) */
	const struct route *route;
	int route_index;
	enum http_method method;
	const char *path;
	int64_t id;            /* the {id} path parameter, when the route has one */
	const char *wildcard;  /* what the final "*" matched */
	const char *param;     /* what a {name} word segment matched ([a-z_]+) */
	struct qparam query[QUERY_MAX];
	int nquery;
	const char *raw_body;
	size_t raw_body_len;
	/* ROUTE_RAW_BODY: the file's Content-Type (the request's, or the
	 * file part's of a form), or NULL. */
	const char *raw_body_type;
	json_t *body; /* parsed and validated, owned by the request */
	struct principal who;
	bool authed;
	/* The principal was guessed from a node's cache and is verified in
	 * the round trip of the request's first read (auth/session.c); a
	 * guess that did not hold runs the request again without one. */
	bool guess_failed, no_guess;
	/* Only asking whether the credentials name someone, before an
	 * upload's body (pipeline_precheck): nothing counts against a
	 * limit. */
	bool precheck;
	char request_id[33];
	char ip[64];
	const char *user_agent;
	struct db_conn *db; /* acquired on first req_db(), released at the end */
	struct atr_err err;

	/* The response. */
	int status;
	json_t *out;     /* encoded then freed by the pipeline */
	const char *raw; /* or a raw body (not freed) ... */
	char *raw_owned; /* ... or one the request frees */
	size_t raw_len;
	FILE *raw_file; /* ... or a file sent from its start (the request
			 * closes it; list_export's temporary files) */
	uint64_t raw_file_len;
	const char *ctype;
	struct {
		const char *name, *value;
	} hdr[RESP_HDR_MAX];
	int nhdr;

	/* Run by req_free, last added first (req_defer). */
	struct {
		void (*fn)(void *arg);
		void *arg;
	} defer[REQ_DEFER_MAX];
	int ndefer;
};

/* The database connection of this request; NULL (and r->err, 503) when the
 * database cannot be reached. */
struct db_conn *req_db(struct req *r);
/* The organisation this authenticated request's statements are bound to
 * (PostgreSQL row-level security, db_conn_org): its own on a perm or
 * contact route, 0 (none: the login role) otherwise. */
int64_t req_bound_org(const struct req *r);
/* A request header (case-insensitive), or NULL. */
const char *req_header(struct req *r, const char *name);
/* A request cookie, or NULL. */
const char *req_cookie(struct req *r, const char *name);
/* The value of query parameter key, or NULL. */
const char *req_query(struct req *r, const char *key);
/* Adds a response header; name and value must outlive the request (use the
 * arena). */
void req_add_header(struct req *r, const char *name, const char *value);
/* The Content-Disposition value of a download named name: attachment;
 * filename*=UTF-8''<percent-encoded> (RFC 6266, 8187), so no name can
 * break the header. In r's arena. */
const char *req_attachment(struct req *r, const char *name);
/* Sets a JSON response (takes the reference). */
void req_json(struct req *r, int status, json_t *body);
struct buf;
/* Sets a response from JSON text already written (takes b's bytes). */
void req_raw_json(struct req *r, int status, struct buf *b);

/* Calls fn(arg) when the request is freed (releasing a reference the
 * request holds); at most REQ_DEFER_MAX per request. */
void req_defer(struct req *r, void (*fn)(void *arg), void *arg);

/* Sets r->err to a 500 naming the database error and returns -1. */
int req_db_error(struct req *r);
/* The version an If-Match header names ("N" or W/"N"): >= 0; -1 when the
 * header is absent, -2 when it is malformed. */
int64_t req_if_match(struct req *r);
/* Answers with ETag "version" (the record's version, what If-Match names). */
void req_etag(struct req *r, int64_t version);
/* An optional If-Match against the current version: 0 when absent or
 * equal; -1 with r->err 400 when malformed, 412 ("the <what> changed
 * since you read it") when stale. */
int req_check_version(struct req *r, int64_t current, const char *what);
/* Reads limit/offset when key is one of them: 1 consumed, 0 not this key,
 * -1 invalid (400 in r->err). limit must be 1..max. */
int req_page_param(struct req *r, const char *key, const char *value,
		   int64_t *limit, int64_t *offset, int64_t max);

/* Appends the activity row of a change, filled from the request's
 * principal, address and id, inside the open transaction. 0 or -1 (500
 * in r->err). */
int activity_from_req(struct req *r, const char *action, const char *entity,
		      int64_t entity_id, const json_t *diff);
/* A session acting in another organisation (principal.acting): the same
 * n rows (action, entity, ids) in the member's own organisation's chain,
 * their diff only {"acting_in": {org_id, mode}} (the values stay in the
 * organisation they are about); nothing otherwise. activity_from_req
 * calls it; a handler that writes with activity_record for the request's
 * organisation calls it too. 0 or -1 (r->err). */
int activity_mirror(struct req *r, const char *action, const char *entity,
		    const int64_t *ids, int n);
/* The actor's name as the activity log shows it: "<name> (operator
 * mode)" or "<name> (of organisation N)" while acting; NULL anonymous.
 * Arena-owned or the principal's. */
const char *req_actor_name(struct req *r);

const char *http_method_name(enum http_method m);

#endif
