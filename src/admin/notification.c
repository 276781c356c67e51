/* notification.c — in-app notifications for staff members (the bell of
 * the web admin, /admin/notifications).
 *
 * GET  /api/v1/notifications             the caller's, newest first
 *                                        (?unread=true|false, limit ≤ 100,
 *                                        offset or cursor, always counted)
 * GET  /api/v1/notifications/unread      {"count": N}: what the bell polls
 * POST /api/v1/notifications/{id}/read   one read (another member's: 404)
 * POST /api/v1/notifications/read_all    every one read
 *
 * Every route is the caller's own: any signed-in member, or an API token
 * acting as its member (a mobile app shows its user's notifications). The
 * SQL names the caller's staff id and organisation, so nobody reads or
 * marks another's. Reading and marking read are a member's personal state,
 * not business data: they write no activity row and no event (adding one is
 * logged by whatever caused it, with its change). The unread count does
 * not extend the session (ROUTE_NO_TOUCH): a page left open polls it every
 * minute, and that must not keep an unattended session alive.
 *
 * Features add notifications through notification_add and
 * notification_admins (notification.h) in their own transaction.
 * Housekeeping removes read notifications after 90 days and any after 365.
 */
#include "atrium.h"

#include "admin/notification.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"

#define DAY_MS (24LL * 3600 * 1000)
/* The unread count stops here: the bell shows "99+" long before, and the
 * poll of every open page stays one short index range. */
#define UNREAD_COUNT_MAX 1000
#define SOURCE_MAX 32

/* ---- cleaning ---------------------------------------------------------- */

/* The code point at p (UTF-8, strict: no overlong forms, surrogates or
 * values past U+10FFFF) and its length in *len; -1 (and *len 1) for a byte
 * that does not start a valid sequence. */
static int32_t utf8_at(const unsigned char *p, int *len)
{
	static const int32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	int n;
	int32_t cp;
	*len = 1;
	if (p[0] < 0x80)
		return p[0];
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 2;
		cp = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 3;
		cp = p[0] & 0x0F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return -1;
	}
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80) /* also stops at the final NUL */
			return -1;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*len = n;
	return cp;
}

static bool is_control(int32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
	       cp == 0x2028 || cp == 0x2029;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\n';
}

char *notification_clean(const char *s, int max, bool multiline)
{
	struct buf b = BUF_INIT;
	int chars = 0;
	bool gap = false; /* one line: a run of control characters seen */
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p && chars < max) {
		int len;
		int32_t cp = utf8_at(p, &len);
		if (cp >= 0 && is_control(cp)) {
			if (!multiline) {
				gap = true;
			} else if (cp == '\r' || cp == '\n' || cp == 0x2028 ||
				   cp == 0x2029) {
				if (cp == '\r' && p[1] == '\n')
					len = 2; /* CR LF: one break */
				buf_addc(&b, '\n');
				chars++;
			}
			p += len;
			continue;
		}
		if (gap) {
			gap = false;
			buf_addc(&b, ' ');
			if (++chars == max)
				break;
		}
		if (cp < 0)
			buf_adds(&b, "\xEF\xBF\xBD"); /* U+FFFD */
		else
			buf_add(&b, p, (size_t)len);
		chars++;
		p += len;
	}
	/* White space at either end, spaces and line breaks alike. */
	size_t end = b.len, start = 0;
	while (end > 0 && is_space(b.p[end - 1]))
		end--;
	while (start < end && is_space(b.p[start]))
		start++;
	char *out = xmalloc(end - start + 1);
	if (end > start)
		memcpy(out, b.p + start, end - start);
	out[end - start] = 0;
	buf_free(&b);
	return out;
}

/* Whether the path segment s (n bytes) is "." or "..", also written with
 * %2e, which a browser resolves the same way (the WHATWG URL standard):
 * "/admin/../api/..." would leave the web UI. */
static bool dot_segment(const char *s, size_t n)
{
	int dots = 0;
	for (size_t i = 0; i < n; dots++) {
		if (s[i] == '.')
			i++;
		else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' &&
			 (s[i + 2] == 'e' || s[i + 2] == 'E'))
			i += 3;
		else
			return false;
	}
	return dots == 1 || dots == 2;
}

bool notification_link_ok(const char *link)
{
	if (!link || strncmp(link, "/admin/", 7) != 0)
		return false;
	size_t n = strlen(link);
	if (n > NOTIFICATION_LINK_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)link; *p; p++)
		/* RFC 3986's unreserved and delimiter characters and '%',
		 * less the quote: nothing that ends an attribute or a URL. */
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') ||
		      strchr("-._~!$&()*+,;=:@/?#%", *p)))
			return false;
	/* The path's segments, up to the query or the fragment. */
	size_t path = strcspn(link, "?#");
	for (size_t i = 1; i <= path;) {
		size_t len = strcspn(link + i, "/?#");
		if (i + len > path)
			len = path - i;
		if (dot_segment(link + i, len))
			return false;
		i += len + 1;
	}
	return true;
}

/* source when it is a short word, else "system". */
static const char *source_word(const char *source)
{
	if (!source || !(*source >= 'a' && *source <= 'z'))
		return "system";
	size_t n = 0;
	for (const char *p = source; *p; p++)
		if (++n > SOURCE_MAX ||
		    !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return "system";
	return source;
}

/* ---- adding -------------------------------------------------------------- */

static void db_fail(struct db_conn *c, struct atr_err *err)
{
	atr_fail(err, ATR_E_INTERNAL, "database error: %s", db_errmsg(c));
}

/* Inserts the notification for member staff_id of org, or for every
 * active administrator of org when staff_id is 0: one statement, so the
 * member's check and the row go together (a member deactivated meanwhile
 * cannot slip between them). Returns how many rows, or -1 with err. */
static int insert(struct db_conn *c, int64_t org, int64_t staff_id,
		  const char *title, const char *body, const char *link,
		  const char *source, const char *message, struct atr_err *err)
{
	char *t = notification_clean(title, NOTIFICATION_TITLE_MAX, false);
	char *bd = body ? notification_clean(body, NOTIFICATION_BODY_MAX, true)
			: NULL;
	char now[ATR_TIME_LEN];
	struct db_stmt *st = NULL;
	int rc, rows = 0, n = -1;
	if (!*t) {
		atr_fail(err, ATR_E_INVALID, "a notification needs a title");
		goto out;
	}
	st = db_prepare(
		c, staff_id ? "INSERT INTO notification (org_id, staff_id, "
			      "title, body, link, source, created_at, message) "
			      "SELECT org_id, id, ?, ?, ?, ?, ?, ? FROM staff "
			      "WHERE org_id = ? AND id = ? AND active = 1 "
			      "RETURNING id"
			    : "INSERT INTO notification (org_id, staff_id, "
			      "title, body, link, source, created_at, message) "
			      "SELECT org_id, id, ?, ?, ?, ?, ?, ? FROM staff "
			      "WHERE org_id = ? AND admin = 1 AND active = 1 "
			      "RETURNING id");
	if (!st) {
		db_fail(c, err);
		goto out;
	}
	atr_now_iso(now);
	db_bind_text(st, 1, t);
	if (bd && *bd)
		db_bind_text(st, 2, bd);
	else
		db_bind_null(st, 2);
	if (notification_link_ok(link))
		db_bind_text(st, 3, link);
	else
		db_bind_null(st, 3);
	db_bind_text(st, 4, source_word(source));
	db_bind_text(st, 5, now);
	if (message)
		db_bind_text(st, 6, message);
	else
		db_bind_null(st, 6);
	db_bind_int(st, 7, org);
	if (staff_id)
		db_bind_int(st, 8, staff_id);
	while ((rc = db_step(st)) == 1)
		rows++;
	db_reset(st);
	if (rc < 0)
		db_fail(c, err);
	else
		n = rows;
out:
	free(t);
	free(bd);
	return n;
}

int notification_add(struct db_conn *c, int64_t org, int64_t staff_id,
		     const char *title, const char *body, const char *link,
		     const char *source, struct atr_err *err)
{
	if (staff_id <= 0) /* nobody: 0 would mean every administrator */
		return 0;
	return insert(c, org, staff_id, title, body, link, source, NULL,
		      err) < 0
		       ? -1
		       : 0;
}

int notification_admins(struct db_conn *c, int64_t org, const char *title,
			const char *body, const char *link, const char *source,
			struct atr_err *err)
{
	return insert(c, org, 0, title, body, link, source, NULL, err);
}

/* A message key: [a-z][a-z0-9_]{0,47}. */
static bool key_ok(const char *k)
{
	if (!k || !(*k >= 'a' && *k <= 'z'))
		return false;
	size_t n = 0;
	for (; k[n]; n++)
		if (n >= 48 || !((k[n] >= 'a' && k[n] <= 'z') ||
				 (k[n] >= '0' && k[n] <= '9') || k[n] == '_'))
			return false;
	return true;
}

char *notification_message(const char *key, const json_t *params)
{
	if (!key_ok(key) || (params && !json_is_object(params)))
		return NULL;
	json_t *p = json_object();
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)params, name, v)
	{
		if (!key_ok(name))
			goto bad;
		if (json_is_string(v)) {
			char *clean = notification_clean(json_string_value(v),
							 NOTIFICATION_TITLE_MAX,
							 false);
			json_object_set_new(p, name, json_string(clean));
			free(clean);
		} else if (json_is_integer(v)) {
			json_object_set(p, name, v);
		} else {
			goto bad;
		}
	}
	json_t *m = json_pack("{s:s,s:o}", "key", key, "params", p);
	char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(m);
	return text;
bad:
	json_decref(p);
	return NULL;
}

int notification_add_msg(struct db_conn *c, int64_t org, int64_t staff_id,
			 const char *key, const json_t *params,
			 const char *title, const char *body,
			 const char *link, const char *source,
			 struct atr_err *err)
{
	if (staff_id <= 0)
		return 0;
	char *m = notification_message(key, params);
	int rc = insert(c, org, staff_id, title, body, link, source, m, err);
	free(m);
	return rc < 0 ? -1 : 0;
}

int notification_admins_msg(struct db_conn *c, int64_t org, const char *key,
			    const json_t *params, const char *title,
			    const char *body, const char *link,
			    const char *source, struct atr_err *err)
{
	char *m = notification_message(key, params);
	int rc = insert(c, org, 0, title, body, link, source, m, err);
	free(m);
	return rc;
}

/* ---- GET /api/v1/notifications ------------------------------------------ */

static void opt_str(struct buf *b, struct db_stmt *st, int col)
{
	if (db_col_null(st, col))
		buf_adds(b, "null");
	else
		jout_str(b, db_col_text(st, col));
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	static const char *const keys[] = {"title",	 "body",
					   "link",	 "source",
					   "created_at", "read_at"};
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	for (int i = 0; i < (int)ATR_ARRAY_LEN(keys); i++) {
		jout_key(b, keys[i], false);
		opt_str(b, st, 1 + i);
	}
	/* The message is JSON the server wrote (notification_message). */
	jout_key(b, "message", false);
	if (db_col_null(st, 7))
		buf_adds(b, "null");
	else
		buf_adds(b, db_col_text(st, 7));
	buf_addc(b, '}');
}

/* The caller's own, and nobody else's: (staff_id, id) is the index the
 * page walks newest first. */
static int scope(struct req *r, struct list_query *q, const void *arg)
{
	list_where(q, "staff_id = ?");
	list_int(q, r->who.staff_id);
	return 0;
}

/* ?unread=true: the unread ones (the partial index); false: the read. */
static int param(struct req *r, struct list_query *q, const char *key,
		 const char *op, const char *value, const void *arg)
{
	if (strcmp(key, "unread") != 0)
		return 0;
	if (op || (strcmp(value, "true") && strcmp(value, "false")))
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"unread must be true or false");
	list_where(q, strcmp(value, "true") ? "read_at IS NOT NULL"
					    : "read_at IS NULL");
	return 1;
}

static const struct list_spec spec = {
	.from = "notification",
	.cols = "id, title, body, link, source, created_at, read_at, message",
	.id = "id",
	.org = "org_id",
	.sort_default = "-id",
	.limit_default = 25,
	.limit_max = 100,
	/* A member's own, kept at most a year: small, and read by people. */
	.count_default = true,
	.row = row,
	.scope = scope,
	.param = param,
};

static int notifications_h_list(struct req *r)
{
	return list_run(r, &spec);
}

/* ---- GET /api/v1/notifications/unread ------------------------------------ */

static int notifications_h_unread(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "SELECT COUNT(*) FROM (SELECT 1 FROM notification WHERE "
		   "staff_id = ? AND org_id = ? AND read_at IS NULL LIMIT ?) "
		   "AS unread");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.staff_id);
	db_bind_int(st, 2, r->who.org_id);
	db_bind_int(st, 3, UNREAD_COUNT_MAX);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1)
		return req_db_error(r);
	req_json(r, 200, json_pack("{s:I}", "count", (json_int_t)n));
	return 0;
}

/* ---- marking read ---------------------------------------------------------- */

/* POST /api/v1/notifications/{id}/read: 204; one already read keeps the
 * time it was first read. Another member's id is 404, as an absent one. */
static int notifications_h_read(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (db_begin(c) < 0)
		return req_db_error(r);
	struct db_stmt *st = db_prepare(
		c, "UPDATE notification SET read_at = COALESCE(read_at, ?) "
		   "WHERE id = ? AND staff_id = ? AND org_id = ? RETURNING id");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, r->id);
	db_bind_int(st, 3, r->who.staff_id);
	db_bind_int(st, 4, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"notification %lld not found", (long long)r->id);
	if (db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

/* POST /api/v1/notifications/read_all: 204, whether or not any was
 * unread. */
static int notifications_h_read_all(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (db_begin(c) < 0)
		return req_db_error(r);
	struct db_stmt *st = db_prepare(
		c, "UPDATE notification SET read_at = ? WHERE staff_id = ? AND "
		   "org_id = ? AND read_at IS NULL");
	if (!st)
		return req_db_error(r);
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, r->who.staff_id);
	db_bind_int(st, 3, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || db_commit(c) < 0)
		return req_db_error(r);
	r->status = 204;
	return 0;
}

static const struct route notification_routes[] = {
	{HTTP_GET, "/api/v1/notifications", notifications_h_list,
	 ACCESS_SESSION, NULL, 0, NULL, NULL, NULL, ROUTE_TOKEN_OK},
	{HTTP_GET, "/api/v1/notifications/unread", notifications_h_unread,
	 ACCESS_SESSION, NULL, 0, NULL, NULL, NULL,
	 ROUTE_TOKEN_OK | ROUTE_NO_TOUCH},
	{HTTP_POST, "/api/v1/notifications/read_all",
	 notifications_h_read_all, ACCESS_SESSION, NULL, 0, &schema_empty,
	 NULL, NULL, ROUTE_TOKEN_OK},
	{HTTP_POST, "/api/v1/notifications/{id}/read", notifications_h_read,
	 ACCESS_SESSION, NULL, 0, &schema_empty, NULL, NULL, ROUTE_TOKEN_OK},
	{0},
};

/* Read ones after 90 days, any after a year (each through an index on
 * created_at). */
static const struct housekeeping notification_housekeeping[] = {
	{"DELETE FROM notification WHERE created_at < ? AND read_at IS NOT "
	 "NULL RETURNING id",
	 1, {90 * DAY_MS}, NULL},
	{"DELETE FROM notification WHERE created_at < ? RETURNING id", 1,
	 {365 * DAY_MS}, NULL},
	{0},
};

const struct module module_notifications = {
	.name = "notifications",
	.routes = notification_routes,
	.housekeeping = notification_housekeeping,
};
