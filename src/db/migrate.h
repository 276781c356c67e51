/* migrate.h — schema migrations embedded in the binary.
 *
 * migrations/<dialect>/NNNN_name.sql, applied in name order, each in its
 * own transaction together with its row in schema_migrations. Safe to run
 * from several nodes at once: SQLite serialises on BEGIN IMMEDIATE, and
 * PostgreSQL takes a session advisory lock before it touches anything.
 * A database that has a migration this binary does not carry was migrated
 * by a newer release: both functions refuse it (ATR_E_CONFLICT, one line
 * naming the two versions).
 *
 * To add a migration: write both migrations/sqlite/NNNN_x.sql and
 * migrations/pg/NNNN_x.sql with the same NNNN_x name; `make` embeds them.
 * A SQLite migration that rebuilds a table others reference (the twelve
 * steps of https://sqlite.org/lang_altertable.html) carries the line
 * `-- atrium: foreign-keys-off`: it then runs with foreign keys off and
 * must pass PRAGMA foreign_key_check before it commits.
 */
#ifndef ATR_MIGRATE_H
#define ATR_MIGRATE_H

#include "db/db.h"

/* Applies pending migrations; *applied gets how many. 0 on success. */
int migrate_run(struct db *db, int *applied, struct atr_err *err);
/* 0 when the schema is current, 1 when migrations are pending (or the
 * database is empty), -1 with err (unreachable, or newer than this
 * binary). Writes nothing. */
int migrate_pending(struct db *db, struct atr_err *err);

/* True when this binary carries migration version ("0043_backups") for
 * dialect d; last (n bytes, may be NULL) gets the newest it carries.
 * A backup whose schema is not known was made by a newer release. */
bool migrate_known(enum db_dialect d, const char *version, char *last,
		   size_t n);

#endif
