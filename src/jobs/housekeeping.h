/* housekeeping.h — removing rows that have served their purpose.
 *
 * Expired sessions, used or expired single-use tokens, idempotency keys
 * older than a day and stale login-throttle counters would otherwise grow
 * without bound. Run by the background worker every few minutes on every
 * node (the deletes are idempotent). The activity log is never touched.
 */
#ifndef ATR_HOUSEKEEPING_H
#define ATR_HOUSEKEEPING_H

#include "atrium.h"

struct db_conn;

/* Deletes what has expired. Returns the number of rows removed, or -1. */
int64_t housekeeping_run(struct db_conn *c);

#endif
