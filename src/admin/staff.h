/* staff.h — staff members: the store, and helpers shared by the staff
 * routes (staff.c: list, add, edit; staff_lifecycle.c: deactivate,
 * activate, delete with reassignment, invitations, access, overrides)
 * and by login and the CLI.
 */
#ifndef ATR_STAFF_H
#define ATR_STAFF_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;
struct perm_set;
struct principal;
struct req;

#define EMAIL_MAX 254
#define NAME_MAX_LEN 200

/* Lower-cases and trims an email for uniqueness and lookup. */
void staff_email_norm(const char *email, char *out, size_t n);
/* Inserts a member inside the caller's transaction. pw_hash may be NULL
 * (no password yet). A taken email is a field error on "email". */
int staff_insert(struct db_conn *c, int64_t org_id, const char *email,
		 const char *name, bool admin, const char *pw_hash,
		 int64_t *id, struct atr_err *err);
/* Number of staff members (all organisations); -1 on error. */
int64_t staff_count(struct db_conn *c);
/* 1 when staff_id is a member of org_id, 0 when not, -1 on error. */
int staff_exists(struct db_conn *c, int64_t org_id, int64_t staff_id);
/* Loads the staff record as JSON (caller owns it): 1, 0 absent, -1. */
int staff_load(struct db_conn *c, int64_t org, int64_t id, json_t **out);
/* Active administrators of org, or -1. */
int staff_active_admins(struct db_conn *c, int64_t org);
/* True when p may hand out every grant in g (admins always may). */
bool staff_may_grant(const struct principal *p, const struct perm_set *g);
/* Refuses (409 in err, with the numbers) when no seat is free for one
 * more active member of org. In a transaction. */
int staff_seats_free(struct db_conn *c, int64_t org, struct atr_err *err);
/* The same for the request's organisation, into r->err. */
int staff_seat_check(struct req *r);
/* Replaces the member's rows in a membership table. */
int staff_set_members(struct db_conn *c, int64_t staff_id, const char *table,
		      const char *col, const json_t *ids);
#define STAFF_INVITE_HOURS 72

/* Issues a single-use link of `purpose` ("set_password" or "reset"),
 * valid `hours` (earlier unused links of that purpose are revoked), and
 * queues email template_name with {{name}}, {{link}}, {{expires_hours}};
 * in the open transaction. 0 or -1 (r->err). */
int staff_send_link(struct req *r, int64_t staff_id, const char *email,
		    const char *name, const char *purpose, int hours,
		    const char *template_name);
/* The invitation: a set-password link (72 h) by email. */
int staff_invite(struct req *r, int64_t staff_id, const char *email,
		 const char *name);

#endif
