/* ticket_attach.c — files on tickets (issue 12): uploaded by staff, or
 * taken from inbound email by the pipe.
 *
 * GET    /api/v1/tickets/{id}/attachments  the ticket's files (metadata)
 * POST   /api/v1/tickets/{id}/attachments?filename=NAME (or a form post)
 *                                          a file as the raw body
 * GET    /api/v1/ticket-attachments/{id}   the file itself
 * DELETE /api/v1/ticket-attachments/{id}   remove it
 *
 * Each route needs the ticket to be visible to the caller (404 as for the
 * ticket otherwise). A file is refused when it is empty, larger than
 * ATTACH_MAX (the route's bound: 413 beyond, unread), or an executable or
 * script (by its name, and by its first bytes whatever its name). It is
 * served only as a download (Content-Disposition: attachment, nosniff, a
 * sandboxing CSP) with its type taken from an allowlist (images, PDF,
 * plain text, office documents; anything else application/octet-stream),
 * never from what the uploader claimed, so no file renders in Atrium's
 * origin. The bytes live in the database with their SHA-256.
 */
#include "atrium.h"

#include <sodium.h>
#include <strings.h>

#include "core/activity.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "entity/ticket_attach.h"
#include "http/http.h"
#include "http/list.h"

extern const struct entity entity_ticket;

/* ---- what a file is --------------------------------------------------------- */

static const char *ext_of(const char *name)
{
	const char *dot = name ? strrchr(name, '.') : NULL;
	return dot ? dot + 1 : "";
}

static bool starts(const unsigned char *p, size_t n, const char *magic,
		   size_t m)
{
	return n >= m && !memcmp(p, magic, m);
}

const char *ticket_attach_check(const char *name, const void *data, size_t n,
				const char **ctype)
{
	static const char *const refused[] = {
		"exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll",
		"cpl", "vbs", "vbe", "js",  "jse", "wsf", "wsh", "ps1", "psm1",
		"hta", "jar", "lnk", "reg", "sh",  "app", "apk", "iso", NULL};
	static const struct {
		const char *ext, *type;
	} types[] = {
		{"png", "image/png"},
		{"jpg", "image/jpeg"},
		{"jpeg", "image/jpeg"},
		{"gif", "image/gif"},
		{"webp", "image/webp"},
		{"pdf", "application/pdf"},
		{"txt", "text/plain; charset=utf-8"},
		{"log", "text/plain; charset=utf-8"},
		{"csv", "text/csv; charset=utf-8"},
		{"docx", "application/vnd.openxmlformats-officedocument."
			 "wordprocessingml.document"},
		{"xlsx", "application/vnd.openxmlformats-officedocument."
			 "spreadsheetml.sheet"},
		{"pptx", "application/vnd.openxmlformats-officedocument."
			 "presentationml.presentation"},
		{"odt", "application/vnd.oasis.opendocument.text"},
		{"ods", "application/vnd.oasis.opendocument.spreadsheet"},
		{"zip", "application/zip"},
	};
	const unsigned char *p = data;
	if (!name || !*name || strlen(name) > ATTACH_NAME_MAX)
		return "needs a file name of at most 200 characters";
	for (const char *s = name; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '/' || *s == '\\')
			return "the file name has a path or a control character";
	if (n == 0)
		return "is empty";
	if (n > ATTACH_MAX)
		return "is larger than 10 MiB";
	const char *ext = ext_of(name);
	for (const char *const *r = refused; *r; r++)
		if (!strcasecmp(ext, *r))
			return "is a program or a script, which tickets do not "
			       "take";
	if (starts(p, n, "MZ", 2) || starts(p, n, "\x7f" "ELF", 4) ||
	    starts(p, n, "#!", 2) || starts(p, n, "\xca\xfe\xba\xbe", 4))
		return "is a program or a script, which tickets do not take";
	*ctype = "application/octet-stream";
	for (size_t i = 0; i < ATR_ARRAY_LEN(types); i++)
		if (!strcasecmp(ext, types[i].ext))
			*ctype = types[i].type;
	/* An image or a PDF is served as one only when it is one. */
	if (!strncmp(*ctype, "image/", 6) || !strcmp(*ctype, "application/pdf")) {
		bool real = starts(p, n, "\x89PNG", 4) ||
			    starts(p, n, "\xff\xd8\xff", 3) ||
			    starts(p, n, "GIF8", 4) ||
			    (starts(p, n, "RIFF", 4) && n > 12 &&
			     !memcmp(p + 8, "WEBP", 4)) ||
			    starts(p, n, "%PDF-", 5);
		if (!real)
			*ctype = "application/octet-stream";
	}
	return NULL;
}

int ticket_attach_store(struct db_conn *c, int64_t org, int64_t ticket,
			int64_t reply, const char *name, const void *data,
			size_t n, int64_t staff, int64_t contact, int64_t *id,
			const char **why)
{
	const char *ctype = NULL;
	*why = ticket_attach_check(name, data, n, &ctype);
	if (*why)
		return 1;
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof h + 1];
	crypto_hash_sha256(h, data, n);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO ticket_attachment (org_id, ticket_id, reply_id, "
		   "filename, content_type, bytes, sha256, data, staff_id, "
		   "contact_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
		   "?, ?) RETURNING id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_int(st, 2, ticket);
	db_bind_opt_int(st, 3, reply > 0, reply);
	db_bind_text(st, 4, name);
	db_bind_text(st, 5, ctype);
	db_bind_int(st, 6, (int64_t)n);
	db_bind_text(st, 7, hex);
	db_bind_blob(st, 8, data, n);
	db_bind_opt_int(st, 9, staff > 0, staff);
	db_bind_opt_int(st, 10, contact > 0, contact);
	db_bind_text(st, 11, now);
	int rc = db_step(st);
	*id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc == 1 ? 0 : -1;
}

/* ---- the routes ----------------------------------------------------------------- */

#define COLS                                                                   \
	"a.id, a.ticket_id, a.reply_id, a.filename, a.content_type, a.bytes, " \
	"a.sha256, a.staff_id, a.contact_id, a.created_at"

static void opt_int(struct buf *b, struct db_stmt *st, int col)
{
	if (db_col_null(st, col))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, col));
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "ticket_id", false);
	jout_int(b, db_col_int(st, 1));
	jout_key(b, "reply_id", false);
	opt_int(b, st, 2);
	jout_key(b, "filename", false);
	jout_str(b, db_col_text(st, 3));
	jout_key(b, "content_type", false);
	jout_str(b, db_col_text(st, 4));
	jout_key(b, "bytes", false);
	jout_int(b, db_col_int(st, 5));
	jout_key(b, "sha256", false);
	jout_str(b, db_col_text(st, 6));
	jout_key(b, "staff_id", false);
	opt_int(b, st, 7);
	jout_key(b, "contact_id", false);
	opt_int(b, st, 8);
	jout_key(b, "created_at", false);
	jout_str(b, db_col_text(st, 9));
	jout_key(b, "url", false);
	buf_printf(b, "\"/api/v1/ticket-attachments/%lld\"",
		   (long long)db_col_int(st, 0));
	buf_addc(b, '}');
}

static int scope(struct req *r, struct list_query *q, const void *arg)
{
	list_where(q, "a.ticket_id = ?");
	list_int(q, r->id);
	return 0;
}

static const struct list_spec spec = {
	.from = "ticket_attachment a",
	.cols = COLS,
	.id = "a.id",
	.org = "a.org_id",
	.sort_default = "id",
	.limit_default = 100,
	.limit_max = 200,
	.count_default = true,
	.row = row,
	.scope = scope,
};

/* 404 unless ticket id exists and the caller may see it. */
static int visible(struct req *r, int64_t id)
{
	int ex = entity_ref_visible(r, &entity_ticket, id);
	if (ex < 0)
		return req_db_error(r);
	if (ex == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"ticket %lld not found", (long long)id);
	return 0;
}

static int attach_h_list(struct req *r)
{
	if (!req_db(r) || visible(r, r->id) < 0)
		return -1;
	return list_run(r, &spec);
}

static int attach_h_upload(struct req *r)
{
	struct db_conn *c = req_db(r);
	const char *name = req_query(r, "filename");
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int64_t id = 0;
	const char *why = NULL;
	int rc = visible(r, r->id);
	if (rc == 0)
		rc = ticket_attach_store(c, r->who.org_id, r->id, 0, name,
					 r->raw_body, r->raw_body_len,
					 r->who.staff_id, 0, &id, &why);
	if (rc == 1)
		atr_field(&r->err, name && *name ? "file" : "filename",
			  name && *name ? "invalid" : "required", "%s", why);
	json_t *diff = rc == 0 ? json_pack("{s:{s:s}}", "attachment", "to",
					   name)
			       : NULL;
	if (rc == 0 && activity_from_req(r, "attach", "ticket", r->id, diff) < 0)
		rc = -1;
	json_decref(diff);
	if (rc != 0 || db_commit(c) < 0) {
		db_rollback(c);
		return r->err.kind ? -1 : req_db_error(r);
	}
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/ticket-attachments/%lld",
				    (long long)id));
	req_json(r, 201,
		 json_pack("{s:I,s:I,s:s,s:I,s:s}", "id", (json_int_t)id,
			   "ticket_id", (json_int_t)r->id, "filename", name,
			   "bytes", (json_int_t)r->raw_body_len, "url",
			   arena_printf(r->arena,
					"/api/v1/ticket-attachments/%lld",
					(long long)id)));
	return 0;
}

/* The attachment's ticket, once the attachment and its ticket are
 * visible: 1, 0 (404 set), -1. */
static int attachment_ticket(struct req *r, int64_t *ticket, char **name)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT ticket_id, filename FROM ticket_attachment "
		       "WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		*ticket = db_col_int(st, 0);
		*name = arena_strdup(r->arena, db_col_text(st, 1));
	}
	db_reset(st);
	if (rc < 0)
		return -1;
	int ex = rc == 1 ? entity_ref_visible(r, &entity_ticket, *ticket) : 0;
	if (ex < 0)
		return -1;
	if (ex == 0)
		atr_fail(&r->err, ATR_E_NOT_FOUND, "attachment %lld not found",
			 (long long)r->id);
	return ex;
}

int ticket_attach_send(struct req *r, int64_t id, const char *name)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT content_type, data, sha256 FROM "
		       "ticket_attachment WHERE id = ? AND org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		size_t n = 0;
		const void *p = db_col_blob(st, 1, &n);
		r->ctype = arena_strdup(r->arena, db_col_text(st, 0));
		r->raw_owned = xmalloc(n ? n : 1);
		if (n)
			memcpy(r->raw_owned, p, n);
		r->raw_len = n;
		r->status = 200;
		req_add_header(r, "ETag",
			       arena_printf(r->arena, "\"%s\"",
					    db_col_text(st, 2)));
	}
	db_reset(st);
	if (rc != 1)
		return rc < 0 ? req_db_error(r)
			      : atr_fail(&r->err, ATR_E_NOT_FOUND,
					 "attachment %lld not found",
					 (long long)id);
	req_add_header(r, "Content-Disposition", req_attachment(r, name));
	req_add_header(r, "Cache-Control", "private, no-store");
	req_add_header(r, "Content-Security-Policy",
		       "sandbox; default-src 'none'");
	return 0;
}

static int attach_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	int64_t ticket = 0;
	char *name = NULL;
	int rc = attachment_ticket(r, &ticket, &name);
	if (rc <= 0)
		return rc < 0 ? req_db_error(r) : -1;
	return ticket_attach_send(r, r->id, name);
}

static int attach_h_delete(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	int64_t ticket = 0;
	char *name = NULL;
	int rc = attachment_ticket(r, &ticket, &name);
	struct db_stmt *st = rc == 1 ? db_prepare(c, "DELETE FROM "
						     "ticket_attachment WHERE "
						     "id = ? AND org_id = ?")
				     : NULL;
	if (st) {
		db_bind_int(st, 1, r->id);
		db_bind_int(st, 2, r->who.org_id);
		rc = db_step(st) < 0 ? -1 : 1;
		db_reset(st);
	} else if (rc == 1) {
		rc = -1;
	}
	json_t *diff = rc == 1 ? json_pack("{s:{s:s}}", "attachment", "from",
					   name)
			       : NULL;
	if (rc == 1 && activity_from_req(r, "detach", "ticket", ticket, diff) < 0)
		rc = -1;
	json_decref(diff);
	if (rc != 1 || db_commit(c) < 0) {
		db_rollback(c);
		return r->err.kind ? -1 : req_db_error(r);
	}
	r->status = 204;
	r->raw = "";
	r->raw_len = 0;
	return 0;
}

static const struct route attach_routes[] = {
	{HTTP_GET, "/api/v1/tickets/{id}/attachments", attach_h_list,
	 ACCESS_PERM, "tickets", CAP_VIEW},
	{HTTP_POST, "/api/v1/tickets/{id}/attachments", attach_h_upload,
	 ACCESS_PERM, "tickets", CAP_EDIT, NULL, NULL, NULL, ROUTE_RAW_BODY,
	 .max_body = ATTACH_MAX, .form = "filename"},
	{HTTP_GET, "/api/v1/ticket-attachments/{id}", attach_h_get,
	 ACCESS_PERM, "tickets", CAP_VIEW},
	{HTTP_DELETE, "/api/v1/ticket-attachments/{id}", attach_h_delete,
	 ACCESS_PERM, "tickets", CAP_EDIT},
	{0},
};

const struct module module_ticket_attachments = {
	.name = "ticket_attachments",
	.routes = attach_routes,
};
