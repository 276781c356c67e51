/* portal.h — the client portal's realm: what its files share.
 *
 * Client contacts (the contact entity) sign in at /portal with accounts,
 * sessions, throttling counters and single-use links of their own, apart
 * from staff's (DESIGN: "Client contacts have their own, separate
 * permission set"):
 *   - the cookie atrium_portal (__Host- with secure cookies) is read only
 *     by portal_authenticate, the module's authenticate_contact hook, which
 *     the pipeline asks only for ACCESS_CONTACT routes; the staff cookie
 *     and API tokens are never asked there, and a portal cookie means
 *     nothing on a staff route;
 *   - a contact's grants are the contact record's portal_* flags, loaded
 *     into r->who.perms as tickets (view, create, edit: reply), contracts
 *     (view) and projects (view); the pipeline's one permission check
 *     decides on them like on a member's;
 *   - every record query of the portal is scoped by the contact's client
 *     in SQL (portal_records.c): another client's record is 404.
 *
 * Files: portal_session.c (cookie, sessions, me), portal_auth.c (sign-in,
 * second factor, links), portal_account.c (password and 2FA of the signed
 * in contact), portal_staff.c (what staff do on a contact: invite, sign
 * out, remove 2FA), portal_records.c and portal_docs.c (the records).
 */
#ifndef ATR_PORTAL_H
#define ATR_PORTAL_H

#include "atrium.h"

#include <jansson.h>

#include "auth/password.h"
#include "http/http.h"

struct db_conn;
struct req;

#define PORTAL_COOKIE "atrium_portal"
#define PORTAL_COOKIE_SECURE "__Host-atrium_portal"
/* Live sessions a contact may have; a new one ends the oldest beyond. */
#define PORTAL_SESSIONS_PER_CONTACT 10
/* How long an invitation or a reset link works. */
#define PORTAL_INVITE_HOURS 72
#define PORTAL_RESET_HOURS 2

/* A contact as the portal's sign-in sees it. */
struct portal_contact {
	int64_t id, org_id, client_id;
	char first_name[128], last_name[128], email[256];
	bool access, tickets, contracts, projects;
	char hash[PASSWORD_HASH_MAX]; /* "" without a password */
	bool totp;                    /* a confirmed second factor */
	int64_t password_changed_ms;  /* 0: unknown */
};

/* Loads the contact by id (email NULL) or by email (any case; the first
 * organisation's when several have it). 1, 0 none, -1 database error. */
int portal_contact_load(struct db_conn *c, const char *email, int64_t id,
			struct portal_contact *pc);

/* The authenticate_contact hook: reads the portal cookie, fills r->who
 * (contact, client, organisation, grants, CSRF token). 1, 0, -1. */
int portal_authenticate(struct req *r);
/* Opens a session of pc at stage "full", "mfa" or "change" (signed in,
 * but the password is past the organisation's maximum age: only the
 * password change, me and logout answer) in the open transaction,
 * sets the cookie and r->who. 0 or -1 (r->err). */
int portal_session_create(struct req *r, const struct portal_contact *pc,
			  const char *stage);
/* The stage a sign-in of pc opens once any second factor is done: "full",
 * or "change" when the password is past the organisation's maximum age
 * (contacts without a second factor, as for members). NULL on a database
 * error. */
const char *portal_stage_after(struct req *r, const struct portal_contact *pc);
/* Ends the current session and clears the cookie (in a transaction). */
int portal_session_end(struct req *r);
/* Ends every session of the contact but keep_id (0: all). 0 or -1. */
int portal_sessions_end_all(struct db_conn *c, int64_t contact_id,
			    int64_t keep_id);
/* The signed-in contact as JSON (see docs/openapi.yaml PortalMe). */
json_t *portal_me_json(struct req *r);
/* Fills r->who.perms from the contact's portal flags. */
void portal_grants(struct req *r, bool tickets, bool contracts,
		   bool projects);
/* An activity row by the signed-in contact (actor: their name, marked as
 * a contact; actor_id 0), or about contact_id by anonymous (sign-in
 * events). Inside the open transaction. 0 or -1 (r->err). */
int portal_activity(struct req *r, const char *action, const char *entity,
		    int64_t entity_id, const json_t *diff);
/* An activity row about a sign-in event of pc (NULL: unknown address),
 * with the user agent. */
int portal_auth_log(struct req *r, const char *action,
		    const struct portal_contact *pc);
/* Issues a single-use link of purpose ("invite" or "reset") for pc,
 * revoking earlier unused ones of that purpose, and queues its email.
 * *expires gets when it ends. In the open transaction. 0 or -1. */
int portal_send_link(struct req *r, const struct portal_contact *pc,
		     const char *purpose, int hours,
		     char expires[ATR_TIME_LEN]);
/* Judges the body's `field` by the organisation's password policy for pc
 * (field errors in r->err) and hashes it through the bounded pool. 0, or
 * -1 (422, or 503 busy). */
int portal_password_hash(struct req *r, const struct portal_contact *pc,
			 const char *field, char hash[PASSWORD_HASH_MAX]);
/* Stores a new password hash for the contact (account row created when
 * missing, history kept). In the open transaction. 0 or -1 (db). */
int portal_password_store(struct db_conn *c, const struct portal_contact *pc,
			  const char *hash);

/* Checks a TOTP code of the contact inside the open transaction (replay
 * safe: its step must be later than the last accepted). confirmed: the
 * active secret, else the one being set up. 1, 0, -1. */
int portal_totp_accept(struct db_conn *c, int64_t contact, const char *code,
		       bool confirmed);

struct entity;
/* The custom fields of e the portal shows (show_on_client_portal, not
 * administrators-only), from a record's stored `cf` text (NULL: none):
 * [{name, label, type, value}] in their order. New reference. */
json_t *portal_custom_fields(struct req *r, const struct entity *e,
			     const char *cf_text);

#endif
