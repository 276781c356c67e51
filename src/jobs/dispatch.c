/* dispatch.c — the outbox's consumer.
 *
 * outbox_emit (core/activity.c) writes an event row in the transaction of
 * the change. The runner's coordinator fans committed events out: for
 * each event, oldest first, one job per subscriber that wants it (kind
 * "event:<name>", payload {"event_id": N}), and the event is marked
 * processed, all in one transaction. So an event is handed over exactly
 * once, and atrium_outbox_pending counts what is not handed over yet.
 *
 * Order per record: the jobs of one subscriber and one record share an
 * order key and carry the event id as order_seq; the claim skips a job
 * while an earlier one of its key is not done (job.c). Events of one
 * record are ordered by id because each is written after the record's
 * row, whose lock serialises the transactions that change it.
 *
 * One fan-out at a time: on PostgreSQL a transaction-level advisory lock
 * (a node that does not get it leaves the work to the one that has it),
 * so two nodes cannot interleave the jobs of one record; SQLite's writer
 * is single anyway.
 */
#include "atrium.h"

#include <pthread.h>

#include "core/app.h"
#include "db/db.h"
#include "jobs/jobs_int.h"

struct pending_event {
	int64_t id, org_id, entity_id;
	char entity[64];
};

static bool wants(const struct event_sub *s, const char *entity)
{
	return !s->entity || !strcmp(s->entity, entity);
}

/* A batch's answers of the subscribers' `interested` hooks, by
 * subscriber, organisation and entity: most batches hold a few of each. */
#define MEMO_MAX 32
struct memo {
	struct {
		const struct event_sub *s;
		int64_t org;
		char entity[64];
		int answer;
	} v[MEMO_MAX];
	int n;
};

/* Whether s listens to ev's entity in its organisation: 1, 0, -1. */
static int interested(struct db_conn *c, const struct event_sub *s,
		      const struct pending_event *ev, struct memo *m)
{
	if (!s->interested)
		return 1;
	for (int i = 0; i < m->n; i++)
		if (m->v[i].s == s && m->v[i].org == ev->org_id &&
		    !strcmp(m->v[i].entity, ev->entity))
			return m->v[i].answer;
	int a = s->interested(c, ev->org_id, ev->entity);
	if (a >= 0 && m->n < MEMO_MAX) {
		m->v[m->n].s = s;
		m->v[m->n].org = ev->org_id;
		atr_strlcpy(m->v[m->n].entity, ev->entity,
			    sizeof m->v[m->n].entity);
		m->v[m->n].answer = a;
		m->n++;
	}
	return a;
}

#define MARK_BATCH 100 /* ids per UPDATE; unused places are bound to 0 */

static char mark_sql[64 + MARK_BATCH * 3];
static pthread_once_t mark_once = PTHREAD_ONCE_INIT;

/* "UPDATE event SET processed_at = ? WHERE id IN (?, ?, ...)". */
static void build_mark_sql(void)
{
	size_t o = (size_t)snprintf(mark_sql, sizeof mark_sql,
				    "UPDATE event SET processed_at = ? WHERE "
				    "id IN (?");
	for (int i = 1; i < MARK_BATCH; i++)
		o += (size_t)snprintf(mark_sql + o, sizeof mark_sql - o, ",?");
	snprintf(mark_sql + o, sizeof mark_sql - o, ")");
}

/* Marks the events of ev[0..n-1] processed: one UPDATE per 100, naming
 * them by id (not by a range: on PostgreSQL an event committed meanwhile
 * inside the range would be marked without being handed over). 0 or -1. */
static int mark_processed(struct db_conn *c, const struct pending_event *ev,
			  int n, int64_t now)
{
	pthread_once(&mark_once, build_mark_sql);
	char t_now[ATR_TIME_LEN];
	atr_time_iso(now, t_now);
	for (int at = 0; at < n; at += MARK_BATCH) {
		struct db_stmt *st = db_prepare(c, mark_sql);
		if (!st)
			return -1;
		db_bind_text(st, 1, t_now);
		for (int i = 0; i < MARK_BATCH; i++)
			db_bind_int(st, i + 2, at + i < n ? ev[at + i].id : 0);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Fans out up to max committed events (see the top of this file);
 * returns how many, 0 when another node holds the fan-out, -1. */
int dispatch_fanout(struct db_conn *c, const struct jobs_registry *reg,
		    int64_t now, int max)
{
	if (db_begin(c) < 0)
		return -1;
	struct pending_event *ev = NULL;
	struct memo memo = {0};
	int n = 0, rc;
	struct db_stmt *st;
	if (db_conn_dialect(c) == DB_PG) {
		/* migrate.c's lock is 727274. */
		st = db_prepare(c, "SELECT pg_try_advisory_xact_lock(727275)");
		if (!st)
			goto fail;
		rc = db_step(st);
		bool got = rc == 1 && db_col_int(st, 0) != 0;
		db_reset(st);
		if (rc < 0)
			goto fail;
		if (!got) {
			db_rollback(c);
			return 0;
		}
	}
	st = db_prepare(c, "SELECT id, org_id, entity, entity_id FROM event "
			   "WHERE processed_at IS NULL ORDER BY id LIMIT ?");
	if (!st)
		goto fail;
	db_bind_int(st, 1, max);
	ev = xcalloc((size_t)max, sizeof *ev);
	while ((rc = db_step(st)) == 1 && n < max) {
		ev[n].id = db_col_int(st, 0);
		ev[n].org_id = db_col_int(st, 1);
		atr_strlcpy(ev[n].entity, db_col_text(st, 2),
			    sizeof ev[n].entity);
		ev[n].entity_id = db_col_int(st, 3);
		n++;
	}
	db_reset(st);
	if (rc < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < reg->n; k++) {
			const struct event_sub *s = reg->subs[k];
			if (!s || !wants(s, ev[i].entity))
				continue;
			int in = interested(c, s, &ev[i], &memo);
			if (in < 0)
				goto fail;
			if (!in)
				continue;
			json_t *p = json_pack("{s:I}", "event_id",
					      (json_int_t)ev[i].id);
			char key[160];
			snprintf(key, sizeof key, "%s|%s|%lld",
				 reg->kinds[k].name, ev[i].entity,
				 (long long)ev[i].entity_id);
			struct job_new j = {
				.kind = reg->kinds[k].name,
				.org_id = ev[i].org_id,
				.payload = p,
				.order_key = key,
				.order_seq = ev[i].id,
			};
			struct atr_err err = {0};
			int e = job_enqueue(c, &j, NULL, &err);
			json_decref(p);
			if (e < 0)
				goto fail;
		}
	}
	if (mark_processed(c, ev, n, now) < 0)
		goto fail;
	free(ev);
	if (db_commit(c) < 0) {
		db_rollback(c);
		return -1;
	}
	return n;
fail:
	free(ev);
	db_rollback(c);
	return -1;
}

/* The event row with id, loaded into ev (strings owned by *store). */
static int load_event(struct db_conn *c, int64_t id, struct event *ev,
		      char **store, json_t **payload)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT org_id, uuid, entity, entity_id, action, payload, "
		   "created_at, cause FROM event WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	int rc = db_step(st);
	if (rc == 1) {
		ev->id = id;
		ev->org_id = db_col_int(st, 0);
		ev->entity_id = db_col_int(st, 3);
		store[0] = xstrdup(db_col_text(st, 1));
		store[1] = xstrdup(db_col_text(st, 2));
		store[2] = xstrdup(db_col_text(st, 4));
		store[3] = xstrdup(db_col_text(st, 6));
		if (!db_col_null(st, 7))
			store[4] = xstrdup(db_col_text(st, 7));
		*payload = json_loads(db_col_text(st, 5), 0, NULL);
		ev->uuid = store[0];
		ev->entity = store[1];
		ev->action = store[2];
		ev->created_at = store[3];
		ev->cause = store[4];
	}
	db_reset(st);
	return rc;
}

/* The job of one delivery: loads the event and hands it to the
 * subscriber (j->arg). Returns the subscriber's outcome. */
int dispatch_run(struct job_ctx *j, struct atr_err *err)
{
	const struct event_sub *s = j->arg;
	json_int_t id = json_integer_value(json_object_get(j->payload,
							   "event_id"));
	struct db_conn *c = db_acquire(j->app->db, err);
	if (!c)
		return JOB_FAILED;
	struct event ev = {0};
	char *store[5] = {0};
	json_t *payload = NULL;
	int rc = load_event(c, id, &ev, store, &payload);
	if (rc < 0)
		atr_fail(err, ATR_E_INTERNAL, "cannot load event %lld: %s",
			 (long long)id, db_errmsg(c));
	db_release(c);
	if (rc == 1) {
		ev.payload = payload ? payload : json_null();
		rc = s->handle(j->app, &ev, err);
	} else if (rc == 0) {
		/* Nothing left to deliver. */
		fprintf(stderr, "jobs: event %lld for %s no longer exists\n",
			(long long)id, s->name);
		rc = JOB_OK;
	} else {
		rc = JOB_FAILED;
	}
	json_decref(payload);
	for (int i = 0; i < 5; i++)
		free(store[i]);
	return rc;
}
