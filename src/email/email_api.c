/* email_api.c — the email module: the queue's routes, Send Test Email,
 * the smtp and email_queue settings, the "email" job kind and the queue's
 * metric. */
#include "atrium.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>

#include "http/perm.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/health_report.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email_int.h"
#include "http/http.h"
#include "http/list.h"
#include "jobs/jobs.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200

static json_t *counts_json(const int64_t counts[EMAIL_NSTATUS])
{
	json_t *o = json_object();
	for (int i = 0; i < EMAIL_NSTATUS; i++)
		json_object_set_new(o, email_status_name(i),
				    json_integer(counts[i]));
	return o;
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The queue page's rows: the message, and the delivery state of its job
 * (queue.c's data shape, email/email.h). */
#define EMAIL_LIST_COLS                                                        \
	"e.id, e.to_addr, e.subject, e.template, " EMAIL_STATUS_SQL          \
	", COALESCE(j.attempts, e.attempts), j.run_at, j.last_error, "       \
	"e.created_at, e.sent_at"

static void email_row_write(struct buf *b, struct db_stmt *st,
			    const void *arg)
{
	json_t *o = json_pack(
		"{s:I,s:s,s:s,s:s,s:s,s:I}", "id", (json_int_t)db_col_int(st, 0),
		"to", db_col_text(st, 1), "subject", db_col_text(st, 2),
		"template", db_col_text(st, 3), "status", db_col_text(st, 4),
		"attempts", (json_int_t)db_col_int(st, 5));
	json_object_set_new(o, "next_attempt_at",
			    text_or_null(db_col_text(st, 6)));
	/* A sent message has no error: the one of a failed attempt stays on
	 * the job until the job's end is written, just after sent_at. */
	json_object_set_new(o, "last_error",
			    db_col_null(st, 9) ? text_or_null(db_col_text(st, 7))
					       : json_null());
	json_object_set_new(o, "created_at", text_or_null(db_col_text(st, 8)));
	json_object_set_new(o, "sent_at", text_or_null(db_col_text(st, 9)));
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

/* The counts by status, whatever the filter: ,"counts":{...}. */
static int email_extra(struct req *r, struct buf *out, const void *arg)
{
	int64_t counts[EMAIL_NSTATUS];
	if (email_queue_counts(r->db, r->who.org_id, counts) < 0)
		return req_db_error(r);
	json_t *o = counts_json(counts);
	char *t = json_dumps(o, JSON_COMPACT);
	buf_printf(out, ",\"counts\":%s", t);
	free(t);
	json_decref(o);
	return 0;
}

static const char *const email_statuses[] = {"queued", "sending", "sent",
					     "blocked", NULL};
static const struct field f_status = {.name = "status", .type = FT_ENUM,
				      .choices = email_statuses};
static const struct field f_template = {.name = "template", .type = FT_TEXT,
					.max = 64};
static const struct field f_to = {.name = "to", .type = FT_EMAIL};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};
static const struct field f_sent = {.name = "sent_at", .type = FT_DATETIME};

static const struct list_col email_columns[] = {
	{&f_status, EMAIL_STATUS_SQL, LIST_FILTER},
	{&f_template, "e.template", LIST_FILTER},
	{&f_to, "e.to_addr", LIST_FILTER},
	{&f_created, "e.created_at", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_sent, "e.sent_at", LIST_FILTER | LIST_SORT},
};

static const char *const email_search[] = {"e.to_addr", "e.subject", NULL};

static const struct list_spec email_spec = {
	.from = "email_queue e LEFT JOIN job j ON j.id = e.job_id",
	.cols = EMAIL_LIST_COLS,
	.id = "e.id",
	.org = "e.org_id",
	.columns = email_columns,
	.ncolumns = (int)ATR_ARRAY_LEN(email_columns),
	.sort_default = "-id",
	.limit_default = LIST_DEFAULT,
	.limit_max = LIST_MAX,
	.search = email_search,
	.count_default = true,
	.row = email_row_write,
	.extra = email_extra,
};

/* GET /api/v1/email-queue: a page of the org's emails, newest first, and
 * the counts by status. */
static int email_h_list(struct req *r)
{
	return list_run(r, &email_spec);
}

static const struct field retry_fields[] = {
	{"ids", FT_IDS, 0, LIST_MAX, NULL, NULL},
};
static const struct schema retry_schema = SCHEMA(retry_fields);

static void retry_check(struct req *r)
{
	json_t *ids = json_object_get(r->body, "ids");
	if (json_is_array(ids) && json_array_size(ids) == 0)
		atr_field(&r->err, "ids", "invalid",
			  "must list at least one id (send {} to retry every "
			  "blocked email)");
}

/* Requeues the blocked emails of the org (their jobs): the one with id
 * (id > 0) or all, in one statement however many there are. Appends the
 * email ids to done. 0 or -1. */
static int requeue(struct db_conn *c, int64_t org, int64_t id,
		   const char *now, json_t *done)
{
	struct db_stmt *st = db_prepare(
		c, "UPDATE job SET status = 'queued', attempts = 0, run_at = ?, "
		   "scheduled_at = ?, finished_at = NULL WHERE status = "
		   "'blocked' AND id IN (SELECT e.job_id FROM email_queue e "
		   "WHERE e.org_id = ? AND e.sent_at IS NULL AND (? = 0 OR "
		   "e.id = ?)) RETURNING (SELECT e.id FROM email_queue e WHERE "
		   "e.job_id = job.id)");
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, org);
	db_bind_int(st, 4, id);
	db_bind_int(st, 5, id);
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(done, json_integer(db_col_int(st, 0)));
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Orders the ids of a JSON array of integers, smallest first. */
static int by_value(const void *x, const void *y)
{
	json_int_t a = json_integer_value(*(json_t *const *)x);
	json_int_t b = json_integer_value(*(json_t *const *)y);
	return (a > b) - (a < b);
}

static void sort_ids(json_t *arr)
{
	size_t n = json_array_size(arr);
	if (n < 2)
		return;
	json_t **v = xmalloc(n * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof *v, by_value);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

static int email_h_retry(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *ids = json_object_get(r->body, "ids");
	bool by_id = json_is_array(ids); /* else: every blocked email */
	char now[ATR_TIME_LEN];
	atr_time_iso(jobs_now_ms(), now);
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *done = json_array();
	size_t rounds = by_id ? json_array_size(ids) : 1;
	for (size_t i = 0; i < rounds; i++) {
		int64_t id =
			by_id ? json_integer_value(json_array_get(ids, i)) : 0;
		if (requeue(c, r->who.org_id, id, now, done) < 0) {
			json_decref(done);
			return req_db_error(r);
		}
	}
	sort_ids(done);
	size_t n = json_array_size(done);
	if (n == 0) {
		db_rollback(c);
	} else {
		json_t *diff = json_pack("{s:{s:s,s:s},s:{s:O}}", "status",
					 "from", "blocked", "to", "queued",
					 "ids", "to", done);
		int rc = activity_from_req(r, "retry", "email_queue", 0, diff);
		json_decref(diff);
		if (rc < 0 || db_commit(c) < 0) {
			json_decref(done);
			return r->err.kind ? -1 : req_db_error(r);
		}
		jobs_wake();
	}
	req_json(r, 200,
		 json_pack("{s:I,s:o}", "requeued", (json_int_t)n, "ids", done));
	return 0;
}

static int smtp_test_send(struct req *r, struct db_conn *c);

static const struct field smtp_test_fields[] = {
	{"to", FT_EMAIL, F_REQUIRED, EMAIL_ADDR_MAX, NULL, NULL},
};
static const struct schema smtp_test_schema = SCHEMA(smtp_test_fields);

/* Test emails in flight in this process: each holds an HTTP worker for up
 * to smtp_test_timeout_seconds, so only a few at once. */
#define SMTP_TESTS_AT_ONCE 2
static atomic_int smtp_tests;

/* Sends the `test` template now, not through the queue, and reports the
 * outcome: 200, 502 when the server refused or could not be reached (a
 * fixed category, never the remote host's words), 409 when SMTP is not
 * configured, 429 while SMTP_TESTS_AT_ONCE others are running. */
static int email_h_smtp_test(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (atomic_fetch_add(&smtp_tests, 1) >= SMTP_TESTS_AT_ONCE) {
		atomic_fetch_sub(&smtp_tests, 1);
		r->err.retry_after = r->app->cfg.smtp_test_timeout_seconds;
		return atr_fail(&r->err, ATR_E_RATE_LIMITED,
				"another test email is being sent; try again "
				"in a moment");
	}
	int rc = smtp_test_send(r, c);
	atomic_fetch_sub(&smtp_tests, 1);
	return rc;
}

static int smtp_test_send(struct req *r, struct db_conn *c)
{
	const char *to = json_string_value(json_object_get(r->body, "to"));
	char *subject, *body;
	if (email_render(c, r->who.org_id, to, "test", NULL, &subject, &body,
			 &r->err) < 0)
		return -1;
	struct email_msg m = {to, subject, body, NULL, NULL};
	struct email_result res;
	int rc = email_send_now(c, r->who.org_id, &m,
				r->app->cfg.smtp_test_timeout_seconds, &res);
	free(subject);
	email_body_free(body);
	if (rc == -2)
		return atr_fail(&r->err, ATR_E_CONFLICT, "%s", res.error);

	json_t *diff = json_pack("{s:{s:s},s:{s:b},s:{s:s}}", "to", "to", to,
				 "ok", "to", rc == 0, "response", "to",
				 rc == 0 ? res.response : res.error);
	int a = db_begin(c) < 0 ? -1
				: activity_from_req(r, "smtp_test", "settings",
						    0, diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	if (rc == 0) {
		req_json(r, 200,
			 json_pack("{s:b,s:s}", "ok", 1, "response",
				   res.response));
		return 0;
	}
	/* 502 has no error kind of its own: the problem is written here,
	 * with a fixed title for its type and the reason in the detail. */
	json_t *p = json_pack(
		"{s:s,s:s,s:i,s:s,s:s,s:s}", "type",
		"https://atrium.dev/problems/smtp-failed", "title",
		"the SMTP server refused the test email", "status", 502,
		"detail", res.error, "instance", r->path, "request_id",
		r->request_id);
	req_json(r, 502, p);
	r->ctype = "application/problem+json";
	return 0;
}

/* GET /api/v1/email/status: whether SMTP is configured (a host and a
 * From address: what Send Test Email answers 409 without). Any signed-in
 * member may ask: the staff form warns before it offers a welcome email
 * that could only wait in the queue, and people who add staff need not
 * read the SMTP settings. */
static int email_h_status(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char host[256] = "", from[EMAIL_ADDR_MAX + 1] = "";
	if (settings_get(c, r->who.org_id, "smtp_host", host, sizeof host) <
		    0 ||
	    settings_get(c, r->who.org_id, "smtp_email", from, sizeof from) <
		    0)
		return req_db_error(r);
	req_json(r, 200,
		 json_pack("{s:b}", "configured", host[0] && from[0]));
	return 0;
}

static const struct route email_routes[] = {
	{HTTP_GET, "/api/v1/email/status", email_h_status, ACCESS_SESSION},
	{HTTP_GET, "/api/v1/email-queue", email_h_list, ACCESS_PERM,
	 "email_queue", CAP_VIEW, NULL, NULL, NULL, 0},
	{HTTP_POST, "/api/v1/email-queue/retry", email_h_retry, ACCESS_PERM,
	 "email_queue", CAP_EDIT, &retry_schema, NULL, retry_check, 0},
	{HTTP_POST, "/api/v1/settings/smtp/test", email_h_smtp_test,
	 ACCESS_PERM, "settings", CAP_EDIT, &smtp_test_schema, NULL, NULL, 0},
	{0},
};


static const char *const protocol_choices[] = {"smtp", NULL};
static const char *const security_choices[] = {"none", "starttls", "tls",
					       NULL};

/* The smtp group's rule: a password goes out without TLS only when
 * smtp_plaintext_password says so (set in the PATCH, so it is logged). */
static void smtp_rule(struct db_conn *c, int64_t org, struct atr_err *err)
{
	char sec[16] = "", plain[8] = "false";
	char *pw = NULL;
	if (settings_get(c, org, "smtp_security", sec, sizeof sec) < 0 ||
	    settings_get(c, org, "smtp_plaintext_password", plain,
			 sizeof plain) < 0 ||
	    settings_load_stored(c, org, "smtp_password", &pw) < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot read the smtp settings");
		return;
	}
	if (!strcmp(sec, "none") && pw && strcmp(plain, "true"))
		atr_field(err, "smtp_security", "not_allowed",
			  "none would send the SMTP password in clear: choose "
			  "starttls or tls, or confirm it with "
			  "smtp_plaintext_password: true");
	settings_stored_free(pw);
}

static const struct setting_def email_settings[] = {
	{"smtp", "email_protocol", SET_ENUM, "smtp", 0, 0, protocol_choices,
	 0},
	{"smtp", "smtp_host", SET_TEXT, NULL, 0, 253, NULL,
	 SETF_HOST | SETF_CREDENTIAL_TARGET},
	{"smtp", "smtp_port", SET_INT, "587", 1, 65535, NULL,
	 SETF_CREDENTIAL_TARGET},
	{"smtp", "smtp_security", SET_ENUM, "starttls", 0, 0,
	 security_choices, SETF_CREDENTIAL_TARGET, smtp_rule},
	{"smtp", "smtp_email", SET_EMAIL, NULL, 0, 254, NULL, 0},
	{"smtp", "smtp_from_name", SET_TEXT, NULL, 0, 200, NULL, 0},
	{"smtp", "smtp_username", SET_TEXT, NULL, 0, 256, NULL,
	 SETF_CREDENTIAL_TARGET},
	{"smtp", "smtp_password", SET_SECRET, NULL, 1, 512, NULL, 0, smtp_rule},
	/* The explicit, logged confirmation that the password may travel
	 * without TLS (security none): a change of it clears the password
	 * too, so it is confirmed together with the password. */
	{"smtp", "smtp_plaintext_password", SET_BOOL, "false", 0, 0, NULL,
	 SETF_CREDENTIAL_TARGET},
	{"email_queue", "max_attempts", SET_INT, "5", 1, 100, NULL, 0},
	{0},
};

static const struct perm_module email_perms[] = {
	{"email_queue", "Email queue", PB_VIEW | PB_EDIT, "email_queue"},
	{0},
};

/* curl_global_init is not thread-safe: once, before the job runner's
 * threads start (module_jobs comes after module_email, so it stops
 * first). */
static int email_start(struct app *app, struct atr_err *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot initialise libcurl");
	return 0;
}

static void email_stop(struct app *app)
{
	curl_global_cleanup();
}

#define COUNTS_TTL_MS 5000

/* The counts of all organisations, recounted at most every few seconds
 * at a scrape (by the monotonic clock: a clock jump cannot freeze them). */
static struct {
	pthread_mutex_t mu;
	bool valid;
	int64_t at;
	int64_t n[EMAIL_NSTATUS];
} counts_cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void email_metrics(struct app *app, struct buf *out)
{
	pthread_mutex_lock(&counts_cache.mu);
	int64_t mono = atr_mono_ms();
	if (!counts_cache.valid || mono - counts_cache.at >= COUNTS_TTL_MS) {
		struct atr_err err = {0};
		struct db_conn *c = db_acquire(app->db, &err);
		int64_t n[EMAIL_NSTATUS];
		if (c && email_queue_counts(c, 0, n) == 0) {
			memcpy(counts_cache.n, n, sizeof n);
			counts_cache.valid = true;
			counts_cache.at = mono;
		}
		db_release(c);
	}
	if (counts_cache.valid) {
		buf_adds(out, "# HELP atrium_email_queue Emails in the queue "
			      "by status (all organisations).\n"
			      "# TYPE atrium_email_queue gauge\n");
		for (int i = 0; i < EMAIL_NSTATUS; i++)
			buf_printf(out,
				   "atrium_email_queue{status=\"%s\"} %lld\n",
				   email_status_name(i),
				   (long long)counts_cache.n[i]);
	}
	pthread_mutex_unlock(&counts_cache.mu);
}

/* The health report: emails blocked in the queue (the spec: 0 is good,
 * more than 10 an SMTP problem), read from their jobs through the job
 * table's indexes; and, for one organisation, whether SMTP is set up. */
static int email_health(struct app *app, struct db_conn *c, int64_t org,
			struct health_report *rep)
{
	struct db_stmt *st =
		org ? db_prepare(c, "SELECT COUNT(*) FROM job WHERE org_id = ? "
				    "AND kind = 'email' AND status = 'blocked'")
		    : db_prepare(c, "SELECT COUNT(*) FROM job WHERE status = "
				    "'blocked' AND kind = 'email'");
	if (!st)
		return -1;
	if (org)
		db_bind_int(st, 1, org);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1)
		return -1;
	struct hr_ind *i = hr_add(rep, "emails_blocked", "count",
				  "/admin/utilities/email_queue?status=blocked");
	hr_value(i, (double)n);
	hr_thresholds(i, HR_EQ, 0, HR_GT, 10);
	hr_gauge(rep, "atrium_email_blocked",
		 "Emails blocked in the queue (their attempts used up).", NULL,
		 NULL, (double)n);
	if (!org)
		return 0;
	char host[256] = "", from[EMAIL_ADDR_MAX + 1] = "";
	if (settings_get(c, org, "smtp_host", host, sizeof host) < 0 ||
	    settings_get(c, org, "smtp_email", from, sizeof from) < 0)
		return -1;
	i = hr_add(rep, "smtp_configured", "bool", "/admin/settings?tab=email");
	hr_value(i, host[0] && from[0] ? 1 : 0);
	hr_thresholds(i, HR_EQ, 1, HR_EQ, 0);
	return 0;
}

const struct module module_email = {
	.name = "email",
	.perms = email_perms,
	.routes = email_routes,
	.settings = email_settings,
	.job_kinds = email_job_kinds,
	.start = email_start,
	.stop = email_stop,
	.metrics = email_metrics,
	.health = email_health,
};
