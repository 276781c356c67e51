/* activity.h — the append-only, tamper-evident activity log, and the
 * outbox.
 *
 * Every state change writes, in the transaction that makes the change, one
 * activity row and (for data changes) one event row.
 *
 * The chain. Rows of an organisation form a chain: row n stores the MAC of
 * row n-1 (prev_hash) and its own MAC (hash); audit_head keeps the newest
 * seq and MAC with a MAC of its own, so a removed tail is caught too. The
 * MACs are keyed BLAKE2b-256 with a key derived from the master key
 * (secret_derive, context "atraudit", id 1), which lives outside the
 * database: someone who can write the database but not read the master
 * key cannot recompute the chain after altering, inserting or deleting a
 * row, nor rewind the head (its MAC covers seq and hash). activity_verify
 * (`atrium audit verify`) walks every chain and also reports an empty log
 * of an organisation that has staff (every staff member's creation wrote
 * a row), a missing head and a head without a MAC as broken.
 *
 * Personal data is separable from what the chain covers, so GDPR erasure
 * (a later issue) can remove it without breaking verification. Each row
 * has two personal parts: who (actor_name, ip) and what (diff). Each is
 * sealed with a random per-row salt: seal = BLAKE2b(key id 2; salt,
 * values). The row's MAC covers the public columns (org, seq, at,
 * actor_id, action, entity, entity_id, request_id, prev_hash) and the two
 * seals, not the personal values. While a salt exists, verify checks the
 * values against their seal (an altered name, address or diff is caught).
 * Erasure sets the values and their salt to NULL: the seal stays, the
 * chain still verifies, and without the salt nobody — not even the holder
 * of the master key — can test a guess of the erased values against it.
 * verify counts erased parts and refuses values without a salt.
 *
 * Checkpoints. activity_checkpoint (`atrium audit checkpoint`) writes the
 * head (seq, MAC) of every chain with the time, signed with Ed25519 (seed:
 * key id 3). Keep them outside the database and the server (a daily cron
 * job to another machine): activity_verify_checkpoint (`atrium audit
 * verify --checkpoint FILE`) proves the log still holds each checkpointed
 * row unchanged, which also catches a database restored or rewritten by
 * someone who holds the master key (replaying an old head with its MAC).
 *
 * Rows written before the keyed chain (migration 0011) keep their
 * unkeyed hash (mac_version 1) and are verified with it; `atrium migrate`
 * seals each such chain at once by appending one keyed row
 * (`audit_chain_keyed`, actor cli) whose MAC covers the last unkeyed hash,
 * so rewriting the older rows breaks that row's link. An unkeyed row after
 * a keyed one is reported as rewritten (no downgrade).
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
	/* or, when diff is NULL, the diff already as its JSON text (a bulk
	 * write: write_created_text); NULL for none */
	const char *diff_text;
	const char *ip;
	const char *request_id;
};

/* Appends one row; must run inside a transaction, with the master key
 * loaded (secret_key_load). 0 or -1. */
int activity_record(struct db_conn *c, const struct activity *a);
/* The id of the row this thread's last activity_record wrote (0 before
 * any), for a caller that flags the row it just wrote. */
int64_t activity_last_id(void);
/* Called by activity_record after each row, in its transaction, with the
 * row and its id; a negative return fails the record (and so the change).
 * One observer per process, set by a module's init (the signals module:
 * mass deletions); NULL for none. The kernel names no feature here. */
typedef int (*activity_observer)(struct db_conn *c, const struct activity *a,
				 int64_t id);
void activity_set_observer(activity_observer fn);
/* Walks every chain. Returns 0 intact, 1 broken (the first break of each
 * chain printed to out), -1 on a database error or without the master key
 * (err). */
int activity_verify(struct db *db, FILE *out, struct atr_err *err);
/* Writes a signed checkpoint of every chain's head to out (JSON). 0 or -1
 * (err). */
int activity_checkpoint(struct db *db, FILE *out, struct atr_err *err);
/* Checks the checkpoint `text` (its signature, then that each chain still
 * holds the checkpointed row unchanged). 0, 1 (what is wrong printed to
 * out), -1 (err). */
int activity_verify_checkpoint(struct db *db, const char *text, FILE *out,
			       struct atr_err *err);
/* Seals every chain whose head has no MAC (written before the keyed
 * chain) with one keyed row. Returns how many, or -1 (err). */
int activity_seal_legacy(struct db *db, struct atr_err *err);

/* Retention (core/audit_cut.c). The chain in the database starts after
 * the cut: the last archived row's seq and MAC, itself MAC'd. Moves org's
 * cut to (seq, hash) inside the caller's transaction. 0 or -1. */
int activity_cut_move(struct db_conn *c, int64_t org, int64_t seq,
		      const char *hash);
/* org's cut (0 and "" when never cut), unverified. 0 or -1. */
int activity_cut_get(struct db_conn *c, int64_t org, int64_t *seq,
		     char hash[65]);
/* A checkpoint of one chain at (seq, hash), signed like
 * activity_checkpoint's (JSON text; caller frees), or NULL (err). */
char *activity_checkpoint_at(int64_t org, int64_t seq, const char *hash,
			     struct atr_err *err);
/* Checks a one-chain checkpoint's signature and reads it. 0, 1 (what is
 * wrong printed to out), -1 (err: no key). */
int activity_checkpoint_one(const char *text, int64_t *org, int64_t *seq,
			    char hash[65], FILE *out, struct atr_err *err);
/* Verifies archived rows of one chain in order, starting after (seq,
 * hash): begin (NULL and err without the master key), one call per row
 * (the row as a JSON object of its columns; 0, or 1 with what is wrong
 * printed to out), end (where the stretch ended; frees). */
struct activity_stretch;
struct activity_stretch *activity_stretch_begin(int64_t org, int64_t seq,
						const char *hash,
						struct atr_err *err);
int activity_stretch_row(struct activity_stretch *s, const json_t *row,
			 FILE *out);
void activity_stretch_end(struct activity_stretch *s, int64_t *seq,
			  char hash[65], int64_t *rows, int64_t *erased);

/* Batched forms for a bulk write (an import's batch of creates;
 * activity_bulk.c), each one multi-row INSERT instead of n statements,
 * with the same rows as n calls of the single forms would write:
 * activity_record_many appends n rows (a[i] each, one organisation) to
 * the chain in order, reading and moving its head once, and calls the
 * observer per row; outbox_emit_many writes n events (entity_ids[i],
 * before[i] / after[i], either array NULL for all null; after_text,
 * when not NULL, gives each after already as JSON text instead:
 * write_created_text). activity.diff_text likewise stands for a diff
 * already written. Inside a transaction. 0 or -1. */
int activity_record_many(struct db_conn *c, const struct activity *a, int n);
int outbox_emit_many(struct db_conn *c, int64_t org_id, const char *entity,
		     const int64_t *entity_ids, const char *action,
		     const json_t *const *before, const json_t *const *after,
		     const char *const *after_text, int n);

/* Writes an event row for the workers (webhooks, automations). The event
 * id is a random UUID receivers de-duplicate on. Inside a transaction. */
int outbox_emit(struct db_conn *c, int64_t org_id, const char *entity,
		int64_t entity_id, const char *action, const json_t *before,
		const json_t *after);
/* The same, with the new event's id in *id. */
int outbox_emit_id(struct db_conn *c, int64_t org_id, const char *entity,
		   int64_t entity_id, const char *action,
		   const json_t *before, const json_t *after, int64_t *id);
/* The cause the events this thread writes carry (event.cause, a
 * subscriber's ev->cause): JSON text naming the work that makes the
 * change (an automation's run, for its loop protection), or NULL for
 * none. The caller keeps it alive and sets NULL again when its work ends;
 * requests never set it. */
void outbox_cause(const char *cause);
/* Count of unprocessed events (for /metrics); -1 on error. */
int64_t outbox_pending(struct db_conn *c);

#endif
