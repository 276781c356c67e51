/* portal_session.c — the portal's cookie sessions (portal.h).
 *
 * As staff sessions (auth/session.c): the cookie holds a 256-bit random
 * token, the database only its hash; a session ends at its absolute
 * expiry, after the organisation's idle limit without a request, at
 * logout, when staff turn the contact's portal access off (the lookup
 * joins contact.portal_access) or when PORTAL_SESSIONS_PER_CONTACT newer
 * ones exist. last_seen_at is written at most once a minute.
 */
#include "atrium.h"

#include <strings.h>

#include "auth/org.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/l10n.h"
#include "core/log.h"
#include "core/settings.h"
#include "auth/token.h"
#include "db/db.h"
#include "http/http.h"
#include "http/perm.h"
#include "portal/portal.h"

static const char *cookie_name(const struct req *r)
{
	return r->app->cfg.secure_cookies ? PORTAL_COOKIE_SECURE
					  : PORTAL_COOKIE;
}

static void set_cookie(struct req *r, const char *value, bool clear)
{
	const char *secure = r->app->cfg.secure_cookies ? "; Secure" : "";
	req_add_header(r, "Set-Cookie",
		       arena_printf(r->arena,
				    "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s",
				    cookie_name(r), value, secure,
				    clear ? "; Max-Age=0" : ""));
}

void portal_grants(struct req *r, bool tickets, bool contracts,
		   bool projects)
{
	memset(&r->who.perms, 0, sizeof r->who.perms);
	int m;
	if (tickets && (m = perm_module_index("tickets")) >= 0)
		r->who.perms.bits[m] = PB_VIEW | PB_CREATE | PB_EDIT;
	if (contracts && (m = perm_module_index("contracts")) >= 0)
		r->who.perms.bits[m] = PB_VIEW;
	if (projects && (m = perm_module_index("projects")) >= 0)
		r->who.perms.bits[m] = PB_VIEW;
}

/* "First Last" into r->who.name, cut at the buffer (a display name).
 * Bounded copies rather than snprintf: gcc -O2's -Wformat-truncation
 * fails the build on two 127-byte halves into 128 bytes. */
static void fill_name(struct req *r, const char *first, const char *last)
{
	size_t size = sizeof r->who.name;
	size_t n = atr_strlcpy(r->who.name, first, size);
	if (n >= size - 1 || !last || !*last)
		return;
	r->who.name[n++] = ' ';
	atr_strlcpy(r->who.name + n, last, size - n);
}

#define CONTACT_COLS                                                           \
	"c.id, c.org_id, c.client_id, c.first_name, c.last_name, c.email, "   \
	"c.portal_access, c.portal_tickets, c.portal_contracts, "             \
	"c.portal_projects, a.password_hash, a.totp_confirmed_at, "           \
	"a.password_changed_at"

int portal_contact_load(struct db_conn *c, const char *email, int64_t id,
			struct portal_contact *pc)
{
	struct db_stmt *st = db_prepare(
		c, email ? "SELECT " CONTACT_COLS " FROM contact c LEFT JOIN "
			   "portal_account a ON a.contact_id = c.id WHERE "
			   "lower(c.email) = lower(?) ORDER BY c.org_id, c.id "
			   "LIMIT 1"
			 : "SELECT " CONTACT_COLS " FROM contact c LEFT JOIN "
			   "portal_account a ON a.contact_id = c.id WHERE "
			   "c.id = ?");
	if (!st)
		return -1;
	if (email)
		db_bind_text(st, 1, email);
	else
		db_bind_int(st, 1, id);
	int rc = db_step(st);
	if (rc == 1) {
		memset(pc, 0, sizeof *pc);
		pc->id = db_col_int(st, 0);
		pc->org_id = db_col_int(st, 1);
		pc->client_id = db_col_null(st, 2) ? 0 : db_col_int(st, 2);
		atr_strlcpy(pc->first_name, db_col_text(st, 3),
			    sizeof pc->first_name);
		if (!db_col_null(st, 4))
			atr_strlcpy(pc->last_name, db_col_text(st, 4),
				    sizeof pc->last_name);
		if (!db_col_null(st, 5))
			atr_strlcpy(pc->email, db_col_text(st, 5),
				    sizeof pc->email);
		pc->access = db_col_int(st, 6) != 0;
		pc->tickets = db_col_int(st, 7) != 0;
		pc->contracts = db_col_int(st, 8) != 0;
		pc->projects = db_col_int(st, 9) != 0;
		if (!db_col_null(st, 10))
			atr_strlcpy(pc->hash, db_col_text(st, 10),
				    sizeof pc->hash);
		pc->totp = !db_col_null(st, 11);
		pc->password_changed_ms =
			db_col_null(st, 12) ? 0 : atr_iso_ms(db_col_text(st, 12));
	}
	db_reset(st);
	return rc;
}

int portal_authenticate(struct req *r)
{
	const char *tok = req_cookie(r, cookie_name(r));
	if (!tok || !token_well_formed(tok))
		return 0;
	char h[TOKEN_HASH_LEN + 1];
	token_hash(tok, h);
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t now_ms = atr_now_ms();
	char now[ATR_TIME_LEN];
	atr_time_iso(now_ms, now);
	struct db_stmt *st = db_prepare(
	    c, "SELECT s.id, s.contact_id, s.org_id, s.stage, "
	       "s.idle_minutes, s.last_seen_at, s.expires_at, c.first_name, "
	       "c.last_name, c.email, c.client_id, c.portal_tickets, "
	       "c.portal_contracts, c.portal_projects, o.status FROM "
	       "portal_session s JOIN contact c ON c.id = s.contact_id "
	       "JOIN org o ON o.id = s.org_id WHERE s.token_hash = ? AND "
	       "c.portal_access = 1 AND s.expires_at > ?");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, h);
	db_bind_text(st, 2, now);
	int rc = db_step(st);
	bool tickets = false, contracts = false, projects = false;
	bool suspended = false;
	if (rc == 1) {
		r->who.session_id = db_col_int(st, 0);
		r->who.contact_id = db_col_int(st, 1);
		r->who.org_id = db_col_int(st, 2);
		const char *stage = db_col_text(st, 3);
		r->who.stage = strcmp(stage, "mfa") == 0 ? STAGE_MFA
							 : STAGE_FULL;
		r->who.must_change_password = strcmp(stage, "change") == 0;
		r->who.idle_ms = db_col_int(st, 4) * 60000;
		r->who.seen_ms = atr_iso_ms(db_col_text(st, 5));
		r->who.expires_ms = atr_iso_ms(db_col_text(st, 6));
		fill_name(r, db_col_text(st, 7),
			  db_col_null(st, 8) ? NULL : db_col_text(st, 8));
		atr_strlcpy(r->who.email,
			    db_col_null(st, 9) ? "" : db_col_text(st, 9),
			    sizeof r->who.email);
		r->who.client_id = db_col_null(st, 10) ? 0 : db_col_int(st, 10);
		tickets = db_col_int(st, 11) != 0;
		contracts = db_col_int(st, 12) != 0;
		projects = db_col_int(st, 13) != 0;
		suspended = !strcmp(db_col_text(st, 14), "suspended");
	}
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	/* As for staff (auth/org.h): the session stays, refused while the
	 * organisation is suspended, valid again once it is resumed. */
	if (rc == 1 && suspended) {
		memset(&r->who, 0, sizeof r->who);
		return atr_fail(&r->err, ATR_E_SUSPENDED,
				"this organisation is suspended; its client "
				"portal is closed until it is resumed");
	}
	if (rc == 0 || r->who.seen_ms + r->who.idle_ms <= now_ms ||
	    !r->who.client_id) {
		memset(&r->who, 0, sizeof r->who);
		return 0;
	}
	r->authed = true;
	token_csrf(tok, r->who.csrf);
	portal_grants(r, tickets, contracts, projects);
	if (r->who.seen_ms < now_ms - 60000) {
		/* At most once a minute: idle expiry needs no finer grain. */
		st = db_prepare(c, "UPDATE portal_session SET last_seen_at = ? "
				   "WHERE id = ?");
		if (!st)
			return req_db_error(r);
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, r->who.session_id);
		if (db_step(st) >= 0)
			r->who.seen_ms = now_ms;
		db_reset(st);
	}
	return 1;
}

int portal_session_create(struct req *r, const struct portal_contact *pc,
			  const char *stage)
{
	struct db_conn *c = r->db;
	/* Every way into the portal ends here: no session while the
	 * organisation is suspended (auth/org.h). */
	int active = org_active(c, pc->org_id);
	if (active < 0)
		return req_db_error(r);
	if (!active)
		return atr_fail(&r->err, ATR_E_SUSPENDED,
				"this organisation is suspended; its client "
				"portal is closed until it is resumed");
	char tok[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1];
	token_new(tok);
	token_hash(tok, h);
	/* The organisation's session policy, as for staff; a half-finished
	 * sign-in lives ten minutes at most. */
	int64_t idle = 30, hours = 12;
	if (settings_get_int(c, pc->org_id, "session_idle_minutes", &idle) < 0 ||
	    settings_get_int(c, pc->org_id, "session_absolute_hours", &hours) <
		    0)
		return req_db_error(r);
	bool full = strcmp(stage, "mfa") != 0;
	int64_t life_ms = full ? hours * 3600000 : 600000;
	int64_t now_ms = atr_now_ms();
	char now[ATR_TIME_LEN], exp[ATR_TIME_LEN], ua[256];
	atr_time_iso(now_ms, now);
	atr_time_iso(now_ms + life_ms, exp);
	atr_strlcpy(ua, r->user_agent ? r->user_agent : "", sizeof ua);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO portal_session (org_id, contact_id, token_hash, "
		   "stage, idle_minutes, created_at, last_seen_at, expires_at, "
		   "ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
		   "RETURNING id");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, pc->org_id);
	db_bind_int(st, 2, pc->id);
	db_bind_text(st, 3, h);
	db_bind_text(st, 4, stage);
	db_bind_int(st, 5, idle);
	db_bind_text(st, 6, now);
	db_bind_text(st, 7, now);
	db_bind_text(st, 8, exp);
	db_bind_text(st, 9, r->ip);
	db_bind_text(st, 10, ua);
	int rc = db_step(st);
	int64_t sid = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1)
		return req_db_error(r);
	st = db_prepare(c, "DELETE FROM portal_session WHERE contact_id = ? "
			   "AND id NOT IN (SELECT id FROM portal_session WHERE "
			   "contact_id = ? ORDER BY id DESC LIMIT ?)");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, pc->id);
	db_bind_int(st, 2, pc->id);
	db_bind_int(st, 3, PORTAL_SESSIONS_PER_CONTACT);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	memset(&r->who, 0, sizeof r->who);
	r->who.session_id = sid;
	r->who.contact_id = pc->id;
	r->who.client_id = pc->client_id;
	r->who.org_id = pc->org_id;
	r->who.stage = full ? STAGE_FULL : STAGE_MFA;
	r->who.must_change_password = strcmp(stage, "change") == 0;
	r->who.seen_ms = now_ms;
	r->who.idle_ms = idle * 60000;
	r->who.expires_ms = now_ms + life_ms;
	fill_name(r, pc->first_name, pc->last_name);
	atr_strlcpy(r->who.email, pc->email, sizeof r->who.email);
	portal_grants(r, pc->tickets, pc->contracts, pc->projects);
	r->authed = true;
	token_csrf(tok, r->who.csrf);
	set_cookie(r, tok, false);
	return 0;
}

int portal_sessions_end_all(struct db_conn *c, int64_t contact_id,
			    int64_t keep_id)
{
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM portal_session WHERE contact_id = ? AND id <> ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, contact_id);
	db_bind_int(st, 2, keep_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int portal_session_end(struct req *r)
{
	struct db_stmt *st =
		db_prepare(r->db, "DELETE FROM portal_session WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.session_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	set_cookie(r, "", true);
	return 0;
}

int portal_activity(struct req *r, const char *action, const char *entity,
		    int64_t entity_id, const json_t *diff)
{
	char actor[200];
	snprintf(actor, sizeof actor, "%s (client contact)", r->who.name);
	struct activity a = {
		.org_id = r->who.org_id,
		.actor_name = actor,
		.action = action,
		.entity = entity,
		.entity_id = entity_id,
		.diff = diff,
		.ip = r->ip,
		.request_id = r->request_id,
	};
	return activity_record(r->db, &a) < 0 ? req_db_error(r) : 0;
}

int portal_auth_log(struct req *r, const char *action,
		    const struct portal_contact *pc)
{
	char ua[256], actor[300];
	atr_strlcpy(ua, r->user_agent ? r->user_agent : "", sizeof ua);
	json_t *diff = json_pack("{s:{s:s}}", "user_agent", "to", ua);
	if (pc)
		snprintf(actor, sizeof actor, "%s%s%s (client contact)",
			 pc->first_name, *pc->last_name ? " " : "",
			 pc->last_name);
	struct activity a = {
		.org_id = pc ? pc->org_id : 1,
		.actor_name = pc ? actor : NULL,
		.action = action,
		.entity = "contact",
		.entity_id = pc ? pc->id : 0,
		.diff = diff,
		.ip = r->ip,
		.request_id = r->request_id,
	};
	int rc = activity_record(r->db, &a);
	json_decref(diff);
	return rc < 0 ? req_db_error(r) : 0;
}

json_t *portal_me_json(struct req *r)
{
	struct db_conn *c = r->db;
	const char *first = "", *last = "", *client = "", *company = "";
	bool totp = false;
	json_t *out = NULL;
	struct db_stmt *st = c ? db_prepare(
		c, "SELECT c.first_name, c.last_name, cl.company, "
		   "a.totp_confirmed_at FROM contact c JOIN client cl ON cl.id "
		   "= c.client_id LEFT JOIN portal_account a ON a.contact_id = "
		   "c.id WHERE c.id = ?") : NULL;
	int rc = 0;
	if (st) {
		db_bind_int(st, 1, r->who.contact_id);
		rc = db_step(st);
		if (rc == 1) {
			first = arena_strdup(r->arena, db_col_text(st, 0));
			last = db_col_null(st, 1)
				       ? ""
				       : arena_strdup(r->arena,
						      db_col_text(st, 1));
			client = arena_strdup(r->arena, db_col_text(st, 2));
			totp = !db_col_null(st, 3);
		}
		db_reset(st);
	}
	if (!st || rc < 0)
		atr_log("portal: cannot read contact %lld for me: %s",
			(long long)r->who.contact_id,
			c ? db_errmsg(c) : "no database");
	char company_buf[256] = "";
	json_t *l10n = c ? l10n_me_json(c, r->who.org_id, 0) : NULL;
	if (c && settings_get(c, r->who.org_id, "company_name", company_buf,
			      sizeof company_buf) == 0)
		company = company_buf;
	const char *lang = json_string_value(json_object_get(l10n, "language"));
	const char *language = lang && !strcmp(lang, "ro") ? "ro" : "en";
	int perm_t = perm_module_index("tickets"),
	    perm_c = perm_module_index("contracts"),
	    perm_p = perm_module_index("projects");
	const uint8_t *b = r->who.perms.bits;
	out = json_pack(
		"{s:{s:I,s:s,s:s,s:s},s:{s:I,s:s},s:{s:b,s:b,s:b},s:s,s:b,s:s,"
		"s:{s:s},s:s,s:o,s:o,s:b}",
		"contact", "id", (json_int_t)r->who.contact_id, "first_name",
		first, "last_name", last, "email", r->who.email, "client", "id",
		(json_int_t)r->who.client_id, "name", client, "permissions",
		"tickets", perm_t >= 0 && b[perm_t] != 0, "contracts",
		perm_c >= 0 && b[perm_c] != 0, "projects",
		perm_p >= 0 && b[perm_p] != 0, "stage",
		r->who.stage == STAGE_MFA ? "mfa" : "full", "totp_enabled", totp,
		"csrf_token", r->who.csrf, "company", "name", company,
		"language", language, "session",
		json_pack("{s:I}", "idle_minutes",
			  (json_int_t)(r->who.idle_ms / 60000)),
		"localization", l10n ? l10n : json_null(),
		"must_change_password", r->who.must_change_password);
	return out;
}
