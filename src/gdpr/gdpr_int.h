/* gdpr_int.h — the GDPR module's parts (src/gdpr/).
 *
 * gdpr.c         the register: the gdpr_request entity, its rules, the
 *                deadline warning, the module
 * gdpr_export.c  access/portability: the export job (one zip of JSON and
 *                CSV) and its download
 * gdpr_erase.c   erasure: personal fields replaced across entities, their
 *                copies (activity log's personal parts, outbox, email
 *                queue, notifications, ...) removed, the file vacuumed
 * gdpr_reach.c   erasure in the log archives already written (each
 *                affected archive rewritten: admin/retention.h)
 * gdpr_find.c    what holds the subject's data, found by their email (the
 *                one list both of the above walk)
 */
#ifndef ATR_GDPR_INT_H
#define ATR_GDPR_INT_H

#include "atrium.h"

#include "entity/entity.h"
#include "jobs/jobs.h"

#include <jansson.h>

extern const struct entity entity_gdpr_request;
extern const struct route gdpr_routes[];

/* The legal deadline: days after received_on. */
#define GDPR_DEADLINE_DAYS 30
/* Administrators are warned this many days before the deadline. */
#define GDPR_WARN_DAYS 7
/* An export bigger than this fails (the job's answer names it). */
#define GDPR_EXPORT_MAX (64 * 1024 * 1024)
/* What replaces an erased text value. */
#define GDPR_DELETED "[DELETED]"

/* date (YYYY-MM-DD) plus days, into out (11 bytes). false when malformed. */
bool gdpr_date_add(const char *date, int days, char out[11]);

/* The records that hold the subject's data, by their email
 * (case-insensitive), in org: one JSON object of arrays, keyed by what
 * they are ("leads", "contacts", "clients", "tickets", "ticket_replies",
 * "tasks", "activity", "emails", "staff", "notifications"); each element
 * an object of the row's columns. NULL on a database error. gdpr_find.c. */
json_t *gdpr_find(struct db_conn *c, int64_t org, const char *email);

/* Rewrites every log archive of the request's organisation that holds one
 * of values (lower case) or rows about the records in found (gdpr_find's
 * answer), as gdpr_erase.c changes the live rows; appends each archive
 * rewritten to rewritten. The caller holds retention_lock. 0 or -1
 * (r->err). gdpr_reach.c. */
int gdpr_reach_archives(struct req *r, const char *const *values,
			int nvalues, const json_t *found, json_t *rewritten);

int gdpr_export_job(struct job_ctx *j, struct atr_err *err);
int gdpr_h_export(struct req *r);
int gdpr_h_download(struct req *r);
int gdpr_h_erase(struct req *r);

/* Erases record id of en (any entity with F_PERSONAL fields) as an
 * erasure request erases a subject's records, in r's open transaction:
 * its personal fields ("[DELETED]", or NULL where the format forbids it)
 * and custom values, with its next version; the personal parts of the
 * activity log about it or holding its values; the copies holding them
 * (events, queued emails, notifications, jobs, ...); one activity row
 * "gdpr_erase" naming the fields erased and the members of cause (a JSON
 * object: {"retention_rule": 3, "retention_run": 9}). The register of
 * requests is left alone. 0 or -1 (a database error). gdpr_erase.c. */
int gdpr_erase_record(struct req *r, const struct entity *en, int64_t id,
		      const json_t *cause);
/* SQLite: the erased values out of the file (FTS optimize, VACUUM, WAL
 * checkpoint), outside any transaction; PostgreSQL: nothing. 0 or -1. */
int gdpr_erase_wipe(struct db_conn *c);

#endif
