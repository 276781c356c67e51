/* portal_records.c — a contact's tickets in the portal.
 *
 * GET  /api/v1/portal/tickets                 their client's tickets
 * POST /api/v1/portal/tickets                 open one
 * GET  /api/v1/portal/tickets/{id}            one, with its portal fields
 * GET  /api/v1/portal/tickets/{id}/replies    the public thread
 * POST /api/v1/portal/tickets/{id}/replies    answer (opens it again)
 * GET  /api/v1/portal/tickets/{id}/attachments
 * POST /api/v1/portal/tickets/{id}/attachments?filename=  (raw body)
 * GET  /api/v1/portal/attachments/{id}        download
 * GET  /api/v1/portal/departments             where a ticket can go
 *
 * Scope: a ticket is the contact's when it is their client's
 * (ticket.client_id), or names them and no client. Every statement
 * carries that predicate (two disjoint index-served arms in lists), so
 * another client's ticket, reply or file is 404 by id and absent from
 * every list; search matches the subject only (never custom values the
 * contact may not see). Internal notes and the files on them never
 * reach the portal. Custom fields appear only when marked
 * show_on_client_portal and not administrators-only.
 */
#include "atrium.h"

#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "entity/ticket_attach.h"
#include "entity/ticket_contact.h"
#include "http/list.h"
#include "portal/portal.h"

#define REPLY_MAX 20000

extern const struct entity entity_ticket;

/* The scope predicate on ticket alias t; binds client, contact. */
#define TICKET_MINE                                                            \
	"(t.client_id = ? OR (t.client_id IS NULL AND t.contact_id = ?))"

static void opt_int(struct buf *b, struct db_stmt *st, int col)
{
	if (db_col_null(st, col))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, col));
}

static void opt_str(struct buf *b, struct db_stmt *st, int col)
{
	if (db_col_null(st, col))
		buf_adds(b, "null");
	else
		jout_str(b, db_col_text(st, col));
}

/* ---- custom fields the portal shows ----------------------------------------- */

json_t *portal_custom_fields(struct req *r, const struct entity *e,
			     const char *cf_text)
{
	json_t *out = json_array();
	const struct field_set *fs = entity_fields(r, e);
	if (!fs)
		return out;
	json_t *cf = cf_text ? json_loads(cf_text, 0, NULL) : NULL;
	for (int i = 0; i < fs->ncustom; i++) {
		const struct field *f = &fs->custom[i];
		if (!(f->flags & F_PORTAL) || (f->flags & F_ADMIN_ONLY))
			continue;
		json_array_append_new(
			out, json_pack("{s:s,s:s,s:s,s:o}", "name", f->name,
				       "label", f->label ? f->label : f->name,
				       "type", ftype_of(f->type)->name, "value",
				       field_api(f, json_object_get(cf,
								    f->name))));
	}
	json_decref(cf);
	return out;
}

/* ---- the list --------------------------------------------------------------- */

#define TICKET_COLS                                                            \
	"t.id, t.subject, t.status, t.priority, t.department_id, d.name, "    \
	"t.contact_id, ct.first_name, ct.last_name, t.created_at, "           \
	"t.updated_at"
#define TICKET_FROM                                                            \
	"ticket t LEFT JOIN department d ON d.id = t.department_id LEFT "    \
	"JOIN contact ct ON ct.id = t.contact_id"

static void ticket_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "subject", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "status", false);
	jout_str(b, db_col_text(st, 2));
	jout_key(b, "priority", false);
	jout_str(b, db_col_text(st, 3));
	jout_key(b, "department_id", false);
	opt_int(b, st, 4);
	jout_key(b, "department", false);
	opt_str(b, st, 5);
	jout_key(b, "contact_id", false);
	opt_int(b, st, 6);
	jout_key(b, "contact", false);
	if (db_col_null(st, 7)) {
		buf_adds(b, "null");
	} else {
		char name[300];
		snprintf(name, sizeof name, "%s%s%s", db_col_text(st, 7),
			 db_col_null(st, 8) ? "" : " ",
			 db_col_null(st, 8) ? "" : db_col_text(st, 8));
		jout_str(b, name);
	}
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 9));
	jout_key(b, "updated_at", false);
	jout_str(b, db_col_text(st, 10));
	buf_addc(b, '}');
}

static const char *const status_choices[] = {
	"open", "in_progress", "answered", "on_hold", "closed", NULL,
};
static const char *const priority_choices[] = {"low", "medium", "high",
					       "urgent", NULL};
static const struct field f_status = {.name = "status", .type = FT_ENUM,
				      .choices = status_choices};
static const struct field f_priority = {.name = "priority", .type = FT_ENUM,
					.choices = priority_choices};
static const struct field f_subject = {.name = "subject", .type = FT_TEXT};
static const struct field f_updated = {.name = "updated_at",
				       .type = FT_DATETIME};
static const struct field f_id = {.name = "id", .type = FT_INT};

static const struct list_col ticket_columns[] = {
	{&f_status, "t.status", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_priority, "t.priority", LIST_FILTER | LIST_NOTNULL},
	{&f_subject, "t.subject", LIST_SORT | LIST_NOTNULL},
	{&f_updated, "t.updated_at", LIST_SORT | LIST_NOTNULL},
	{&f_id, "t.id", LIST_SORT | LIST_NOTNULL},
};

static const char *const ticket_search[] = {"t.subject", NULL};

static int ticket_scope(struct req *r, struct list_query *q, const void *arg)
{
	(void)arg;
	if (list_arm(q, "t.client_id = ?") < 0)
		return -1;
	list_int(q, r->who.client_id);
	if (list_arm(q, "t.client_id IS NULL AND t.contact_id = ?") < 0)
		return -1;
	list_int(q, r->who.contact_id);
	return 0;
}

static const struct list_spec ticket_spec = {
	.from = TICKET_FROM,
	.cols = TICKET_COLS,
	.id = "t.id",
	.org = "t.org_id",
	.columns = ticket_columns,
	.ncolumns = (int)ATR_ARRAY_LEN(ticket_columns),
	.sort_default = "-id",
	.limit_default = 25,
	.limit_max = 100,
	.search = ticket_search,
	.count_default = true,
	.row = ticket_row,
	.scope = ticket_scope,
};

static int tickets_h_list(struct req *r)
{
	return list_run(r, &ticket_spec);
}

/* ---- one ticket --------------------------------------------------------------- */

/* Whether ticket id is the contact's: 1, 0, -1 (database). */
static int mine(struct req *r, int64_t id)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT 1 FROM ticket t WHERE t.id = ? AND t.org_id = ? "
		       "AND " TICKET_MINE);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	db_bind_int(st, 3, r->who.client_id);
	db_bind_int(st, 4, r->who.contact_id);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

/* 404 unless the ticket in the path is the contact's. */
static int my_ticket(struct req *r)
{
	int rc = mine(r, r->id);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"ticket %lld not found", (long long)r->id);
	return 0;
}

/* The ticket as the portal shows it (new reference), or NULL (r->err: 404
 * or the database). */
static json_t *ticket_load(struct req *r, int64_t id)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT " TICKET_COLS ", t.message, t.cf FROM "
		       TICKET_FROM " WHERE t.id = ? AND t.org_id = ? AND "
		       TICKET_MINE);
	if (!st) {
		req_db_error(r);
		return NULL;
	}
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	db_bind_int(st, 3, r->who.client_id);
	db_bind_int(st, 4, r->who.contact_id);
	int rc = db_step(st);
	json_t *o = NULL;
	if (rc == 1) {
		struct buf b = BUF_INIT;
		ticket_row(&b, st, NULL);
		o = json_loadb(b.p, b.len, 0, NULL);
		buf_free(&b);
		json_object_set_new(o, "message",
				    db_col_null(st, 11)
					    ? json_string("")
					    : json_string(db_col_text(st, 11)));
		char *cf = db_col_null(st, 12)
				   ? NULL
				   : arena_strdup(r->arena, db_col_text(st, 12));
		db_reset(st);
		json_object_set_new(o, "custom_fields",
				    portal_custom_fields(r, &entity_ticket, cf));
		return o;
	}
	db_reset(st);
	if (rc < 0)
		req_db_error(r);
	else
		atr_fail(&r->err, ATR_E_NOT_FOUND, "ticket %lld not found",
			 (long long)id);
	return NULL;
}

static int ticket_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *o = ticket_load(r, r->id);
	if (!o)
		return -1;
	req_json(r, 200, o);
	return 0;
}

/* Blank text (only white space) counts as missing. */
static void not_blank(struct req *r, const char *field)
{
	const char *b = json_string_value(json_object_get(r->body, field));
	bool blank = b != NULL;
	for (const char *p = b; p && *p; p++)
		blank = blank && (*p == ' ' || *p == '\n' || *p == '\r' ||
				  *p == '\t');
	if (blank)
		atr_field(&r->err, field, "required", "must not be empty");
}

static void open_check(struct req *r)
{
	not_blank(r, "subject");
	not_blank(r, "message");
	json_t *d = json_object_get(r->body, "department_id");
	if (!json_is_integer(d) || !req_db(r))
		return;
	struct db_stmt *st = db_prepare(
		r->db, "SELECT 1 FROM department WHERE id = ? AND org_id = ?");
	if (!st)
		return;
	db_bind_int(st, 1, json_integer_value(d));
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc == 0)
		atr_field(&r->err, "department_id", "not_found",
			  "no such department");
}

static char *actor(struct req *r)
{
	return arena_printf(r->arena, "%s (client contact)", r->who.name);
}

static int tickets_h_create(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *d = json_object_get(r->body, "department_id");
	struct ticket_post p = {
		.org = r->who.org_id,
		.dept = json_is_integer(d) ? json_integer_value(d) : 0,
		.contact = r->who.contact_id,
		.client = r->who.client_id,
		.subject = json_string_value(json_object_get(r->body,
							     "subject")),
		.priority = json_string_value(json_object_get(r->body,
							      "priority")),
		.text = json_string_value(json_object_get(r->body, "message")),
		.actor = actor(r),
		.ip = r->ip,
		.request_id = r->request_id,
	};
	json_t *extra = json_pack("{s:{s:s}}", "source", "to", "portal");
	p.extra = extra;
	int64_t id = 0;
	int rc = db_begin(c) < 0 ? -1 : ticket_contact_open(r->app, c, &p, &id);
	json_decref(extra);
	if (rc < 0 || db_commit(c) < 0)
		return req_db_error(r);
	json_t *o = ticket_load(r, id);
	if (!o)
		return -1;
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/portal/tickets/%lld",
				    (long long)id));
	req_json(r, 201, o);
	return 0;
}

/* ---- the thread --------------------------------------------------------------- */

static void reply_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "body", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "author", false);
	jout_str(b, db_col_null(st, 2) ? "" : db_col_text(st, 2));
	jout_key(b, "from", false);
	jout_str(b, db_col_null(st, 3) ? "staff" : "contact");
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 4));
	buf_addc(b, '}');
}

static int reply_scope(struct req *r, struct list_query *q, const void *arg)
{
	(void)arg;
	list_where(q, "tr.ticket_id = ? AND tr.internal = 0");
	list_int(q, r->id);
	return 0;
}

static const struct list_spec reply_spec = {
	.from = "ticket_reply tr",
	.cols = "tr.id, tr.body, tr.author_name, tr.contact_id, tr.created_at",
	.id = "tr.id",
	.org = "tr.org_id",
	.sort_default = "id",
	.limit_default = 100,
	.limit_max = 500,
	.count_default = true,
	.row = reply_row,
	.scope = reply_scope,
};

static int replies_h_list(struct req *r)
{
	if (!req_db(r) || my_ticket(r) < 0)
		return -1;
	return list_run(r, &reply_spec);
}

static void reply_check(struct req *r)
{
	not_blank(r, "body");
}

static int replies_h_create(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (my_ticket(r) < 0)
		return -1;
	struct ticket_post p = {
		.org = r->who.org_id,
		.contact = r->who.contact_id,
		.text = json_string_value(json_object_get(r->body, "body")),
		.author = r->who.name,
		.source = "portal",
		.actor = actor(r),
		.ip = r->ip,
		.request_id = r->request_id,
	};
	int64_t reply = 0;
	if (ticket_contact_reply(r->app, c, &p, r->id, &reply) < 0)
		return req_db_error(r);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (db_commit(c) < 0)
		return req_db_error(r);
	req_add_header(r, "Location",
		       arena_printf(r->arena,
				    "/api/v1/portal/tickets/%lld/replies",
				    (long long)r->id));
	req_json(r, 201,
		 json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)reply,
			   "body", p.text, "author", r->who.name, "from",
			   "contact", "created_at", now));
	return 0;
}

/* ---- files ----------------------------------------------------------------------- */

static void file_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "filename", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "content_type", false);
	jout_str(b, db_col_text(st, 2));
	jout_key(b, "bytes", false);
	jout_int(b, db_col_int(st, 3));
	jout_key(b, "reply_id", false);
	opt_int(b, st, 4);
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 5));
	jout_key(b, "url", false);
	buf_printf(b, "\"/api/v1/portal/attachments/%lld\"",
		   (long long)db_col_int(st, 0));
	buf_addc(b, '}');
}

/* Files on notes are the staff's. */
#define PUBLIC_FILE                                                            \
	"(a.reply_id IS NULL OR a.reply_id NOT IN (SELECT tr.id FROM "       \
	"ticket_reply tr WHERE tr.ticket_id = a.ticket_id AND tr.internal = " \
	"1))"

static int file_scope(struct req *r, struct list_query *q, const void *arg)
{
	(void)arg;
	list_where(q, "a.ticket_id = ? AND " PUBLIC_FILE);
	list_int(q, r->id);
	return 0;
}

static const struct list_spec file_spec = {
	.from = "ticket_attachment a",
	.cols = "a.id, a.filename, a.content_type, a.bytes, a.reply_id, "
		"a.created_at",
	.id = "a.id",
	.org = "a.org_id",
	.sort_default = "id",
	.limit_default = 100,
	.limit_max = 500,
	.count_default = true,
	.row = file_row,
	.scope = file_scope,
};

static int files_h_list(struct req *r)
{
	if (!req_db(r) || my_ticket(r) < 0)
		return -1;
	return list_run(r, &file_spec);
}

static int files_h_upload(struct req *r)
{
	struct db_conn *c = req_db(r);
	const char *name = req_query(r, "filename");
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	if (my_ticket(r) < 0)
		return -1;
	int64_t id = 0;
	const char *why = NULL;
	int rc = ticket_attach_store(c, r->who.org_id, r->id, 0, name,
				     r->raw_body, r->raw_body_len, 0,
				     r->who.contact_id, &id, &why);
	if (rc == 1) {
		atr_field(&r->err, name && *name ? "file" : "filename",
			  name && *name ? "invalid" : "required", "%s", why);
		return -1;
	}
	json_t *diff = rc == 0 ? json_pack("{s:{s:s}}", "attachment", "to",
					   name)
			       : NULL;
	if (rc < 0 ||
	    portal_activity(r, "attach", "ticket", r->id, diff) < 0) {
		json_decref(diff);
		return r->err.kind ? -1 : req_db_error(r);
	}
	json_decref(diff);
	if (db_commit(c) < 0)
		return req_db_error(r);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	const char *url = arena_printf(r->arena, "/api/v1/portal/attachments/%lld",
				       (long long)id);
	req_add_header(r, "Location", url);
	req_json(r, 201,
		 json_pack("{s:I,s:s,s:I,s:n,s:s,s:s}", "id", (json_int_t)id,
			   "filename", name, "bytes",
			   (json_int_t)r->raw_body_len, "reply_id",
			   "created_at", now, "url", url));
	return 0;
}

static int file_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	struct db_stmt *st = db_prepare(
		r->db, "SELECT a.filename FROM ticket_attachment a JOIN ticket t "
		       "ON t.id = a.ticket_id WHERE a.id = ? AND a.org_id = ? "
		       "AND " TICKET_MINE " AND " PUBLIC_FILE);
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	db_bind_int(st, 3, r->who.client_id);
	db_bind_int(st, 4, r->who.contact_id);
	int rc = db_step(st);
	char *name = rc == 1 ? arena_strdup(r->arena, db_col_text(st, 0))
			     : NULL;
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"attachment %lld not found", (long long)r->id);
	return ticket_attach_send(r, r->id, name);
}

/* ---- departments ------------------------------------------------------------------ */

static void dept_row(struct buf *b, struct db_stmt *st, const void *arg)
{
	(void)arg;
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "name", false);
	jout_str(b, db_col_text(st, 1));
	buf_addc(b, '}');
}

static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct list_col dept_columns[] = {
	{&f_name, "d.name", LIST_SORT | LIST_NOTNULL},
};

static const struct list_spec dept_spec = {
	.from = "department d",
	.cols = "d.id, d.name",
	.id = "d.id",
	.org = "d.org_id",
	.columns = dept_columns,
	.ncolumns = (int)ATR_ARRAY_LEN(dept_columns),
	.sort_default = "name",
	.limit_default = 100,
	.limit_max = 500,
	.count_default = true,
	.row = dept_row,
};

static int depts_h_list(struct req *r)
{
	return list_run(r, &dept_spec);
}

/* ---- the module ------------------------------------------------------------------- */

static const struct field open_fields[] = {
	{.name = "subject", .type = FT_TEXT, .flags = F_REQUIRED, .max = 200},
	{.name = "department_id", .type = FT_INT, .flags = F_REQUIRED},
	{.name = "priority", .type = FT_ENUM, .choices = priority_choices},
	{.name = "message", .type = FT_TEXT, .flags = F_REQUIRED | F_MULTILINE,
	 .max = REPLY_MAX},
};
static const struct schema open_schema = SCHEMA(open_fields);
static const struct field reply_fields[] = {
	{.name = "body", .type = FT_TEXT, .flags = F_REQUIRED | F_MULTILINE,
	 .max = REPLY_MAX},
};
static const struct schema reply_schema = SCHEMA(reply_fields);

static const struct route portal_ticket_routes[] = {
	{HTTP_GET, "/api/v1/portal/tickets", tickets_h_list, ACCESS_CONTACT,
	 "tickets", CAP_VIEW},
	{HTTP_POST, "/api/v1/portal/tickets", tickets_h_create, ACCESS_CONTACT,
	 "tickets", CAP_CREATE, &open_schema, NULL, open_check},
	{HTTP_GET, "/api/v1/portal/tickets/{id}", ticket_h_get, ACCESS_CONTACT,
	 "tickets", CAP_VIEW},
	{HTTP_GET, "/api/v1/portal/tickets/{id}/replies", replies_h_list,
	 ACCESS_CONTACT, "tickets", CAP_VIEW},
	{HTTP_POST, "/api/v1/portal/tickets/{id}/replies", replies_h_create,
	 ACCESS_CONTACT, "tickets", CAP_EDIT, &reply_schema, NULL,
	 reply_check},
	{HTTP_GET, "/api/v1/portal/tickets/{id}/attachments", files_h_list,
	 ACCESS_CONTACT, "tickets", CAP_VIEW},
	{HTTP_POST, "/api/v1/portal/tickets/{id}/attachments", files_h_upload,
	 ACCESS_CONTACT, "tickets", CAP_EDIT, NULL, NULL, NULL,
	 ROUTE_RAW_BODY, .max_body = ATTACH_MAX, .form = "filename"},
	{HTTP_GET, "/api/v1/portal/attachments/{id}", file_h_get,
	 ACCESS_CONTACT, "tickets", CAP_VIEW},
	{HTTP_GET, "/api/v1/portal/departments", depts_h_list, ACCESS_CONTACT,
	 "tickets", CAP_CREATE},
	{0},
};

const struct module module_portal_tickets = {
	.name = "portal_tickets",
	.routes = portal_ticket_routes,
};
