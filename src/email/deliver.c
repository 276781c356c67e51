/* deliver.c — the "email" job kind: sends one queued message.
 *
 * The job runner (src/jobs/) claims the message's job, with a lease that
 * covers the worst case of one send (10 s to connect, 60 s in all) and a
 * margin; this handler loads the message, sends it through the
 * organisation's SMTP settings, and writes sent_at. The runner records
 * failures, backs off, blocks at the setting email_queue.max_attempts.
 *
 * No database connection is held during the send: the pool is shared
 * with the HTTP workers. A message already marked sent (its node died
 * between writing sent_at and finishing the job) is not sent again; one
 * the server accepted before the node died, unmarked, is: delivery is at
 * least once, and the Message-ID is the same on every attempt, so
 * receivers can de-duplicate.
 */
#include "atrium.h"

#include <sodium.h>

#include "core/app.h"
#include "core/log.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email_int.h"
#include "jobs/jobs.h"

/* A send's worst case (70 s) and half a minute to spare. */
#define EMAIL_LEASE_MS (100 * 1000)

struct msg_row {
	int64_t id, org;
	char *to, *subject, *body, *created_at, *reply_to;
	bool sent;
	struct email_file files[EMAIL_FILES_MAX];
	int nfiles;
};

static void msg_free(struct msg_row *m)
{
	for (int i = 0; i < m->nfiles; i++) {
		free((char *)m->files[i].name);
		free((char *)m->files[i].type);
		free((void *)m->files[i].data);
	}
	free(m->to);
	free(m->subject);
	email_body_free(m->body);
	free(m->created_at);
	free(m->reply_to);
}

/* Loads the message of job id. 1 found, 0 gone, -1 database error. */
static int load(struct db_conn *c, int64_t job, struct msg_row *m)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, org_id, to_addr, subject, body_text, "
		   "created_at, sent_at, reply_to FROM email_queue WHERE "
		   "job_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, job);
	int rc = db_step(st);
	if (rc == 1) {
		m->id = db_col_int(st, 0);
		m->org = db_col_int(st, 1);
		m->to = xstrdup(db_col_text(st, 2));
		m->subject = xstrdup(db_col_text(st, 3));
		m->body = xstrdup(db_col_text(st, 4));
		m->created_at = xstrdup(db_col_text(st, 5));
		m->sent = !db_col_null(st, 6);
		m->reply_to = db_col_null(st, 7) ? NULL
						  : xstrdup(db_col_text(st, 7));
	}
	db_reset(st);
	if (rc != 1)
		return rc;
	st = db_prepare(c, "SELECT name, type, data FROM email_attachment "
			   "WHERE email_id = ? ORDER BY position");
	if (!st)
		return -1;
	db_bind_int(st, 1, m->id);
	while ((rc = db_step(st)) == 1 && m->nfiles < EMAIL_FILES_MAX) {
		struct email_file *f = &m->files[m->nfiles++];
		size_t n = 0;
		const void *p = db_col_blob(st, 2, &n);
		f->name = xstrdup(db_col_text(st, 0));
		f->type = xstrdup(db_col_text(st, 1));
		void *copy = xmalloc(n ? n : 1);
		if (n)
			memcpy(copy, p, n);
		f->data = copy;
		f->len = n;
	}
	db_reset(st);
	return rc < 0 ? -1 : 1;
}

/* <atrium.ORG.ID.TIME@domain>: stable across attempts, unique per
 * message. */
static void message_id(const struct msg_row *m, const char *from,
		       char *out, size_t n)
{
	const char *at = strchr(from, '@');
	char stamp[ATR_TIME_LEN] = "";
	size_t k = 0;
	for (const char *p = m->created_at; *p && k + 1 < sizeof stamp; p++)
		if (*p >= '0' && *p <= '9')
			stamp[k++] = *p;
	stamp[k] = 0;
	snprintf(out, n, "<atrium.%lld.%lld.%s@%.100s>", (long long)m->org,
		 (long long)m->id, stamp, at ? at + 1 : "atrium.invalid");
}

/* Sends m: 0 sent, -1 failed, -3 aborted; res says why. */
static int send_one(struct app *app, const struct msg_row *m,
		    struct email_result *res)
{
	struct atr_err err = {0};
	char *body = email_body_open(m->body, &err);
	if (!body) {
		snprintf(res->error, sizeof res->error, "%s", err.msg);
		return -1;
	}
	struct smtp_conf s;
	struct db_conn *c = db_acquire(app->db, &err);
	int rc;
	if (!c) {
		snprintf(res->error, sizeof res->error, "%s", err.msg);
		rc = -1;
	} else {
		rc = smtp_conf_load(c, m->org, &s, res);
		db_release(c);
	}
	if (rc == 0) {
		char mid[200];
		message_id(m, s.email, mid, sizeof mid);
		struct email_msg em = {m->to,	       m->subject, body,
				       mid,	       m->created_at,
				       m->reply_to,    s.logo,	   s.logo_len,
				       m->files,       m->nfiles};
		size_t len = 0;
		char *msg = email_build_message(s.email, s.from_name, &em, &len,
						&err);
		if (!msg) {
			snprintf(res->error, sizeof res->error, "%s", err.msg);
			rc = -1;
		} else {
			rc = smtp_send(&s, m->to, msg, len, res);
			sodium_memzero(msg, len);
			free(msg);
		}
		smtp_conf_wipe(&s);
	}
	email_body_free(body);
	return rc == -2 ? -1 : rc;
}

/* The "email" job: sends the message of job j once; JOB_OK when sent
 * (or nothing is left to send), JOB_FAILED with err, JOB_ABORTED. */
static int email_job(struct job_ctx *j, struct atr_err *err)
{
	struct db_conn *c = db_acquire(j->app->db, err);
	if (!c)
		return JOB_FAILED;
	struct msg_row m = {0};
	int rc = load(c, j->id, &m);
	if (rc < 0)
		atr_fail(err, ATR_E_INTERNAL, "cannot load the message: %s",
			 db_errmsg(c));
	db_release(c);
	if (rc <= 0 || m.sent) {
		msg_free(&m);
		return rc < 0 ? JOB_FAILED : JOB_OK; /* nothing left to send */
	}
	struct email_result res = {0};
	rc = jobs_stopping() ? -3 : send_one(j->app, &m, &res);
	if (rc == -3) {
		msg_free(&m);
		return JOB_ABORTED;
	}
	if (rc < 0) {
		atr_log("email: message %lld not sent (attempt %lld): %s",
			(long long)m.id, (long long)j->attempt, res.error);
		atr_fail(err, ATR_E_INTERNAL, "%s", res.error);
		msg_free(&m);
		return JOB_FAILED;
	}
	char now[ATR_TIME_LEN];
	atr_time_iso(jobs_now_ms(), now);
	c = db_acquire(j->app->db, err);
	struct db_stmt *st =
		c ? db_prepare(c, "UPDATE email_queue SET sent_at = ?, "
				  "attempts = ? WHERE id = ?")
		  : NULL;
	if (st) {
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, j->attempt);
		db_bind_int(st, 3, m.id);
		rc = db_step(st);
		db_reset(st);
	}
	/* Sent either way: the job ends done (the queue counts a done job
	 * as sent), so the message is not sent again. */
	if (!st || rc < 0)
		atr_log("email: message %lld sent, but not marked: %s",
			(long long)m.id, c ? db_errmsg(c) : err->msg);
	db_release(c);
	msg_free(&m);
	return JOB_OK;
}

static int64_t email_attempt_limit(struct db_conn *c, int64_t org)
{
	int64_t max = 5;
	settings_get_int(c, org, "max_attempts", &max);
	return max;
}

static int64_t email_backoff_base(const struct app *app)
{
	return app->cfg.email_retry_base_ms;
}

const struct job_kind email_job_kinds[] = {
	{"email", email_job, .lease_ms = EMAIL_LEASE_MS,
	 .attempt_limit = email_attempt_limit,
	 .backoff_base = email_backoff_base},
	{0},
};
