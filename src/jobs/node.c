/* node.c — this process's name in the cluster and its heartbeat row.
 *
 * Every `atrium serve` has one node name for its life, host:pid:random:
 * the owner its job leases and its scheduler lease carry, and the id of
 * its row in the `node` table (migration 0039). The runner's coordinator
 * writes that row at start, every NODE_BEAT_MS and at a clean stop
 * (stopped_at); the health page reads it (src/admin/health.c).
 */
#include "atrium.h"

#include <pthread.h>

#include "db/db.h"
#include "jobs/jobs_int.h"

static pthread_once_t name_once = PTHREAD_ONCE_INIT;
static char node_name[JOB_OWNER_LEN];
static int64_t started_ms;

static void name_make(void)
{
	jobs_owner_name(node_name);
	started_ms = atr_now_ms();
}

const char *jobs_node_id(void)
{
	pthread_once(&name_once, name_make);
	return node_name;
}

int64_t jobs_node_started_ms(void)
{
	pthread_once(&name_once, name_make);
	return started_ms;
}

int node_beat(struct db_conn *c, int64_t now)
{
	char seen[ATR_TIME_LEN], started[ATR_TIME_LEN];
	atr_time_iso(now, seen);
	atr_time_iso(jobs_node_started_ms(), started);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO node (id, version, started_at, seen_at) VALUES "
		   "(?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = "
		   "excluded.version, seen_at = excluded.seen_at, stopped_at "
		   "= NULL");
	if (!st)
		return -1;
	db_bind_text(st, 1, jobs_node_id());
	db_bind_text(st, 2, ATR_VERSION);
	db_bind_text(st, 3, started);
	db_bind_text(st, 4, seen);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int node_stopped(struct db_conn *c, int64_t now)
{
	char at[ATR_TIME_LEN];
	atr_time_iso(now, at);
	struct db_stmt *st = db_prepare(
		c, "UPDATE node SET seen_at = ?, stopped_at = ? WHERE id = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, at);
	db_bind_text(st, 2, at);
	db_bind_text(st, 3, jobs_node_id());
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}
