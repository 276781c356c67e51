/* metrics.c — request counters and latency histograms. */
#include "atrium.h"

#include <stdatomic.h>

#include "core/app.h"
#include "core/buf.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/metrics.h"

static const int statuses[] = {200, 201, 204, 301, 302, 304, 400, 401,
			       403, 404, 405, 409, 410, 412, 413, 414,
			       415, 422, 428, 429, 431, 500, 502, 503,
			       504, 507};
#define NSTATUS ((int)ATR_ARRAY_LEN(statuses))
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				 0.1,   0.25,   0.5,   1,    2.5,   5};
#define NBUCKET ((int)ATR_ARRAY_LEN(buckets))

struct route_metrics {
	atomic_uint_fast64_t count[NSTATUS + 1]; /* +1: any other status */
	atomic_uint_fast64_t bucket[NBUCKET + 1]; /* +1: +Inf */
	atomic_uint_fast64_t sum_us;
};

struct metrics {
	int nroutes; /* slot nroutes is "no route matched" */
	struct route_metrics *r;
};

struct metrics *metrics_new(int nroutes)
{
	struct metrics *m = xcalloc(1, sizeof *m);
	m->nroutes = nroutes;
	m->r = xcalloc((size_t)nroutes + 1, sizeof *m->r);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->r);
	free(m);
}

static int status_slot(int status)
{
	for (int i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS;
}

void metrics_observe(struct metrics *m, int route, int status, double seconds)
{
	if (!m)
		return;
	struct route_metrics *rm =
		&m->r[route >= 0 && route < m->nroutes ? route : m->nroutes];
	atomic_fetch_add(&rm->count[status_slot(status)], 1);
	int b = 0;
	while (b < NBUCKET && seconds > buckets[b])
		b++;
	atomic_fetch_add(&rm->bucket[b], 1);
	atomic_fetch_add(&rm->sum_us, (uint64_t)(seconds * 1e6));
}

static void route_labels(struct app *app, int i, char *out, size_t n)
{
	if (i < app->nroutes)
		snprintf(out, n, "route=\"%s\",method=\"%s\"",
			 app->routes[i].path,
			 http_method_name(app->routes[i].method));
	else
		snprintf(out, n, "route=\"none\",method=\"\"");
}

void metrics_render(struct metrics *m, struct app *app, int64_t outbox,
		    struct buf *out)
{
	char lab[256];
	buf_adds(out, "# HELP atrium_build_info Build information.\n"
		      "# TYPE atrium_build_info gauge\n");
	buf_printf(out, "atrium_build_info{version=\"%s\"} 1\n", ATR_VERSION);
	buf_adds(out, "# HELP atrium_http_requests_total HTTP requests by "
		      "route and status.\n"
		      "# TYPE atrium_http_requests_total counter\n");
	for (int i = 0; i <= m->nroutes; i++) {
		route_labels(app, i, lab, sizeof lab);
		for (int s = 0; s <= NSTATUS; s++) {
			uint64_t v = atomic_load(&m->r[i].count[s]);
			if (!v)
				continue;
			char st[8];
			if (s < NSTATUS)
				snprintf(st, sizeof st, "%d", statuses[s]);
			else
				atr_strlcpy(st, "other", sizeof st);
			buf_printf(out,
				   "atrium_http_requests_total{%s,status=\"%s\"} "
				   "%llu\n",
				   lab, st, (unsigned long long)v);
		}
	}
	buf_adds(out, "# HELP atrium_http_request_duration_seconds Request "
		      "latency by route.\n"
		      "# TYPE atrium_http_request_duration_seconds "
		      "histogram\n");
	for (int i = 0; i <= m->nroutes; i++) {
		uint64_t cum = 0;
		for (int b = 0; b <= NBUCKET; b++)
			cum += atomic_load(&m->r[i].bucket[b]);
		if (!cum)
			continue;
		route_labels(app, i, lab, sizeof lab);
		cum = 0;
		for (int b = 0; b <= NBUCKET; b++) {
			cum += atomic_load(&m->r[i].bucket[b]);
			if (b < NBUCKET)
				buf_printf(out,
					   "atrium_http_request_duration_"
					   "seconds_bucket{%s,le=\"%g\"} "
					   "%llu\n",
					   lab, buckets[b],
					   (unsigned long long)cum);
			else
				buf_printf(out,
					   "atrium_http_request_duration_"
					   "seconds_bucket{%s,le=\"+Inf\"} "
					   "%llu\n",
					   lab, (unsigned long long)cum);
		}
		buf_printf(out,
			   "atrium_http_request_duration_seconds_sum{%s} "
			   "%.6f\n",
			   lab,
			   (double)atomic_load(&m->r[i].sum_us) / 1e6);
		buf_printf(out,
			   "atrium_http_request_duration_seconds_count{%s} "
			   "%llu\n",
			   lab, (unsigned long long)cum);
	}
	int open = 0, busy = 0;
	db_pool_stats(app->db, &open, &busy);
	buf_printf(out,
		   "# HELP atrium_db_errors_total Database errors.\n"
		   "# TYPE atrium_db_errors_total counter\n"
		   "atrium_db_errors_total %llu\n"
		   "# HELP atrium_db_connections Database connections.\n"
		   "# TYPE atrium_db_connections gauge\n"
		   "atrium_db_connections{state=\"open\"} %d\n"
		   "atrium_db_connections{state=\"busy\"} %d\n"
		   "# HELP atrium_outbox_pending Events not yet processed.\n"
		   "# TYPE atrium_outbox_pending gauge\n"
		   "atrium_outbox_pending %lld\n"
		   "# HELP atrium_http_inflight Requests being handled.\n"
		   "# TYPE atrium_http_inflight gauge\n"
		   "atrium_http_inflight %d\n",
		   (unsigned long long)db_error_count(), open, busy,
		   (long long)outbox, atomic_load(&app->inflight));
	/* SQLite group commit (db/db_group.c): transactions per COMMIT is
	 * members / commits. */
	struct db_group_stats gs;
	db_group_stats(app->db, &gs);
	buf_printf(out,
		   "# HELP atrium_db_group_commits_total SQLite group COMMITs "
		   "(one fsync each).\n"
		   "# TYPE atrium_db_group_commits_total counter\n"
		   "atrium_db_group_commits_total %llu\n"
		   "# HELP atrium_db_group_members_total Transactions committed "
		   "through SQLite group COMMITs.\n"
		   "# TYPE atrium_db_group_members_total counter\n"
		   "atrium_db_group_members_total %llu\n",
		   (unsigned long long)gs.commits,
		   (unsigned long long)gs.members);
	for (int i = 0; app->modules[i]; i++)
		if (app->modules[i]->metrics)
			app->modules[i]->metrics(app, out);
}
