/* ticket.c — the ticket entity and its thread (issue 12).
 *
 * A ticket is a request from a client's contact to a department: subject,
 * department, contact, client, priority, status, assignee and the first
 * message. Under view_own a member sees the tickets they own or are
 * assigned, and those of their departments (the department is the
 * record's F_DEPARTMENT field).
 *
 * GET  /api/v1/tickets/{id}/replies  the thread, oldest first (list
 *                                    engine: paged, filter internal)
 * POST /api/v1/tickets/{id}/replies  a staff reply, or an internal note
 *                                    ({"body", "internal": true})
 *
 * Both need the ticket to be visible to the caller (404 otherwise, as for
 * the ticket itself). A reply is one transaction: the reply row, the
 * ticket's new status (a public reply marks it answered unless it is
 * closed; a note changes nothing), a new version, the activity row and the
 * ticket's updated event. Contacts' replies arrive by email (`atrium
 * pipe`, ticket_pipe.c: source "email", contact_id set); the client
 * portal and attachments are not built yet.
 */
#include "atrium.h"

#include "core/activity.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "email/email.h"
#include "entity/entity.h"
#include "entity/ticket_pipe.h"
#include "http/list.h"
#include "http/perm.h"
#include "http/write.h"

#define REPLY_MAX 20000

static const char *const ticket_status[] = {
	"open", "in_progress", "answered", "on_hold", "closed", NULL,
};
static const char *const ticket_priority[] = {"low", "medium", "high",
					      "urgent", NULL};

static const struct field ticket_fields[] = {
	{.name = "subject", .type = FT_TEXT, .max = 200,
	 .flags = F_REQUIRED | F_SEARCH | F_SORT | F_LIST | F_WIDE},
	{.name = "department_id", .type = FT_REF, .ref = "department",
	 .label = "Department", .flags = F_FILTER | F_DEPARTMENT | F_LIST},
	{.name = "contact_id", .type = FT_REF, .ref = "contact",
	 .label = "Contact", .flags = F_FILTER | F_LIST},
	{.name = "client_id", .type = FT_REF, .ref = "client", .label = "Client",
	 .flags = F_FILTER},
	{.name = "priority", .type = FT_ENUM, .max = 10,
	 .choices = ticket_priority, .def = "medium",
	 .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "status", .type = FT_ENUM, .max = 20, .choices = ticket_status,
	 .def = "open", .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "assigned_to", .type = FT_STAFF, .label = "Assigned to",
	 .flags = F_FILTER | F_ASSIGNEE | F_LIST},
	{.name = "owner_id", .type = FT_STAFF, .label = "Owner",
	 .flags = F_FILTER | F_OWNER},
	{.name = "message", .type = FT_TEXT, .max = REPLY_MAX,
	 .flags = F_PERSONAL | F_MULTILINE | F_WIDE,
	 .hint = "The request as the contact made it."},
};

const struct entity entity_ticket = {
	.name = "ticket",
	.plural = "tickets",
	.label = "Tickets",
	.schema = SCHEMA(ticket_fields),
	.title_field = "subject",
	.ui_sort = "-id",
};

/* ---- the thread --------------------------------------------------------------- */

#define REPLY_COLS                                                             \
	"tr.id, tr.ticket_id, tr.internal, tr.body, tr.author_id, "           \
	"tr.author_name, tr.created_at, tr.contact_id, tr.source"

static void reply_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "ticket_id", false);
	jout_int(b, db_col_int(st, 1));
	jout_key(b, "internal", false);
	buf_adds(b, db_col_int(st, 2) ? "true" : "false");
	jout_key(b, "body", false);
	jout_str(b, db_col_text(st, 3));
	jout_key(b, "author_id", false);
	if (db_col_null(st, 4))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 4));
	jout_key(b, "author_name", false);
	jout_str(b, db_col_text(st, 5) ? db_col_text(st, 5) : "");
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 6));
	jout_key(b, "contact_id", false);
	if (db_col_null(st, 7))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 7));
	jout_key(b, "source", false);
	jout_str(b, db_col_text(st, 8));
	buf_addc(b, '}');
}

static const struct field f_internal = {.name = "internal", .type = FT_BOOL};

static const struct list_col reply_columns[] = {
	{&f_internal, "tr.internal", LIST_FILTER},
};

/* The thread of the ticket in the path. */
static int reply_scope(struct req *r, struct list_query *q, const void *arg)
{
	list_where(q, "tr.ticket_id = ?");
	list_int(q, r->id);
	return 0;
}

static const struct list_spec reply_spec = {
	.from = "ticket_reply tr",
	.cols = REPLY_COLS,
	.id = "tr.id",
	.org = "tr.org_id",
	.columns = reply_columns,
	.ncolumns = (int)ATR_ARRAY_LEN(reply_columns),
	.sort_default = "id",
	.limit_default = 100,
	.limit_max = 500,
	.count_default = true,
	.row = reply_row,
	.scope = reply_scope,
};

/* 404 unless the ticket in the path exists and the caller may see it. */
static int visible_ticket(struct req *r)
{
	int ex = entity_ref_visible(r, &entity_ticket, r->id);
	if (ex < 0)
		return req_db_error(r);
	if (ex == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"ticket %lld not found", (long long)r->id);
	return 0;
}

static int replies_h_list(struct req *r)
{
	if (!req_db(r) || visible_ticket(r) < 0)
		return -1;
	return list_run(r, &reply_spec);
}

static const struct field reply_fields[] = {
	{"body", FT_TEXT, F_REQUIRED | F_MULTILINE, REPLY_MAX},
	{"internal", FT_BOOL},
};
static const struct schema reply_schema = SCHEMA(reply_fields);

static void reply_check(struct req *r)
{
	const char *b = json_string_value(json_object_get(r->body, "body"));
	bool blank = b != NULL;
	for (const char *p = b; p && *p; p++)
		blank = blank && (*p == ' ' || *p == '\n' || *p == '\r' ||
				  *p == '\t');
	if (blank)
		atr_field(&r->err, "body", "required", "must not be empty");
}

/* Emails a public reply to the ticket's contact, in the same
 * transaction (the queue is transactional), with the department's address
 * as Reply-To so that their answer comes back through the email pipe.
 * 0, or -1 (r->err, or a database error). */
static int tell_contact(struct req *r, const json_t *ticket, const char *text)
{
	json_t *cid = json_object_get(ticket, "contact_id");
	if (!json_is_integer(cid))
		return 0;
	struct db_stmt *st = db_prepare(
		r->db, "SELECT c.email, c.first_name, d.email FROM contact c "
		       "LEFT JOIN department d ON d.id = ? AND d.org_id = "
		       "c.org_id WHERE c.id = ? AND c.org_id = ?");
	if (!st)
		return -1;
	json_t *dep = json_object_get(ticket, "department_id");
	db_bind_int(st, 1, json_is_integer(dep) ? json_integer_value(dep) : 0);
	db_bind_int(st, 2, json_integer_value(cid));
	db_bind_int(st, 3, r->who.org_id);
	int rc = db_step(st);
	if (rc != 1) {
		db_reset(st);
		return rc < 0 ? -1 : 0;
	}
	char *to = xstrdup(db_col_text(st, 0));
	char *name = xstrdup(db_col_text(st, 1) ? db_col_text(st, 1) : "");
	char *reply_to = db_col_null(st, 2) ? NULL : xstrdup(db_col_text(st, 2));
	db_reset(st);
	json_t *vars = json_pack(
		"{s:s,s:I,s:s,s:s,s:s}", "name", name, "ticket_id",
		(json_int_t)r->id, "subject",
		json_string_value(json_object_get(ticket, "subject")), "author",
		r->who.name, "body", text);
	int64_t email_id = 0;
	int64_t dept_id = json_is_integer(dep) ? json_integer_value(dep) : 0;
	int ret = email_enqueue_reply(r->db, r->who.org_id, to, reply_to,
				      "ticket_reply", vars, &email_id, &r->err);
	/* The contact's mail program answers with In-Reply-To naming it. */
	if (ret == 0 &&
	    ticket_pipe_sent(r->db, r->who.org_id, email_id, dept_id, r->id) < 0)
		ret = -1;
	json_decref(vars);
	free(to);
	free(name);
	free(reply_to);
	return ret;
}

/* Adds the reply: the ticket's new status and version, the activity row,
 * the event and the contact's email, in one transaction. */
static int replies_h_create(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	bool internal = json_is_true(json_object_get(r->body, "internal"));
	const char *text = json_string_value(json_object_get(r->body, "body"));
	json_t *before = NULL, *after = NULL, *diff = NULL, *reply = NULL;
	int ret = -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int rc = entity_record_load(r, &entity_ticket, true, &before);
	if (rc <= 0) {
		if (rc == 0)
			atr_fail(&r->err, ATR_E_NOT_FOUND,
				 "ticket %lld not found", (long long)r->id);
		goto out;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO ticket_reply (org_id, ticket_id, internal, body, "
		   "author_id, author_name, created_at) VALUES (?, ?, ?, ?, ?, "
		   "?, ?) RETURNING id");
	if (!st)
		goto out;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, r->id);
	db_bind_int(st, 3, internal);
	db_bind_text(st, 4, text);
	db_bind_int(st, 5, r->who.staff_id);
	db_bind_text(st, 6, r->who.name);
	db_bind_text(st, 7, now);
	rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1)
		goto out;
	const char *status =
		json_string_value(json_object_get(before, "status"));
	const char *next = !internal && status && strcmp(status, "closed")
				   ? "answered"
				   : status;
	st = db_prepare(c, "UPDATE ticket SET status = ?, version = version + "
			   "1, updated_at = ? WHERE id = ? AND org_id = ?");
	if (!st)
		goto out;
	db_bind_text(st, 1, next);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, r->id);
	db_bind_int(st, 4, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0 || entity_record_load(r, &entity_ticket, false, &after) != 1)
		goto out;
	if (!internal && tell_contact(r, before, text) < 0)
		goto out;
	diff = write_diff(before, after);
	json_object_set_new(diff, internal ? "note" : "reply",
			    json_pack("{s:I}", "to", (json_int_t)id));
	if (activity_from_req(r, internal ? "note" : "reply", "ticket", r->id,
			      diff) < 0 ||
	    outbox_emit(c, r->who.org_id, "ticket", r->id, "updated", before,
			after) < 0)
		goto out;
	reply = json_pack("{s:I,s:I,s:b,s:s,s:I,s:s,s:s,s:n,s:s}", "id",
			  (json_int_t)id, "ticket_id", (json_int_t)r->id,
			  "internal", internal, "body", text, "author_id",
			  (json_int_t)r->who.staff_id, "author_name",
			  r->who.name, "created_at", now, "contact_id",
			  "source", "staff");
	if (db_commit(c) < 0)
		goto out;
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/tickets/%lld/replies",
				    (long long)r->id));
	req_json(r, 201, reply);
	reply = NULL;
	ret = 0;
out:
	if (ret < 0 && db_in_tx(c))
		db_rollback(c);
	json_decref(before);
	json_decref(after);
	json_decref(diff);
	json_decref(reply);
	return ret < 0 && !r->err.kind ? req_db_error(r) : ret;
}

static const struct route ticket_routes[] = {
	ENTITY_ROUTES(entity_ticket, "tickets"),
	{HTTP_GET, "/api/v1/tickets/{id}/replies", replies_h_list, ACCESS_PERM,
	 "tickets", CAP_VIEW},
	{HTTP_POST, "/api/v1/tickets/{id}/replies", replies_h_create,
	 ACCESS_PERM, "tickets", CAP_EDIT, &reply_schema, NULL, reply_check},
	{0},
};

static const struct perm_module ticket_perms[] = {
    {"tickets", "Tickets", PB_ALL, "ticket", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const ticket_entities[] = {&entity_ticket, NULL};

const struct module module_tickets = {
	.name = "tickets",
	.perms = ticket_perms,
	.routes = ticket_routes,
	.entities = ticket_entities,
};
