/* activity.h — the append-only, hash-chained activity log, and the outbox.
 *
 * Every state change writes, in the transaction that makes the change, one
 * activity row and (for data changes) one event row. Rows of an
 * organisation form a chain: row n stores the hash of row n-1 and its own
 * hash over its content; audit_head keeps the last seq and hash, so a
 * removed tail is caught too. activity_verify walks the chains.
 *
 * Concurrency: the head row is read FOR UPDATE on PostgreSQL; SQLite's
 * BEGIN IMMEDIATE already serialises writers. Either way the chain is
 * extended by one writer at a time per organisation.
 */
#ifndef ATR_ACTIVITY_H
#define ATR_ACTIVITY_H

#include "atrium.h"

#include <jansson.h>

struct db;
struct db_conn;

struct activity {
	int64_t org_id;
	int64_t actor_id; /* 0: none (system, anonymous) */
	const char *actor_name;
	const char *action; /* create, update, delete, login, ... */
	const char *entity; /* lead, client, staff, ... or NULL */
	int64_t entity_id;
	const json_t *diff; /* borrowed; NULL for none */
	const char *ip;
	const char *request_id;
};

/* Appends one row; must run inside a transaction. 0 or -1. */
int activity_record(struct db_conn *c, const struct activity *a);
/* Walks every chain. Returns 0 intact, 1 broken (first break printed to
 * out), -1 on a database error (err). */
int activity_verify(struct db *db, FILE *out, struct atr_err *err);

/* Writes an event row for the workers (webhooks, automations). The event
 * id is a random UUID receivers de-duplicate on. Inside a transaction. */
int outbox_emit(struct db_conn *c, int64_t org_id, const char *entity,
		int64_t entity_id, const char *action, const json_t *before,
		const json_t *after);
/* Count of unprocessed events (for /metrics); -1 on error. */
int64_t outbox_pending(struct db_conn *c);

#endif
