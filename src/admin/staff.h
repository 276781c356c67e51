/* staff.h — the staff module: helpers shared by its routes (staff.c: list,
 * add, edit; staff_lifecycle.c: deactivate, activate, delete with
 * reassignment, invitations, access, overrides). The store every module
 * shares is auth/staff_store.h.
 */
#ifndef ATR_STAFF_H
#define ATR_STAFF_H

#include "atrium.h"

#include <jansson.h>

#include "auth/staff_store.h"

struct db_conn;
struct perm_set;
struct principal;
struct req;

/* Loads the staff API record as JSON (role name, memberships; caller owns
 * it): 1, 0 absent, -1. */
int staff_load(struct db_conn *c, int64_t org, int64_t id, json_t **out);
/* Adds can_manage (whether the caller may change the account of the
 * member rec describes: perm_may_manage) and can_manage_detail (why not,
 * or null) to a record answered to the caller; never to one that goes
 * into an event. 0, or -1 with r->err. */
int staff_add_can_manage(struct req *r, json_t *rec);
/* staff_store_seats_free for the request's organisation, into r->err. */
int staff_seat_check(struct req *r);

#define STAFF_INVITE_HOURS 72

/* The invitation: a set-password link (72 h) by email. */
int staff_invite(struct req *r, int64_t staff_id, const char *email,
		 const char *name);

#endif
