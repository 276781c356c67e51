/* migrate.h — schema migrations embedded in the binary.
 *
 * migrations/<dialect>/NNNN_name.sql, applied in name order, each in its
 * own transaction together with its row in schema_migrations. Safe to run
 * from several nodes at once: SQLite serialises on BEGIN IMMEDIATE, and
 * PostgreSQL takes a transaction-scoped advisory lock.
 *
 * To add a migration: write both migrations/sqlite/NNNN_x.sql and
 * migrations/pg/NNNN_x.sql with the same NNNN_x name; `make` embeds them.
 */
#ifndef ATR_MIGRATE_H
#define ATR_MIGRATE_H

#include "db/db.h"

/* Applies pending migrations; *applied gets how many. 0 on success. */
int migrate_run(struct db *db, int *applied, struct atr_err *err);
/* 0 when the schema is current, 1 when migrations are pending, -1 error. */
int migrate_pending(struct db *db, struct atr_err *err);

#endif
