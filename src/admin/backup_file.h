/* backup_file.h — the backup file: a POSIX tar (ustar) archive holding a
 * manifest and the database, described in docs/internals/backup.md.
 *
 *   manifest.json     {"format": "atrium-backup/1", "product": "atrium",
 *                      "version", "schema", "database": "sqlite" or
 *                      "postgresql", "created_at", "node", "key_check",
 *                      "members": [{"name", "bytes", "sha256"}]}
 *   database.sqlite3  a consistent copy of the SQLite database (VACUUM
 *   or database.pgdump  INTO), or pg_dump's custom format
 *
 * The manifest comes first, so a reader knows what it holds before it
 * reads the database; every member's size and SHA-256 are in it. Any tar
 * (GNU tar, bsdtar) lists and extracts the file. Members larger than
 * 8 GiB carry their size in base-256 (the GNU and star extension tar
 * readers understand). This file holds no secret: the database's secrets
 * stay encrypted under the master key, which is never in a backup.
 */
#ifndef ATR_BACKUP_FILE_H
#define ATR_BACKUP_FILE_H

#include "atrium.h"

#define BK_FORMAT "atrium-backup/1"
#define BK_MANIFEST "manifest.json"
#define BK_MEMBER_SQLITE "database.sqlite3"
#define BK_MEMBER_PG "database.pgdump"
#define BK_MANIFEST_MAX (64 * 1024)
#define BK_SHA_HEX 65

struct bk_manifest {
	char format[32];
	char version[32];     /* the product version that made it */
	char schema[128];     /* the newest migration applied ("0043_backups") */
	char database[16];    /* "sqlite" or "postgresql" */
	char created_at[ATR_TIME_LEN];
	char node[256];       /* the host that made it */
	char key_check[72];   /* the database's master key check value, "" none */
	char member[64];      /* BK_MEMBER_SQLITE or BK_MEMBER_PG */
	uint64_t bytes;       /* the member's size */
	char sha256[BK_SHA_HEX]; /* the member's SHA-256, lower-case hex */
};

/* SHA-256 (hex) and size of the file at path. 0, or -1 with err. */
int bk_sha256_file(const char *path, uint64_t *bytes, char hex[BK_SHA_HEX],
		   struct atr_err *err);

/* The manifest as JSON text (malloc'd, caller frees). */
char *bk_manifest_json(const struct bk_manifest *m);
/* Parses and checks manifest text (format, known database kind, member
 * name, a 64-digit hash). 0, or -1 with err naming what is wrong. */
int bk_manifest_parse(const char *text, size_t len, struct bk_manifest *m,
		      struct atr_err *err);

/* Writes the backup file out_path: the manifest m, then the member read
 * from db_path (its size and hash must be m's), into a temporary file
 * beside out_path, fsync'd, then renamed to out_path (refused when
 * out_path exists) and the directory fsync'd. file_sha gets the whole
 * file's SHA-256, file_bytes its size. 0, or -1 with err (no file left
 * behind). */
int bk_write(const char *out_path, const struct bk_manifest *m,
	     const char *db_path, uint64_t *file_bytes,
	     char file_sha[BK_SHA_HEX], struct atr_err *err);

/* Reads the manifest of the backup file at path. 0, or -1 with err (not a
 * backup file, a damaged header, a bad manifest). */
int bk_read_manifest(const char *path, struct bk_manifest *m,
		     struct atr_err *err);

/* Reads the backup at path, checks its manifest, and copies the database
 * member to dest (created, mode 0600; must not exist), checking its size
 * and SHA-256 against the manifest as it goes. 0; 1 when the file is
 * damaged (err says how: a checksum, a truncated member, trailing
 * members); -1 on another error (err). */
int bk_extract(const char *path, struct bk_manifest *m, const char *dest,
	       struct atr_err *err);

#endif
