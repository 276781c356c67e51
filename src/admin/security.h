/* security.h — the live security checklist and the role audit (issue 16;
 * the spec's "Security — permanent checklist").
 *
 * Files:
 *   security_rules.c   the pure rules: next due date, a row's status, the
 *                      grants of a role beyond its template (unit-tested)
 *   security_check.c   the rows, each computed from real data
 *                      (sec_evaluate); GET /api/v1/security/checklist,
 *                      marking a review done, the review history; the
 *                      module_security descriptor (permission row
 *                      `security_checklist`)
 *   security_notify.c  the scheduler's `security_checklist` task: overdue
 *                      rows emailed to the administrators (template
 *                      security_overdue) and notified in-app, once per row
 *                      and due period (table security_notice)
 *   security_audit.c   the role audit: every active member x permission
 *                      module with their effective access and its source,
 *                      as JSON (through the list engine) and CSV; roles
 *                      beyond their template (module_role_audit)
 */
#ifndef ATR_SECURITY_H
#define ATR_SECURITY_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;

#define SEC_DAY_MS (86400LL * 1000)
#define SEC_FINDINGS_MAX 50 /* findings listed per row (all are counted) */
#define SEC_NOTE_MAX 1000   /* characters of a review's note */
#define SEC_KEY_MAX 1024    /* bytes of a notice's period key */
/* An administrator has a day to enrol in 2FA before the row is overdue. */
#define SEC_ENROL_GRACE_MS SEC_DAY_MS

enum sec_status {
	SEC_OK = 0,
	SEC_ATTENTION, /* findings, but the row is not due yet */
	SEC_OVERDUE,   /* past its due date (or a continuous row failing) */
	SEC_NA,        /* nothing to check (no SMTP password stored) */
};

/* One row of the checklist (security_check.c, sec_checks[]). */
struct sec_check {
	const char *key;       /* [a-z_]+: the path's {key} */
	const char *title;     /* the spec's wording, English (i18n by key) */
	const char *frequency; /* "weekly", "quarterly", "continuous", ... */
	int period_days;       /* 0: continuous (judged by its data alone) */
	bool reviewable;       /* an administrator may mark a review done */
	bool findings_alert;   /* findings mean something needs doing */
	const char *link;      /* the screen that fixes it */
};

struct sec_row {
	const struct sec_check *def;
	json_t *findings;   /* array, at most SEC_FINDINGS_MAX (owned) */
	int64_t count;      /* every finding */
	int64_t due_count;  /* continuous rows: the findings past their grace */
	int64_t last_done;  /* ms, -1 never */
	char last_done_by[128];
	const char *last_done_source; /* "review", "settings", NULL */
	int64_t next_due;   /* ms, -1: continuous */
	enum sec_status status;
	/* What one notice is about (security_notify.c): "due:<time>" for a
	 * periodic row, "ids:1,5,9" (its findings' ids) for a continuous one. */
	char period_key[SEC_KEY_MAX];
};

#define SEC_NROWS 7
extern const struct sec_check sec_checks[SEC_NROWS];

/* Index of the row named key, or -1. */
int sec_check_find(const char *key);

/* Computes every row of org at now_ms from the database (a handful of
 * queries, none per member). 0, or -1 with err; free with sec_rows_free. */
int sec_evaluate(struct db_conn *c, int64_t org, int64_t now_ms,
		 struct sec_row rows[SEC_NROWS], struct atr_err *err);
void sec_rows_free(struct sec_row rows[SEC_NROWS]);
/* The row as the API shows it (caller owns). */
json_t *sec_row_json(const struct sec_row *row);
const char *sec_status_name(enum sec_status s);

/* ---- the pure rules (security_rules.c) ---------------------------------- */

/* When a row is next due: last done (or, never done, since: when the
 * organisation was created) plus the period; -1 for a continuous row
 * (period_days 0). */
int64_t sec_next_due(int64_t last_done, int64_t since, int period_days);
/* A row's status at now: na first; then overdue once next_due has come;
 * a continuous row (next_due -1) is overdue while due_count findings are
 * past their grace; findings that alert otherwise need attention; else
 * ok. */
enum sec_status sec_status_of(int64_t now, int64_t next_due, int64_t count,
			      int64_t due_count, bool findings_alert, bool na);
/* The grants (PB_* bits) of granted beyond a template's tmpl on one
 * module: every bit the template does not grant, except view_own where
 * the template grants view (a narrower view of the same records). */
unsigned sec_excess_bits(unsigned granted, unsigned tmpl);
/* Writes "ids:" and the ids, comma-separated, into out (n bytes; ids
 * that would not fit are left out): a continuous row's period key. */
void sec_ids_key(const int64_t *ids, int n, char *out, size_t size);
/* Whether a row whose notice is now `key` must be told again, the last
 * notice having been `told` ("" never): a periodic row when its due date
 * differs; a continuous row ("ids:...") only when an id is in key that
 * was not in told — a new administrator without 2FA, not one fewer. */
bool sec_notice_due(const char *told, const char *key);

/* ---- the role audit (security_audit.c) ---------------------------------- */

/* Every role of org with its template and the grants beyond it:
 * [{id, name, template, exceeds, excess: ["leads.delete", ...]}] in name
 * order (caller owns); NULL on a database error. *nexceed counts the
 * roles that exceed (may be NULL). */
json_t *sec_roles_beyond(struct db_conn *c, int64_t org, int64_t *nexceed);

#endif
