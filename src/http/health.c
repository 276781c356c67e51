/* health.c — the readiness probe (see health.h). */
#include "atrium.h"

#include "db/db.h"
#include "http/health.h"

#define HEALTH_CACHE_NS 1000000000LL /* answer from a probe this fresh */
#define HEALTH_MAX_OBJECTS 256       /* tables and indexes probed */

struct health {
	struct db *db;
	int64_t checked_ns; /* when the last probe finished; 0: never */
	int rc;             /* its result */
	struct atr_err err; /* and its reason */
};

struct health *health_open(const char *url, int timeout_ms,
			   struct atr_err *err)
{
	struct db_limits lim = {
		.connect_timeout_s = (timeout_ms + 999) / 1000,
		.statement_timeout_ms = timeout_ms,
		.acquire_timeout_ms = timeout_ms,
	};
	struct health *h = xcalloc(1, sizeof *h);
	if (db_open_limits(url, 1, &lim, &h->db, err) < 0) {
		free(h);
		return NULL;
	}
	return h;
}

void health_close(struct health *h)
{
	if (!h)
		return;
	db_close(h->db);
	free(h);
}

/* Collects probes, one per table and index, into sql[]; returns how many,
 * or -1 when the catalogue cannot be read. A table is read with SELECT *,
 * so that SQLite reads the table itself and not a smaller index. */
static int list_probes(struct db_conn *c, char *sql[], int max)
{
	bool lite = db_conn_dialect(c) == DB_SQLITE;
	/* Partial indexes cannot be scanned without their WHERE; the
	 * index list says which ones are partial, whatever their text. */
	const char *cat =
		lite ? "SELECT 'table', name, name FROM sqlite_schema "
		       "WHERE type = 'table' UNION ALL "
		       "SELECT 'index', il.name, m.name FROM sqlite_schema m "
		       "JOIN pragma_index_list(m.name) il "
		       "WHERE m.type = 'table' AND il.partial = 0 "
		       "ORDER BY 2"
		     : "SELECT 'table', tablename, tablename FROM "
		       "pg_catalog.pg_tables WHERE schemaname = "
		       "current_schema() ORDER BY tablename";
	struct db_stmt *st = db_prepare(c, cat);
	if (!st)
		return -1;
	int n = 0, rc;
	while ((rc = db_step(st)) == 1 && n < max) {
		const char *type = db_col_text(st, 0);
		const char *name = db_col_text(st, 1);
		const char *tbl = db_col_text(st, 2);
		if (!type || !name || !tbl || strchr(name, '"') ||
		    strchr(tbl, '"'))
			continue;
		if (!strcmp(type, "table"))
			sql[n++] = xasprintf("SELECT * FROM \"%s\" LIMIT 1",
					     name);
		else
			sql[n++] = xasprintf("SELECT 1 FROM \"%s\" INDEXED BY "
					     "\"%s\" LIMIT 1",
					     tbl, name);
	}
	db_reset(st);
	if (rc < 0) {
		for (int i = 0; i < n; i++)
			free(sql[i]);
		return -1;
	}
	return n;
}

/* Reads the first row of every table and index: 0, or -1 with err. */
static int probe(struct health *h, struct atr_err *err)
{
	struct db_conn *c = db_acquire(h->db, err);
	if (!c)
		return -1;
	char *sql[HEALTH_MAX_OBJECTS];
	int n = list_probes(c, sql, HEALTH_MAX_OBJECTS), rc = 0;
	if (n < 0)
		rc = atr_fail(err, ATR_E_UNAVAILABLE,
			      "the database cannot be read: %s", db_errmsg(c));
	for (int i = 0; i < n; i++) {
		if (!rc) {
			struct db_stmt *st = db_prepare(c, sql[i]);
			if (!st || db_step(st) < 0)
				rc = atr_fail(err, ATR_E_UNAVAILABLE,
					      "the database cannot be read: "
					      "%s",
					      db_errmsg(c));
			db_reset(st);
		}
		free(sql[i]);
	}
	db_release(c);
	return rc;
}

int health_check(struct health *h, struct atr_err *err)
{
	if (db_corrupt_count() > 0)
		return atr_fail(err, ATR_E_UNAVAILABLE,
				"the database reported a damaged page; check "
				"it (PRAGMA integrity_check, or amcheck) and "
				"restore from a backup, then restart");
	int64_t now = atr_mono_ns();
	if (!h->checked_ns || now - h->checked_ns >= HEALTH_CACHE_NS) {
		atr_err_clear(&h->err);
		h->rc = probe(h, &h->err);
		h->checked_ns = atr_mono_ns();
	}
	if (h->rc < 0) {
		atr_fail(err, h->err.kind, "%s", h->err.msg);
		return -1;
	}
	return 0;
}
