/* branding.c — the General tab's branding: the logo for light mode, the
 * logo for dark mode, the favicon, and the width of the logo on PDF
 * documents (spec, Initial setup, Step 1).
 *
 * GET    /api/v1/branding                  the caller's organisation (session)
 * GET    /api/v1/branding/public           the default organisation (public:
 *                                          the sign-in page and its favicon)
 * PUT    /api/v1/settings/branding/{kind}  the image as the raw body, with
 *                                          its Content-Type (settings.edit)
 * DELETE /api/v1/settings/branding/{kind}  back to Atrium's own (settings.edit)
 * GET    /branding/{org}/{kind}?v=SHA      the image itself (public)
 *
 * {kind} is logo_light, logo_dark or favicon. The body of a PUT is the
 * file itself (the API takes no multipart bodies): image/png or
 * image/svg+xml for a logo, image/png or image/x-icon for the favicon, at
 * most BRANDING_MAX_BYTES. It is judged by decoding it (admin/image.h), and
 * what is stored is what the decoder produced. A file that fails is a 422
 * naming the kind as the field. The change and its activity row (entity
 * settings, diff {kind: {from, to}} with the images' descriptions, never
 * their bytes) commit in one transaction.
 *
 * The image URL carries the stored bytes' SHA-256 (v): a new image is a
 * new URL, so the answer for the current v may be cached for a year; any
 * other v (an old email, a hand-typed URL) gets the current image with
 * no-cache and an ETag. SVG is served with a CSP that allows no script,
 * as a second line behind the sanitiser.
 *
 * The width on PDFs is a plain setting (group branding,
 * pdf_logo_width), edited with PATCH /api/v1/settings/branding.
 */
#include "atrium.h"

#include <ctype.h>
#include <sodium.h>
#include <strings.h>

#include "admin/image.h"
#include "core/log.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/http.h"

/* Bytes an upload may have (a 300 px logo is far smaller). */
#define BRANDING_MAX_BYTES (256 * 1024)
/* The organisation of a fresh install: the sign-in page shows its
 * branding, since no other can be told apart before sign-in. */
#define DEFAULT_ORG 1
/* Hex digits of the SHA-256 in the URL and the ETag. */
#define VERSION_HEX 16
#define ETAG_HEX 32

struct kind_def {
	const char *name;
	const char *label; /* for messages */
	bool svg, ico;     /* formats besides PNG */
	struct image_bounds bounds;
};

static const struct kind_def kinds[] = {
	/* The spec: PNG at most 300 px wide. The height bound is ours: it
	 * bounds the decoder's memory, and a header logo is wider than
	 * high. */
	{"logo_light", "logo for light mode", true, false, {1, 300, 1, 600}},
	{"logo_dark", "logo for dark mode", true, false, {1, 300, 1, 600}},
	{"favicon", "favicon", false, true, {32, 32, 32, 32}},
};

static const struct kind_def *kind_find(const char *name)
{
	for (size_t i = 0; name && i < ATR_ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

/* ---- reading -------------------------------------------------------------- */

/* The path of an image with its version: "/branding/1/logo_light?v=...". */
static char *image_url(int64_t org, const char *kind, const char *sha)
{
	return xasprintf("/branding/%lld/%s?v=%.*s", (long long)org, kind,
			 VERSION_HEX, sha);
}

/* {url, content_type, width, height, bytes, sha256, updated_at} of the
 * current row of st (kind, content_type, bytes, width, height, sha256,
 * updated_at); width and height are null for an SVG. */
static json_t *image_json(struct db_stmt *st, int64_t org)
{
	char *url = image_url(org, db_col_text(st, 0), db_col_text(st, 5));
	json_t *o = json_pack(
		"{s:s,s:s,s:I,s:o,s:o,s:s,s:s}", "url", url, "content_type",
		db_col_text(st, 1), "bytes", (json_int_t)db_col_int(st, 2),
		"width",
		db_col_null(st, 3) ? json_null()
				   : json_integer(db_col_int(st, 3)),
		"height",
		db_col_null(st, 4) ? json_null()
				   : json_integer(db_col_int(st, 4)),
		"sha256", db_col_text(st, 5), "updated_at", db_col_text(st, 6));
	free(url);
	return o;
}

#define IMAGE_COLS "kind, content_type, bytes, width, height, sha256, updated_at"

/* The branding body of org: {company_name, pdf_logo_width, logo_light,
 * logo_dark, favicon} (an image null when none is set). NULL on a
 * database error. */
static json_t *branding_json(struct db_conn *c, int64_t org)
{
	char name[256];
	int64_t width = 0;
	if (settings_get(c, org, "company_name", name, sizeof name) < 0 ||
	    settings_get_int(c, org, "pdf_logo_width", &width) < 0)
		return NULL;
	json_t *o = json_pack("{s:s,s:I}", "company_name", name,
			      "pdf_logo_width", (json_int_t)width);
	for (size_t i = 0; i < ATR_ARRAY_LEN(kinds); i++)
		json_object_set_new(o, kinds[i].name, json_null());
	struct db_stmt *st = db_prepare(
		c, "SELECT " IMAGE_COLS " FROM branding_image WHERE org_id = ?");
	if (!st) {
		json_decref(o);
		return NULL;
	}
	db_bind_int(st, 1, org);
	int rc;
	while ((rc = db_step(st)) == 1)
		if (kind_find(db_col_text(st, 0)))
			json_object_set_new(o, db_col_text(st, 0),
					    image_json(st, org));
	db_reset(st);
	if (rc < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int answer_branding(struct req *r, int64_t org)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *o = branding_json(c, org);
	if (!o)
		return req_db_error(r);
	req_json(r, 200, o);
	return 0;
}

static int branding_h_get(struct req *r)
{
	return answer_branding(r, r->who.org_id);
}

static int branding_h_public(struct req *r)
{
	return answer_branding(r, DEFAULT_ORG);
}

/* ---- serving the image ---------------------------------------------------- */

/* Whether If-None-Match names etag (a list, or *). */
static bool etag_matches(const char *inm, const char *etag)
{
	if (!inm)
		return false;
	if (strcmp(inm, "*") == 0)
		return true;
	size_t n = strlen(etag);
	for (const char *p = inm; (p = strstr(p, etag)); p += n) {
		char after = p[n];
		if (after == 0 || after == ',' || after == ' ')
			return true;
	}
	return false;
}

static int branding_h_image(struct req *r)
{
	const struct kind_def *k = kind_find(r->param);
	if (!k)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "not found");
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "SELECT content_type, sha256, data FROM branding_image "
		   "WHERE org_id = ? AND kind = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_text(st, 2, k->name);
	int rc = db_step(st);
	if (rc < 0) {
		db_reset(st);
		return req_db_error(r);
	}
	if (rc == 0) {
		db_reset(st);
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "no %s is set",
				k->label);
	}
	const char *sha = db_col_text(st, 1);
	bool svg = strcmp(db_col_text(st, 0), "image/svg+xml") == 0;
	const char *etag = arena_printf(r->arena, "\"%.*s\"", ETAG_HEX, sha);
	const char *v = req_query(r, "v");
	bool current = v && strlen(v) == VERSION_HEX &&
		       strncmp(v, sha, VERSION_HEX) == 0;
	r->ctype = svg ? "image/svg+xml" : "image/png";
	if (etag_matches(req_header(r, "If-None-Match"), etag)) {
		r->status = 304;
		r->raw = "";
		r->raw_len = 0;
	} else {
		size_t n = 0;
		const void *p = db_col_blob(st, 2, &n);
		r->raw_owned = xmalloc(n ? n : 1);
		if (n)
			memcpy(r->raw_owned, p, n);
		r->raw_len = n;
		r->status = 200;
	}
	db_reset(st);
	req_add_header(r, "ETag", etag);
	/* The URL names this version: cache it for a year. Another v
	 * (an old email, an old page) gets the current image, checked
	 * again each time. */
	req_add_header(r, "Cache-Control",
		       current ? "public, max-age=31536000, immutable"
			       : "no-cache");
	/* No script, no loads: an SVG opened on its own renders and does
	 * nothing else. */
	req_add_header(r, "Content-Security-Policy",
		       "default-src 'none'; style-src 'unsafe-inline'; "
		       "img-src data:; frame-ancestors 'none'; sandbox");
	/* Public by nature (the sign-in page shows it): other origins,
	 * such as a webmail showing an email, may embed it. */
	req_add_header(r, "Cross-Origin-Resource-Policy", "cross-origin");
	return 0;
}

/* ---- changing ------------------------------------------------------------- */

/* The format the file's Content-Type names: 'p'ng, 's'vg, 'i'co, or 0. */
static char body_format(struct req *r)
{
	const char *ct = r->raw_body_type; /* the request's, or a form's file */
	if (!ct)
		return 0;
	size_t n = strcspn(ct, ";");
	while (n && isspace((unsigned char)ct[n - 1]))
		n--;
	static const struct {
		const char *type;
		char f;
	} t[] = {{"image/png", 'p'},
		 {"image/svg+xml", 's'},
		 {"image/x-icon", 'i'},
		 {"image/vnd.microsoft.icon", 'i'}};
	for (size_t i = 0; i < ATR_ARRAY_LEN(t); i++)
		if (strlen(t[i].type) == n && strncasecmp(ct, t[i].type, n) == 0)
			return t[i].f;
	return 0;
}

/* Decodes the body as format f for kind k into img. 0, or -1 with a 422
 * on the field k->name (or a 415) in r->err. */
static int judge_upload(struct req *r, const struct kind_def *k, char f,
			struct image *img)
{
	char why[192] = "";
	if (!f)
		return atr_fail(&r->err, ATR_E_MEDIA_TYPE,
				"send the image as the body with Content-Type "
				"image/png, %s",
				k->svg ? "or image/svg+xml"
				       : "or image/x-icon (ICO)");
	if ((f == 's' && !k->svg) || (f == 'i' && !k->ico)) {
		atr_field(&r->err, k->name, "not_allowed",
			  "the %s must be %s", k->label,
			  k->svg ? "a PNG or an SVG image"
				 : "a 32×32 PNG or ICO image");
		return -1;
	}
	if (r->raw_body_len == 0) {
		atr_field(&r->err, k->name, "required",
			  "the body is empty: send the image file");
		return -1;
	}
	if (r->raw_body_len > BRANDING_MAX_BYTES) {
		atr_field(&r->err, k->name, "too_large",
			  "the file is %zu bytes; at most %d (256 KiB) are "
			  "allowed",
			  r->raw_body_len, BRANDING_MAX_BYTES);
		return -1;
	}
	int rc;
	if (f == 'p')
		rc = image_png_check(r->raw_body, r->raw_body_len, &k->bounds,
				     img, why, sizeof why);
	else if (f == 'i')
		rc = image_ico_check(r->raw_body, r->raw_body_len, &k->bounds,
				     img, why, sizeof why);
	else
		rc = image_svg_clean(r->raw_body, r->raw_body_len,
				     BRANDING_MAX_BYTES, img, why, sizeof why);
	if (rc < 0) {
		atr_field(&r->err, k->name, "invalid", "%s", why);
		return -1;
	}
	return 0;
}

/* The description of org's image of kind k for the activity diff, in
 * *out (json null when none). 0 or -1. */
static int load_described(struct db_conn *c, int64_t org,
			  const struct kind_def *k, json_t **out)
{
	*out = NULL;
	struct db_stmt *st = db_prepare(
		c, "SELECT " IMAGE_COLS " FROM branding_image "
		   "WHERE org_id = ? AND kind = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, k->name);
	int rc = db_step(st);
	if (rc == 1) {
		json_t *o = image_json(st, org);
		json_object_del(o, "url");
		json_object_del(o, "updated_at");
		*out = o;
	}
	db_reset(st);
	if (rc < 0)
		return -1;
	if (!*out)
		*out = json_null();
	return 0;
}

static int branding_h_put(struct req *r)
{
	const struct kind_def *k = kind_find(r->param);
	if (!k)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"no branding image '%s'", r->param);
	struct image img = {0};
	if (judge_upload(r, k, body_format(r), &img) < 0)
		return -1;
	unsigned char h[crypto_hash_sha256_BYTES];
	char sha[2 * crypto_hash_sha256_BYTES + 1];
	crypto_hash_sha256(h, img.data, img.len);
	sodium_bin2hex(sha, sizeof sha, h, sizeof h);

	int64_t org = r->who.org_id;
	int rc = -1;
	json_t *old = NULL, *diff = NULL;
	struct db_conn *c = req_db(r);
	if (!c)
		goto out;
	if (db_begin(c) < 0 || load_described(c, org, k, &old) < 0) {
		req_db_error(r);
		goto out;
	}
	const char *old_sha = json_string_value(json_object_get(old, "sha256"));
	if (old_sha && strcmp(old_sha, sha) == 0) {
		db_rollback(c); /* the same image again: nothing changes */
	} else {
		char now[ATR_TIME_LEN];
		atr_now_iso(now);
		struct db_stmt *st = db_prepare(
			c,
			"INSERT INTO branding_image (org_id, kind, "
			"content_type, data, bytes, width, height, sha256, "
			"updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
			"ON CONFLICT (org_id, kind) DO UPDATE SET "
			"content_type = excluded.content_type, "
			"data = excluded.data, bytes = excluded.bytes, "
			"width = excluded.width, height = excluded.height, "
			"sha256 = excluded.sha256, "
			"updated_at = excluded.updated_at");
		if (!st) {
			req_db_error(r);
			goto out;
		}
		bool raster = img.format == IMAGE_PNG;
		db_bind_int(st, 1, org);
		db_bind_text(st, 2, k->name);
		db_bind_text(st, 3, image_content_type(img.format));
		db_bind_blob(st, 4, img.data, img.len);
		db_bind_int(st, 5, (int64_t)img.len);
		db_bind_opt_int(st, 6, raster, img.width);
		db_bind_opt_int(st, 7, raster, img.height);
		db_bind_text(st, 8, sha);
		db_bind_text(st, 9, now);
		int w = db_step(st);
		db_reset(st);
		if (w < 0) {
			req_db_error(r);
			goto out;
		}
		json_t *to = json_pack(
			"{s:s,s:I,s:o,s:o,s:s}", "content_type",
			image_content_type(img.format), "bytes",
			(json_int_t)img.len, "width",
			raster ? json_integer(img.width) : json_null(),
			"height", raster ? json_integer(img.height) : json_null(),
			"sha256", sha);
		diff = json_pack("{s:{s:O,s:o}}", k->name, "from", old, "to",
				 to);
		if (activity_from_req(r, "update", "settings", 0, diff) < 0)
			goto out;
		if (db_commit(c) < 0) {
			req_db_error(r);
			goto out;
		}
	}
	rc = answer_branding(r, org);
out:
	json_decref(old);
	json_decref(diff);
	image_free(&img);
	return rc;
}

static int branding_h_delete(struct req *r)
{
	const struct kind_def *k = kind_find(r->param);
	if (!k)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"no branding image '%s'", r->param);
	int64_t org = r->who.org_id;
	json_t *old = NULL, *diff = NULL;
	int rc = -1;
	struct db_conn *c = req_db(r);
	if (!c)
		goto out;
	if (db_begin(c) < 0 || load_described(c, org, k, &old) < 0) {
		req_db_error(r);
		goto out;
	}
	if (json_is_null(old)) {
		db_rollback(c);
		atr_fail(&r->err, ATR_E_NOT_FOUND, "no %s is set", k->label);
		goto out;
	}
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM branding_image WHERE org_id = ? AND kind = ?");
	if (!st) {
		req_db_error(r);
		goto out;
	}
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, k->name);
	int w = db_step(st);
	db_reset(st);
	if (w < 0) {
		req_db_error(r);
		goto out;
	}
	diff = json_pack("{s:{s:O,s:n}}", k->name, "from", old, "to");
	if (activity_from_req(r, "update", "settings", 0, diff) < 0)
		goto out;
	if (db_commit(c) < 0) {
		req_db_error(r);
		goto out;
	}
	r->status = 204;
	r->raw = "";
	r->raw_len = 0;
	rc = 0;
out:
	json_decref(old);
	json_decref(diff);
	return rc;
}

/* ---- the module ------------------------------------------------------------ */

static const struct setting_def branding_settings[] = {
	/* CSS pixels (96 per inch) on the page; the spec's "PDF logo
	 * width". */
	{"branding", "pdf_logo_width", SET_INT, "150", 20, 600, NULL, 0},
	{0},
};

static const struct route branding_routes[] = {
	{HTTP_GET, "/api/v1/branding", branding_h_get, ACCESS_SESSION, NULL,
	 0, NULL, NULL, NULL, ROUTE_TOKEN_OK},
	{HTTP_GET, "/api/v1/branding/public", branding_h_public,
	 ACCESS_PUBLIC, NULL, 0, NULL, NULL},
	{HTTP_PUT, "/api/v1/settings/branding/{kind}", branding_h_put,
	 ACCESS_PERM, "settings", CAP_EDIT, NULL, NULL, NULL, ROUTE_RAW_BODY,
	 /* judged at BRANDING_MAX_BYTES with a 422 naming the image; a
	  * body past this is not read (413) */
	 .max_body = 4 * BRANDING_MAX_BYTES},
	{HTTP_DELETE, "/api/v1/settings/branding/{kind}", branding_h_delete,
	 ACCESS_PERM, "settings", CAP_EDIT, NULL, NULL},
	{HTTP_GET, "/branding/{id}/{kind}", branding_h_image, ACCESS_PUBLIC,
	 NULL, 0, NULL, NULL},
	{0},
};

/* Says once, at start, when BMP-based ICO favicons cannot be read, rather
 * than only to the administrator whose upload is refused. */
static int branding_start(struct app *app, struct atr_err *err)
{
	if (!image_ico_bmp_supported())
		atr_log("branding: gdk-pixbuf's ico loader is not installed "
			"(package libgdk-pixbuf-2.0-0): BMP-based ICO favicons "
			"are refused; PNG favicons work");
	return 0;
}

const struct module module_branding = {
	.name = "branding",
	.routes = branding_routes,
	.settings = branding_settings,
	.start = branding_start,
};
