/* membership.h — a person in several organisations (issue 17, step 2;
 * docs/internals/organisations.md).
 *
 * A membership is a staff row: one per (person, organisation), with that
 * organisation's role, admin flag, active flag and departments, so every
 * query scoped by staff.org_id stays right. The person's credentials
 * (email, password, 2FA, lockout, password history) are on the home row
 * (identity_id NULL); a linked row names it in identity_id and copies its
 * name and email. A session is bound to one membership row.
 */
#ifndef ATR_MEMBERSHIP_H
#define ATR_MEMBERSHIP_H

#include "atrium.h"

#include <jansson.h>

#include "auth/staff_store.h"

struct db_conn;

/* The membership a sign-in of the person (home row person_id) lands in:
 * the active one whose organisation is not suspended and was signed into
 * last, the home row first among equals; else an active one of a
 * suspended organisation (session_create then refuses it with
 * org-suspended). 1 and *m, 0 when no membership is active, -1. */
int membership_land(struct db_conn *c, int64_t person_id, struct staff_row *m);
/* The person's active membership of org: 1 and *m, 0, -1. */
int membership_in(struct db_conn *c, int64_t person_id, int64_t org,
		  struct staff_row *m);
/* The person's active memberships as a JSON array of {org_id, name,
 * kind, status, current} (current: the membership current_staff), or
 * NULL on a database error. Caller owns it. */
json_t *membership_list(struct db_conn *c, int64_t person_id,
			int64_t current_staff);
/* The person's home row of a linked membership row staff_id: 1 and
 * *home_id and *home_org, 0 when staff_id is a home row, -1. */
int membership_home(struct db_conn *c, int64_t staff_id, int64_t *home_id,
		    int64_t *home_org);
/* Refuses (409 in err) a change of what belongs to the person (email,
 * name, password, 2FA, sessions) through a linked membership row: it is
 * managed by the person's home organisation. 0 when staff_id is a home
 * row (or none), -1. */
int membership_refuse_linked(struct db_conn *c, int64_t staff_id,
			     struct atr_err *err);
/* 1 when home row staff_id has memberships of other organisations, 0
 * when not, -1. */
int membership_has_linked(struct db_conn *c, int64_t staff_id);
/* Inserts a membership of org for the person of home row `home` (name,
 * email and localization copied, no password), in the caller's transaction. A
 * membership of org that exists is a field error on "email" (as a taken email).
 * 0 and *id, or -1 with err. */
int membership_insert(struct db_conn *c, int64_t org,
		      const struct staff_row *home, bool admin, int64_t *id,
		      struct atr_err *err);
/* Copies the home row's name and email onto its linked rows, in the
 * caller's transaction. 0 or -1. */
int membership_sync(struct db_conn *c, int64_t person_id);

#endif
