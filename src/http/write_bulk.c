/* write_bulk.c — the write path's bookkeeping for a batch of creates (see
 * write_bulk.h). */
#include "atrium.h"

#include "core/activity.h"
#include "db/db.h"
#include "http/http.h"
#include "http/write.h"
#include "http/write_bulk.h"

int write_bulk_created(struct req *r, const char *entity, bool counted,
		       const int64_t *ids, const char *const *after,
		       const char *const *diff, int n)
{
	if (n <= 0)
		return 0;
	struct activity *a = xcalloc((size_t)n, sizeof *a);
	int rc = -1;
	for (int i = 0; i < n; i++)
		/* as activity_from_req fills it */
		a[i] = (struct activity){
		    .org_id = r->who.org_id ? r->who.org_id : 1,
		    .actor_id = r->authed ? r->who.staff_id : 0,
		    .actor_name = req_actor_name(r),
		    .action = "create",
		    .entity = entity,
		    .entity_id = ids[i],
		    .diff_text = diff[i],
		    .ip = r->ip,
		    .request_id = r->request_id,
		};
	if (activity_record_many(r->db, a, n) < 0) {
		atr_fail(&r->err, ATR_E_INTERNAL,
			 "cannot write the activity log: %s", db_errmsg(r->db));
		goto out;
	}
	if (activity_mirror(r, "create", entity, ids, n) < 0)
		goto out;
	if (outbox_emit_many(r->db, r->who.org_id, entity, ids, "created",
			     NULL, NULL, after, n) < 0 ||
	    (counted && write_count_add(r->db, r->who.org_id, entity, n) < 0)) {
		req_db_error(r);
		goto out;
	}
	rc = 0;
out:
	free(a);
	return rc;
}
