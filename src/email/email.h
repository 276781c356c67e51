/* email.h — outbound email: templates, the queue, delivery.
 *
 * The email module's files: template.c (templates and rendering),
 * message.c (the RFC 5322 message), smtp.c (sending through libcurl),
 * queue.c (queueing, counts), deliver.c (the "email" job kind that sends
 * one message), email_api.c (routes, settings rows, the module
 * descriptor).
 *
 * Sending an email from a module (the transactional outbox):
 *
 *   db_begin(c);
 *   ... the change that causes the email ...
 *   json_t *vars = json_pack("{s:s,s:s,s:i}", "name", name, "link", link,
 *                            "expires_hours", 72);
 *   if (email_enqueue(c, org, to, "invitation", vars) < 0) ... fail ...
 *   json_decref(vars);
 *   db_commit(c);
 *
 * email_enqueue renders the template inside the caller's transaction and
 * inserts the message into email_queue and its job (kind "email", the job
 * runner of src/jobs/) into job, so the email commits with the change that
 * caused it or not at all, and a killed server loses nothing. The data
 * shape: email_queue holds the message (recipient, subject, encrypted
 * body, template, sent_at once delivered); the job row holds the delivery
 * state (attempts, next attempt, lease, last error, blocked). The runner
 * claims due jobs and deliver.c sends each through libcurl's SMTP with
 * the organisation's SMTP settings (settings group `smtp`, declared in
 * email_api.c); on failure the runner retries with exponential backoff
 * and full jitter (base config email_retry_base_ms, cap 1 h) until the
 * setting email_queue.max_attempts, after which the job is 'blocked' until
 * someone retries it (POST /api/v1/email-queue/retry, "Process All", or
 * the jobs page). The queue's status is derived: sent (sent_at set),
 * sending (job running), blocked (job blocked), else queued (a done
 * job counts as sent).
 *
 * Delivery is at least once: a node killed after the server accepted a
 * message but before sent_at was written sends it again, with the same
 * Message-ID (<atrium.ORG.ID.TIME@domain>), so mail systems can tell.
 *
 * Queueing and sending need the master key loaded (secret_key_load, as
 * `atrium serve` does): bodies are stored encrypted, since invitation links
 * carry one-time tokens, and the SMTP password is a stored secret.
 *
 * Templates are rows of templates[] in template.c: a subject and a plain-text
 * body with {{var}} substitution only (no logic). {{company_name}} always
 * comes from the settings. A template needs every var it names.
 *
 * Routes (module_email): GET /api/v1/email-queue,
 * POST /api/v1/email-queue/retry, POST /api/v1/settings/smtp/test.
 */
#ifndef ATR_EMAIL_H
#define ATR_EMAIL_H

#include "atrium.h"

#include <jansson.h>

struct app;
struct db_conn;

enum email_status {
	EMAIL_QUEUED = 0,
	EMAIL_SENDING,
	EMAIL_SENT,
	EMAIL_BLOCKED,
	EMAIL_NSTATUS
};

/* "queued", "sending", "sent", "blocked". */
const char *email_status_name(int status);

/* Renders template_name with vars and queues it for `to`, inside the
 * caller's open transaction. vars: an object of strings and integers (NULL
 * for none). Returns 0, or -1 (unknown template, missing var, invalid
 * address, a line break in a header, no master key, database error; the
 * reason goes to standard error). */
int email_enqueue(struct db_conn *c, int64_t org, const char *to,
		  const char *template_name, const json_t *vars);
/* The same with a Reply-To address (answers go there: a department's
 * address the email pipe reads), or NULL, and the new row's id (its
 * Message-ID is <atrium.ORG.ID.TIME@domain>: deliver.c), id may be NULL.
 * 0 or -1 with err. */
int email_enqueue_reply(struct db_conn *c, int64_t org, const char *to,
			const char *reply_to, const char *template_name,
			const json_t *vars, int64_t *id, struct atr_err *err);
/* The same, with the new row's id (may be NULL) and the reason in err. */
int email_enqueue_ex(struct db_conn *c, int64_t org, const char *to,
		     const char *template_name, const json_t *vars,
		     int64_t *id, struct atr_err *err);

/* Renders a template in the language of its recipient `to` (the member
 * with that sign-in email, else the organisation's; NULL: the
 * organisation's): *subject and *body are malloc'd; the caller frees them
 * (wipe the body first when it carries a link with a token). 0 or -1 with
 * err. */
int email_render(struct db_conn *c, int64_t org, const char *to,
		 const char *template_name, const json_t *vars, char **subject,
		 char **body, struct atr_err *err);

/* Queues a message written elsewhere (an automation's rendered email):
 * subject (one line) and plain-text body as given, label naming it on
 * the queue page ("automation"), inside the caller's open transaction.
 * 0 (the new row's id in *id when not NULL) or -1 with err (an invalid
 * address, a line break in the subject, too long, no master key). */
int email_enqueue_text(struct db_conn *c, int64_t org, const char *to,
		       const char *label, const char *subject,
		       const char *body, int64_t *id, struct atr_err *err);

/* A file sent with a message (an invoice's PDF). */
struct email_file {
	const char *name; /* the file name the recipient sees (UTF-8) */
	const char *type; /* "application/pdf" */
	const void *data;
	size_t len;
};
#define EMAIL_FILES_MAX 5
#define EMAIL_FILES_BYTES (10 * 1024 * 1024) /* together */

/* email_enqueue_ex with files: they are stored with the message in the
 * same transaction (email_attachment) and sent as attachments. At most
 * EMAIL_FILES_MAX files of EMAIL_FILES_BYTES together. 0 or -1 with err. */
int email_enqueue_files(struct db_conn *c, int64_t org, const char *to,
			const char *template_name, const json_t *vars,
			const struct email_file *files, int nfiles,
			int64_t *id, struct atr_err *err);

struct email_msg {
	const char *to, *subject, *body; /* body: plain text, \n or \r\n */
	const char *message_id; /* "<...@...>"; NULL: a random one */
	const char *date;       /* ISO 8601 UTC; NULL: now */
	const char *reply_to;   /* where answers go, or NULL */
	/* The organisation's logo (PNG), or NULL: with one the message is
	 * multipart/alternative, the text and an HTML part showing the logo
	 * inline (multipart/related, Content-ID) above the same text. */
	const unsigned char *logo;
	size_t logo_len;
	/* Attachments: with any, the message is multipart/mixed, the body
	 * (as above) first, then each file base64-encoded, its name
	 * RFC 2231-encoded when not plain ASCII. */
	const struct email_file *files;
	int nfiles;
};

/* Builds the RFC 5322 message (CRLF line ends) from a sender and m:
 * Date, From (with the display name, RFC 2047 encoded when not ASCII),
 * To, Subject (encoded when not ASCII or long), Message-ID, MIME-Version,
 * Content-Type text/plain; charset=utf-8, and Content-Transfer-Encoding
 * 7bit (ASCII, lines of at most 78) or quoted-printable. Refuses a CR or
 * LF in any header value (header injection). Returns the message,
 * malloc'd, and its length in *len; NULL with err. */
char *email_build_message(const char *from_addr, const char *from_name,
			  const struct email_msg *m, size_t *len,
			  struct atr_err *err);

struct email_result {
	char response[256]; /* on success: "250 accepted" (the code only) */
	char error[512];    /* on failure: a fixed category ("timed out",
			     * "TLS failed", "authentication failed", ...)
			     * and at most the SMTP reply code; never what
			     * the remote host said, never the password */
};

/* Sends m now, synchronously, through org's SMTP settings (not the queue).
 * Returns 0 when the server accepted it, -1 when sending failed, -2 when
 * SMTP is not configured (no host or From address); res explains. Takes
 * at most timeout_s in all, connecting included (at most 5 s of it). No
 * transaction may be open on c. */
int email_send_now(struct db_conn *c, int64_t org, const struct email_msg *m,
		   int timeout_s, struct email_result *res);

/* Counts of the queue per status (index enum email_status) for one
 * organisation, or all when org is 0. 0 or -1. */
int email_queue_counts(struct db_conn *c, int64_t org,
		       int64_t counts[EMAIL_NSTATUS]);

/* The SQL expression of a queue row's status, over email_queue e LEFT
 * JOIN job j ON j.id = e.job_id. */
#define EMAIL_STATUS_SQL                                                       \
	"CASE WHEN e.sent_at IS NOT NULL OR j.status = 'done' THEN 'sent' "  \
	"WHEN j.status = 'running' THEN 'sending' WHEN j.status = "         \
	"'blocked' THEN 'blocked' ELSE 'queued' END"

#endif
