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

/* The second factor's own failure counter ("mfa:<staff id>"): a day's
 * window, blocks of 30 s, 1, 2, 4 ... minutes up to 15 from the
 * login_max_failures-th wrong code on. A correct password neither clears
 * nor resets it; a correct code does. */
#define TWOFA_WINDOW_MS (24LL * 3600 * 1000)
#define TWOFA_FIRST_DELAY_S 30
#define TWOFA_MAX_DELAY_S (15 * 60)

struct req;
struct staff_row;
/* Checks a code of s (TOTP or recovery) as the sign-in step and the
 * re-authentication do: 429 (r->err) while the account's second step is
 * blocked; a wrong code counts (its own transaction, committed), is logged
 * as login_2fa_failed and, when the count reaches the threshold, emails
 * the member (template twofa_failures). Returns 1 accepted, with the code
 * consumed in a transaction left open for the caller; 0 refused; -1 with
 * r->err. */
int twofa_check_counted(struct req *r, const struct staff_row *s,
			const char *code, bool *recovery);

/* Removes the member's TOTP secret and recovery codes (in a tx). */
int twofa_remove(struct db_conn *c, int64_t staff_id);

#endif
