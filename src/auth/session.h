/* session.h — server-side sessions behind an opaque cookie.
 *
 * The cookie holds a 256-bit random token; the database holds only its
 * hash. A session ends at its absolute expiry, after its idle limit
 * without a request, at logout, when the member is deactivated (the
 * lookup joins staff.active), or when SESSIONS_PER_MEMBER newer ones
 * exist. last_seen_at is written at most once a
 * minute, so the hot path stays a single indexed read; routes flagged
 * ROUTE_NO_TOUCH never write it (reading the clock is no activity).
 */
#ifndef ATR_SESSION_H
#define ATR_SESSION_H

#include "http/http.h"

#define SESSION_COOKIE "atrium_session"
/* Live sessions a member may have; a new one ends the oldest beyond it
 * (one account had 1,808: every sign-in of a script left one behind). */
#define SESSIONS_PER_MEMBER 20
#define SESSION_COOKIE_SECURE "__Host-atrium_session"

/* Reads the session cookie and fills r->who. 1 signed in, 0 not, -1 on a
 * database error (r->err). */
int session_authenticate(struct req *r);
/* Creates a session for staff_id at the given sign-in stage inside the
 * open transaction, sets the cookie header and r->who (with its CSRF
 * token). 0 or -1 (r->err). */
int session_create(struct req *r, int64_t staff_id, enum session_stage stage);
/* A session of member staff_id acting in another organisation (org_act.c,
 * which checks who may): in org_id, in mode, ending at until_ms; leaving
 * it gives back a session of the member's own organisation ending at
 * return_ms at the latest. */
struct session_acting {
	int64_t org_id;
	enum principal_acting mode;
	int64_t until_ms, return_ms;
};
/* As session_create, at the full stage, inside the open transaction;
 * r->who's session, organisation and acting fields are the new session's
 * (the caller sets home_org_id). 0 or -1 (r->err). */
int session_create_acting(struct req *r, int64_t staff_id,
			  const struct session_acting *a);
/* Ends the current session (logout) and clears the cookie. */
int session_end(struct req *r);
/* Ends every session of staff_id except keep_id (0: all). */
int session_end_all(struct db_conn *c, int64_t staff_id, int64_t keep_id);
/* Ends every session of the person whose home row is person_id, in every
 * organisation they belong to, except keep_id (0: all): a credential
 * changed. 0 or -1. */
int session_end_person(struct db_conn *c, int64_t person_id, int64_t keep_id);

/* The staff row that holds the signed-in person's credentials: the home
 * row of a membership of another organisation, else staff_id. */
static inline int64_t who_person(const struct principal *w)
{
	return w->person_id ? w->person_id : w->staff_id;
}
/* The session's clock as JSON: idle_minutes, idle_expires_at, expires_at
 * and the seconds to each (idle_expires_in, expires_in), so a client whose
 * clock is wrong can still count down. Caller owns it. */
json_t *session_times_json(struct req *r);
/* The signed-in member as JSON (for login and me), with "session" (the
 * clock above) and "localization" (core/l10n.h: l10n_me_json;
 * null, and a logged error, when it cannot be read). Caller owns it. */
json_t *session_me_json(struct req *r);

#endif
