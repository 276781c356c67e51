/* auth.h — what the sign-in code shares with the 2FA and staff code. */
#ifndef ATR_AUTH_H
#define ATR_AUTH_H

#include "atrium.h"

#include "auth/staff_store.h"

struct db_conn;
struct req;

/* Hashes a new password through the bounded pool: 0, or -1 with 503
 * (busy, Retry-After) in r->err. */
int auth_hash_password(struct req *r, const char *pw,
		       char out[PASSWORD_HASH_MAX]);
/* Fills r->who for the member and loads their grants. 0 or -1. */
int auth_fill_principal(struct req *r, const struct staff_row *s);
/* After a verified password (or link): fills r->who and opens the session
 * at the right stage (mfa, enrol or full), applying password expiry. In
 * the open transaction. 0 or -1 (r->err). */
int auth_start_session(struct req *r, const struct staff_row *s);
/* Stores a new password hash (history, must_change cleared). In a tx. */
int auth_set_password(struct req *r, const struct staff_row *s,
		      const char *hash);
/* The activity row of a sign-in event of s (NULL: no such member), with
 * the client's user agent and, when given, the email that was tried. */
int auth_log(struct req *r, const char *action, const struct staff_row *s,
	     const char *email);
/* Finds a live single-use token of `purpose` in auth_token; with consume,
 * marks it used (inside the caller's transaction). 1 and *staff_id, 0
 * when unknown, used or expired, -1 on a database error. */
int auth_find_token(struct db_conn *c, const char *token, const char *purpose,
		    int64_t *staff_id, bool consume);
/* An activity row for a sign-in, password, 2FA or session event, with
 * the client's address (as every row) and user agent (in the diff). */
int auth_event(struct req *r, const char *action, int64_t staff_id);
/* Queues the "security notice" email to the member (what changed, when,
 * from which address). In the open transaction. */
int auth_notify(struct req *r, const struct staff_row *s, const char *what);
/* Issues a single-use link of `purpose` ("set_password" or "reset"),
 * valid `hours` (earlier unused links of that purpose are revoked), and
 * queues email template_name with {{name}}, {{link}}, {{expires_hours}};
 * in the open transaction. 0 or -1 (r->err). */
int auth_send_link(struct req *r, int64_t staff_id, const char *email,
		   const char *name, const char *purpose, int hours,
		   const char *template_name);
/* The same for a member of organisation org (the link is org's), the
 * email still queued by the caller's organisation (its email settings):
 * the operator inviting a new organisation's first administrator. */
int auth_send_link_for(struct req *r, int64_t org, int64_t staff_id,
		       const char *email, const char *name, const char *purpose,
		       int hours, const char *template_name);
/* 429 with Retry-After when either throttle key is blocked; 0 otherwise. */
int auth_throttled(struct req *r, const char *k1, const char *k2);

#endif
