/* test_dispatch.c — the outbox's consumer (src/jobs/dispatch.c), with a
 * test module table whose subscribers record what they receive: every
 * event handed to every subscriber once, in order per record, the outbox
 * pending count back to 0, and a delivery that outlives its node handed
 * over with the same uuid. On SQLite and, with ATRIUM_TEST_PG, on
 * PostgreSQL. */
#include "atrium.h"

#include "core/activity.h"
#include "jobs_fixture.h"

#define SEEN_MAX 64

static struct {
	int n;
	char sub[SEEN_MAX][16];
	char uuid[SEEN_MAX][40];
	char what[SEEN_MAX][48]; /* "lead:1:created" */
	char after[SEEN_MAX][32];
	bool lead1_down;         /* deliveries of lead 1 to ut_all fail */
} seen;

static void remember(const char *sub, const struct event *ev)
{
	if (seen.n >= SEEN_MAX)
		return;
	int i = seen.n++;
	atr_strlcpy(seen.sub[i], sub, sizeof seen.sub[i]);
	atr_strlcpy(seen.uuid[i], ev->uuid, sizeof seen.uuid[i]);
	snprintf(seen.what[i], sizeof seen.what[i], "%s:%lld:%s", ev->entity,
		 (long long)ev->entity_id, ev->action);
	json_t *after = json_object_get(ev->payload, "after");
	const char *name = json_string_value(json_object_get(after, "name"));
	atr_strlcpy(seen.after[i], name ? name : "", sizeof seen.after[i]);
}

static int ut_all(struct app *app, const struct event *ev,
		  struct atr_err *err)
{
	if (!strcmp(ev->entity, "lead") && ev->entity_id == 1 &&
	    seen.lead1_down)
		return atr_fail(err, ATR_E_INTERNAL, "receiver down");
	remember("all", ev);
	return JOB_OK;
}

static int ut_leads(struct app *app, const struct event *ev,
		    struct atr_err *err)
{
	remember("leads", ev);
	return JOB_OK;
}

/* Listens to clients only, and says so at fan-out (an organisation with
 * endpoints for clients, say): other events get no job of it. */
static int ut_clients_interested(struct db_conn *c, int64_t org,
				 const char *entity)
{
	return org == 1 && !strcmp(entity, "client");
}

static int ut_clients(struct app *app, const struct event *ev,
		      struct atr_err *err)
{
	remember("clients", ev);
	return JOB_OK;
}

static const struct event_sub ut_subs[] = {
	{"ut_all", NULL, ut_all, .max_attempts = 50, .backoff_base_ms = 1000},
	{"ut_leads", "lead", ut_leads},
	{"ut_clients", NULL, ut_clients, .interested = ut_clients_interested},
	{0},
};

static const struct module ut_module = {.name = "ut",
					.subscribers = ut_subs};
static const struct module *const ut_mods[] = {&ut_module, NULL};

/* One event in its own transaction, as a data change writes it. */
static void emit(struct fx *f, const char *entity, int64_t id,
		 const char *action, const char *name)
{
	json_t *after = json_pack("{s:s}", "name", name);
	if (!CHECK_EQ_INT(db_begin(f->c), 0) ||
	    !CHECK_EQ_INT(outbox_emit(f->c, 1, entity, id, action, NULL,
				      after),
			  0) ||
	    !CHECK_EQ_INT(db_commit(f->c), 0))
		db_rollback(f->c);
	json_decref(after);
}

/* Index of the first delivery of what to sub, or -1. */
static int seen_at(const char *sub, const char *what)
{
	for (int i = 0; i < seen.n; i++)
		if (!strcmp(seen.sub[i], sub) && !strcmp(seen.what[i], what))
			return i;
	return -1;
}

static int seen_count(const char *sub, const char *what)
{
	int n = 0;
	for (int i = 0; i < seen.n; i++)
		n += !strcmp(seen.sub[i], sub) && !strcmp(seen.what[i], what);
	return n;
}

static void case_dispatch(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	memset(&seen, 0, sizeof seen);
	seen.lead1_down = true;
	emit(&f, "lead", 1, "created", "Ada");
	emit(&f, "client", 5, "created", "Acme");
	emit(&f, "lead", 1, "updated", "Ada L.");
	emit(&f, "lead", 2, "created", "Bob");
	CHECK_EQ_INT(outbox_pending(f.c), 4);
	CHECK_EQ_INT(dispatch_fanout(f.c, &f.reg, jobs_now_ms(), 100), 4);
	CHECK_EQ_INT(outbox_pending(f.c), 0);
	/* One job per subscriber that wants the event. */
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM job WHERE "
					 "kind = 'event:ut_all'"),
		     4);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM job WHERE "
					 "kind = 'event:ut_leads'"),
		     3);
	/* Not interested in leads: only the client's event is its job. */
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM job WHERE "
					 "kind = 'event:ut_clients'"),
		     1);
	CHECK_EQ_INT(dispatch_fanout(f.c, &f.reg, jobs_now_ms(), 100), 0);

	/* While lead 1's deliveries to ut_all fail (retried with backoff,
	 * how often depends on the jitter), its update waits; the other
	 * records go on. */
	CHECK(jobs_run_due(&f.app, &f.reg, "node-a", 100) >= 6);
	CHECK_EQ_INT(seen_count("all", "lead:1:created"), 0);
	CHECK_EQ_INT(seen_count("all", "lead:1:updated"), 0);
	CHECK_EQ_INT(seen_count("all", "client:5:created"), 1);
	CHECK_EQ_INT(seen_count("all", "lead:2:created"), 1);
	CHECK_EQ_INT(seen_count("leads", "lead:1:created"), 1);
	CHECK_EQ_INT(seen_count("leads", "lead:1:updated"), 1);
	CHECK_EQ_INT(seen_count("leads", "client:5:created"), 0);
	CHECK(seen_at("leads", "lead:1:created") <
	      seen_at("leads", "lead:1:updated"));
	/* The receiver is back; after the backoff (at most the 1 h cap):
	 * created, then updated, each once. */
	seen.lead1_down = false;
	atr_clock_shift(7200000, 0);
	CHECK_EQ_INT(jobs_run_due(&f.app, &f.reg, "node-a", 100), 2);
	atr_clock_shift(-7200000, 0);
	CHECK_EQ_INT(seen_count("all", "lead:1:created"), 1);
	CHECK_EQ_INT(seen_count("all", "lead:1:updated"), 1);
	CHECK(seen_at("all", "lead:1:created") <
	      seen_at("all", "lead:1:updated"));
	int u = seen_at("all", "lead:1:updated");
	if (u >= 0)
		CHECK_STR(seen.after[u], "Ada L.");
	CHECK_EQ_INT(seen_count("clients", "client:5:created"), 1);
	CHECK_EQ_INT(seen.n, 8);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM job WHERE "
					 "status <> 'done'"),
		     0);
	/* The uuid handed over is the event's own. */
	int c5 = seen_at("all", "client:5:created");
	if (c5 >= 0) {
		char *sql = xasprintf("SELECT COUNT(*) FROM event WHERE uuid = "
				      "'%s' AND entity = 'client'",
				      seen.uuid[c5]);
		CHECK_EQ_INT(unit_db_scalar(f.c, sql), 1);
		free(sql);
	}
	fx_close(&f);
}

TEST(dispatch_order_once_sqlite)
{
	unit_with_sqlite(case_dispatch);
}

TEST(dispatch_order_once_pg)
{
	unit_with_pg(case_dispatch);
}

/* A node that died while delivering: after the lease, another node
 * delivers the same event, with the same uuid (at least once). */
static void case_dispatch_crash(const char *url)
{
	struct fx f;
	if (!fx_open(&f, url, ut_mods))
		return;
	memset(&seen, 0, sizeof seen);
	emit(&f, "project", 9, "deleted", "Gone");
	CHECK_EQ_INT(dispatch_fanout(f.c, &f.reg, jobs_now_ms(), 100), 1);
	struct job_claimed got[4];
	int64_t now = jobs_now_ms();
	/* node-a claims ut_all's delivery and dies. */
	int n = job_claim(f.c, &f.reg, "node-a", now, false, 4, got);
	CHECK_EQ_INT(n, 1);
	for (int i = 0; i < n; i++)
		job_claimed_free(&got[i]);
	CHECK_EQ_INT(jobs_run_due(&f.app, &f.reg, "node-b", 10), 0);
	atr_clock_shift(JOB_DEFAULT_LEASE_MS + 1000, 0);
	CHECK_EQ_INT(jobs_run_due(&f.app, &f.reg, "node-b", 10), 1);
	atr_clock_shift(-(JOB_DEFAULT_LEASE_MS + 1000), 0);
	CHECK_EQ_INT(seen_count("all", "project:9:deleted"), 1);
	if (seen.n == 1) {
		char *sql = xasprintf("SELECT COUNT(*) FROM event WHERE uuid = "
				      "'%s'",
				      seen.uuid[0]);
		CHECK_EQ_INT(unit_db_scalar(f.c, sql), 1);
		free(sql);
	}
	fx_close(&f);
}

TEST(dispatch_crash_sqlite)
{
	unit_with_sqlite(case_dispatch_crash);
}

TEST(dispatch_crash_pg)
{
	unit_with_pg(case_dispatch_crash);
}

/* Without subscribers, events are still marked processed, so
 * atrium_outbox_pending drops to 0 (the binary's table today). */
static void case_no_subscribers(const char *url)
{
	static const struct module none = {.name = "none"};
	static const struct module *const mods[] = {&none, NULL};
	struct fx f;
	if (!fx_open(&f, url, mods))
		return;
	for (int i = 0; i < 5; i++)
		emit(&f, "lead", i + 1, "created", "X");
	CHECK_EQ_INT(outbox_pending(f.c), 5);
	CHECK_EQ_INT(dispatch_fanout(f.c, &f.reg, jobs_now_ms(), 3), 3);
	CHECK_EQ_INT(dispatch_fanout(f.c, &f.reg, jobs_now_ms(), 3), 2);
	CHECK_EQ_INT(outbox_pending(f.c), 0);
	CHECK_EQ_INT(unit_db_scalar(f.c, "SELECT COUNT(*) FROM job"), 0);
	fx_close(&f);
}

TEST(dispatch_no_subscribers_sqlite)
{
	unit_with_sqlite(case_no_subscribers);
}

TEST(dispatch_no_subscribers_pg)
{
	unit_with_pg(case_no_subscribers);
}
