/* record_retention.h — record retention rules (GDPR storage limitation,
 * Art. 5(1)(e)): "delete leads with no activity for 3 years".
 *
 * Not the log retention of src/admin/retention*.c (which archives old log
 * rows): these rules remove or anonymise CRM records.
 *
 * record_retention.c      the rule (a registry entity, retention_rule),
 *                         its checks, the preview, the module
 * record_retention_run.c  the selection both the preview and a run use,
 *                         the run (a job, in batches), the daily task,
 *                         run now, confirm, the run history
 *
 * What "activity" means, exactly: a record was last active at the later of
 * its updated_at and the newest activity-log row about it (entity and id:
 * every change, note, deletion attempt, export, erasure written to the
 * log about that record). Records attached to it (a client's contacts or
 * invoices) do not count as its activity; a record others still refer to
 * is refused by a delete rule (and reported), and an anonymise rule
 * leaves what refers to it as it is.
 */
#ifndef ATR_RECORD_RETENTION_H
#define ATR_RECORD_RETENTION_H

#include "atrium.h"

#include "entity/entity.h"
#include "jobs/jobs.h"

#include <jansson.h>

extern const struct entity entity_retention_rule;

/* Records per batch of a run: each batch is one transaction. */
#define RR_BATCH 100
/* The default and the bounds of a rule's max_per_run. */
#define RR_MAX_PER_RUN 500
#define RR_MAX_PER_RUN_LIMIT 10000
/* Refusals a run keeps the details of (the count goes on). */
#define RR_REFUSALS_KEPT 100
/* Preview: records shown (default and most). */
#define RR_PREVIEW_LIMIT 10
#define RR_PREVIEW_MAX 50
/* A rule's filter: characters. */
#define RR_FILTER_MAX 1000

/* What a rule says, as the preview and a run need it. */
struct rr_rule {
	int64_t id, version, confirmed_version;
	const struct entity *e;
	int64_t amount;
	const char *unit;   /* days, months, years */
	const char *filter; /* list-query text, or NULL */
	bool anonymise;
	bool enabled;
	int64_t max_per_run;
	const char *name;
};

/* Whether records of e may be the subject of a rule: e holds personal
 * data (a field marked F_PERSONAL) and is not the register of rights
 * requests (the accountability record). Finance documents (invoices,
 * credit notes, payments: kept by law) hold no personal field of their
 * own, so the registry never offers them. */
bool rr_entity_offered(const struct entity *e);

/* The instant "amount unit before now_ms" (ISO, UTC): calendar months and
 * years (31 March less one month is 28/29 February). */
void rr_cutoff(int64_t now_ms, int64_t amount, const char *unit,
	       char out[ATR_TIME_LEN]);

/* The selection of rule ru as r's list request: ru's filter and the
 * parameters params ("limit=10&sort=id", not from the caller), plus the
 * inactivity condition at cutoff (and for anonymise, records not erased
 * yet), plus id > after when after > 0; within r's view scope. ids (when
 * not NULL, at least `limit` long) receives the page's ids, *n their
 * number. With last_activity the answer also carries "cutoff" and
 * "last_activity" ({id: instant}). Sets r's response. 0, or -1 with r->err
 * (a filter the list language refuses: 400 naming it). */
int rr_select(struct req *r, const struct rr_rule *ru, const char *cutoff,
	      const char *params, int64_t after, bool last_activity,
	      int64_t *ids, int *n);

/* Loads rule id of r's organisation (in r's arena). 1, 0 absent, -1. */
int rr_rule_load(struct req *r, int64_t id, struct rr_rule *ru);

/* A rule's fields from a JSON record or body (strings borrowed). false
 * when the entity is not offered. */
bool rr_rule_from_json(const json_t *j, struct rr_rule *ru);

/* The checks of a rule body (body) over what a patch keeps (kept, or
 * NULL): the field errors into r->err. */
void rr_check_fields(struct req *r, const json_t *body, const json_t *kept);

/* record_retention_run.c */
int rr_h_preview(struct req *r);
int rr_h_preview_body(struct req *r);
int rr_h_confirm(struct req *r);
int rr_h_run(struct req *r);
int rr_h_runs(struct req *r);
int rr_job(struct job_ctx *j, struct atr_err *err);
int rr_task(struct app *app, struct db_conn *c, int64_t now_ms,
	    struct atr_err *err);

/* The choices of the rule's entity field (filled at init). */
extern const char *rr_entity_choices[];

#endif
