/* jobs_health.c — the job runner's part of the health report: per kind,
 * the backlog (queued jobs whose time has come, waiting for a worker) and
 * how long its oldest has waited. A job waiting out a retry's backoff is
 * not backlog: it waits by design. An organisation's report counts its
 * own jobs; the installation's (the operator's, /metrics) every
 * organisation's, since the runner serves them all and a stuck queue of
 * one business delays the others.
 */
#include "atrium.h"

#include <ctype.h>

#include "core/app.h"
#include "core/health_report.h"
#include "db/db.h"
#include "jobs/jobs_int.h"

#define KINDS_MAX 64

struct kind_row {
	char kind[64];
	int64_t queued, due, running, blocked;
	int64_t oldest_due_ms; /* run_at of the oldest due job; 0: none */
};

static struct kind_row *row_of(struct kind_row *v, int *n, const char *kind)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(v[i].kind, kind))
			return &v[i];
	if (*n == KINDS_MAX)
		return NULL;
	struct kind_row *r = &v[(*n)++];
	memset(r, 0, sizeof *r);
	atr_strlcpy(r->kind, kind, sizeof r->kind);
	return r;
}

/* The jobs page filtered on kind, the kind percent-encoded (it comes
 * from the table). */
static void jobs_link(char *out, size_t n, const char *kind)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = (size_t)snprintf(out, n, "/admin/utilities/jobs?kind=");
	for (const unsigned char *p = (const unsigned char *)kind;
	     *p && k + 4 < n; p++) {
		if (isalnum(*p) || strchr("-_.:", *p)) {
			out[k++] = (char)*p;
		} else {
			out[k++] = '%';
			out[k++] = hex[*p >> 4];
			out[k++] = hex[*p & 15];
		}
	}
	out[k] = 0;
}

int jobs_health(struct app *app, struct db_conn *c, int64_t org,
		struct health_report *rep)
{
	bool mine = org && !rep->installation;
	struct kind_row v[KINDS_MAX];
	int n = 0;
	/* Every kind this binary runs, so that an empty queue shows too. */
	const struct jobs_registry *reg = runner_registry();
	for (int i = 0; reg && i < reg->n; i++)
		row_of(v, &n, reg->kinds[i].name);
	int64_t now = jobs_now_ms();
	char t_now[ATR_TIME_LEN];
	atr_time_iso(now, t_now);
	/* The unfinished jobs only, through the index on (status, run_at). */
#define JOBS_BY_KIND                                                           \
	"SELECT kind, status, COUNT(*), SUM(CASE WHEN run_at <= ? THEN 1 "     \
	"ELSE 0 END), MIN(CASE WHEN run_at <= ? THEN run_at END) FROM job "    \
	"WHERE status IN ('queued', 'running', 'blocked')"
	struct db_stmt *st = db_prepare(
	    c, mine ? JOBS_BY_KIND " AND org_id = ? GROUP BY kind, status"
		    : JOBS_BY_KIND " GROUP BY kind, status");
#undef JOBS_BY_KIND
	if (!st)
		return -1;
	db_bind_text(st, 1, t_now);
	db_bind_text(st, 2, t_now);
	if (mine)
		db_bind_int(st, 3, org);
	int rc;
	while ((rc = db_step(st)) == 1) {
		const char *kind = db_col_text(st, 0), *s = db_col_text(st, 1);
		struct kind_row *r = kind && s ? row_of(v, &n, kind) : NULL;
		if (!r)
			continue;
		int64_t cnt = db_col_int(st, 2);
		if (!strcmp(s, "queued")) {
			r->queued = cnt;
			r->due = db_col_int(st, 3);
			if (!db_col_null(st, 4))
				r->oldest_due_ms = atr_iso_ms(db_col_text(st, 4));
		} else if (!strcmp(s, "running")) {
			r->running = cnt;
		} else {
			r->blocked = cnt;
		}
	}
	db_reset(st);
	if (rc < 0)
		return -1;
	for (int k = 0; k < n; k++) {
		const struct kind_row *r = &v[k];
		double wait = r->oldest_due_ms && now > r->oldest_due_ms
				      ? (double)(now - r->oldest_due_ms) / 1000
				      : 0;
		char link[HR_LINK_MAX];
		jobs_link(link, sizeof link, r->kind);
		struct hr_ind *i = hr_add(rep, "job_backlog", "seconds", link);
		hr_subject(i, r->kind);
		hr_value(i, wait);
		/* Due jobs start within the runner's second; a quarter of an
		 * hour of waiting means the runner is stuck or far behind. */
		hr_thresholds(i, HR_LT, 60, HR_GT, 900);
		hr_fact(i, "due", r->due);
		hr_fact(i, "queued", r->queued);
		hr_fact(i, "running", r->running);
		hr_fact(i, "blocked", r->blocked);
		hr_gauge(rep, "atrium_job_backlog",
			 "Queued jobs whose time has come, waiting for a "
			 "worker, by kind.",
			 "kind", r->kind, (double)r->due);
		hr_gauge(rep, "atrium_job_oldest_age_seconds",
			 "How long the oldest job waiting for a worker has "
			 "waited, by kind (0: none).",
			 "kind", r->kind, wait);
	}
	return 0;
}
