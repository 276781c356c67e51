/* housekeeping.c — deletes expired sessions, tokens, idempotency keys and
 * stale throttle counters. */
#include "atrium.h"

#include "db/db.h"
#include "jobs/housekeeping.h"

#define DAY_MS (24LL * 3600 * 1000)

int64_t housekeeping_run(struct db_conn *c)
{
	char now[ATR_TIME_LEN], day_ago[ATR_TIME_LEN];
	atr_now_iso(now);
	atr_time_iso(atr_now_ms() - DAY_MS, day_ago);
	/* Each statement binds some of: now, a day ago. */
	enum { NOW = 1, DAY = 2 };
	static const struct {
		const char *sql;
		int binds[2];
	} jobs[] = {
		{"DELETE FROM session WHERE expires_at <= ? RETURNING id", {NOW}},
		/* Used or expired links: kept a day for the activity trail. */
		{"DELETE FROM auth_token WHERE (expires_at <= ? OR used_at IS NOT "
		 "NULL) AND created_at < ? RETURNING id",
		 {NOW, DAY}},
		/* Replays are honoured for 24 hours, as payment APIs do. */
		{"DELETE FROM idempotency_key WHERE created_at < ? "
		 "RETURNING org_id",
		 {DAY}},
		{"DELETE FROM login_throttle WHERE (blocked_until IS NULL OR "
		 "blocked_until <= ?) AND window_start < ? RETURNING key",
		 {NOW, DAY}},
	};
	int64_t removed = 0;
	for (size_t i = 0; i < ATR_ARRAY_LEN(jobs); i++) {
		struct db_stmt *st = db_prepare(c, jobs[i].sql);
		if (!st)
			return -1;
		for (int k = 0; k < 2 && jobs[i].binds[k]; k++)
			db_bind_text(st, k + 1,
				     jobs[i].binds[k] == NOW ? now : day_ago);
		int rc;
		while ((rc = db_step(st)) == 1)
			removed++;
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	return removed;
}
