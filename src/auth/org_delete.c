/* org_delete.c — removing an organisation and everything it holds
 * (org.h, org_delete). The tables are read from the schema (every table
 * with an org_id column, db_tables_with), not listed by hand, so a table
 * a later migration adds is removed with the rest; the rows of tables
 * without org_id (memberships, recovery codes, ...) follow by their ON
 * DELETE CASCADE, which db_tables_with insists on.
 */
#include "atrium.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/org.h"
#include "core/buf.h"
#include "db/db.h"

static int db_failed(struct db_conn *c, struct atr_err *err)
{
	return atr_fail(err, ATR_E_INTERNAL, "database error: %s",
			db_errmsg(c));
}

json_t *org_created_diff(const struct org_row *o)
{
	return json_pack("{s:{s:s},s:{s:s},s:{s:I},s:{s:I},s:{s:I}}", "name",
			 "to", o->name, "kind", "to", org_kind_name(o->kind),
			 "parent_id", "to", (json_int_t)o->parent_id,
			 "members_included", "to",
			 (json_int_t)o->members_included, "extra_seats", "to",
			 (json_int_t)o->extra_seats);
}

int64_t org_children(struct db_conn *c, int64_t org)
{
	struct db_stmt *st =
	    db_prepare(c, "SELECT COUNT(*) FROM org WHERE parent_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int64_t n = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

int org_delete_check(struct db_conn *c, const struct org_row *o,
		     struct atr_err *err)
{
	if (o->kind == ORG_OPERATOR)
		return atr_fail(err, ATR_E_CONFLICT,
				"organisation %lld '%s' is the operator: it "
				"cannot be deleted",
				(long long)o->id, o->name);
	if (!o->suspended)
		return atr_fail(err, ATR_E_CONFLICT,
				"organisation %lld '%s' is active: suspend it "
				"first, so that nothing runs for it while it "
				"is removed",
				(long long)o->id, o->name);
	int64_t kids = org_children(c, o->id);
	if (kids < 0)
		return db_failed(c, err);
	if (kids > 0)
		return atr_fail(err, ATR_E_CONFLICT,
				"organisation %lld '%s' has %lld child "
				"organisation%s: delete %s first",
				(long long)o->id, o->name, (long long)kids,
				kids == 1 ? "" : "s",
				kids == 1 ? "it" : "them");
	/* A person whose account (home row) is here and who is a member of
	 * another organisation too would lose their sign-in there. */
	struct db_stmt *st = db_prepare(
	    c,
	    "SELECT COUNT(DISTINCT m.identity_id) FROM staff m JOIN staff "
	    "h ON h.id = m.identity_id WHERE h.org_id = ? AND m.org_id <> ?");
	if (!st)
		return db_failed(c, err);
	db_bind_int(st, 1, o->id);
	db_bind_int(st, 2, o->id);
	int64_t people = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	if (people < 0)
		return db_failed(c, err);
	if (people > 0)
		return atr_fail(
		    err, ATR_E_CONFLICT,
		    "organisation %lld '%s' holds the account%s "
		    "of %lld %s who belong%s to other organisations "
		    "too: remove them from those first",
		    (long long)o->id, o->name, people == 1 ? "" : "s",
		    (long long)people, people == 1 ? "person" : "people",
		    people == 1 ? "s" : "");
	return 0;
}

/* Table names come from the catalog; quoted all the same. */
static void quoted(struct buf *b, const char *name)
{
	buf_addc(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

/* Rows of org in table t counted into *n, then removed. 0 or -1. */
static int clear_table(struct db_conn *c, const char *t, int64_t org,
		       int64_t *n)
{
	struct buf sql = {0};
	buf_adds(&sql, "SELECT COUNT(*) FROM ");
	quoted(&sql, t);
	buf_adds(&sql, " WHERE org_id = ?");
	struct db_stmt *st = db_prepare(c, buf_str(&sql));
	int rc = -1;
	*n = 0;
	if (st) {
		db_bind_int(st, 1, org);
		rc = db_step(st);
		if (rc == 1)
			*n = db_col_int(st, 0);
		db_reset(st);
	}
	if (rc == 1 && *n > 0) {
		buf_reset(&sql);
		buf_adds(&sql, "DELETE FROM ");
		quoted(&sql, t);
		buf_adds(&sql, " WHERE org_id = ?");
		st = db_prepare(c, buf_str(&sql));
		rc = -1;
		if (st) {
			db_bind_int(st, 1, org);
			rc = db_step(st);
			db_reset(st);
		}
	}
	buf_free(&sql);
	return rc < 0 ? -1 : 0;
}

int org_delete(struct db_conn *c, int64_t org, json_t **removed,
	       struct atr_err *err)
{
	ATR_ASSERT(db_in_tx(c));
	*removed = json_object();
	struct org_row o;
	if (org_find(c, org, &o, err) < 0 || org_delete_check(c, &o, err) < 0)
		return -1;
	char **tables;
	int n;
	if (db_tables_with(c, "org_id", &tables, &n, err) < 0)
		return -1;
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		int64_t rows;
		rc = clear_table(c, tables[i], org, &rows);
		if (rc < 0)
			atr_fail(err, ATR_E_INTERNAL,
				 "cannot remove the rows of %s: %s", tables[i],
				 db_errmsg(c));
		else if (rows > 0)
			json_object_set_new(*removed, tables[i],
					    json_integer(rows));
	}
	db_names_free(tables, n);
	if (rc < 0)
		return -1;
	struct db_stmt *st = db_prepare(c, "DELETE FROM org WHERE id = ?");
	if (!st)
		return db_failed(c, err);
	db_bind_int(st, 1, org);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return db_failed(c, err);
	/* Its id stays taken (org_create never gives it again). */
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	st = db_prepare(c, "INSERT INTO org_deleted (id, name, kind, "
			   "parent_id, deleted_at) VALUES (?, ?, ?, ?, ?)");
	if (!st)
		return db_failed(c, err);
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, o.name);
	db_bind_text(st, 3, org_kind_name(o.kind));
	db_bind_int(st, 4, o.parent_id);
	db_bind_text(st, 5, now);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? db_failed(c, err) : 0;
}

/* Removes the tree at dirfd/name (files, then directories). 0 or -1. */
static int remove_tree(int dirfd, const char *name)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : unlinkat(dirfd, name, 0);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat sb;
		if (fstatat(fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -1;
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			if (remove_tree(fd, e->d_name) < 0)
				rc = -1;
		} else if (unlinkat(fd, e->d_name, 0) < 0) {
			rc = -1;
		}
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int org_delete_files(const char *archive_dir, int64_t org)
{
	if (!archive_dir || !*archive_dir)
		return 0;
	DIR *d = opendir(archive_dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	char mine[32];
	snprintf(mine, sizeof mine, "org%lld", (long long)org);
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int logfd =
		    openat(dirfd(d), e->d_name,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (logfd < 0)
			continue; /* a file, not a log's directory */
		if (remove_tree(logfd, mine) < 0)
			rc = -1;
		close(logfd);
	}
	closedir(d);
	return rc;
}
