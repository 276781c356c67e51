/* test_backup.c — the backup container (src/admin/backup_file.c): the
 * manifest's JSON both ways and every malformed field, a file written and
 * extracted with its checksums, what a damaged file is refused for, and a
 * backup of a live SQLite database read back by `tar`. */
#include "atrium.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/backup_file.h"
#include "unit.h"

static void sample(struct bk_manifest *m)
{
	memset(m, 0, sizeof *m);
	atr_strlcpy(m->format, BK_FORMAT, sizeof m->format);
	atr_strlcpy(m->version, "0.1.0", sizeof m->version);
	atr_strlcpy(m->schema, "0043_backups", sizeof m->schema);
	atr_strlcpy(m->database, "sqlite", sizeof m->database);
	atr_strlcpy(m->created_at, "2026-12-06T07:00:00.000Z",
		    sizeof m->created_at);
	atr_strlcpy(m->node, "node-a", sizeof m->node);
	atr_strlcpy(m->member, BK_MEMBER_SQLITE, sizeof m->member);
	m->bytes = 3;
	memset(m->sha256, 'a', 64);
	m->sha256[64] = 0;
}

TEST(backup_manifest_round_trip)
{
	struct bk_manifest m, back;
	sample(&m);
	char *text = bk_manifest_json(&m);
	struct atr_err err = {0};
	CHECK_EQ_INT(bk_manifest_parse(text, strlen(text), &back, &err), 0);
	CHECK_STR(back.schema, "0043_backups");
	CHECK_STR(back.database, "sqlite");
	CHECK_STR(back.member, BK_MEMBER_SQLITE);
	CHECK_EQ_INT(back.bytes, 3);
	CHECK_STR(back.sha256, m.sha256);
	CHECK_STR(back.key_check, "");
	free(text);
}

/* The manifest text with one replacement of from by to. */
static char *edited(const char *from, const char *to)
{
	struct bk_manifest m;
	sample(&m);
	char *text = bk_manifest_json(&m);
	char *at = strstr(text, from);
	ATR_ASSERT(at);
	char *out = xasprintf("%.*s%s%s", (int)(at - text), text, to,
			      at + strlen(from));
	free(text);
	return out;
}

TEST(backup_manifest_refuses_what_it_cannot_trust)
{
	static const struct {
		const char *from, *to, *says;
	} cases[] = {
		{"\"atrium-backup/1\"", "\"atrium-backup/2\"",
		 "this atrium reads 'atrium-backup/1'"},
		{"\"sqlite\"", "\"mysql\"", "'database'"},
		{"\"0043_backups\"", "\"\"", "'schema'"},
		{"\"database.sqlite3\"", "\"../etc/passwd\"", "'members'"},
		{"\"bytes\": 3", "\"bytes\": -1", "'members[0].bytes'"},
		{"\"aaaa", "\"Xaaa", "'members[0].sha256'"},
		{"\"node\": \"node-a\"", "\"node\": 7", "'node'"},
		{"{", "[", "not a JSON object"},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(cases); i++) {
		char *text = edited(cases[i].from, cases[i].to);
		struct bk_manifest m;
		struct atr_err err = {0};
		CHECK_EQ_INT(bk_manifest_parse(text, strlen(text), &m, &err),
			     -1);
		CHECK_CONTAINS(err.msg, cases[i].says);
		free(text);
	}
	/* A PostgreSQL backup must name the dump member. */
	char *text = edited("\"sqlite\"", "\"postgresql\"");
	struct bk_manifest m;
	struct atr_err err = {0};
	CHECK_EQ_INT(bk_manifest_parse(text, strlen(text), &m, &err), -1);
	CHECK_CONTAINS(err.msg, "'members'");
	free(text);
}

static char *write_file(const char *dir, const char *name, const void *p,
			size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, p, n), (long long)n);
	close(fd);
	return path;
}

static size_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

TEST(backup_file_written_extracted_and_checked)
{
	char *dir = unit_tmpdir();
	if (!dir)
		return;
	/* A member that is not a multiple of the block, over one chunk. */
	size_t n = 300 * 1024 + 17;
	unsigned char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	char *db = write_file(dir, "db", data, n);
	struct bk_manifest m;
	sample(&m);
	struct atr_err err = {0};
	CHECK_EQ_INT(bk_sha256_file(db, &m.bytes, m.sha256, &err), 0);
	CHECK_EQ_INT(m.bytes, n);
	char *out = xasprintf("%s/b.tar", dir);
	uint64_t fbytes = 0;
	char fsha[BK_SHA_HEX];
	CHECK_EQ_INT(bk_write(out, &m, db, &fbytes, fsha, &err), 0);
	CHECK_EQ_INT(fbytes, file_size(out));
	CHECK_EQ_INT(fbytes % 512, 0);
	/* The whole file's hash is the one reported. */
	uint64_t b2;
	char sha2[BK_SHA_HEX];
	CHECK_EQ_INT(bk_sha256_file(out, &b2, sha2, &err), 0);
	CHECK_STR(sha2, fsha);
	/* Never over an existing file, and nothing left behind. */
	CHECK_EQ_INT(bk_write(out, &m, db, &fbytes, fsha, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_CONFLICT);

	/* GNU tar reads it: the manifest and the database. */
	char *xdir = xasprintf("%s/x", dir);
	CHECK_EQ_INT(mkdir(xdir, 0700), 0);
	char *const tar[] = {"tar", "-xf", out, "-C", xdir, NULL};
	CHECK_EQ_INT(unit_spawn(tar), 0);
	char *xm = xasprintf("%s/manifest.json", xdir);
	char *xd = xasprintf("%s/database.sqlite3", xdir);
	CHECK(file_size(xm) > 0);
	CHECK_EQ_INT(file_size(xd), n);
	free(xm);
	free(xd);
	free(xdir);

	/* Extracted: the same bytes. */
	struct bk_manifest got;
	char *dest = xasprintf("%s/extracted", dir);
	atr_err_clear(&err);
	CHECK_EQ_INT(bk_extract(out, &got, dest, &err), 0);
	CHECK_EQ_INT(file_size(dest), n);
	uint64_t eb;
	char esha[BK_SHA_HEX];
	CHECK_EQ_INT(bk_sha256_file(dest, &eb, esha, &err), 0);
	CHECK_STR(esha, m.sha256);
	unlink(dest);

	/* One flipped byte in the database: damaged, and no file left. */
	size_t len = (size_t)fbytes;
	unsigned char *whole = xmalloc(len);
	int fd = open(out, O_RDONLY);
	CHECK_EQ_INT(read(fd, whole, len), (long long)len);
	close(fd);
	whole[2048] ^= 1;
	char *bad = write_file(dir, "bad.tar", whole, len);
	atr_err_clear(&err);
	CHECK_EQ_INT(bk_extract(bad, &got, dest, &err), 1);
	CHECK_CONTAINS(err.msg, "SHA-256");
	CHECK(access(dest, F_OK) != 0);
	whole[2048] ^= 1;
	/* A header's checksum. */
	whole[0] ^= 1;
	char *hdr = write_file(dir, "hdr.tar", whole, len);
	atr_err_clear(&err);
	CHECK_EQ_INT(bk_extract(hdr, &got, dest, &err), 1);
	CHECK_CONTAINS(err.msg, "checksum");
	whole[0] ^= 1;
	/* Cut short, and a trailing member. */
	char *cut = write_file(dir, "cut.tar", whole, len - 1024 - 512);
	atr_err_clear(&err);
	CHECK_EQ_INT(bk_extract(cut, &got, dest, &err), 1);
	CHECK_CONTAINS(err.msg, "cut short");
	unsigned char *more = xcalloc(1, len + 1024);
	memcpy(more, whole, len - 1024);
	memcpy(more + len - 1024, whole, 512); /* a stray header */
	char *trail = write_file(dir, "trail.tar", more, len + 1024);
	atr_err_clear(&err);
	CHECK_EQ_INT(bk_extract(trail, &got, dest, &err), 1);
	CHECK_CONTAINS(err.msg, "does not end");
	/* Not a backup at all. */
	char *txt = write_file(dir, "x.txt", "hello", 5);
	atr_err_clear(&err);
	CHECK_EQ_INT(bk_read_manifest(txt, &got, &err), -1);
	CHECK_CONTAINS(err.msg, "not an atrium backup");

	free(txt);
	free(trail);
	free(more);
	free(cut);
	free(hdr);
	free(bad);
	free(whole);
	free(dest);
	free(out);
	free(db);
	free(data);
	unit_rmtree(dir);
	free(dir);
}

/* ---- the engine on a live SQLite database ---------------------------------- */

#include <dirent.h>

#include "admin/backup.h"
#include "db/db.h"
#include "db/migrate.h"

static bool stop_now(void)
{
	return true;
}

/* Files in dir whose name starts with prefix. */
static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return n;
}

static void case_stop(const char *url)
{
	struct db *db = unit_db_open(url, true);
	if (!db)
		return;
	const char *path = url + 7;
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = 0;
	char *out = xasprintf("%s/b.tar", dir);
	struct backup_info info;
	struct atr_err err = {0};
	/* A server stopping abandons the copy: no file, no temporary one. */
	CHECK_EQ_INT(backup_make(db, url, out, stop_now, &info, &err), -2);
	CHECK_CONTAINS(err.msg, "stopping");
	CHECK(access(out, F_OK) != 0);
	CHECK_EQ_INT(count_files(dir, "b.tar"), 0);
	/* Otherwise a whole file, the schema named, the hash of the file. */
	atr_err_clear(&err);
	CHECK_EQ_INT(backup_make(db, url, out, NULL, &info, &err), 0);
	CHECK_EQ_INT(count_files(dir, "b.tar"), 1);
	/* The newest migration this binary carries (the database is current). */
	char last[128] = "";
	CHECK(migrate_known(DB_SQLITE, info.schema, last, sizeof last));
	CHECK_STR(info.schema, last);
	CHECK_EQ_INT(info.bytes, file_size(out));
	uint64_t n;
	char sha[BK_SHA_HEX];
	CHECK_EQ_INT(bk_sha256_file(out, &n, sha, &err), 0);
	CHECK_STR(sha, info.sha256);
	struct bk_manifest m;
	CHECK_EQ_INT(bk_read_manifest(out, &m, &err), 0);
	CHECK_STR(m.database, "sqlite");
	CHECK_STR(m.schema, info.schema);
	/* Never over a file. */
	CHECK_EQ_INT(backup_make(db, url, out, NULL, &info, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_CONFLICT);
	db_close(db);
	free(out);
	free(dir);
}

TEST(backup_make_sqlite_and_stop)
{
	unit_with_sqlite(case_stop);
}
