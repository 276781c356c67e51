/* staff.h — staff members: the store and the (minimal) staff API.
 *
 * The access-control issue grows this module (roles, departments,
 * invitations, deactivation); the login and CLI paths use these helpers.
 */
#ifndef ATR_STAFF_H
#define ATR_STAFF_H

#include "atrium.h"

struct db_conn;

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
/* True when staff_id is a member of org_id; -1 on error. */
int staff_exists(struct db_conn *c, int64_t org_id, int64_t staff_id);

#endif
