/* twofa.h — two-factor authentication: TOTP enrolment and sign-in,
 * recovery codes, enforcement, and the administrator's view.
 *
 * Sign-in is staged (session.stage): after the password a member with 2FA
 * gets an "mfa" session that can only submit a code (or a recovery code);
 * a member who must have 2FA and has none gets an "enrol" session that can
 * only enrol. A successful step replaces the session with a new one (new
 * id at every privilege change). The pipeline enforces the stages through
 * route flags (ROUTE_MFA_OK, ROUTE_ENROL_OK).
 */
#ifndef ATR_TWOFA_H
#define ATR_TWOFA_H

#include "atrium.h"

struct db_conn;
struct req;

#define RECOVERY_CODES 10

/* 1 when the member has confirmed TOTP, 0 when not, -1 on error. */
int twofa_enabled(struct db_conn *c, int64_t staff_id);
/* 1 when policy requires 2FA of the member (admins by the setting
 * twofa_required_admins, others by their role's require_2fa), 0, -1. */
int twofa_required(struct db_conn *c, int64_t org, int64_t staff_id);
/* Checks a TOTP code or a recovery code for the member inside the open
 * transaction, consuming it (replay-safe). 1 accepted, 0 refused, -1. */
int twofa_check(struct db_conn *c, int64_t staff_id, const char *code,
		bool *used_recovery);

/* Removes the member's TOTP secret and recovery codes (in a tx). */
int twofa_remove(struct db_conn *c, int64_t staff_id);

#endif
