/* webhook_log.c — the delivery log of webhooks, and replay.
 *
 *   GET  /api/v1/webhooks/{id}/deliveries        one endpoint's deliveries
 *   POST /api/v1/webhooks/{id}/replay-failed     replay all its failed ones
 *   GET  /api/v1/webhook-deliveries              all (status=failed: the
 *                                                dead-letter view)
 *   GET  /api/v1/webhook-deliveries/{id}         one, with its attempts
 *   POST /api/v1/webhook-deliveries/{id}/replay  replay one
 *
 * A replay sends the delivery again with its webhook-id: its blocked job
 * is requeued (job_retry_blocked), or a new job joins the record's order.
 */
#include "atrium.h"

#include "admin/webhook_int.h"
#include "core/buf.h"
#include "core/health_report.h"
#include "core/json_out.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "jobs/jobs.h"

#define REPLAY_MAX 1000 /* deliveries replayed by one request */

/* ---- the log ------------------------------------------------------------------------ */

#define DCOLS                                                                  \
	"d.id, d.webhook_id, w.name, d.event_id, d.event_type, d.msg_id, "     \
	"d.status, d.attempts, d.last_status_code, d.last_error, "             \
	"d.created_at, d.updated_at, d.delivered_at"

static void drow(struct buf *b, struct db_stmt *st, const void *arg)
{
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "webhook_id", false);
	jout_int(b, db_col_int(st, 1));
	jout_key(b, "webhook_name", false);
	jout_str(b, db_col_text(st, 2));
	static const struct {
		const char *k;
		int col;
		bool num;
	} f[] = {{"event_id", 3, true},	      {"event_type", 4, false},
		 {"msg_id", 5, false},	      {"status", 6, false},
		 {"attempts", 7, true},	      {"last_status_code", 8, true},
		 {"last_error", 9, false},    {"created_at", 10, false},
		 {"updated_at", 11, false},   {"delivered_at", 12, false}};
	for (size_t i = 0; i < ATR_ARRAY_LEN(f); i++) {
		jout_key(b, f[i].k, false);
		if (db_col_null(st, f[i].col))
			buf_adds(b, "null");
		else if (f[i].num)
			jout_int(b, db_col_int(st, f[i].col));
		else
			jout_str(b, db_col_text(st, f[i].col));
	}
	buf_addc(b, '}');
}

static const char *const status_choices[] = {"pending", "delivered", "failed",
					     NULL};
static const struct field f_status = {.name = "status",
				      .type = FT_ENUM,
				      .choices = status_choices};
static const struct field f_hook = {.name = "webhook_id", .type = FT_INT};
static const struct field f_type = {.name = "event_type", .type = FT_TEXT};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col dcolumns[] = {
	{&f_status, "d.status", LIST_FILTER},
	{&f_hook, "d.webhook_id", LIST_FILTER},
	{&f_type, "d.event_type", LIST_FILTER},
	{&f_created, "d.created_at", LIST_FILTER | LIST_SORT},
};

static int one_hook(struct req *r, struct list_query *q, const void *arg)
{
	list_where(q, "d.webhook_id = ?");
	list_int(q, r->id);
	return 0;
}

static const struct list_spec dspec = {
	.from = "webhook_delivery d JOIN webhook w ON w.id = d.webhook_id",
	.cols = DCOLS,
	.id = "d.id",
	.org = "d.org_id",
	.columns = dcolumns,
	.ncolumns = (int)ATR_ARRAY_LEN(dcolumns),
	.sort_default = "-id",
	.limit_default = 50,
	.limit_max = 200,
	.row = drow,
};

static int deliveries_h_list(struct req *r)
{
	return list_run(r, &dspec);
}

/* 404 unless webhook r->id is the caller's organisation's: 0, or -1. */
static int hook_found(struct req *r, struct db_conn *c)
{
	struct db_stmt *st =
	    db_prepare(c, "SELECT id FROM webhook WHERE id = ? AND org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"webhook %lld not found", (long long)r->id);
	return 0;
}

/* One webhook's deliveries: another organisation's webhook (or none) is
 * 404, as its record is, not an empty list. */
static int deliveries_h_of_hook(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c || hook_found(r, c) < 0)
		return -1;
	struct list_spec s = dspec;
	s.scope = one_hook;
	return list_run(r, &s);
}

static int deliveries_h_get(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "SELECT " DCOLS " FROM webhook_delivery d JOIN webhook w ON "
		   "w.id = d.webhook_id WHERE d.id = ? AND d.org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	json_t *rec = NULL;
	if (rc == 1) {
		struct buf b = BUF_INIT;
		drow(&b, st, NULL);
		rec = json_loadb(b.p, b.len, 0, NULL);
		buf_free(&b);
	}
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (!rec)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"delivery %lld not found", (long long)r->id);
	st = db_prepare(c, "SELECT attempt, at, status_code, duration_ms, "
			   "error, request_body, response_body FROM "
			   "webhook_attempt WHERE delivery_id = ? ORDER BY id "
			   "DESC LIMIT 50");
	if (!st) {
		json_decref(rec);
		return req_db_error(r);
	}
	db_bind_int(st, 1, r->id);
	json_t *atts = json_array();
	while ((rc = db_step(st)) == 1) {
		json_t *a = json_pack("{s:I,s:s,s:I}", "attempt",
				      (json_int_t)db_col_int(st, 0), "at",
				      db_col_text(st, 1), "duration_ms",
				      (json_int_t)db_col_int(st, 3));
		json_object_set_new(a, "status_code",
				    db_col_null(st, 2)
					    ? json_null()
					    : json_integer(db_col_int(st, 2)));
		static const char *const keys[] = {"error", "request_body",
						   "response_body"};
		for (int k = 0; k < 3; k++)
			json_object_set_new(
				a, keys[k],
				db_col_null(st, 4 + k)
					? json_null()
					: json_string(db_col_text(st, 4 + k)));
		json_array_append_new(atts, a);
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(atts);
		json_decref(rec);
		return req_db_error(r);
	}
	json_object_set_new(rec, "attempts_log", atts);
	req_json(r, 200, rec);
	return 0;
}

/* Puts delivery id (of org, not pending) back on its way: its blocked job
 * requeued, or a new job after its order key. 1, 0 not replayable, -1. */
static int replay_one(struct db_conn *c, int64_t org, int64_t id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT status, job_id, order_key, COALESCE(event_id, 0) FROM "
		   "webhook_delivery WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	char status[16] = "", key[160] = "";
	int64_t job = 0, seq = 0;
	if (rc == 1) {
		atr_strlcpy(status, db_col_text(st, 0), sizeof status);
		job = db_col_null(st, 1) ? 0 : db_col_int(st, 1);
		atr_strlcpy(key, db_col_text(st, 2), sizeof key);
		seq = db_col_int(st, 3);
	}
	db_reset(st);
	if (rc <= 0)
		return rc;
	if (!strcmp(status, "pending"))
		return 0;
	int r = job ? job_retry_blocked(c, org, job) : 0;
	if (r < 0)
		return -1;
	if (r == 0) {
		json_t *p = json_pack("{s:I}", "delivery_id", (json_int_t)id);
		int e = job_enqueue(c, &(struct job_new){.kind = "webhook",
							 .org_id = org,
							 .payload = p,
							 .order_key = key,
							 .order_seq = seq},
				    &job, NULL);
		json_decref(p);
		if (e < 0)
			return -1;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	st = db_prepare(c, "UPDATE webhook_delivery SET status = 'pending', "
			   "job_id = ?, updated_at = ? WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, job);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, id);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 1;
}

static int deliveries_h_replay(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int rc = replay_one(c, r->who.org_id, r->id);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0) {
		struct db_stmt *st = db_prepare(
			c, "SELECT 1 FROM webhook_delivery WHERE id = ? AND "
			   "org_id = ?");
		if (!st)
			return req_db_error(r);
		db_bind_int(st, 1, r->id);
		db_bind_int(st, 2, r->who.org_id);
		int found = db_step(st);
		db_reset(st);
		if (found < 0)
			return req_db_error(r);
		return found ? atr_fail(&r->err, ATR_E_CONFLICT,
					"delivery %lld is still pending",
					(long long)r->id)
			     : atr_fail(&r->err, ATR_E_NOT_FOUND,
					"delivery %lld not found",
					(long long)r->id);
	}
	json_t *diff = json_pack("{s:{s:s}}", "status", "to", "pending");
	int a = activity_from_req(r, "replay", "webhook_delivery", r->id, diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	jobs_wake();
	req_json(r, 200, json_pack("{s:I,s:I}", "replayed", (json_int_t)1,
				   "delivery_id", (json_int_t)r->id));
	return 0;
}

static int deliveries_h_replay_failed(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (hook_found(r, c) < 0)
		return -1;
	int rc;
	struct db_stmt *st =
	    db_prepare(c, "SELECT id FROM webhook_delivery WHERE webhook_id = "
			  "? AND status = 'failed' ORDER BY id LIMIT ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, REPLAY_MAX);
	int64_t *ids = xcalloc(REPLAY_MAX, sizeof *ids);
	int n = 0;
	while ((rc = db_step(st)) == 1 && n < REPLAY_MAX)
		ids[n++] = db_col_int(st, 0);
	db_reset(st);
	int done = 0;
	for (int i = 0; rc >= 0 && i < n; i++) {
		int x = replay_one(c, r->who.org_id, ids[i]);
		if (x < 0)
			rc = -1;
		else
			done += x;
	}
	free(ids);
	if (rc < 0)
		return req_db_error(r);
	if (done) {
		json_t *diff = json_pack("{s:{s:i}}", "replayed", "to", done);
		int a = activity_from_req(r, "replay", "webhook", r->id, diff);
		json_decref(diff);
		if (a < 0 || db_commit(c) < 0)
			return r->err.kind ? -1 : req_db_error(r);
		jobs_wake();
	} else {
		db_rollback(c);
	}
	req_json(r, 200, json_pack("{s:i}", "replayed", done));
	return 0;
}

const struct route webhook_delivery_routes[] = {
	{HTTP_GET, "/api/v1/webhooks/{id}/deliveries", deliveries_h_of_hook,
	 ACCESS_PERM, "webhooks", CAP_VIEW},
	{HTTP_POST, "/api/v1/webhooks/{id}/replay-failed",
	 deliveries_h_replay_failed, ACCESS_PERM, "webhooks", CAP_EDIT,
	 &schema_empty},
	{HTTP_GET, "/api/v1/webhook-deliveries", deliveries_h_list, ACCESS_PERM,
	 "webhooks", CAP_VIEW},
	{HTTP_GET, "/api/v1/webhook-deliveries/{id}", deliveries_h_get,
	 ACCESS_PERM, "webhooks", CAP_VIEW},
	{HTTP_POST, "/api/v1/webhook-deliveries/{id}/replay",
	 deliveries_h_replay, ACCESS_PERM, "webhooks", CAP_EDIT,
	 &schema_empty},
	{0},
};

/* ---- the health report ------------------------------------------------- */

#define HOOK_WINDOW_MS (24LL * 3600 * 1000)

static int64_t attempts_since(struct db_conn *c, const char *sql, int64_t org,
			      const char *since)
{
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	int k = 1;
	if (org)
		db_bind_int(st, k++, org);
	db_bind_text(st, k, since);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

/* The webhook delivery rate: of the HTTP attempts made in the last 24
 * hours (each try of each delivery, retries included), the share the
 * receiver accepted (2xx); the spec: over 99 % good, under 95 % a
 * destination problem. From indexes alone (migration 0039). */
int webhook_health(struct app *app, struct db_conn *c, int64_t org,
		   struct health_report *rep)
{
	char since[ATR_TIME_LEN];
	atr_time_iso(atr_now_ms() - HOOK_WINDOW_MS, since);
	int64_t total = attempts_since(
		c,
		org ? "SELECT COUNT(*) FROM webhook_attempt WHERE org_id = ? "
		      "AND at >= ?"
		    : "SELECT COUNT(*) FROM webhook_attempt WHERE at >= ?",
		org, since);
	int64_t failed = attempts_since(
		c,
		org ? "SELECT COUNT(*) FROM webhook_attempt WHERE org_id = ? "
		      "AND at >= ? AND error IS NOT NULL"
		    : "SELECT COUNT(*) FROM webhook_attempt WHERE at >= ? AND "
		      "error IS NOT NULL",
		org, since);
	if (total < 0 || failed < 0)
		return -1;
	struct hr_ind *i = hr_add(rep, "webhook_success_rate", "percent",
				  "/admin/webhooks");
	if (total > 0)
		hr_value(i, 100.0 * (double)(total - failed) / (double)total);
	hr_thresholds(i, HR_GT, 99, HR_LT, 95);
	hr_fact(i, "attempts", total);
	hr_fact(i, "failed", failed);
	hr_fact(i, "window_seconds", HOOK_WINDOW_MS / 1000);
	const char *help = "Webhook delivery attempts in the last 24 hours, "
			   "by result (success: 2xx).";
	hr_gauge(rep, "atrium_webhook_deliveries_window", help, "result",
		 "success", (double)(total - failed));
	hr_gauge(rep, "atrium_webhook_deliveries_window", help, "result",
		 "failure", (double)failed);
	return 0;
}
