/* backup.h — backups of the whole database, verifying them, restoring
 * them (docs/internals/backup.md has the file format and the design).
 *
 * One engine for the CLI (`atrium backup`, `atrium backup verify`,
 * `atrium restore`, src/cmd/backup.c) and the server (the backups module,
 * src/admin/backup.c: the job that runs "Back up now", the schedule and
 * "Backup before import"):
 *   SQLite      VACUUM INTO a temporary file: a consistent copy while the
 *               server goes on writing (it reads one snapshot of the WAL);
 *   PostgreSQL  pg_dump --format=custom as a child process, the URL's
 *               credentials in its environment only (backup_pg.c).
 * The copy goes into the backup file (backup_file.h) with its manifest.
 * Secrets inside stay encrypted under the master key, which is never in a
 * backup: BACKUP_KEY_REMINDER says so wherever a backup is made.
 */
#ifndef ATR_BACKUP_H
#define ATR_BACKUP_H

#include "atrium.h"

#include <stdio.h>

struct config;
struct db;
struct db_conn;

#define BACKUP_KEY_REMINDER                                                    \
	"the master key (master_key_file, ./var/master.key by default, or "    \
	"ATRIUM_MASTER_KEY) is not in the backup: back it up separately and "  \
	"keep it apart from the backups; without it the stored secrets "       \
	"(SMTP password, webhook secrets, 2FA seeds, team passwords) cannot "  \
	"be read and the activity log cannot be verified"

struct backup_info {
	char path[4096];
	uint64_t bytes;
	char sha256[65];  /* the whole file's */
	char schema[128]; /* the database's newest migration */
};

/* Backs up the database db (opened from url) into the new file out_path
 * (refused when it exists). 0 with info filled, or -1 with err (nothing
 * left behind), or -2 when stop (may be NULL; the job passes
 * jobs_stopping) turned true meanwhile and the copy was abandoned. May
 * run long: call it with no connection of db held. */
int backup_make(struct db *db, const char *url, const char *out_path,
		bool (*stop)(void), struct backup_info *info,
		struct atr_err *err);

/* Checks the backup at path and prints one line per check to out: the
 * checksums; SQLite's integrity_check, or pg_restore --list; and, when
 * chain, the activity log's keyed chain (needs the master key of cfg)
 * on a restored copy: a temporary SQLite file, or for PostgreSQL the empty
 * database into_url (without it the chain is reported as not checked).
 * 0 all good, 1 damaged (out says what), -1 could not check (err). */
int backup_verify(const struct config *cfg, const char *path,
		  const char *into_url, bool chain, FILE *out,
		  struct atr_err *err);

/* Restores the backup at path into the empty database url (refused when
 * it holds any table), of the same kind as the backup's, whose schema this
 * binary knows (refused when newer), then applies the migrations it lacks.
 * Prints what it does to out. 0, or -1 with err. */
int backup_restore(const struct config *cfg, const char *path,
		   const char *url, FILE *out, struct atr_err *err);

/* The last good backup (any origin): 1 with at (its finished_at) and
 * *age_s (seconds since, by this machine's clock) filled, 0 when none
 * was ever made, -1 on a database error. For the health page and
 * Settings. */
int backup_last_good(struct db_conn *c, char at[ATR_TIME_LEN],
		     int64_t *age_s);

#endif
