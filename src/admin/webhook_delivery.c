/* webhook_delivery.c — from the outbox to the receiver, and the log.
 *
 * The outbox dispatcher hands each committed event to the subscriber
 * `webhooks` (a job "event:webhooks", src/jobs/dispatch.c), which adds,
 * in one transaction, one webhook_delivery row and one "webhook" job per
 * endpoint that wants the event and whose owner may see its records. The
 * row's unique key (endpoint, event, type) makes a second run of the same
 * event (a node died after its commit) add nothing. The jobs of one
 * record for one endpoint share an order key, so they are delivered in
 * event order, and a failing one holds back that record's later ones.
 *
 * The "webhook" job makes one HTTP attempt (webhook_send.c) with no
 * database connection held, then records it: an attempt row (the log),
 * the delivery's state, the endpoint's run of failures. Retries follow
 * the job runner's backoff (base webhook_retry_base_ms, cap 24 h, 15
 * attempts: about three days); after the last the job is blocked and the
 * delivery `failed` (the dead letters), until replayed. 410 Gone turns the
 * endpoint off at once; so does a run of failed attempts as long as the
 * setting webhook_disable_after, and administrators are emailed.
 *
 * The delivery log's routes and replay are webhook_log.c.
 */
#include "atrium.h"

#include <sodium.h>

#include "admin/webhook.h"
#include "admin/webhook_int.h"
#include "auth/perm.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email.h"
#include "entity/entity.h"
#include "http/http.h"
#include "http/list.h"
#include "http/pipeline.h"
#include "jobs/jobs.h"

#define HOOKS_MAX 200   /* endpoints of one organisation looked at */


int64_t webhook_backoff_base(const struct app *app)
{
	return app->cfg.webhook_retry_base_ms;
}

/* ---- queueing ------------------------------------------------------------- */

/* Adds a delivery row and its job in the open transaction; 1 added, 0
 * it existed already (a second run of one event), -1 error. */
static int add_delivery(struct db_conn *c, int64_t org, int64_t hook,
			int64_t event_id, const char *type, const char *msg_id,
			const char *order_key, int64_t seq, int64_t *out_id)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO webhook_delivery (org_id, webhook_id, event_id, "
		   "event_type, msg_id, order_key, status, created_at, "
		   "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON "
		   "CONFLICT (webhook_id, event_id, event_type) DO NOTHING "
		   "RETURNING id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, hook);
	db_bind_opt_int(st, 3, event_id > 0, event_id);
	db_bind_text(st, 4, type);
	db_bind_text(st, 5, msg_id);
	db_bind_text(st, 6, order_key);
	db_bind_text(st, 7, now);
	db_bind_text(st, 8, now);
	int rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc <= 0)
		return rc;
	json_t *p = json_pack("{s:I}", "delivery_id", (json_int_t)id);
	int64_t job = 0;
	int e = job_enqueue(c, &(struct job_new){.kind = "webhook",
						 .org_id = org,
						 .payload = p,
						 .order_key = order_key,
						 .order_seq = seq},
			    &job, NULL);
	json_decref(p);
	if (e < 0)
		return -1;
	st = db_prepare(c, "UPDATE webhook_delivery SET job_id = ? WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, job);
	db_bind_int(st, 2, id);
	rc = db_step(st);
	db_reset(st);
	if (out_id)
		*out_id = id;
	return rc < 0 ? -1 : 1;
}

int webhook_queue_test(struct db_conn *c, int64_t org, int64_t id,
		       int64_t *delivery_id)
{
	unsigned char rnd[12];
	char hex[25];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
	char msg[40], key[80];
	snprintf(msg, sizeof msg, "msg_test_%s", hex);
	snprintf(key, sizeof key, "webhook:%lld:test:%s", (long long)id, hex);
	return add_delivery(c, org, id, 0, "webhook.test", msg, key, 0,
			    delivery_id) == 1
		       ? 0
		       : -1;
}

int webhook_queue_event(struct db_conn *c, int64_t org, int64_t hook,
			int64_t event_id, const char *type, const char *msg_id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT 1 FROM webhook WHERE id = ? AND org_id = ? AND "
		   "active = 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, hook);
	db_bind_int(st, 2, org);
	int rc = db_step(st);
	db_reset(st);
	if (rc <= 0)
		return rc;
	char key[96];
	snprintf(key, sizeof key, "webhook:%lld:%s", (long long)hook, msg_id);
	return add_delivery(c, org, hook, event_id, type, msg_id, key, 0, NULL) <
			       0
		       ? -1
		       : 1;
}

struct hook {
	int64_t id, owner;
	bool wants[4]; /* created, updated, deleted, status_changed */
};

static const char *const actions[] = {WH_EVENTS};

/* Whether the endpoint's owner may see records of module (all of them:
 * a view_own owner's endpoints get no events, since a payload must hold
 * only what its owner may see). 1, 0, -1 error. */
static int owner_sees(struct db_conn *c, int64_t org, int64_t owner,
		      const char *module)
{
	struct perm_member m;
	int rc = perm_member_load(c, org, owner, &m);
	if (rc <= 0)
		return rc;
	if (!m.active)
		return 0;
	if (m.admin)
		return 1;
	int idx = perm_module_index(module);
	return idx >= 0 && (m.eff[idx] & PB_VIEW) ? 1 : 0;
}

static bool status_changed(const json_t *payload)
{
	json_t *b = json_object_get(payload, "before"),
	       *a = json_object_get(payload, "after");
	json_t *x = json_object_get(b, "status"), *y = json_object_get(a, "status");
	return x && y && !json_equal(x, y);
}

int webhook_on_event(struct app *app, const struct event *ev,
		     struct atr_err *err)
{
	const char *module = webhook_entity_module(ev->entity);
	if (!module)
		return JOB_OK; /* not an entity webhooks follow */
	struct db_conn *c = db_acquire(app->db, err);
	if (!c)
		return JOB_FAILED;
	struct hook hooks[HOOKS_MAX];
	int n = 0;
	struct db_stmt *st = db_prepare(
		c, "SELECT id, entities, events, created_by FROM webhook WHERE "
		   "org_id = ? AND active = 1 AND created_at <= ? ORDER BY id");
	int rc = -1;
	if (st) {
		/* An endpoint gets the events that happened after it was
		 * added, even when the fan-out runs later. */
		db_bind_int(st, 1, ev->org_id);
		db_bind_text(st, 2, ev->created_at);
		while ((rc = db_step(st)) == 1 && n < HOOKS_MAX) {
			json_t *ents = json_loads(db_col_text(st, 1), 0, NULL);
			json_t *evs = json_loads(db_col_text(st, 2), 0, NULL);
			bool ent = false;
			size_t i;
			json_t *v;
			json_array_foreach(ents, i, v)
			{
				if (!strcmp(json_string_value(v), ev->entity))
					ent = true;
			}
			struct hook h = {db_col_int(st, 0), db_col_int(st, 3)};
			json_array_foreach(evs, i, v)
			{
				for (int k = 0; k < 4; k++)
					if (!strcmp(json_string_value(v),
						    actions[k]))
						h.wants[k] = true;
			}
			json_decref(ents);
			json_decref(evs);
			if (ent)
				hooks[n++] = h;
		}
		db_reset(st);
	}
	if (rc < 0) {
		atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		db_release(c);
		return JOB_FAILED;
	}
	if (n == 0) {
		db_release(c);
		return JOB_OK;
	}
	char uuid[64];
	int u = 0;
	for (const char *p = ev->uuid; *p && u < 40; p++)
		if (*p != '-')
			uuid[u++] = *p;
	uuid[u] = 0;
	int added = 0;
	if (db_begin(c) < 0)
		goto dberr;
	for (int i = 0; i < n; i++) {
		int sees = owner_sees(c, ev->org_id, hooks[i].owner, module);
		if (sees < 0)
			goto dberr;
		if (!sees)
			continue;
		char key[160];
		snprintf(key, sizeof key, "webhook:%lld:%s:%lld",
			 (long long)hooks[i].id, ev->entity,
			 (long long)ev->entity_id);
		for (int k = 0; k < 4; k++) {
			bool match =
				k < 3 ? !strcmp(ev->action, actions[k])
				      : !strcmp(ev->action, "updated") &&
						status_changed(ev->payload);
			if (!match || !hooks[i].wants[k])
				continue;
			char type[96], msg[96];
			snprintf(type, sizeof type, "%s.%s", ev->entity,
				 actions[k]);
			snprintf(msg, sizeof msg, "msg_%s%s", uuid,
				 k == 3 ? "_status" : "");
			int a = add_delivery(c, ev->org_id, hooks[i].id, ev->id,
					     type, msg, key, ev->id, NULL);
			if (a < 0)
				goto dberr;
			added += a;
		}
	}
	if (db_commit(c) < 0)
		goto dberr;
	db_release(c);
	if (added)
		jobs_wake();
	return JOB_OK;
dberr:
	atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	if (db_in_tx(c))
		db_rollback(c);
	db_release(c);
	return JOB_FAILED;
}

/* ---- one attempt ----------------------------------------------------------------- */

struct target {
	char status[16], type[96], msg_id[96], name[128];
	char *url, *secret, *previous, *payload, *occurred;
	int64_t org, hook, attempts;
	bool active, debug, owner_admin;
};

static void target_free(struct target *t)
{
	free(t->url);
	secret_free(t->secret);
	secret_free(t->previous);
	free(t->payload);
	free(t->occurred);
}

/* Loads delivery id: 1, 0 absent (its endpoint deleted), -1 error. */
static int load_target(struct db_conn *c, int64_t id, struct target *t,
		       struct atr_err *err)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT d.status, d.event_type, d.msg_id, d.org_id, w.id, "
		   "w.url, w.secret, w.previous_secret, w.previous_until, "
		   "w.active, w.debug_until, w.name, e.payload, e.created_at, "
		   "d.attempts, COALESCE(s.admin, 0) FROM webhook_delivery d "
		   "JOIN webhook w ON w.id = d.webhook_id LEFT JOIN event e ON "
		   "e.id = d.event_id LEFT JOIN staff s ON s.id = w.created_by "
		   "WHERE d.id = ?");
	if (!st)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_int(st, 1, id);
	int rc = db_step(st);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (rc == 1) {
		atr_strlcpy(t->status, db_col_text(st, 0), sizeof t->status);
		atr_strlcpy(t->type, db_col_text(st, 1), sizeof t->type);
		atr_strlcpy(t->msg_id, db_col_text(st, 2), sizeof t->msg_id);
		t->org = db_col_int(st, 3);
		t->hook = db_col_int(st, 4);
		t->url = xstrdup(db_col_text(st, 5));
		t->secret = secret_decrypt(db_col_text(st, 6), err);
		if (!db_col_null(st, 7) && !db_col_null(st, 8) &&
		    strcmp(db_col_text(st, 8), now) > 0)
			t->previous = secret_decrypt(db_col_text(st, 7), err);
		t->active = db_col_int(st, 9) != 0;
		t->debug = !db_col_null(st, 10) &&
			   strcmp(db_col_text(st, 10), now) > 0;
		atr_strlcpy(t->name, db_col_text(st, 11), sizeof t->name);
		if (!db_col_null(st, 12))
			t->payload = xstrdup(db_col_text(st, 12));
		if (!db_col_null(st, 13))
			t->occurred = xstrdup(db_col_text(st, 13));
		t->attempts = db_col_int(st, 14);
		t->owner_admin = db_col_int(st, 15) != 0;
	}
	db_reset(st);
	if (rc < 0)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	if (rc == 1 && !t->secret)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot decrypt the webhook's secret");
	return rc;
}

/* Removes from a record's JSON what only administrators may see: its
 * entity's admin-only fields, compiled-in and custom (the organisation's
 * field set, read through a request context of this job's own). */
static void strip_admin_only(struct app *app, struct db_conn *c, int64_t org,
			     const struct entity *e, json_t *rec)
{
	struct req fr = {0};
	fr.app = app;
	fr.arena = arena_new();
	fr.db = c;
	fr.who.org_id = org;
	entity_redact(&fr, e, rec);
	req_free(&fr);
}

/* The message body: {"type", "timestamp", "data"}, holding only what the
 * endpoint's owner may see. An event erased by a GDPR request has the data
 * {"erased": true} and no entity: it is sent as it is. Caller frees. */
static char *message_body(struct app *app, struct db_conn *c,
			  const struct target *t)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	json_t *data = t->payload ? json_loads(t->payload, 0, NULL) : NULL;
	const char *ename = json_string_value(json_object_get(data, "entity"));
	const struct entity *e = ename ? entity_find(ename) : NULL;
	if (e && !t->owner_admin) {
		strip_admin_only(app, c, t->org, e,
				 json_object_get(data, "before"));
		strip_admin_only(app, c, t->org, e,
				 json_object_get(data, "after"));
	}
	if (!data)
		data = json_pack("{s:I,s:s,s:s}", "webhook_id",
				 (json_int_t)t->hook, "name", t->name,
				 "message",
				 "This is a test event from Atrium.");
	json_t *m = json_pack("{s:s,s:s,s:o}", "type", t->type, "timestamp",
			      t->occurred ? t->occurred : now, "data", data);
	char *s = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	return s;
}

/* Turns the endpoint off (410, or a run of failures) with an activity row
 * and an email to every active administrator, in the open transaction. */
static int disable_hook(struct db_conn *c, const struct target *t,
			const char *reason)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE webhook SET active = 0, disabled_reason = ?, "
		   "updated_at = ?, version = version + 1 WHERE id = ? AND "
		   "active = 1");
	if (!st)
		return -1;
	db_bind_text(st, 1, reason);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, t->hook);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	json_t *diff = json_pack("{s:{s:b,s:b},s:{s:s}}", "active", "from", 1,
				 "to", 0, "disabled_reason", "to", reason);
	struct activity a = {.org_id = t->org,
			     .actor_name = "system",
			     .action = "disable",
			     .entity = "webhook",
			     .entity_id = t->hook,
			     .diff = diff,
			     .ip = "",
			     .request_id = ""};
	rc = activity_record(c, &a);
	json_decref(diff);
	if (rc < 0)
		return -1;
	st = db_prepare(c, "SELECT email FROM staff WHERE org_id = ? AND "
			   "admin = 1 AND active = 1 ORDER BY id LIMIT 20");
	if (!st)
		return -1;
	db_bind_int(st, 1, t->org);
	char to[20][256];
	int n = 0;
	while ((rc = db_step(st)) == 1 && n < 20)
		atr_strlcpy(to[n++], db_col_text(st, 0), sizeof to[0]);
	db_reset(st);
	if (rc < 0)
		return -1;
	json_t *vars = json_pack("{s:s,s:s}", "name", t->name, "reason", reason);
	for (int i = 0; i < n; i++)
		if (email_enqueue(c, t->org, to[i], "webhook_disabled", vars) <
		    0)
			/* not the address: the log keeps no personal data */
			atr_log("webhooks: cannot email administrator %d of "
				"%d that webhook %lld was turned off",
				i + 1, n, (long long)t->hook);
	json_decref(vars);
	return 0;
}

/* Records an attempt and its consequences in one transaction. */
static int record(struct app *app, struct db_conn *c, int64_t did,
		  const struct target *t, const struct wh_attempt *res,
		  const char *body, bool ok, bool final, struct atr_err *err)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	bool gone = res->status == 410;
	const char *status = ok ? "delivered" : (gone || final) ? "failed"
								 : "pending";
	if (db_begin(c) < 0)
		goto dberr;
	struct db_stmt *st = db_prepare(
		c, "UPDATE webhook_delivery SET status = ?, attempts = attempts "
		   "+ 1, last_status_code = ?, last_error = ?, updated_at = ?, "
		   "delivered_at = ? WHERE id = ? RETURNING attempts");
	if (!st)
		goto dberr;
	db_bind_text(st, 1, status);
	db_bind_opt_int(st, 2, res->status > 0, res->status);
	ok ? db_bind_null(st, 3) : db_bind_text(st, 3, res->error);
	db_bind_text(st, 4, now);
	ok ? db_bind_text(st, 5, now) : db_bind_null(st, 5);
	db_bind_int(st, 6, did);
	int rc = db_step(st);
	int64_t attempt = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc < 0)
		goto dberr;
	st = db_prepare(c, "INSERT INTO webhook_attempt (org_id, webhook_id, "
			   "delivery_id, attempt, at, status_code, "
			   "duration_ms, error, request_body, response_body) "
			   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		goto dberr;
	char *req_log = NULL;
	if (t->debug) {
		size_t n = strlen(body);
		req_log = xstrndup(body, n > WH_BODY_LOG_MAX ? WH_BODY_LOG_MAX
							     : n);
	}
	db_bind_int(st, 1, t->org);
	db_bind_int(st, 2, t->hook);
	db_bind_int(st, 3, did);
	db_bind_int(st, 4, attempt);
	db_bind_text(st, 5, now);
	db_bind_opt_int(st, 6, res->status > 0, res->status);
	db_bind_int(st, 7, res->ms);
	ok ? db_bind_null(st, 8) : db_bind_text(st, 8, res->error);
	req_log ? db_bind_text(st, 9, req_log) : db_bind_null(st, 9);
	t->debug && res->response ? db_bind_text(st, 10, res->response)
				  : db_bind_null(st, 10);
	rc = db_step(st);
	db_reset(st);
	free(req_log);
	if (rc < 0)
		goto dberr;
	st = db_prepare(c, ok ? "UPDATE webhook SET failure_streak = 0 WHERE "
				"id = ? RETURNING failure_streak"
			      : "UPDATE webhook SET failure_streak = "
				"failure_streak + 1 WHERE id = ? RETURNING "
				"failure_streak");
	if (!st)
		goto dberr;
	db_bind_int(st, 1, t->hook);
	rc = db_step(st);
	int64_t streak = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc < 0)
		goto dberr;
	int64_t limit = 100;
	if (settings_get_int(c, t->org, "webhook_disable_after", &limit) < 0)
		goto dberr;
	if (gone) {
		if (disable_hook(c, t, "the receiver answered 410 Gone") < 0)
			goto dberr;
	} else if (!ok && streak >= limit && t->active) {
		char why[160];
		snprintf(why, sizeof why,
			 "%lld delivery attempts in a row failed",
			 (long long)streak);
		if (disable_hook(c, t, why) < 0)
			goto dberr;
	}
	if (db_commit(c) < 0)
		goto dberr;
	(void)app;
	return 0;
dberr:
	atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	if (db_in_tx(c))
		db_rollback(c);
	return -1;
}

/* Marks a delivery failed without an attempt (its endpoint is off). */
static int end_unsent(struct db_conn *c, int64_t did, const char *why)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE webhook_delivery SET status = 'failed', last_error = "
		   "?, updated_at = ? WHERE id = ? AND status = 'pending'");
	if (!st)
		return -1;
	db_bind_text(st, 1, why);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, did);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int webhook_job(struct job_ctx *j, struct atr_err *err)
{
	int64_t did = json_integer_value(json_object_get(j->payload,
							 "delivery_id"));
	struct db_conn *c = db_acquire(j->app->db, err);
	if (!c)
		return JOB_FAILED;
	struct target t = {0};
	int rc = load_target(c, did, &t, err);
	if (rc <= 0 || !strcmp(t.status, "delivered")) {
		db_release(c);
		target_free(&t);
		return rc < 0 ? JOB_FAILED : JOB_OK; /* gone, or done before */
	}
	if (!t.active) {
		int e = end_unsent(c, did, "the endpoint is turned off");
		db_release(c);
		target_free(&t);
		if (e < 0)
			return atr_fail(err, ATR_E_INTERNAL, "database error");
		return JOB_OK;
	}
	char *body = message_body(j->app, c, &t);
	db_release(c); /* no connection held across the network */
	if (jobs_stopping()) {
		free(body);
		target_free(&t);
		return JOB_ABORTED;
	}
	const char *secrets[2] = {t.secret, t.previous};
	char sig[256];
	int64_t ts = atr_now_ms() / 1000;
	struct wh_attempt res;
	int sent;
	if (webhook_sign(secrets, t.msg_id, ts, body, strlen(body), sig,
			 sizeof sig) < 0) {
		memset(&res, 0, sizeof res);
		snprintf(res.error, sizeof res.error,
			 "the stored secret is malformed");
		sent = -1;
	} else {
		sent = webhook_post(t.url, j->app->cfg.webhook_allow_private,
				    t.msg_id, ts, sig, body, strlen(body),
				    &res);
	}
	bool final = j->attempt >= WH_MAX_ATTEMPTS;
	c = db_acquire(j->app->db, err);
	int out = JOB_FAILED;
	if (c) {
		if (record(j->app, c, did, &t, &res, body, sent == 0, final,
			   err) == 0) {
			if (sent == 0 || res.status == 410)
				out = JOB_OK;
			else
				atr_fail(err, ATR_E_INTERNAL, "%s", res.error);
		}
		db_release(c);
	}
	free(res.response);
	free(body);
	target_free(&t);
	return out;
}

