/* gdpr_erase.c — the right to erasure.
 *
 * POST /api/v1/gdpr/{id}/erase {"confirm_email"}: administrators only,
 * with the password re-entered (ROUTE_REAUTH), on a request of type
 * erasure not erased yet; confirm_email must repeat the subject's email.
 *
 * In one transaction:
 *   - the records gdpr_find names (leads and contacts with the email, the
 *     contacts' tickets, the contact's own ticket replies): every field the
 *     entity registry marks F_PERSONAL becomes "[DELETED]", or NULL where
 *     the field's format forbids that text (email, phone); a required
 *     email (a contact's, unique) becomes deleted-<id>@erased.invalid;
 *     their custom values are removed; each gets its next version and an
 *     activity row "gdpr_erase" naming the fields (never the values);
 *   - the activity log: the personal parts of every entry about those
 *     records (what: the diff), and of every entry whose diff or actor
 *     name holds one of the erased values (the email, the phone, the full
 *     names), are erased through the chain's separable parts (values and
 *     salt NULL, the seal stays: core/activity.h), so `atrium audit
 *     verify` still passes;
 *   - the copies: outbox events about those records or holding a value
 *     (payload replaced by {"erased": true}), queued emails to the address
 *     or holding a value (address, subject and body "[DELETED]"),
 *     notifications, job payloads, automation runs, webhook delivery
 *     errors, pipe log rows and stored idempotent answers holding a value;
 *     exports of this subject (gdpr_export) are deleted, and every request
 *     of the register with this email keeps "[DELETED]" in its place;
 *   - the contact's portal account, sessions, tokens and password history
 *     go (portal access off), with the files the contact attached to their
 *     tickets and the attachments of emails sent to the address;
 *   - the request: status done, processed_at (when empty) and erased_at
 *     now, erase_summary (counts), with its activity row "erase".
 * What stays: clients (a company's record; the contact is what names the
 * person), invoices, proposals, payments and credit notes with their
 * amounts, numbers and lines (fiscal obligations; an invoice names its
 * client, not the person, and its sent_to address is replaced like any
 * other copy), and staff accounts (a member leaves through the staff
 * lifecycle: deactivation, then deletion).
 *
 * Afterwards, on SQLite: the connection had secure_delete on, the FTS
 * indexes are optimized (their deleted entries dropped), then VACUUM and a
 * WAL checkpoint (TRUNCATE) so no page of the file or the WAL keeps an old
 * value. On PostgreSQL the rows are rewritten; the dead tuples go with
 * the next VACUUM (docs/operations-guide.md: VACUUM FULL of the tables
 * the summary names removes them from the files at once).
 */
#include "atrium.h"

#include "admin/retention.h"
#include "core/activity.h"
#include "core/buf.h"
#include "core/log.h"
#include "db/db.h"
#include "gdpr/gdpr_erase_int.h"
#include "http/http.h"

void ge_add_value(struct erase *e, const char *v, size_t min)
{
	if (!v || strlen(v) < min || e->nvalues == VALUES_MAX)
		return;
	char *low = arena_strdup(e->r->arena, v);
	for (char *p = low; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (int i = 0; i < e->nvalues; i++)
		if (!strcmp(e->values[i], low))
			return;
	e->values[e->nvalues++] = low;
}

/* "(1,2,3)" of the ids of rows, or NULL when none. */
const char *ge_id_list(struct erase *e, const json_t *rows)
{
	if (!json_array_size(rows))
		return NULL;
	struct buf b = {0};
	size_t i;
	json_t *row;
	buf_addc(&b, '(');
	json_array_foreach(rows, i, row)
		buf_printf(&b, "%s%lld", i ? "," : "",
			   (long long)json_integer_value(json_object_get(row,
									 "id")));
	buf_addc(&b, ')');
	const char *s = arena_strdup(e->r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

int ge_exec_counted(struct erase *e, const char *key, const char *sql,
		    const char *const *binds, int nbinds)
{
	struct db_stmt *st = db_prepare(e->r->db, sql);
	if (!st)
		return -1;
	for (int i = 0; i < nbinds; i++)
		db_bind_text(st, i + 1, binds[i]);
	int rc;
	int64_t n = 0;
	while ((rc = db_step(st)) == 1)
		n++;
	db_reset(st);
	if (rc < 0)
		return -1;
	if (key && n) {
		json_t *old = json_object_get(e->summary, key);
		json_object_set_new(e->summary, key,
				    json_integer(json_integer_value(old) + n));
	}
	return 0;
}

/* The personal fields of entity en's records ids: SET clause. */
static const char *personal_set(struct erase *e, const struct entity *en)
{
	struct buf b = {0};
	buf_printf(&b, "updated_at = '%s', version = version + 1, cf = NULL, "
		       "cf_search = NULL",
		   e->now);
	for (int i = 0; i < en->schema.nfields; i++) {
		const struct field *f = &en->schema.fields[i];
		if (!(f->flags & F_PERSONAL))
			continue;
		if (f->type == FT_EMAIL && (f->flags & F_REQUIRED))
			buf_printf(&b,
				   ", %s = 'deleted-' || id || "
				   "'@erased.invalid'",
				   f->name);
		else if (f->type == FT_EMAIL || f->type == FT_PHONE)
			buf_printf(&b, ", %s = NULL", f->name);
		else
			buf_printf(&b,
				   ", %s = CASE WHEN %s IS NULL THEN NULL "
				   "ELSE '" GDPR_DELETED "' END",
				   f->name, f->name);
	}
	const char *s = arena_strdup(e->r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

/* Erases the personal fields of en's records in rows, each with its
 * activity row. */
int ge_records(struct erase *e, const struct entity *en, const json_t *rows,
	       const char *key)
{
	const char *ids = ge_id_list(e, rows);
	if (!ids)
		return 0;
	char *sql = arena_printf(e->r->arena,
				 "UPDATE %s SET %s WHERE org_id = %lld AND id "
				 "IN %s RETURNING id",
				 en->name, personal_set(e, en),
				 (long long)e->r->who.org_id, ids);
	if (ge_exec_counted(e, key, sql, NULL, 0) < 0)
		return -1;
	json_t *fields = json_array();
	for (int i = 0; i < en->schema.nfields; i++)
		if (en->schema.fields[i].flags & F_PERSONAL)
			json_array_append_new(
				fields, json_string(en->schema.fields[i].name));
	json_array_append_new(fields, json_string("custom_fields"));
	json_t *diff = e->cause ? json_pack("{s:o}", "erased_fields", fields)
				: json_pack("{s:o,s:I}", "erased_fields", fields,
					    "gdpr_request", (json_int_t)e->r->id);
	if (e->cause)
		json_object_update(diff, (json_t *)e->cause);
	size_t i;
	json_t *row;
	int rc = 0;
	json_array_foreach(rows, i, row) {
		if (activity_from_req(e->r, "gdpr_erase", en->name,
				      json_integer_value(json_object_get(row, "id")),
				      diff) < 0) {
			rc = -1;
			break;
		}
	}
	json_decref(diff);
	return rc;
}

/* "lower(col) LIKE '%' || ? || '%'" for each value, ORed (in the arena);
 * binds the values in order. */
static const char *holds(struct erase *e, const char *col)
{
	if (!e->nvalues)
		return "(1 = 0)";
	struct buf b = {0};
	buf_addc(&b, '(');
	for (int i = 0; i < e->nvalues; i++)
		buf_printf(&b, "%s%s(lower(%s), ?) > 0", i ? " OR " : "",
			   e->d == DB_PG ? "strpos" : "instr", col);
	buf_addc(&b, ')');
	const char *s = arena_strdup(e->r->arena, buf_str(&b));
	buf_free(&b);
	return s;
}

/* Runs `sql_head WHERE org_id = ? AND (holds(col1) OR holds(col2)...)
 * RETURNING 1` for the copies in table. */
static int scrub_if(struct erase *e, const char *key, const char *table,
		    const char *set, const char *const *cols,
		    const char *extra, const char *only)
{
	struct buf w = {0};
	const char *binds[VALUES_MAX * 6];
	int nb = 0;
	for (int c = 0; cols[c]; c++) {
		buf_printf(&w, "%s%s", c ? " OR " : "", holds(e, cols[c]));
		for (int i = 0; i < e->nvalues && nb < (int)ATR_ARRAY_LEN(binds);
		     i++)
			binds[nb++] = e->values[i];
	}
	char *sql = arena_printf(
		e->r->arena, "%s %s %s WHERE org_id = %lld AND (%s%s%s)%s%s "
			     "RETURNING 1",
		set ? "UPDATE" : "DELETE FROM", table, set ? set : "",
		(long long)e->r->who.org_id, buf_str(&w), extra ? " OR " : "",
		extra ? extra : "", only ? " AND " : "", only ? only : "");
	buf_free(&w);
	return ge_exec_counted(e, key, sql, binds, nb);
}

static int scrub(struct erase *e, const char *key, const char *table,
		 const char *set, const char *const *cols, const char *extra)
{
	return scrub_if(e, key, table, set, cols, extra, NULL);
}

/* The `entity = 'x' AND entity_id IN (...)` terms of the records erased. */
static const char *about(struct erase *e, const json_t *found,
			 const char *ecol, const char *icol)
{
	static const struct {
		const char *section, *entity;
	} map[] = {{"leads", "lead"},     {"contacts", "contact"},
		   {"tickets", "ticket"}, {"tasks", "task"}};
	struct buf b = {0};
	for (size_t i = 0; i < ATR_ARRAY_LEN(map); i++) {
		const char *ids =
			ge_id_list(e, json_object_get(found, map[i].section));
		if (ids)
			buf_printf(&b, "%s(%s = '%s' AND %s IN %s)",
				   b.len ? " OR " : "", ecol, map[i].entity,
				   icol, ids);
	}
	const char *s = b.len ? arena_strdup(e->r->arena, buf_str(&b)) : NULL;
	buf_free(&b);
	return s;
}

int ge_copies(struct erase *e, const json_t *found)
{
	static const char *const c_diff[] = {"diff", NULL};
	static const char *const c_actor[] = {"actor_name", NULL};
	static const char *const c_payload[] = {"payload", NULL};
	static const char *const c_mail[] = {"to_addr", "reply_to", "subject",
					     "body_text", NULL};
	static const char *const c_note[] = {"title", "body", "message",
					     NULL};
	static const char *const c_run[] = {"conditions", "steps", "error",
					    NULL};
	static const char *const c_resp[] = {"response", NULL};
	static const char *const c_pipe[] = {"from_addr", "to_addr", "subject",
					     "detail", NULL};
	static const char *const c_err[] = {"last_error", NULL};
	static const char *const c_sent[] = {"sent_to", NULL};
	const char *rec = e->about ? e->about
				   : about(e, found, "entity", "entity_id");
	/* The activity log: the chain's personal parts, never its rows. */
	/* Only keyed rows have separable parts (an unkeyed row's hash covers
	 * its values: erasing them would break the chain). */
	if (scrub_if(e, "activity_entries", "activity_log",
		     "SET diff = NULL, what_salt = NULL", c_diff, rec,
		     "mac_version > 1 AND diff IS NOT NULL") < 0 ||
	    scrub_if(e, "activity_actors", "activity_log",
		     "SET actor_name = NULL, ip = NULL, who_salt = NULL",
		     c_actor, NULL, "mac_version > 1") < 0)
		return -1;
	if (scrub(e, "events", "event", "SET payload = '{\"erased\":true}'",
		  c_payload, rec) < 0 ||
	    scrub(e, "emails", "email_queue",
		  "SET to_addr = '" GDPR_DELETED "', reply_to = NULL, subject "
		  "= '" GDPR_DELETED "', body_text = '" GDPR_DELETED "'",
		  c_mail, NULL) < 0 ||
	    scrub(e, "notifications", "notification",
		  "SET title = '" GDPR_DELETED "', body = NULL, message = NULL",
		  c_note,
		  NULL) < 0 ||
	    scrub(e, "jobs", "job", "SET payload = '{\"erased\":true}'",
		  c_payload, NULL) < 0 ||
	    scrub(e, "automation_runs", "automation_run",
		  "SET conditions = NULL, steps = NULL, error = NULL", c_run,
		  NULL) < 0 ||
	    scrub(e, "idempotent_answers", "idempotency_key", NULL, c_resp,
		  NULL) < 0 ||
	    scrub(e, "pipe_log", "pipe_log",
		  "SET from_addr = '" GDPR_DELETED "', to_addr = '" GDPR_DELETED
		  "', subject = '" GDPR_DELETED "', detail = NULL",
		  c_pipe, NULL) < 0 ||
	    scrub(e, "webhook_errors", "webhook_delivery",
		  "SET last_error = NULL", c_err, NULL) < 0 ||
	    scrub(e, "invoices_sent_to", "invoice",
		  "SET sent_to = '" GDPR_DELETED "'", c_sent, NULL) < 0 ||
	    scrub(e, "proposals_sent_to", "proposal",
		  "SET sent_to = '" GDPR_DELETED "'", c_sent, NULL) < 0)
		return -1;
	if (e->cause)
		return 0; /* a retention rule's: the register is not about it */
	/* The register: exports of this subject go; every request of the
	 * subject keeps the placeholder instead of the address. */
	const char *b1[] = {e->values[0]};
	char *sql = arena_printf(
		e->r->arena,
		"DELETE FROM gdpr_export WHERE org_id = %lld AND request_id IN "
		"(SELECT id FROM gdpr_request WHERE org_id = %lld AND "
		"lower(subject_email) = ?) RETURNING 1",
		(long long)e->r->who.org_id, (long long)e->r->who.org_id);
	if (ge_exec_counted(e, "exports", sql, b1, 1) < 0)
		return -1;
	sql = arena_printf(e->r->arena,
			   "UPDATE gdpr_request SET subject_email = '" GDPR_DELETED
			   "', export_status = NULL, export_at = NULL WHERE "
			   "org_id = %lld AND lower(subject_email) = ? "
			   "RETURNING 1",
			   (long long)e->r->who.org_id);
	return ge_exec_counted(e, NULL, sql, b1, 1);
}

/* The values to look for: the email, the leads' names and phones, the
 * contacts' full names and phones. */
void ge_collect_values(struct erase *e, const json_t *found)
{
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(found, "leads"), i, row) {
		ge_add_value(e, json_string_value(json_object_get(row, "name")),
			     4);
		ge_add_value(
			e, json_string_value(json_object_get(row, "phone")), 6);
	}
	json_array_foreach(json_object_get(found, "contacts"), i, row) {
		const char *fn = json_string_value(json_object_get(row,
								   "first_name"));
		const char *ln = json_string_value(json_object_get(row,
								   "last_name"));
		char *full = arena_printf(e->r->arena, "%s %s", fn ? fn : "",
					  ln ? ln : "");
		ge_add_value(e, full, 4);
		ge_add_value(
			e, json_string_value(json_object_get(row, "phone")), 6);
	}
}

/* Runs head, holds(col), " RETURNING 1", binding the values; counted
 * under key. */
static int exec_holds(struct erase *e, const char *key, const char *head,
		      const char *col)
{
	const char *binds[VALUES_MAX];
	for (int i = 0; i < e->nvalues; i++)
		binds[i] = e->values[i];
	char *sql = arena_printf(e->r->arena, "%s%s RETURNING 1", head,
				 holds(e, col));
	return ge_exec_counted(e, key, sql, binds, e->nvalues);
}

/* The per-person security records and the other copies that hold the
 * subject's addresses or values (docs/admin-guide.md, GDPR: what erasure
 * reaches):
 *   - a staff member with the subject's email (the account stays: a member
 *     leaves through the staff lifecycle): the sign-in address prefixes
 *     (signin_address) go, the sessions (address, browser) go — the
 *     member is signed out —, the API request log's client address of
 *     their requests becomes [DELETED], and the "who" part (name and
 *     address) of the activity rows they wrote is erased (actor_id stays:
 *     who did what remains provable); a pending email change to or from
 *     the address goes;
 *   - sign-in and forgotten-password throttle counters keyed by the
 *     address go (they are short-lived; the counter per client address
 *     still holds back guessing);
 *   - webhook delivery attempts whose request or response body holds a
 *     value lose both bodies and the error; API request log paths and
 *     system log lines holding a value become [DELETED]; an import's saved
 *     "values before" of a row holding a value go (that row can no longer
 *     be reverted to them), and validation errors quoting one go. */
int ge_security(struct erase *e, const json_t *found)
{
	long long org = (long long)e->r->who.org_id;
	const char *staff = ge_id_list(e, json_object_get(found, "staff"));
	if (staff) {
		char *sql = arena_printf(
			e->r->arena,
			"DELETE FROM signin_address WHERE org_id = %lld AND "
			"staff_id IN %s RETURNING 1",
			org, staff);
		if (ge_exec_counted(e, "signin_addresses", sql, NULL, 0) < 0)
			return -1;
		sql = arena_printf(e->r->arena,
				   "DELETE FROM session WHERE org_id = %lld AND "
				   "staff_id IN %s RETURNING 1",
				   org, staff);
		if (ge_exec_counted(e, "sessions", sql, NULL, 0) < 0)
			return -1;
		sql = arena_printf(e->r->arena,
				   "UPDATE api_request_log SET ip = '" GDPR_DELETED
				   "' WHERE org_id = %lld AND staff_id IN %s "
				   "AND ip <> '" GDPR_DELETED "' RETURNING 1",
				   org, staff);
		if (ge_exec_counted(e, "api_request_addresses", sql, NULL, 0) <
		    0)
			return -1;
		sql = arena_printf(e->r->arena,
				   "UPDATE activity_log SET actor_name = NULL, ip "
				   "= NULL, who_salt = NULL WHERE org_id = %lld "
				   "AND actor_id IN %s AND mac_version > 1 AND "
				   "(who_salt IS NOT NULL OR actor_name IS NOT "
				   "NULL OR ip IS NOT NULL) RETURNING 1",
				   org, staff);
		if (ge_exec_counted(e, "activity_actors", sql, NULL, 0) < 0)
			return -1;
	}
	static const char *const c_new[] = {"new_email", NULL};
	static const char *const c_hook[] = {"request_body", "response_body",
					     "error", NULL};
	static const char *const c_prev[] = {"previous", NULL};
	static const char *const c_path[] = {"path", NULL};
	if (scrub(e, "email_changes", "email_change", NULL, c_new, NULL) < 0 ||
	    scrub(e, "webhook_attempts", "webhook_attempt",
		  "SET request_body = NULL, response_body = NULL, error = NULL",
		  c_hook, NULL) < 0 ||
	    scrub(e, "import_rows", "import_row", "SET previous = NULL",
		  c_prev, NULL) < 0 ||
	    scrub(e, "api_request_paths", "api_request_log",
		  "SET path = '" GDPR_DELETED "'", c_path, NULL) < 0)
		return -1;
	/* Tables without an organisation column. */
	/* Throttle counters keyed by the address itself (sign-in and
	 * forgotten-password, staff and portal); never a counter that merely
	 * contains a value, which would let guessing on another account
	 * start afresh. */
	const char *b4[] = {e->values[0], e->values[0], e->values[0],
			    e->values[0]};
	if (ge_exec_counted(
		    e, "throttle_rows",
		    "DELETE FROM login_throttle WHERE lower(key) IN "
		    "('acct:' || ?, 'forgot:' || ?, 'portal:acct:' || ?, "
		    "'portal:forgot:' || ?) RETURNING 1",
		    b4, 4) < 0)
		return -1;
	char *head = arena_printf(
		e->r->arena,
		"DELETE FROM import_error WHERE import_id IN (SELECT id FROM "
		"import WHERE org_id = %lld) AND ",
		org);
	if (exec_holds(e, "import_errors", head, "reason") < 0)
		return -1;
	head = arena_printf(e->r->arena,
			    "UPDATE system_log SET message = '" GDPR_DELETED
			    "' WHERE (org_id = %lld OR org_id IS NULL) AND ",
			    org);
	return exec_holds(e, "system_log", head, "message");
}

/* ---- one record, for the record retention rules ----------------------------- */

int gdpr_erase_record(struct req *r, const struct entity *en, int64_t id,
		      const json_t *cause)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct erase e = {.r = r, .d = db_conn_dialect(r->db), .now = now,
			  .summary = json_object(), .cause = cause};
	/* The values whose copies go: each personal text value, and a
	 * contact's full name as the log writes it. */
	struct buf cols = BUF_INIT;
	int n = 0;
	for (int i = 0; i < en->schema.nfields; i++) {
		const struct field *f = &en->schema.fields[i];
		if ((f->flags & F_PERSONAL) && f->type != FT_STAFF_LIST) {
			buf_printf(&cols, "%s%s", n ? ", " : "", f->name);
			n++;
		}
	}
	int rc = 0;
	if (n) {
		struct db_stmt *st = db_prepare(
			r->db, arena_printf(r->arena,
					    "SELECT %s FROM %s WHERE id = ? AND "
					    "org_id = ?",
					    buf_str(&cols), en->name));
		rc = st ? 0 : -1;
		if (st) {
			db_bind_int(st, 1, id);
			db_bind_int(st, 2, r->who.org_id);
			int got = db_step(st);
			for (int i = 0; got == 1 && i < n; i++)
				ge_add_value(&e,
					     db_col_null(st, i)
						     ? NULL
						     : db_col_text(st, i),
					     4);
			if (got == 1 && !strcmp(en->name, "contact")) {
				const char *fn = NULL, *ln = NULL;
				int k = 0;
				for (int i = 0; i < en->schema.nfields; i++) {
					const struct field *f = &en->schema.fields[i];
					if (!(f->flags & F_PERSONAL) ||
					    f->type == FT_STAFF_LIST)
						continue;
					if (!strcmp(f->name, "first_name") &&
					    !db_col_null(st, k))
						fn = db_col_text(st, k);
					if (!strcmp(f->name, "last_name") &&
					    !db_col_null(st, k))
						ln = db_col_text(st, k);
					k++;
				}
				if (fn && ln)
					ge_add_value(&e,
						     arena_printf(r->arena,
								  "%s %s", fn,
								  ln),
						     4);
			}
			db_reset(st);
			if (got < 0)
				rc = -1;
		}
	}
	buf_free(&cols);
	e.about = arena_printf(r->arena, "(entity = '%s' AND entity_id = %lld)",
			       en->name, (long long)id);
	json_t *rows = json_pack("[{s:I}]", "id", (json_int_t)id);
	if (rc == 0)
		rc = ge_copies(&e, NULL);
	if (rc == 0)
		rc = ge_records(&e, en, rows, NULL);
	json_decref(rows);
	json_decref(e.summary);
	return rc;
}
