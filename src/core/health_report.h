/* health_report.h — the health report that modules fill (the health page,
 * GET /api/v1/health, and the health gauges of /metrics).
 *
 * A module contributes through its descriptor's `health` member
 * (core/module.h): it adds indicators (a figure with the thresholds that
 * judge it and the screen that fixes it), gauges (Prometheus samples) and
 * sections (free JSON the page shows, as the list of nodes). The kernel
 * names no indicator: it collects them in module-table order and judges
 * each by its thresholds.
 *
 * Adding an indicator (as a module):
 *   static int x_health(struct app *app, struct db_conn *c, int64_t org,
 *                       struct health_report *rep)
 *   {
 *           ... one cheap, indexed read (org 0: all organisations) ...
 *           struct hr_ind *i = hr_add(rep, "backup_age", "seconds",
 *                                     "/admin/backups");
 *           hr_value(i, age_s);
 *           hr_thresholds(i, HR_LT, 86400, HR_GT, 172800);
 *           hr_gauge(rep, "atrium_backup_age_seconds", "Age of the last "
 *                    "good backup.", NULL, NULL, age_s);
 *           return 0;
 *   }
 *   and `.health = x_health` in the descriptor; the key's label goes to
 *   web/assets/i18n (health.ind.<key>).
 *
 * Whose figures: a report is an organisation's (org) or the installation's
 * (org 0: /metrics). An organisation's report holds that organisation's
 * figures only (filter by org_id); the installation's parts (the nodes,
 * the storage, the scheduler's heartbeat, backups, the job backlog of every
 * organisation) are added only when rep->installation is set: for org 0 and
 * for the operator organisation (whose members run the installation). A
 * business's report leaves them out rather than showing them empty.
 *
 * Threads: a report is filled by one thread; nothing here is shared.
 */
#ifndef ATR_HEALTH_REPORT_H
#define ATR_HEALTH_REPORT_H

#include "atrium.h"

#include <jansson.h>

struct app;
struct buf;
struct db_conn;

/* How a threshold compares the value: good when `value <op> good`,
 * warning when `value <op> warning`. */
enum hr_op { HR_NONE = 0, HR_LT, HR_LE, HR_GT, HR_GE, HR_EQ };
enum hr_status { HR_UNKNOWN = 0, HR_GOOD, HR_BETWEEN, HR_WARNING };

#define HR_KEY_MAX 48
#define HR_SUBJECT_MAX 96
#define HR_LINK_MAX 128
#define HR_FACTS_MAX 6
#define HR_INDICATORS_MAX 96
#define HR_GAUGES_MAX 256

struct hr_threshold {
	enum hr_op op; /* HR_NONE: no such threshold */
	double value;
};

struct hr_fact {
	char key[HR_KEY_MAX];
	bool is_text;
	int64_t i;
	char s[HR_SUBJECT_MAX];
};

struct hr_ind {
	char key[HR_KEY_MAX];         /* "cron_last_run" */
	char subject[HR_SUBJECT_MAX]; /* "" or what it is about (a job kind) */
	char unit[16];                /* seconds, count, percent, bytes, bool */
	char link[HR_LINK_MAX];       /* the screen that fixes it */
	bool known;                   /* false: value null (no data) */
	double value;
	struct hr_threshold good, warning;
	/* Set by hr_force: the status whatever the value says (the cron
	 * that never ran is a warning with no value). */
	bool forced;
	enum hr_status status;
	int nfacts;
	struct hr_fact facts[HR_FACTS_MAX];
};

struct hr_gauge {
	char name[64];
	const char *help; /* static */
	char lname[24];   /* "" when unlabelled */
	char lval[HR_SUBJECT_MAX];
	double value;
};

struct health_report {
	int64_t org; /* 0: all organisations */
	/* The installation's parts too (see the top): org 0, or the
	 * operator organisation's report. */
	bool installation;
	int n;
	struct hr_ind ind[HR_INDICATORS_MAX];
	struct hr_ind scratch; /* what hr_add hands out once full */
	int ngauges;
	struct hr_gauge gauges[HR_GAUGES_MAX];
	json_t *sections; /* object: name -> JSON; owned */
	json_t *failed;   /* array of module names whose part failed */
};

/* Makes an empty report for org (0: all; the installation's parts always),
 * with the installation's parts when installation is set. Free with
 * health_report_free. */
void health_report_init(struct health_report *rep, int64_t org,
			bool installation);
void health_report_free(struct health_report *rep);

/* A new indicator (unknown until hr_value), or a scratch one the report
 * drops when it is full; never NULL. Strings are copied. */
struct hr_ind *hr_add(struct health_report *rep, const char *key,
		      const char *unit, const char *link);
void hr_subject(struct hr_ind *i, const char *subject);
void hr_value(struct hr_ind *i, double v);
void hr_thresholds(struct hr_ind *i, enum hr_op good_op, double good,
		   enum hr_op warn_op, double warning);
void hr_force(struct hr_ind *i, enum hr_status s);
void hr_fact(struct hr_ind *i, const char *key, int64_t v);
void hr_fact_text(struct hr_ind *i, const char *key, const char *v);
/* A Prometheus sample; lname NULL for none. Samples of one name are
 * rendered together under one HELP/TYPE, whatever their order. */
void hr_gauge(struct health_report *rep, const char *name, const char *help,
	      const char *lname, const char *lval, double v);
/* Adds (or replaces) a section; takes the reference to v. */
void hr_section(struct health_report *rep, const char *name, json_t *v);

/* The status of an indicator from its value and thresholds: unknown
 * without a value; warning when the warning threshold holds; good when
 * the good one holds; in between otherwise. */
enum hr_status hr_judge(const struct hr_ind *i);
const char *hr_status_name(enum hr_status s);
const char *hr_op_name(enum hr_op op);
/* True when `v <op> t`; false for HR_NONE. */
bool hr_holds(enum hr_op op, double v, double t);

/* Asks every module's `health` member on c (outside a transaction). A
 * module that fails is named in rep->failed; the others still count. */
void health_report_collect(struct app *app, struct db_conn *c,
			   struct health_report *rep);
/* {"scope": "installation" | "organisation", "indicators": [...],
 * "sections": {...}, "failed": [...]}; caller owns. */
json_t *health_report_json(const struct health_report *rep);
/* Appends the gauges as Prometheus text (HELP/TYPE once per name). */
void health_report_prom(const struct health_report *rep, struct buf *out);

#endif
