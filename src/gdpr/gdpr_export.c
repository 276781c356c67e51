/* gdpr_export.c — access and portability: every record holding the
 * subject's data (gdpr_find.c) as JSON and CSV in one zip.
 *
 * POST /api/v1/gdpr/{id}/export   queues the job (export_status queued),
 *                                 202 {"job_id", "export_status"}
 * GET  /api/v1/gdpr/{id}/export   the zip (administrators only), streamed
 *                                 from a temporary file, logged
 *
 * The job (kind gdpr_export) reads the sections, writes the zip with
 * libzip into a temporary file, stores it in gdpr_export (one per
 * request, replaced by a new export) and marks the request ready, with an
 * activity row, in one transaction; a failure marks it failed. The zip
 * holds all.json (every section), <section>.json and <section>.csv for
 * each section, and README.txt saying what each is.
 */
#include "atrium.h"

#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "db/db.h"
#include "gdpr/gdpr_int.h"
#include "http/http.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

static const char *tmp_dir(void)
{
	const char *d = getenv("TMPDIR");
	return d && *d ? d : "/tmp";
}

/* ---- CSV ------------------------------------------------------------------- */

/* One CSV field (RFC 4180), a leading = + - @ neutralised with a '. */
static void csv_cell(struct buf *out, const char *s)
{
	size_t n = strlen(s);
	bool quote = false;
	for (size_t i = 0; i < n && !quote; i++)
		quote = strchr(",\";\r\n", s[i]) != NULL;
	if (quote)
		buf_addc(out, '"');
	if (n && strchr("=+-@\t\r", s[0]))
		buf_addc(out, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_addc(out, '"');
		buf_addc(out, s[i]);
	}
	if (quote)
		buf_addc(out, '"');
}

/* The rows of a section as CSV: the header is the union of their keys, in
 * the order first seen. */
static void csv_of(const json_t *rows, struct buf *out)
{
	json_t *cols = json_object();
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)row, k, v)
			json_object_set_new(cols, k, json_true());
	}
	const char *k;
	json_t *v;
	bool first = true;
	json_object_foreach(cols, k, v) {
		if (!first)
			buf_addc(out, ',');
		first = false;
		csv_cell(out, k);
	}
	buf_adds(out, "\r\n");
	json_array_foreach(rows, i, row) {
		first = true;
		json_object_foreach(cols, k, v) {
			if (!first)
				buf_addc(out, ',');
			first = false;
			const json_t *c = json_object_get(row, k);
			if (json_is_string(c)) {
				csv_cell(out, json_string_value(c));
			} else if (c && !json_is_null(c)) {
				char *t = json_dumps(c, JSON_ENCODE_ANY);
				if (t)
					csv_cell(out, t);
				free(t);
			}
		}
		buf_adds(out, "\r\n");
	}
	json_decref(cols);
}

/* ---- the zip ----------------------------------------------------------------- */

static const char readme[] =
	"Personal data export (GDPR access / portability request)\r\n"
	"\r\n"
	"all.json          every section below in one JSON object\r\n"
	"<section>.json    one section: an array of records\r\n"
	"<section>.csv     the same as CSV (RFC 4180, UTF-8)\r\n"
	"\r\n"
	"Sections: leads and contacts with the subject's email, the clients\r\n"
	"those contacts belong to, their tickets and every reply, tasks\r\n"
	"linked to the leads and contacts, activity entries about these\r\n"
	"records (and, for a staff member, the entries they made), emails\r\n"
	"sent to the address, and for a staff member their account and\r\n"
	"notifications.\r\n";

/* Adds name with a copy of n bytes of data (libzip frees the copy). */
static int zip_add_copy(zip_t *z, const char *name, const void *data,
			size_t n)
{
	void *copy = malloc(n ? n : 1);
	if (!copy)
		return -1;
	memcpy(copy, data, n);
	zip_source_t *s = zip_source_buffer(z, copy, n, 1);
	if (!s) {
		free(copy);
		return -1;
	}
	if (zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(s);
		return -1;
	}
	return 0;
}

/* Writes the zip of data to path. 0 or -1 (err). */
static int write_zip(const char *path, const json_t *data,
		     struct atr_err *err)
{
	int zerr = 0;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	if (!z)
		return atr_fail(err, ATR_E_INTERNAL, "zip_open failed (%d)",
				zerr);
	int rc = zip_add_copy(z, "README.txt", readme, sizeof readme - 1);
	char *all = json_dumps(data, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (rc == 0)
		rc = all ? zip_add_copy(z, "all.json", all, strlen(all)) : -1;
	free(all);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)data, k, v) {
		if (rc < 0 || !json_is_array(v))
			continue;
		char name[80];
		char *js = json_dumps(v, JSON_INDENT(2));
		snprintf(name, sizeof name, "%s.json", k);
		rc = js ? zip_add_copy(z, name, js, strlen(js)) : -1;
		free(js);
		if (rc < 0)
			break;
		struct buf csv = {0};
		csv_of(v, &csv);
		snprintf(name, sizeof name, "%s.csv", k);
		rc = zip_add_copy(z, name, csv.p ? csv.p : "", csv.len);
		buf_free(&csv);
	}
	if (rc < 0) {
		atr_fail(err, ATR_E_INTERNAL, "zip: %s", zip_strerror(z));
		zip_discard(z);
		return -1;
	}
	if (zip_close(z) < 0) {
		atr_fail(err, ATR_E_INTERNAL, "zip_close: %s", zip_strerror(z));
		zip_discard(z);
		return -1;
	}
	return 0;
}

/* Reads the whole file at path (at most GDPR_EXPORT_MAX). */
static char *slurp(const char *path, size_t *n, struct atr_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		atr_fail(err, ATR_E_INTERNAL, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	char *p = NULL;
	if (fstat(fileno(f), &st) < 0 || st.st_size > GDPR_EXPORT_MAX) {
		atr_fail(err, ATR_E_INTERNAL,
			 "the export is larger than %d MB",
			 GDPR_EXPORT_MAX / (1024 * 1024));
	} else {
		p = malloc((size_t)st.st_size + 1);
		if (p && fread(p, 1, (size_t)st.st_size, f) !=
				 (size_t)st.st_size) {
			free(p);
			p = NULL;
		}
		if (!p)
			atr_fail(err, ATR_E_INTERNAL, "reading %s failed",
				 path);
		*n = (size_t)st.st_size;
	}
	fclose(f);
	return p;
}

/* ---- the job ------------------------------------------------------------------ */

/* Marks request id's export `status` (and stores the zip when data),
 * with its activity row, in one transaction. */
static int finish(struct db_conn *c, int64_t org, int64_t id,
		  const char *status, const char *data, size_t n,
		  const char *why)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (db_begin(c) < 0)
		return -1;
	int rc = 0;
	struct db_stmt *st;
	if (data) {
		st = db_prepare(c, "DELETE FROM gdpr_export WHERE request_id = ?");
		rc = st ? 0 : -1;
		if (st) {
			db_bind_int(st, 1, id);
			rc = db_step(st) < 0 ? -1 : 0;
			db_reset(st);
		}
		st = rc ? NULL
			: db_prepare(c, "INSERT INTO gdpr_export (request_id, "
					"org_id, data, bytes, created_at) "
					"VALUES (?, ?, ?, ?, ?)");
		if (st) {
			db_bind_int(st, 1, id);
			db_bind_int(st, 2, org);
			db_bind_blob(st, 3, data, n);
			db_bind_int(st, 4, (int64_t)n);
			db_bind_text(st, 5, now);
			rc = db_step(st) < 0 ? -1 : 0;
			db_reset(st);
		} else {
			rc = -1;
		}
	}
	st = rc ? NULL
		: db_prepare(c, "UPDATE gdpr_request SET export_status = ?, "
				"export_at = ?, updated_at = ?, version = "
				"version + 1 WHERE id = ? AND org_id = ?");
	if (st) {
		db_bind_text(st, 1, status);
		db_bind_text(st, 2, data ? now : NULL);
		db_bind_text(st, 3, now);
		db_bind_int(st, 4, id);
		db_bind_int(st, 5, org);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	} else {
		rc = -1;
	}
	json_t *diff = json_pack("{s:{s:s}}", "export_status", "to", status);
	if (why)
		json_object_set_new(diff, "error", json_string(why));
	if (data)
		json_object_set_new(diff, "bytes", json_integer((json_int_t)n));
	struct activity a = {.org_id = org,
			     .actor_name = "system",
			     .action = data ? "export_ready" : "export_failed",
			     .entity = "gdpr_request",
			     .entity_id = id,
			     .diff = diff,
			     .request_id = ""};
	if (rc == 0)
		rc = activity_record(c, &a);
	json_decref(diff);
	if (rc < 0 || db_commit(c) < 0) {
		db_rollback(c);
		return -1;
	}
	return 0;
}

int gdpr_export_job(struct job_ctx *j, struct atr_err *err)
{
	int64_t id = json_integer_value(json_object_get(j->payload,
							"request_id"));
	struct db_conn *c = db_acquire(j->app->db, err);
	if (!c)
		return JOB_FAILED;
	char *email = NULL;
	struct db_stmt *st = db_prepare(
		c, "SELECT subject_email FROM gdpr_request WHERE id = ? AND "
		   "org_id = ?");
	int rc = -1;
	if (st) {
		db_bind_int(st, 1, id);
		db_bind_int(st, 2, j->org_id);
		rc = db_step(st);
		if (rc == 1)
			email = strdup(db_col_text(st, 0));
		db_reset(st);
	}
	if (rc <= 0) {
		db_release(c);
		if (rc == 0)
			return JOB_OK; /* the request went: nothing to make */
		atr_fail(err, ATR_E_INTERNAL, "reading the request failed");
		return JOB_FAILED;
	}
	json_t *data = gdpr_find(c, j->org_id, email);
	free(email);
	if (!data) {
		atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		db_release(c);
		return JOB_FAILED;
	}
	char path[512];
	snprintf(path, sizeof path, "%s/atrium-gdpr-%lld-%lld.zip", tmp_dir(),
		 (long long)getpid(), (long long)j->id);
	size_t n = 0;
	char *zipped = NULL;
	if (write_zip(path, data, err) == 0)
		zipped = slurp(path, &n, err);
	unlink(path);
	json_decref(data);
	int out = JOB_OK;
	if (!zipped) {
		/* The last attempt records why; earlier ones retry. */
		if (finish(c, j->org_id, id, "failed", NULL, 0, err->msg) < 0)
			atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		out = JOB_FAILED;
	} else if (finish(c, j->org_id, id, "ready", zipped, n, NULL) < 0) {
		atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		out = JOB_FAILED;
	}
	free(zipped);
	db_release(c);
	return out;
}

/* ---- the routes -------------------------------------------------------------- */

/* The request's subject email and export status: 1, 0 absent, -1. */
static int load(struct req *r, char *status, size_t len)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT coalesce(export_status, '') FROM gdpr_request "
		       "WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1)
		atr_strlcpy(status, db_col_text(st, 0), len);
	db_reset(st);
	return rc;
}

int gdpr_h_export(struct req *r)
{
	if (!req_db(r))
		return -1;
	char status[16];
	int rc = load(r, status, sizeof status);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"GDPR request %lld not found", (long long)r->id);
	if (!strcmp(status, "queued"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"an export of this request is already queued");
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	json_t *payload = json_pack("{s:I}", "request_id", (json_int_t)r->id);
	json_t *diff = json_pack("{s:{s:s}}", "export_status", "to", "queued");
	int64_t job = 0;
	struct db_stmt *st = NULL;
	rc = db_begin(r->db);
	if (rc == 0 && (st = db_prepare(r->db,
					"UPDATE gdpr_request SET export_status "
					"= 'queued', updated_at = ?, version = "
					"version + 1 WHERE id = ? AND org_id = "
					"?")) != NULL) {
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, r->id);
		db_bind_int(st, 3, r->who.org_id);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	} else {
		rc = -1;
	}
	if (rc == 0)
		rc = job_enqueue(r->db,
				 &(struct job_new){.kind = "gdpr_export",
						   .org_id = r->who.org_id,
						   .payload = payload},
				 &job, &r->err);
	if (rc == 0)
		rc = activity_from_req(r, "export", "gdpr_request", r->id, diff);
	json_decref(payload);
	json_decref(diff);
	if (rc < 0 || db_commit(r->db) < 0) {
		db_rollback(r->db);
		return r->err.kind != ATR_E_NONE ? -1 : req_db_error(r);
	}
	jobs_wake();
	req_json(r, 202, json_pack("{s:I,s:s}", "job_id", (json_int_t)job,
				   "export_status", "queued"));
	return 0;
}

int gdpr_h_download(struct req *r)
{
	if (!req_db(r))
		return -1;
	struct db_stmt *st = db_prepare(
		r->db, "SELECT data FROM gdpr_export WHERE request_id = ? AND "
		       "org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	FILE *f = NULL;
	size_t n = 0;
	/* Whether it exists is no secret to whoever may view the request;
	 * its contents are an administrator's alone. */
	if (rc == 1 && !r->who.admin) {
		db_reset(st);
		return atr_fail(&r->err, ATR_E_FORBIDDEN,
				"only an administrator downloads a personal "
				"data export");
	}
	if (rc == 1) {
		const void *p = db_col_blob(st, 0, &n);
		f = tmpfile();
		if (f && (n && fwrite(p, 1, n, f) != n)) {
			fclose(f);
			f = NULL;
		}
	}
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"GDPR request %lld has no export ready",
				(long long)r->id);
	if (!f || fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
		if (f)
			fclose(f);
		return atr_fail(&r->err, ATR_E_INTERNAL,
				"writing the download failed");
	}
	json_t *diff = json_pack("{s:I}", "bytes", (json_int_t)n);
	rc = db_begin(r->db);
	if (rc == 0)
		rc = activity_from_req(r, "export_download", "gdpr_request",
				       r->id, diff);
	json_decref(diff);
	if (rc < 0 || db_commit(r->db) < 0) {
		db_rollback(r->db);
		fclose(f);
		return r->err.kind != ATR_E_NONE ? -1 : req_db_error(r);
	}
	r->status = 200;
	r->raw_file = f;
	r->raw_file_len = n;
	r->ctype = "application/zip";
	char name[64];
	snprintf(name, sizeof name, "gdpr-request-%lld.zip", (long long)r->id);
	req_add_header(r, "Content-Disposition", req_attachment(r, name));
	return 0;
}
