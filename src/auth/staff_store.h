/* staff_store.h — staff members in the database: one shape, one loader.
 *
 * Sign-in, 2FA, sessions, the CLI and the staff module read a member
 * through staff_store_load into struct staff_row, and write through the
 * functions below; the staff module's API record (admin/staff.h) adds the
 * role name and memberships for display.
 */
#ifndef ATR_STAFF_STORE_H
#define ATR_STAFF_STORE_H

#include "atrium.h"

#include <jansson.h>

#include "auth/password.h"

struct db_conn;

#define EMAIL_MAX 254
#define NAME_MAX_LEN 200

/* A member as the kernel needs them. */
struct staff_row {
	int64_t id, org_id;
	bool admin, active, must_change;
	int64_t password_changed_ms; /* 0: unknown */
	char name[128], email[256];
	char hash[PASSWORD_HASH_MAX];
};

/* Loads a member by "email" (key = normalised email: the person's home
 * row, where the password is) or by "id" (any row). 1 found, 0 not, -1 on
 * a database error. */
int staff_store_load(struct db_conn *c, const char *by, const char *key,
		     int64_t id, struct staff_row *s);
/* Lower-cases and trims an email for uniqueness and lookup. */
void staff_store_email_norm(const char *email, char *out, size_t n);
/* Inserts a member inside the caller's transaction. pw_hash may be NULL
 * (no password yet). A taken email is a field error on "email". */
int staff_store_insert(struct db_conn *c, int64_t org_id, const char *email,
		       const char *name, bool admin, const char *pw_hash,
		       int64_t *id, struct atr_err *err);
/* Number of staff members (all organisations); -1 on error. */
int64_t staff_store_count(struct db_conn *c);
/* 1 when staff_id is a member of org_id, 0 when not, -1 on error. */
int staff_store_exists(struct db_conn *c, int64_t org_id, int64_t staff_id);
/* Locks the member's row until the transaction ends (PostgreSQL: FOR
 * UPDATE, which waits for and then blocks the key-share locks new
 * references take), so a delete and records naming the member serialise.
 * 0 or -1. */
int staff_store_lock(struct db_conn *c, int64_t org, int64_t id);
/* 1 when staff_id is an active member of org_id — one a record may name
 * as owner or assignee, as the staff directory lists them — 0 when not
 * (absent, another organisation's, or deactivated: one answer for all, so
 * ids cannot be probed), -1 on error. */
int staff_store_assignable(struct db_conn *c, int64_t org_id,
			   int64_t staff_id);
/* Active administrators of org, or -1. */
int staff_store_active_admins(struct db_conn *c, int64_t org);
/* Refuses (409 in err, with the numbers) when no seat is free for one
 * more active member of org (the org row's seats, auth/org.h). In a
 * transaction. */
int staff_store_seats_free(struct db_conn *c, int64_t org,
			   struct atr_err *err);
/* Replaces the member's rows in a membership table (staff_department,
 * staff_team) with ids. In a transaction. 0 or -1. */
int staff_store_set_members(struct db_conn *c, int64_t staff_id,
			    const char *table, const char *col,
			    const json_t *ids);

#endif
