/* module.h — the module: the unit of extension.
 *
 * A module (staff, roles, settings, email, leads, ...) is one struct that
 * says what it brings: its permission rows, routes, entities, settings
 * rows, housekeeping, job kinds, scheduled tasks, event subscribers, the
 * credentials it recognises (authenticate), workers and metrics. One table, atrium_modules[] (src/modules.c), lists
 * what the binary contains, in the order the permission matrix and the
 * settings groups are shown. The kernel (router, permission kernel,
 * settings store, serve, /metrics, housekeeping, job runner, scheduler)
 * receives that table and loops over it; no kernel file names a module.
 *
 * Adding a module (the git/nginx recipe):
 *   1. its own files (src/admin/<name>.c, src/entity/<name>.c, ...) and, at
 *      the end of the main one, `const struct module module_<name>`, with
 *      only the members it needs (every array is terminated by a zero
 *      row; every pointer may be NULL);
 *   2. one row in atrium_modules[] (src/modules.c) and its extern there;
 *   3. its migrations, docs/openapi.yaml entries and tests/http file (the
 *      route meta-test insists on the last two).
 *
 * Lifecycle, driven by modules_init / modules_start / modules_stop /
 * modules_fini (src/core/module.c):
 *   init   once per process, before the route table is built and before
 *          any request or command uses the module (build caches, check
 *          the module's own tables); may fail start-up with err;
 *   start  `atrium serve` only: start the module's workers;
 *   stop   the reverse, before the database closes;
 *   fini   free what init built.
 */
#ifndef ATR_MODULE_H
#define ATR_MODULE_H

#include "atrium.h"

struct app;
struct buf;
struct db_conn;
struct entity;
struct perm_module;
struct req;
struct route;
struct req;
struct setting_def;
struct job_kind;
struct sched_task;
struct event_sub;
struct json_t;
struct health_report;

/* One housekeeping statement: a DELETE ... RETURNING of rows that have
 * outlived their use. Each `?` is bound, in order, to the housekeeping
 * clock's now (see modules_housekeeping) minus ages_ms[i] (0: now itself)
 * as ISO 8601 text. sql_pg, when set, replaces sql on PostgreSQL (date
 * arithmetic differs between the dialects). */
#define HOUSEKEEPING_BINDS 2
struct housekeeping {
	const char *sql;
	int nbinds;
	int64_t ages_ms[HOUSEKEEPING_BINDS];
	const char *sql_pg;
};

struct module {
	const char *name; /* "staff": for messages and the metrics label */

	const struct perm_module *perms;      /* permission modules */
	const struct route *routes;           /* its HTTP routes */
	const struct entity *const *entities; /* NULL-terminated */
	const struct setting_def *settings;   /* its settings rows */
	const struct housekeeping *housekeeping;
	/* The job runner and the scheduler (src/jobs/jobs.h defines the
	 * structs and the recipes); each array ends with a {0} row. */
	const struct job_kind *job_kinds;     /* handlers of its jobs */
	const struct sched_task *tasks;       /* what the scheduler runs */
	const struct event_sub *subscribers;  /* consumers of the outbox */

	/* Fields an organisation defines at run time on entity e (custom
	 * fields): *defs gets a JSON array of definitions, each
	 * {"name": slug, "type": a field-type name, "label", "required",
	 *  "max", "scale", "choices": [...], "ref", "hint", "default",
	 *  "filterable", "sortable", "list", "wide", "multiline",
	 *  "admin_only", "portal"} (caller frees). 0 or -1. Called when the kernel's
	 * field-set cache fills (entity/field_set.c); a module that changes
	 * its definitions calls entity_fields_changed in that request's
	 * transaction. */
	int (*custom_fields)(struct db_conn *c, int64_t org,
			     const struct entity *e, struct json_t **defs);

	/* Recognises the caller of a request from credentials this module
	 * issues (the session cookie, an API token): 1 recognised (r->who
	 * filled: staff, organisation, grants, and the CSRF token or
	 * r->who.bearer), 0 not this module's credentials (the next module
	 * is asked), -1 on an error (r->err). The pipeline asks the modules
	 * in table order, for every route that is not public. */
	int (*authenticate)(struct req *r);
	/* The same for the client contacts' realm (ACCESS_CONTACT routes,
	 * http/http.h): fills r->who.contact_id, client_id, org, grants and
	 * the CSRF token. Never asked for any other route. */
	int (*authenticate_contact)(struct req *r);

	int (*init)(struct app *app, struct atr_err *err);
	int (*start)(struct app *app, struct atr_err *err);
	void (*stop)(struct app *app);
	void (*fini)(struct app *app);
	/* Appends the module's Prometheus lines to out (HELP/TYPE included). */
	void (*metrics)(struct app *app, struct buf *out);
	/* Adds the module's indicators, gauges and sections to a health
	 * report (core/health_report.h has the recipe) for organisation org,
	 * or for all of them when org is 0 (/metrics). c is a pooled
	 * connection outside a transaction. Cheap, indexed reads only: the
	 * health module calls it at most once per cache period per node
	 * (config health_cache_ms), never per scrape. 0, or -1 (the report
	 * names the module as failed; the others still count). */
	int (*health)(struct app *app, struct db_conn *c, int64_t org,
		      struct health_report *rep);
	/* Called after a change of an organisation's settings group (diff:
	 * {key: {from, to}}, at least one key), inside the transaction that
	 * writes it (settings_apply: the API and `atrium settings set`), to
	 * bring what the module derived from those settings along. 0, or -1
	 * with err: the change rolls back. */
	int (*settings_changed)(struct db_conn *c, int64_t org,
				const char *group, const struct json_t *diff,
				struct atr_err *err);
	/* Called by the server after each answered request (its status set,
	 * ms its duration), on the worker that answered it: must be cheap
	 * and must not block (record into memory; write later). */
	void (*observe)(struct app *app, const struct req *r, double ms);
};

/* Every module of the binary, NULL-terminated (src/modules.c). */
extern const struct module *const atrium_modules[];

/* Calls every init in table order; on a failure, fini of those already
 * initialised, and -1 with err naming the module. */
int modules_init(struct app *app, struct atr_err *err);
/* Calls every start; on a failure, stops those already started. */
int modules_start(struct app *app, struct atr_err *err);
/* Stops, then finalises, in reverse order. */
void modules_stop(struct app *app);
void modules_fini(struct app *app);

/* Calls every module's observe (see struct module). */
void modules_observe(struct app *app, const struct req *r, double ms);

/* Runs every module's housekeeping statements on c (outside a
 * transaction; each statement is its own) with now_ms as the time rows
 * are judged by (the scheduler's housekeeping task passes a clock that
 * never runs ahead of real time, src/jobs/sched.c). Returns rows removed,
 * or -1 on a database error. */
int64_t modules_housekeeping(struct app *app, struct db_conn *c,
			     int64_t now_ms);

#endif
