/* gdpr_erase_api.c — POST /api/v1/gdpr/{id}/erase: the request's
 * erasure (gdpr_erase.c says what is erased and what stays): the log
 * archives rewritten first (gdpr_reach.c), then one transaction over the
 * records, their copies and the subject's security records, then on
 * SQLite the wipe (FTS optimize, VACUUM, WAL checkpoint).
 */
#include "atrium.h"

#include "admin/retention.h"
#include "core/activity.h"
#include "core/buf.h"
#include "core/log.h"
#include "db/db.h"
#include "gdpr/gdpr_erase_int.h"
#include "http/http.h"

/* The request to erase: its subject (lower case), type and erased_at. */
static int load(struct req *r, char **email, char *type, bool *erased)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT subject_email, type, erased_at FROM gdpr_request "
		       "WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		*email = arena_strdup(r->arena, db_col_text(st, 0));
		atr_strlcpy(type, db_col_text(st, 1), 20);
		*erased = !db_col_null(st, 2);
	}
	db_reset(st);
	return rc;
}

static int sqlite_wipe(struct db_conn *c)
{
	static const char *const fts[] = {"lead", "contact", "ticket", "task",
					  "client", "gdpr_request"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(fts); i++) {
		char sql[160];
		snprintf(sql, sizeof sql,
			 "INSERT INTO %s_fts (%s_fts) VALUES ('optimize')",
			 fts[i], fts[i]);
		if (db_exec(c, sql) < 0)
			return -1;
	}
	if (db_exec(c, "VACUUM") < 0)
		return -1;
	/* The WAL's older frames still hold the old pages until a checkpoint
	 * copies every frame back and truncates it; a reader in the middle of
	 * a read makes it give up (busy, after the busy timeout): then the
	 * wipe is not complete and the caller says so. */
	struct db_stmt *st = db_prepare(c, "PRAGMA wal_checkpoint(TRUNCATE)");
	if (!st)
		return -1;
	int rc = db_step(st);
	int busy = rc == 1 ? (int)db_col_int(st, 0) : 1;
	db_reset(st);
	return rc == 1 && busy == 0 ? 0 : -1;
}

int gdpr_h_erase(struct req *r)
{
	if (!r->who.admin)
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"only an administrator erases a person's data");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char *email = NULL, type[20] = "";
	bool erased = false;
	int rc = load(r, &email, type, &erased);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"GDPR request %lld not found", (long long)r->id);
	if (strcmp(type, "erasure"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"request %lld is a request of %s, not of erasure",
				(long long)r->id, type);
	if (erased)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"request %lld was already carried out",
				(long long)r->id);
	const char *confirm = json_string_value(json_object_get(r->body,
								"confirm_email"));
	if (!confirm || strcasecmp(confirm, email)) {
		atr_field(&r->err, "confirm_email", "mismatch",
			  "type the subject's email exactly to confirm");
		return -1;
	}
	bool lite = db_conn_dialect(c) == DB_SQLITE;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct erase e = {.r = r, .d = db_conn_dialect(c), .now = now,
			  .summary = json_object()};
	ge_add_value(&e, email, 1);
	/* First the archives: the retention lock held until the end, so no
	 * run archives a row between the files and the tables. Nothing in
	 * the database changes before every affected archive is rewritten, so
	 * an erasure that fails here can simply be asked again. */
	int lock = retention_lock(r->app, c, &r->err);
	if (lock == -2) {
		json_decref(e.summary);
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"a log retention run is writing archives now; "
				"ask for the erasure again in a minute");
	}
	if (lock < 0) {
		json_decref(e.summary);
		return -1;
	}
	json_t *rewritten = json_array();
	json_t *found = gdpr_find(c, r->who.org_id, email);
	rc = found ? 0 : -1;
	if (rc == 0) {
		ge_collect_values(&e, found);
		rc = gdpr_reach_archives(r, e.values, e.nvalues, found,
					 rewritten);
	}
	json_decref(found);
	found = NULL;
	if (rc < 0) {
		retention_unlock(c, lock);
		json_decref(rewritten);
		json_decref(e.summary);
		return r->err.kind != ATR_E_NONE ? -1 : req_db_error(r);
	}
	json_object_set_new(e.summary, "archives_rewritten",
			    json_integer((json_int_t)json_array_size(rewritten)));
	if (lite && db_exec(c, "PRAGMA secure_delete = ON") < 0) {
		retention_unlock(c, lock);
		json_decref(rewritten);
		json_decref(e.summary);
		return req_db_error(r);
	}
	if (db_begin(c) < 0) {
		retention_unlock(c, lock);
		json_decref(rewritten);
		json_decref(e.summary);
		return req_db_error(r);
	}
	found = gdpr_find(c, r->who.org_id, email);
	rc = found ? 0 : -1;
	if (rc == 0)
		ge_collect_values(&e, found);
	if (rc == 0)
		rc = ge_copies(&e, found);
	if (rc == 0)
		rc = ge_security(&e, found);
	if (rc == 0)
		rc = ge_records(&e, &entity_lead,
				   json_object_get(found, "leads"), "leads");
	if (rc == 0)
		rc = ge_records(&e, &entity_contact,
				   json_object_get(found, "contacts"),
				   "contacts");
	if (rc == 0)
		rc = ge_records(&e, &entity_ticket,
				   json_object_get(found, "tickets"),
				   "tickets");
	/* The contact's own replies on their tickets (staff replies stay). */
	const char *tickets = ge_id_list(&e, json_object_get(found, "tickets"));
	if (rc == 0 && tickets) {
		char *sql = arena_printf(
			r->arena,
			"UPDATE ticket_reply SET body = '" GDPR_DELETED "', "
			"author_name = '" GDPR_DELETED "' WHERE org_id = %lld "
			"AND ticket_id IN %s AND contact_id IS NOT NULL "
			"RETURNING 1",
			(long long)r->who.org_id, tickets);
		rc = ge_exec_counted(&e, "ticket_replies", sql, NULL, 0);
	}
	/* The contact's portal account (sessions with their addresses,
	 * tokens, password history), the files they attached to their
	 * tickets, and the attachments of the emails sent to them. */
	const char *contacts = ge_id_list(&e, json_object_get(found, "contacts"));
	const char *emails = ge_id_list(&e, json_object_get(found, "emails"));
	static const char *const portal[] = {
		"portal_session", "portal_token", "portal_password_history",
		"portal_account"};
	for (size_t k = 0; rc == 0 && contacts && k < ATR_ARRAY_LEN(portal);
	     k++) {
		char *sql = arena_printf(r->arena,
					 "DELETE FROM %s WHERE contact_id IN %s "
					 "RETURNING 1",
					 portal[k], contacts);
		rc = ge_exec_counted(&e, "portal_rows", sql, NULL, 0);
	}
	if (rc == 0 && contacts) {
		char *sql = arena_printf(
			r->arena,
			"UPDATE contact SET portal_access = 0 WHERE org_id = %lld "
			"AND id IN %s RETURNING 1",
			(long long)r->who.org_id, contacts);
		rc = ge_exec_counted(&e, NULL, sql, NULL, 0);
	}
	if (rc == 0 && contacts && tickets) {
		char *sql = arena_printf(
			r->arena,
			"DELETE FROM ticket_attachment WHERE org_id = %lld AND "
			"ticket_id IN %s AND contact_id IN %s RETURNING 1",
			(long long)r->who.org_id, tickets, contacts);
		rc = ge_exec_counted(&e, "ticket_files", sql, NULL, 0);
	}
	if (rc == 0 && emails) {
		char *sql = arena_printf(
			r->arena,
			"DELETE FROM email_attachment WHERE org_id = %lld AND "
			"email_id IN %s RETURNING 1",
			(long long)r->who.org_id, emails);
		rc = ge_exec_counted(&e, "email_attachments", sql, NULL, 0);
	}
	json_object_set_new(e.summary, "staff_accounts_kept",
			    json_integer((json_int_t)json_array_size(
				    json_object_get(found, "staff"))));
	json_decref(found);
	struct db_stmt *st = NULL;
	if (rc == 0) {
		char *sum = json_dumps(e.summary, JSON_COMPACT | JSON_SORT_KEYS);
		st = db_prepare(c, "UPDATE gdpr_request SET status = 'done', "
				   "processed_at = coalesce(processed_at, ?), "
				   "erased_at = ?, erase_summary = ?, "
				   "updated_at = ?, version = version + 1 "
				   "WHERE id = ? AND org_id = ?");
		if (st) {
			db_bind_text(st, 1, now);
			db_bind_text(st, 2, now);
			db_bind_text(st, 3, sum);
			db_bind_text(st, 4, now);
			db_bind_int(st, 5, r->id);
			db_bind_int(st, 6, r->who.org_id);
			rc = db_step(st) < 0 ? -1 : 0;
			db_reset(st);
		} else {
			rc = -1;
		}
		free(sum);
	}
	if (rc == 0) {
		json_t *diff = json_pack("{s:{s:s},s:{s:s},s:O,s:O}", "status",
					 "to", "done", "erased_at", "to", now,
					 "erase_summary", e.summary,
					 "archives_rewritten", rewritten);
		rc = activity_from_req(r, "erase", "gdpr_request", r->id, diff);
		json_decref(diff);
	}
	if (rc < 0 || db_commit(c) < 0) {
		db_rollback(c);
		json_decref(e.summary);
		json_decref(rewritten);
		if (lite)
			db_exec(c, "PRAGMA secure_delete = OFF");
		retention_unlock(c, lock);
		return r->err.kind != ATR_E_NONE ? -1 : req_db_error(r);
	}
	/* The old values out of the file: its free pages, the FTS segments
	 * and the WAL. */
	bool wiped = true;
	if (lite) {
		wiped = sqlite_wipe(c) == 0;
		if (!wiped)
			atr_log("gdpr: vacuum after erasure %lld failed: %s",
				     (long long)r->id, db_errmsg(c));
		db_exec(c, "PRAGMA secure_delete = OFF");
	}
	retention_unlock(c, lock);
	req_json(r, 200, json_pack("{s:I,s:s,s:o,s:o,s:b}", "id",
				   (json_int_t)r->id, "erased_at", now,
				   "erase_summary", e.summary,
				   "archives_rewritten", rewritten,
				   "vacuumed", wiped));
	return 0;
}

int gdpr_erase_wipe(struct db_conn *c)
{
	return db_conn_dialect(c) == DB_SQLITE ? sqlite_wipe(c) : 0;
}
