/* org.h — organisations: the hierarchy, their status and their seats
 * (issue 17; docs/internals/organisations.md).
 *
 * One operator organisation (the installation's owner, no parent),
 * businesses under it, merchants (or service providers) under a business;
 * nothing deeper. org_child_allowed says which kind a parent may hold, the
 * migration's CHECK what one row may be (only the operator has no parent,
 * the operator is never suspended).
 *
 * Seats (MEMBERS_INCLUDED + extra_seats, the spec's licensing) are columns
 * of the organisation's row: the operator sets them (`atrium org seats`),
 * the organisation's administrators read them (Settings → Seats, GET
 * /api/v1/settings/seats, read-only there).
 *
 * A suspended organisation keeps its data, but its members cannot sign in,
 * its sessions and API tokens are refused at their next request, the job
 * runner does not claim its jobs and the scheduled tasks pass it by (each
 * names ORG_ACTIVE_SQL over its org_id). Resuming restores all of it.
 *
 * The operator's command is `atrium org` (src/cmd/org.c), its console
 * the operator module (src/admin/operator.c); every change
 * below runs inside the caller's transaction, which writes the activity
 * row in the organisation's own chain.
 */
#ifndef ATR_ORG_H
#define ATR_ORG_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;

#define ORG_NAME_MAX 200
#define ORG_SEATS_MAX 1000000

/* A condition that is true when the organisation whose id is the SQL
 * expression col is not suspended (one primary-key read per row). */
#define ORG_ACTIVE_SQL(col)                                                    \
	"NOT EXISTS (SELECT 1 FROM org so_ WHERE so_.id = " col                \
	" AND so_.status = 'suspended')"

enum org_kind { ORG_OPERATOR = 0, ORG_BUSINESS, ORG_MERCHANT, ORG_KIND_N };

struct org_row {
	int64_t id, parent_id; /* parent_id 0: none (the operator) */
	enum org_kind kind;
	bool suspended;
	int64_t members_included, extra_seats;
	char name[ORG_NAME_MAX + 1];
	char created_at[ATR_TIME_LEN], suspended_at[ATR_TIME_LEN];
};

/* "operator", "business", "merchant"; org_kind_parse: -1 when none. */
const char *org_kind_name(enum org_kind k);
int org_kind_parse(const char *s);

/* Whether an organisation of kind child may sit under parent (NULL: no
 * parent): a business under the operator, a merchant under a business,
 * nothing else (the operator exists once, from the first migration). 0,
 * or -1 with the reason in err (ATR_E_INVALID on field "parent"). Reads
 * nothing. */
int org_child_allowed(const struct org_row *parent, enum org_kind child,
		      struct atr_err *err);
/* Whether one more member fits: active < included + extra. 0, or -1 with
 * a 409 in err that states the numbers. Reads nothing. */
int org_seats_check(int64_t active, int64_t included, int64_t extra,
		    struct atr_err *err);

/* Loads organisation id: 1 found, 0 not, -1 on a database error. */
int org_load(struct db_conn *c, int64_t id, struct org_row *o);
/* org_load, or -1 with err: 404 when absent, or the database's error. */
int org_find(struct db_conn *c, int64_t id, struct org_row *o,
	     struct atr_err *err);
/* Active members of org (the seats in use), or -1. */
int64_t org_seats_used(struct db_conn *c, int64_t org);
/* 1 when org exists and is not suspended, 0 when it is suspended or
 * absent, -1 on a database error. */
int org_active(struct db_conn *c, int64_t org);

/* Adds an organisation of kind under parent_id (checked with
 * org_child_allowed), with its seats, inside the caller's transaction:
 * 0 with the id in *id, or -1 with err (field errors: name, parent,
 * members_included, extra_seats; ATR_E_INTERNAL: the database). */
int org_create(struct db_conn *c, const char *name, enum org_kind kind,
	       int64_t parent_id, int64_t members_included,
	       int64_t extra_seats, int64_t *id, struct atr_err *err);
/* Suspends (suspend true) or resumes org, inside the caller's
 * transaction. 1 changed, 0 already so, -1 with err (404: no such
 * organisation; 409: the operator cannot be suspended). */
int org_set_suspended(struct db_conn *c, int64_t org, bool suspend,
		      struct atr_err *err);
/* Sets the seats of org (a value < 0 keeps it), inside the caller's
 * transaction. *diff gets {field: {from, to}} for each change (the
 * caller frees it, even after -1; empty: nothing changed). 0, or -1 with
 * err (field errors: members_included, extra_seats; 404). */
int org_set_seats(struct db_conn *c, int64_t org, int64_t members_included,
		  int64_t extra_seats, json_t **diff, struct atr_err *err);

/* The activity diff of o's creation ({field: {to}}; the caller frees). */
json_t *org_created_diff(const struct org_row *o);
/* Child organisations of org (a business's merchants), or -1. */
int64_t org_children(struct db_conn *c, int64_t org);
/* Whether o may be deleted: not the operator, no child organisations
 * (409 naming how many), suspended first (409 "suspend it first", so
 * nothing runs for it meanwhile), holding no account of a person who is a
 * member elsewhere too (409: their sign-in there lives on it). 0, or -1
 * with err. */
int org_delete_check(struct db_conn *c, const struct org_row *o,
		     struct atr_err *err);
/* Deletes org (org_delete_check first) and every row it holds, inside the
 * caller's transaction: every table with an org_id column, read from the
 * schema and ordered so references hold (db_tables_with), its own
 * activity chain included; then the org row. *removed gets {table: rows}
 * of what went (the caller frees it, even after -1). 0, or -1 with err
 * (404, 409, or the database's error). The caller removes the files with
 * org_delete_files after the commit (org_delete.c). */
int org_delete(struct db_conn *c, int64_t org, json_t **removed,
	       struct atr_err *err);
/* Removes a deleted organisation's files on disk: its log archives under
 * archive_dir (<archive_dir>/<log>/org<id>; uploads live in the database
 * and went with its rows). 0, or -1 when something could not be removed. */
int org_delete_files(const char *archive_dir, int64_t org);

/* The settings store's read hook of the two seat rows (core/settings.h):
 * the org row's value as stored text (malloc'd), or -1. */
int org_setting_read(struct db_conn *c, int64_t org, const char *key,
		     char **out);

#endif
