/* act_as.c — background work acting as a member: an import's job as its
 * importer, an automation's run as its owner. The request context is the
 * member's own (their grants, view scope, name as the activity log's
 * actor), so a job can never do more than the member could through the
 * API, and a member deactivated or deleted since stops the work.
 */
#include "atrium.h"

#include "auth/act_as.h"
#include "auth/perm.h"
#include "core/arena.h"
#include "db/db.h"
#include "http/pipeline.h"

int req_act_as(struct req *fr, struct app *app, struct db_conn *c, int64_t org,
	       int64_t staff, const char *as, const char *who,
	       struct atr_err *err)
{
	memset(fr, 0, sizeof *fr);
	fr->app = app;
	fr->arena = arena_new();
	fr->db = c;
	fr->who.org_id = org;
	struct db_stmt *st = db_prepare(
		c, "SELECT name, email, admin, active FROM staff WHERE id = ? "
		   "AND org_id = ?");
	if (!st)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_int(st, 1, staff);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	bool active = false;
	if (rc == 1) {
		active = db_col_int(st, 3) != 0;
		fr->who.admin = db_col_int(st, 2) != 0;
		snprintf(fr->who.name, sizeof fr->who.name, "%.60s (%.60s)",
			 db_col_text(st, 0), as);
		atr_strlcpy(fr->who.email, db_col_text(st, 1),
			    sizeof fr->who.email);
	}
	db_reset(st);
	if (rc < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	if (rc == 0 || !active)
		return atr_fail(err, ATR_E_FORBIDDEN, "%s (member %lld) is %s",
				who, (long long)staff,
				rc ? "deactivated" : "deleted");
	fr->who.staff_id = staff;
	if (!fr->who.admin && perm_load(c, staff, &fr->who.perms) < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	/* Signed in as the member: the activity rows the work writes name
	 * them (and what they act through) as the actor. */
	fr->authed = true;
	return 0;
}

void req_act_as_end(struct req *fr)
{
	fr->db = NULL; /* the caller's connection: it releases it */
	req_free(fr);
}
