/* db_int.h — what db.c and db_group.c share: the facade's structures.
 * Not for callers outside src/db (they use db.h).
 */
#ifndef ATR_DB_INT_H
#define ATR_DB_INT_H

#include "atrium.h"

#include <pthread.h>

#include "db/db.h"
#include "db/db_driver.h"

#define STMT_CACHE 256 /* power of two; distinct SQL texts per connection */
/* The group writer runs every write transaction's statements: all of the
 * application's write SQL, not one request kind's. */
#define STMT_CACHE_WRITER 1024

struct db_stmt {
	struct db_conn *conn;
	void *impl;
	char *sql;
	uint64_t hash;
	bool active;    /* stepped since the last reset */
	bool transient; /* not cached: db_reset frees it */
};

struct gc_group;

struct db_conn {
	struct db *db;
	void *impl;
	bool in_tx;
	/* The last error since acquire or db_begin, rollbacks aside: what
	 * the caller reports, whatever a rollback says afterwards. */
	char err[512];
	enum db_err_class err_class;
	bool err_unique, err_fk; /* of the recorded error */
	struct db_stmt **cache; /* cache_cap slots, a power of two */
	int cache_cap, ncached;
	struct db_conn *next_free;
	/* Group commit (db_group.c). On a pooled connection in a group
	 * member's transaction: tx is the writer connection its statements
	 * run on, grp the group it joined. On the writer connection: writer
	 * is set and owner is the member running on it now (its errors are
	 * recorded there). solo: this connection's own BEGIN IMMEDIATE
	 * holds the writer turn. */
	struct db_conn *tx;
	struct gc_group *grp;
	bool writer;
	bool solo;
	struct db_conn *owner;
	/* A check riding with the next read (db_guard_set); failed: its
	 * check said no since it was set (until db_release). */
	struct db_guard guard;
	bool guard_pending, guard_failed;
	int64_t org; /* db_conn_org; 0: all */
};

/* The writer turn and the open group (db_group.c). */
struct gc_state {
	pthread_mutex_t mu;
	pthread_cond_t turn; /* the turn was given back */
	pthread_cond_t done; /* a group's COMMIT returned */
	bool enabled;        /* sqlite_group_commit */
	bool held;           /* a member, a solo transaction or a leader has it */
	int waiting;         /* threads waiting for the turn */
	struct db_conn *w;   /* the writer connection (opened on first use) */
	struct gc_group *open; /* the group whose transaction is open on w */
	int max_members;
	int64_t max_age_ns;
	/* Figures (db_group_stats). */
	uint64_t commits, members;
};

struct db {
	const struct db_driver *drv;
	char *url;
	struct db_limits lim;
	int pool_size, open, busy;
	struct db_conn *free_list;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* SQLite has one writer at a time: writers take the turn in
	 * db_group.c (queued on a mutex and condition, which wakes the next
	 * one the moment the lock is free where SQLite's busy handler would
	 * sleep and retry: that cost 1.5 s at p99 under load). Other
	 * processes on the same file still meet the busy timeout. */
	struct gc_state gc;
	/* db_set_role: the role every connection runs as ("" its login
	 * role). Set once before the pool serves, read without the lock. */
	char role[64];
};

/* db.c */
void db_record_error(struct db_conn *c);
void db_clear_error(struct db_conn *c);
struct db_conn *db_conn_new(struct db *db, void *impl, int cache_cap);
void db_conn_free(struct db_conn *c);

/* db_group.c: SQLite transactions (PostgreSQL's stay in db.c). */
void gc_init(struct db *db);
void gc_fini(struct db *db);
int gc_begin(struct db_conn *c, bool solo);
int gc_commit(struct db_conn *c);
int gc_rollback(struct db_conn *c);
/* False when st is a statement this thread may not use now: a writer
 * statement outside this thread's turn, or a statement prepared on a
 * pooled connection before it joined a group. */
bool gc_stmt_usable(const struct db_stmt *st);

#endif
