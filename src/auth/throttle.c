/* throttle.c — database-backed failure counters. */
#include "atrium.h"

#include "auth/throttle.h"
#include "db/db.h"

#define WINDOW_MS (15 * 60 * 1000)
#define MAX_DELAY_S 300

int throttle_wait(struct db_conn *c, const char *key)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT blocked_until FROM login_throttle WHERE key = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	int rc = db_step(st);
	int64_t until = rc == 1 ? atr_iso_ms(db_col_text(st, 0)) : 0;
	db_reset(st);
	if (rc < 0)
		return -1;
	int64_t left = until - atr_now_ms();
	return left > 0 ? (int)((left + 999) / 1000) : 0;
}

int throttle_fail(struct db_conn *c, const char *key, int threshold)
{
	int64_t n;
	return throttle_fail_ex(c, key, threshold, WINDOW_MS, 2, MAX_DELAY_S,
				&n);
}

int throttle_fail_ex(struct db_conn *c, const char *key, int threshold,
		     int64_t window_ms, int first_delay_s, int max_delay_s,
		     int64_t *nfailures)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT failures, window_start FROM login_throttle "
		   "WHERE key = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	int rc = db_step(st);
	int64_t now = atr_now_ms(), failures = 0, start = now;
	if (rc == 1) {
		failures = db_col_int(st, 0);
		start = atr_iso_ms(db_col_text(st, 1));
	}
	db_reset(st);
	if (rc < 0)
		return -1;
	if (now - start > window_ms) {
		failures = 0;
		start = now;
	}
	failures++;
	char start_s[ATR_TIME_LEN], until_s[ATR_TIME_LEN];
	atr_time_iso(start, start_s);
	bool blocked = failures >= threshold;
	if (blocked) {
		int64_t over = failures - threshold;
		int64_t delay = over >= 20 ? max_delay_s
					   : (int64_t)first_delay_s << over;
		if (delay > max_delay_s)
			delay = max_delay_s;
		atr_time_iso(now + delay * 1000, until_s);
	}
	st = db_prepare(c, "INSERT INTO login_throttle (key, failures, "
			   "window_start, blocked_until) VALUES (?, ?, ?, ?) "
			   "ON CONFLICT (key) DO UPDATE SET failures = "
			   "excluded.failures, window_start = "
			   "excluded.window_start, blocked_until = "
			   "excluded.blocked_until");
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	db_bind_int(st, 2, failures);
	db_bind_text(st, 3, start_s);
	db_bind_text(st, 4, blocked ? until_s : NULL);
	rc = db_step(st);
	db_reset(st);
	*nfailures = failures;
	return rc < 0 ? -1 : 0;
}

int throttle_clear(struct db_conn *c, const char *key)
{
	struct db_stmt *st =
		db_prepare(c, "DELETE FROM login_throttle WHERE key = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}
