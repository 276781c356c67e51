/* email_int.h — what the files of the email module share with each other
 * (not for other modules: they include email/email.h). */
#ifndef ATR_EMAIL_INT_H
#define ATR_EMAIL_INT_H

#include "atrium.h"

#include "email/email.h"
#include "jobs/jobs.h"

#define EMAIL_ADDR_MAX 254
#define EMAIL_SUBJECT_MAX 998
#define EMAIL_BODY_MAX (256 * 1024)

/* True when s may be a header value: no CR or LF, no other control
 * character but tab. */
bool email_header_safe(const char *s);
/* Substitutes {{var}} in t from vars (strings and integers). Returns the
 * text, malloc'd (wipe with email_body_free); NULL with err when a var is
 * missing or not a string or an integer. Values are not expanded again;
 * a {{ without }} or with an empty or overlong name stays as written. */
char *email_substitute(const char *t, const json_t *vars, const char *tname,
		       struct atr_err *err);
/* Wipes and frees a body (it may carry a one-time link). */
void email_body_free(char *s);
/* Decrypts a stored body ("v1:...") or copies a plain one (rows written
 * by hand). NULL with err; free with email_body_free. */
char *email_body_open(const char *stored, struct atr_err *err);

struct smtp_conf {
	char host[256];
	int64_t port;
	char security[16];
	char email[EMAIL_ADDR_MAX + 1];
	char from_name[256];
	char username[260];
	char password[520]; /* wiped by smtp_conf_wipe */
	int connect_timeout_s, timeout_s; /* 0: 10 s and 60 s (the queue) */
	/* The organisation's logo for light backgrounds when it is a PNG
	 * (branding): mail shows it above the text. Freed by smtp_conf_wipe. */
	unsigned char *logo;
	size_t logo_len;
};

/* Loads org's SMTP settings. 0, -1 (database or key error), -2 (not
 * configured); res->error says why. Wipe with smtp_conf_wipe. */
int smtp_conf_load(struct db_conn *c, int64_t org, struct smtp_conf *s,
		   struct email_result *res);
void smtp_conf_wipe(struct smtp_conf *s);
/* Sends msg to `to` through s. 0 sent, -1 failed, -3 aborted (the job
 * runner is stopping). */
int smtp_send(const struct smtp_conf *s, const char *to, const char *msg,
	      size_t len, struct email_result *res);

/* The email job kind (deliver.c): one job per message. */
extern const struct job_kind email_job_kinds[];

#endif
