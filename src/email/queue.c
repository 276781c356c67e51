/* queue.c — queueing an email in the caller's transaction (the message
 * row and its job), and the queue's counts. */
#include "atrium.h"

#include "core/log.h"
#include "core/secret.h"
#include "db/db.h"
#include "email/email_int.h"
#include "core/validate.h"
#include "jobs/jobs.h"

static const char *const status_names[EMAIL_NSTATUS] = {
	[EMAIL_QUEUED] = "queued",
	[EMAIL_SENDING] = "sending",
	[EMAIL_SENT] = "sent",
	[EMAIL_BLOCKED] = "blocked",
};

const char *email_status_name(int status)
{
	return status >= 0 && status < EMAIL_NSTATUS ? status_names[status]
						     : "?";
}

/* Stores files with message eid. 0 or -1 with err. */
static int store_files(struct db_conn *c, int64_t org, int64_t eid,
		       const struct email_file *files, int nfiles,
		       struct atr_err *err)
{
	for (int i = 0; i < nfiles; i++) {
		struct db_stmt *st = db_prepare(
			c, "INSERT INTO email_attachment (email_id, org_id, "
			   "position, name, type, data) VALUES (?, ?, ?, ?, "
			   "?, ?)");
		if (!st)
			return atr_fail(err, ATR_E_INTERNAL,
					"cannot queue an email: %s",
					db_errmsg(c));
		db_bind_int(st, 1, eid);
		db_bind_int(st, 2, org);
		db_bind_int(st, 3, i);
		db_bind_text(st, 4, files[i].name);
		db_bind_text(st, 5, files[i].type);
		db_bind_blob(st, 6, files[i].data, files[i].len);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return atr_fail(err, ATR_E_INTERNAL,
					"cannot queue an email: %s",
					db_errmsg(c));
	}
	return 0;
}

/* Stores a rendered message (subject and plain-text body) and its
 * delivery job in the open transaction. template_name labels it on the
 * queue page. 0 or -1 with err. */
static int store_message(struct db_conn *c, int64_t org, const char *to,
			 const char *reply_to, const char *template_name,
			 const char *subject, const char *body,
			 const struct email_file *files, int nfiles,
			 int64_t *id, struct atr_err *err)
{
	ATR_ASSERT(db_in_tx(c));
	size_t bytes = 0;
	for (int i = 0; i < nfiles; i++)
		bytes += files[i].len;
	if (nfiles > EMAIL_FILES_MAX || bytes > EMAIL_FILES_BYTES)
		return atr_fail(err, ATR_E_INVALID,
				"cannot queue an email: at most %d files of "
				"%d MB together",
				EMAIL_FILES_MAX, EMAIL_FILES_BYTES >> 20);
	for (int i = 0; i < nfiles; i++)
		if (!files[i].name || !*files[i].name ||
		    strlen(files[i].name) > 200 ||
		    !email_header_safe(files[i].name) || !files[i].type ||
		    !email_header_safe(files[i].type))
			return atr_fail(err, ATR_E_INVALID,
					"cannot queue an email: an "
					"attachment's name or type is not "
					"allowed");
	if (!to || strlen(to) > EMAIL_ADDR_MAX || !valid_email(to) ||
	    !email_header_safe(to))
		return atr_fail(err, ATR_E_INVALID,
				"cannot queue an email: '%s' is not an email "
				"address",
				to ? to : "");
	int rc = -1;
	char *sealed = NULL;
	if (!email_header_safe(subject) || strlen(subject) > EMAIL_SUBJECT_MAX) {
		atr_fail(err, ATR_E_INVALID,
			 "cannot queue an email: the subject has a line break "
			 "or is too long");
		goto out;
	}
	if (strlen(body) > EMAIL_BODY_MAX) {
		atr_fail(err, ATR_E_INVALID,
			 "cannot queue an email: the body is too long");
		goto out;
	}
	sealed = secret_encrypt(body);
	if (!sealed) {
		atr_fail(err, ATR_E_INTERNAL,
			 "cannot queue an email: no master key is loaded");
		goto out;
	}
	char now[ATR_TIME_LEN];
	atr_time_iso(jobs_now_ms(), now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO email_queue (org_id, to_addr, subject, "
		   "body_text, template, created_at, reply_to) VALUES (?, ?, ?, "
		   "?, ?, ?, ?) RETURNING id");
	if (!st) {
		atr_fail(err, ATR_E_INTERNAL, "cannot queue an email: %s",
			 db_errmsg(c));
		goto out;
	}
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, to);
	db_bind_text(st, 3, subject);
	db_bind_text(st, 4, sealed);
	db_bind_text(st, 5, template_name);
	db_bind_text(st, 6, now);
	db_bind_text(st, 7, reply_to);
	int s = db_step(st);
	int64_t eid = s == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (s != 1) {
		atr_fail(err, ATR_E_INTERNAL, "cannot queue an email: %s",
			 db_errmsg(c));
		goto out;
	}
	if (store_files(c, org, eid, files, nfiles, err) < 0)
		goto out;
	/* Its delivery: a job of the runner, named on the message row. */
	json_t *payload = json_pack("{s:I}", "email_id", (json_int_t)eid);
	int64_t job = 0;
	s = job_enqueue(c, &(struct job_new){.kind = "email", .org_id = org,
					      .payload = payload},
			&job, err);
	json_decref(payload);
	if (s < 0)
		goto out;
	st = db_prepare(c, "UPDATE email_queue SET job_id = ? WHERE id = ?");
	s = -1;
	if (st) {
		db_bind_int(st, 1, job);
		db_bind_int(st, 2, eid);
		s = db_step(st);
		db_reset(st);
	}
	if (s < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot queue an email: %s",
			 db_errmsg(c));
		goto out;
	}
	if (id)
		*id = eid;
	rc = 0;
out:
	free(sealed);
	return rc;
}

static int enqueue(struct db_conn *c, int64_t org, const char *to,
		   const char *reply_to, const char *template_name,
		   const json_t *vars, const struct email_file *files,
		   int nfiles, int64_t *id, struct atr_err *err)
{
	char *subject, *body;
	if (email_render(c, org, to, template_name, vars, &subject, &body, err) <
	    0)
		return -1;
	int rc = store_message(c, org, to, reply_to, template_name, subject,
			       body, files, nfiles, id, err);
	free(subject);
	email_body_free(body);
	return rc;
}

int email_enqueue_text(struct db_conn *c, int64_t org, const char *to,
		       const char *label, const char *subject,
		       const char *body, int64_t *id, struct atr_err *err)
{
	return store_message(c, org, to, NULL, label, subject, body, NULL, 0,
			     id, err);
}

int email_enqueue_ex(struct db_conn *c, int64_t org, const char *to,
		     const char *template_name, const json_t *vars,
		     int64_t *id, struct atr_err *err)
{
	return enqueue(c, org, to, NULL, template_name, vars, NULL, 0, id, err);
}

int email_enqueue_reply(struct db_conn *c, int64_t org, const char *to,
			const char *reply_to, const char *template_name,
			const json_t *vars, int64_t *id, struct atr_err *err)
{
	if (reply_to && (!valid_email(reply_to) || !email_header_safe(reply_to)))
		return atr_fail(err, ATR_E_INVALID,
				"cannot queue an email: '%s' is not an email "
				"address",
				reply_to);
	return enqueue(c, org, to, reply_to, template_name, vars, NULL, 0, id,
		       err);
}

int email_enqueue_files(struct db_conn *c, int64_t org, const char *to,
			const char *template_name, const json_t *vars,
			const struct email_file *files, int nfiles,
			int64_t *id, struct atr_err *err)
{
	return enqueue(c, org, to, NULL, template_name, vars, files, nfiles, id,
		       err);
}

int email_enqueue(struct db_conn *c, int64_t org, const char *to,
		  const char *template_name, const json_t *vars)
{
	struct atr_err err = {0};
	if (email_enqueue_ex(c, org, to, template_name, vars, NULL, &err) < 0) {
		atr_log("email: %s", err.msg);
		return -1;
	}
	return 0;
}

int email_queue_counts(struct db_conn *c, int64_t org,
		       int64_t counts[EMAIL_NSTATUS])
{
	for (int i = 0; i < EMAIL_NSTATUS; i++)
		counts[i] = 0;
	struct db_stmt *st =
		org ? db_prepare(c, "SELECT " EMAIL_STATUS_SQL ", COUNT(*) "
				    "FROM email_queue e LEFT JOIN job j ON "
				    "j.id = e.job_id WHERE e.org_id = ? "
				    "GROUP BY 1")
		    : db_prepare(c, "SELECT " EMAIL_STATUS_SQL ", COUNT(*) "
				    "FROM email_queue e LEFT JOIN job j ON "
				    "j.id = e.job_id GROUP BY 1");
	if (!st)
		return -1;
	if (org)
		db_bind_int(st, 1, org);
	int rc;
	while ((rc = db_step(st)) == 1) {
		const char *s = db_col_text(st, 0);
		for (int i = 0; i < EMAIL_NSTATUS; i++)
			if (s && strcmp(s, status_names[i]) == 0)
				counts[i] = db_col_int(st, 1);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

