/* db_catalog.c — what the schema holds, read from the database's own
 * catalog (SQLite's pragmas, PostgreSQL's pg_catalog), for code that must
 * follow every table without a hand-kept list (db.h, db_tables_with). */
#include "atrium.h"

#include "core/buf.h"
#include "db/db.h"

/* The tables with column col (SQLite: the pragma table-valued functions;
 * PostgreSQL: ordinary and partitioned tables of the current schema). */
static const char tables_sqlite[] =
    "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p "
    "WHERE m.type = 'table' AND p.name = ? ORDER BY m.name";
static const char tables_pg[] =
    "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid "
    "= c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid WHERE "
    "n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT "
    "c.relispartition AND a.attname::text = ? AND NOT a.attisdropped "
    "ORDER BY c.relname";

/* Every reference that stops a delete of the row it names (NO ACTION or
 * RESTRICT): (referencing table, referenced table). Cascading and SET
 * NULL references follow the delete by themselves. */
static const char refs_sqlite[] =
    "SELECT m.name, f.\"table\" FROM sqlite_master m, "
    "pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND "
    "upper(f.on_delete) IN ('NO ACTION', 'RESTRICT')";
static const char refs_pg[] =
    "SELECT cl.relname::text, pl.relname::text FROM pg_constraint k JOIN "
    "pg_class cl ON cl.oid = k.conrelid JOIN pg_class pl ON pl.oid = "
    "k.confrelid JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE "
    "k.contype = 'f' AND n.nspname = current_schema() AND "
    "k.confdeltype IN ('a', 'r')";

struct ref {
	char *from, *to;
};

static int find(char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

void db_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int db_tables_with(struct db_conn *c, const char *col, char ***out, int *nout,
		   struct atr_err *err)
{
	bool pg = db_conn_dialect(c) == DB_PG;
	char **names = NULL;
	int n = 0, cap = 0;
	struct ref *refs = NULL;
	int nrefs = 0, caprefs = 0;
	char **sorted = NULL;
	bool *done = NULL;
	int rc, ret = -1;
	*out = NULL;
	*nout = 0;
	struct db_stmt *st = db_prepare(c, pg ? tables_pg : tables_sqlite);
	if (!st)
		goto dberr;
	db_bind_text(st, 1, col);
	while ((rc = db_step(st)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, (size_t)cap * sizeof *names);
		}
		names[n++] = xstrdup(db_col_text(st, 0));
	}
	db_reset(st);
	if (rc < 0)
		goto dberr;
	st = db_prepare(c, pg ? refs_pg : refs_sqlite);
	if (!st)
		goto dberr;
	while ((rc = db_step(st)) == 1) {
		if (nrefs == caprefs) {
			caprefs = caprefs ? caprefs * 2 : 128;
			refs = xrealloc(refs, (size_t)caprefs * sizeof *refs);
		}
		refs[nrefs].from = xstrdup(db_col_text(st, 0));
		refs[nrefs].to = xstrdup(db_col_text(st, 1));
		nrefs++;
	}
	db_reset(st);
	if (rc < 0)
		goto dberr;
	/* A table without col that stops the delete of a row of one with it
	 * would make the walk fail half-way: refused up front, by name. */
	for (int i = 0; i < nrefs; i++)
		if (find(names, n, refs[i].from) < 0 &&
		    find(names, n, refs[i].to) >= 0) {
			atr_fail(err, ATR_E_INTERNAL,
				 "table %s references %s without ON DELETE "
				 "CASCADE or SET NULL and has no %s column",
				 refs[i].from, refs[i].to, col);
			goto out;
		}
	/* Referencing tables first (Kahn's order on the stopping
	 * references; a table's references to itself are one statement's
	 * business). */
	sorted = xcalloc((size_t)(n ? n : 1), sizeof *sorted);
	done = xcalloc((size_t)(n ? n : 1), sizeof *done);
	int ns = 0;
	while (ns < n) {
		int picked = 0;
		for (int i = 0; i < n; i++) {
			if (done[i])
				continue;
			bool referenced = false;
			for (int k = 0; k < nrefs && !referenced; k++) {
				if (strcmp(refs[k].to, names[i]) ||
				    !strcmp(refs[k].from, names[i]))
					continue;
				int j = find(names, n, refs[k].from);
				referenced = j >= 0 && !done[j];
			}
			if (referenced)
				continue;
			done[i] = true;
			sorted[ns++] = names[i];
			picked++;
		}
		if (!picked)
			break;
	}
	if (ns < n) {
		atr_fail(err, ATR_E_INTERNAL,
			 "the tables with a %s column reference each other in "
			 "a cycle: no order deletes them",
			 col);
		goto out;
	}
	free(names); /* its strings are sorted's now */
	names = NULL;
	*out = sorted;
	sorted = NULL;
	*nout = n;
	n = 0;
	ret = 0;
	goto out;
dberr:
	atr_fail(err, ATR_E_INTERNAL, "cannot read the schema: %s",
		 db_errmsg(c));
out:
	free(sorted); /* on a failure: names still owns the strings */
	free(done);
	db_names_free(names, n);
	for (int i = 0; i < nrefs; i++) {
		free(refs[i].from);
		free(refs[i].to);
	}
	free(refs);
	return ret;
}
