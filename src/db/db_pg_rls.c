/* db_pg_rls.c — the role and organisation a PostgreSQL connection runs as,
 * for row-level security (db.h: db_set_role, db_conn_org; the policies:
 * migrations/pg/0057_row_level_security.sql).
 *
 * Both are session settings (`role`, and `atrium.org`: an organisation's
 * id, or "all"), changed with set_config and sent with the next round
 * trip that needs them rather than in one of their own: the first entry of
 * the statement's pipeline (db_pg_pipe.c), or in front of a command's text
 * (db_pg.c). A setting changed inside a transaction, or in a round trip
 * that failed, is undone with it by PostgreSQL: such a state is not
 * trusted (have_known false) and is sent again next time.
 */
#include "atrium.h"

#include "db/db_pg_int.h"

/* Prepared once per connection when it opens (protocol-level, as every
 * statement of the driver): an unnamed statement was parsed and planned
 * again at every change, twice per request of an API token (0.17 ms of
 * the database's CPU each). */
const char db_pg_sync_name[] = "atr_sync";
const char db_pg_sync_text[] = "SELECT set_config('role', $2, false), "
			       "set_config('atrium.org', $1, false)";

bool db_pg_sync_due(struct db_pg_conn *c)
{
	/* A failed transaction runs nothing but its ROLLBACK, which a
	 * set_config in front would stop: it waits for the next one. */
	if (PQtransactionStatus(c->pg) == PQTRANS_INERROR)
		return false;
	/* A transaction that held a change has ended since: committed or
	 * rolled back, it cannot be told from here. */
	if (c->set_in_tx && PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
		c->set_in_tx = false;
		c->have_known = false;
	}
	return !c->have_known || c->have_org != c->org ||
	       strcmp(c->have_role, c->role) != 0;
}

const char *db_pg_sync_args(struct db_pg_conn *c, char org[DB_PG_INTLEN],
			    const char *vals[2], int *nvals)
{
	if (c->org > 0)
		snprintf(org, DB_PG_INTLEN, "%lld", (long long)c->org);
	else
		atr_strlcpy(org, "all", DB_PG_INTLEN);
	vals[0] = org;
	vals[1] = c->role[0] ? c->role : "none"; /* none: the login role */
	*nvals = 2;
	return db_pg_sync_name;
}

void db_pg_sync_after(struct db_pg_conn *c, bool ok)
{
	if (!ok) {
		c->have_known = false;
		return;
	}
	c->have_known = true;
	c->have_org = c->org;
	atr_strlcpy(c->have_role, c->role, sizeof c->have_role);
	c->set_in_tx = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
}
