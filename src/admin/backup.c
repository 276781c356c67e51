/* backup.c — the backups module: the Backups screen's routes, the job
 * that makes a backup, the scheduled backups.
 *
 * GET   /api/v1/backups                 the runs, newest first (list engine)
 *                                       and the last good backup
 * POST  /api/v1/backups                 {kind: manual | pre_import}: start
 *                                       one now, as a job (Idempotency-Key)
 * GET   /api/v1/backups/{id}            one run
 * GET   /api/v1/backups/{id}/download   the file, streamed (logged)
 * GET   /api/v1/backup_schedule         the schedule
 * PATCH /api/v1/backup_schedule         {enabled, interval_hours,
 *                                       directory, keep} (If-Match)
 *
 * Administrators only: the permission module "backups" has no capability
 * a role could grant (its row in the matrix is empty), so the kernel's
 * deny by default leaves its routes to admin = 1. A backup holds every
 * organisation's data, so its routes are the installation's
 * (ROUTE_OPERATOR_ORG): the pipeline serves the administrators of the
 * operator organisation only, and answers 403 to a business's.
 *
 * The engine is backup_engine.c, runs and retention backup_run.c; the
 * design is docs/internals/backup.md.
 */
#include "atrium.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/backup_int.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/health_report.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/perm.h"
#include "http/write.h"
#include "jobs/jobs.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200
#define HOUR_MS (3600LL * 1000)

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

#define RUN_COLS                                                               \
	"id, kind, status, via, requested_by, file, bytes, sha256, "           \
	"schema_version, node, error, created_at, started_at, finished_at, "   \
	"removed_at, job_id"

/* A run as JSON from a row of RUN_COLS. */
static json_t *run_json(struct db_stmt *st)
{
	char node[256];
	bk_node(node);
	const char *status = db_col_text(st, 2), *via = db_col_text(st, 3);
	const char *file = db_col_text(st, 5), *on = db_col_text(st, 9);
	bool removed = !db_col_null(st, 14);
	json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s}", "id",
			      (json_int_t)db_col_int(st, 0), "version", 1,
			      "kind", db_col_text(st, 1), "status", status,
			      "via", via);
	json_object_set_new(o, "requested_by",
			    db_col_null(st, 4)
				    ? json_null()
				    : json_integer(db_col_int(st, 4)));
	json_object_set_new(o, "file", text_or_null(file));
	const char *base = file ? strrchr(file, '/') : NULL;
	json_object_set_new(o, "file_name",
			    text_or_null(base ? base + 1 : file));
	json_object_set_new(o, "bytes", db_col_null(st, 6)
						? json_null()
						: json_integer(db_col_int(st, 6)));
	static const char *const texts[] = {
		"sha256",     "schema_version", "node",       "error",
		"created_at", "started_at",     "finished_at", "removed_at"};
	for (int k = 0; k < 8; k++)
		json_object_set_new(o, texts[k],
				    text_or_null(db_col_text(st, 7 + k)));
	json_object_set_new(o, "job_id",
			    db_col_null(st, 15)
				    ? json_null()
				    : json_integer(db_col_int(st, 15)));
	json_object_set_new(
		o, "downloadable",
		json_boolean(!strcmp(status, "done") &&
			     !strcmp(via, "server") && !removed && on &&
			     !strcmp(on, node)));
	return o;
}

/* Run id: 1 (*out set), 0 none, -1 error. */
static int run_load_c(struct db_conn *c, int64_t id, json_t **out)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT " RUN_COLS " FROM backup_run WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	int rc = db_step(st);
	if (rc == 1)
		*out = run_json(st);
	db_reset(st);
	return rc;
}

/* The last good backup as {finished_at, age_seconds}, or null. */
static json_t *last_good_json(struct db_conn *c)
{
	char at[ATR_TIME_LEN];
	int64_t age = 0;
	int rc = backup_last_good(c, at, &age);
	if (rc != 1)
		return json_null();
	return json_pack("{s:s,s:I}", "finished_at", at, "age_seconds",
			 (json_int_t)age);
}

/* ---- the list ------------------------------------------------------------- */

static void run_row_write(struct buf *b, struct db_stmt *st, const void *arg)
{
	json_t *o = run_json(st);
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

/* ,"last_good":{...}|null,"node":"this node" */
static int run_extra(struct req *r, struct buf *out, const void *arg)
{
	json_t *g = last_good_json(r->db);
	char *t = json_dumps(g, JSON_COMPACT | JSON_ENCODE_ANY);
	char node[256];
	bk_node(node);
	json_t *n = json_string(node);
	char *nt = json_dumps(n, JSON_ENCODE_ANY);
	buf_printf(out, ",\"last_good\":%s,\"node\":%s", t, nt);
	free(t);
	free(nt);
	json_decref(g);
	json_decref(n);
	return 0;
}

static const char *const run_kinds[] = {"manual", "scheduled", "pre_import",
					NULL};
static const char *const run_statuses[] = {"queued", "running", "done",
					   "failed", NULL};
static const char *const run_vias[] = {"server", "cli", NULL};
static const struct field f_kind = {.name = "kind", .type = FT_ENUM,
				    .choices = run_kinds};
static const struct field f_status = {.name = "status", .type = FT_ENUM,
				      .choices = run_statuses};
static const struct field f_via = {.name = "via", .type = FT_ENUM,
				   .choices = run_vias};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};
static const struct field f_finished = {.name = "finished_at",
					.type = FT_DATETIME};

static const struct list_col run_columns[] = {
	{&f_kind, NULL, LIST_FILTER},
	{&f_status, NULL, LIST_FILTER},
	{&f_via, NULL, LIST_FILTER},
	{&f_created, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_finished, NULL, LIST_FILTER | LIST_SORT},
};

static const struct list_spec run_spec = {
	.from = "backup_run",
	.cols = RUN_COLS,
	.id = "id",
	.org = NULL, /* the instance's: a backup holds every organisation */
	.columns = run_columns,
	.ncolumns = (int)ATR_ARRAY_LEN(run_columns),
	.sort_default = "-id",
	.limit_default = LIST_DEFAULT,
	.limit_max = LIST_MAX,
	.count_default = true,
	.row = run_row_write,
	.extra = run_extra,
};

static int backups_h_list(struct req *r)
{
	return list_run(r, &run_spec);
}

static int backups_h_get(struct req *r)
{
	json_t *o = NULL;
	int rc = run_load_c(r->db, r->id, &o);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "no backup %lld",
				(long long)r->id);
	req_json(r, 200, o);
	return 0;
}

/* ---- starting one (POST) -------------------------------------------------- */

static const char *const post_kinds[] = {"manual", "pre_import", NULL};
static const struct field post_fields[] = {
	{"kind", FT_ENUM, 0, 0, post_kinds},
};
static const struct schema post_schema = SCHEMA(post_fields);

static int run_load(struct req *r, const struct write_op *op, json_t **rec)
{
	return run_load_c(r->db, r->id, rec);
}

/* A run of the server waiting or running: its id, 0 none, -1 error. */
static int64_t busy_run(struct db_conn *c)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id FROM backup_run WHERE via = 'server' AND status "
		   "IN ('queued', 'running') ORDER BY id LIMIT 1");
	if (!st)
		return -1;
	int rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : id;
}

/* Queues a server run of kind with its job, in c's open transaction. */
static int queue_run(struct db_conn *c, int64_t org, const char *kind,
		     int64_t staff, const char *created_at, int64_t *id,
		     struct atr_err *err)
{
	struct bk_new_run n = {.org = org,
			       .kind = kind,
			       .via = "server",
			       .staff = staff,
			       .created_at = created_at};
	if (bk_run_insert(c, &n, id) < 0)
		return -1;
	json_t *p = json_pack("{s:I}", "run", (json_int_t)*id);
	int64_t job = 0;
	int rc = job_enqueue(c,
			     &(struct job_new){.kind = "backup",
					       .org_id = org,
					       .payload = p},
			     &job, err);
	json_decref(p);
	if (rc < 0 || bk_run_job(c, *id, job) < 0)
		return -1;
	return 0;
}

static int create_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	int64_t busy = busy_run(r->db);
	if (busy < 0)
		return -1;
	if (busy > 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"backup %lld is already queued or running: "
				"wait for it to finish",
				(long long)busy);
	const char *kind = json_string_value(json_object_get(r->body, "kind"));
	int64_t id = 0;
	if (queue_run(r->db, r->who.org_id, kind ? kind : "manual",
		      r->who.staff_id, NULL, &id, &r->err) < 0)
		return -1;
	return run_load_c(r->db, id, after) == 1 ? 1 : -1;
}

static int backups_h_create(struct req *r)
{
	struct write_op op = {WRITE_CREATE, "backup", "/api/v1/backups", false,
			      false, run_load, create_apply, NULL};
	int rc = write_run(r, &op);
	if (rc == 0)
		jobs_wake(); /* committed: the runner looks now */
	return rc;
}

/* ---- download --------------------------------------------------------------- */

static int backups_h_download(struct req *r)
{
	struct db_conn *c = r->db;
	struct db_stmt *st = db_prepare(
		c, "SELECT status, via, file, bytes, node, removed_at FROM "
		   "backup_run WHERE id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	int rc = db_step(st);
	char status[16] = "", via[8] = "", file[4096] = "", on[256] = "";
	int64_t bytes = 0;
	bool removed = false;
	if (rc == 1) {
		atr_strlcpy(status, db_col_text(st, 0), sizeof status);
		atr_strlcpy(via, db_col_text(st, 1), sizeof via);
		if (db_col_text(st, 2))
			atr_strlcpy(file, db_col_text(st, 2), sizeof file);
		bytes = db_col_int(st, 3);
		if (db_col_text(st, 4))
			atr_strlcpy(on, db_col_text(st, 4), sizeof on);
		removed = !db_col_null(st, 5);
	}
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "no backup %lld",
				(long long)r->id);
	char node[256];
	bk_node(node);
	if (strcmp(status, "done") != 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"backup %lld is %s: only a finished backup is "
				"downloaded",
				(long long)r->id, status);
	if (strcmp(via, "server") != 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"backup %lld was made by atrium backup on the "
				"command line: its file is the operator's",
				(long long)r->id);
	if (removed)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"backup %lld's file was removed (retention)",
				(long long)r->id);
	if (strcmp(on, node) != 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"backup %lld's file is on node %s: download it "
				"from there",
				(long long)r->id, on);
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size != bytes) {
		if (fd >= 0)
			close(fd);
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"backup %lld's file is missing or changed on "
				"this node",
				(long long)r->id);
	}
	/* Logged before a byte leaves: who took a copy of everything. */
	if (db_begin(c) < 0) {
		close(fd);
		return req_db_error(r);
	}
	json_t *diff = json_pack("{s:{s:s},s:{s:I}}", "file", "to", file,
				 "bytes", "to", (json_int_t)bytes);
	int a = activity_from_req(r, "backup_downloaded", "backup", r->id,
				  diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0) {
		close(fd);
		return r->err.kind ? -1 : req_db_error(r);
	}
	const char *base = strrchr(file, '/');
	/* Streamed from the disk by the server (never read into memory);
	 * the request closes it. */
	r->raw_file = fdopen(fd, "rb");
	if (!r->raw_file) {
		close(fd);
		return atr_fail(&r->err, ATR_E_INTERNAL, "cannot read '%s'",
				file);
	}
	r->raw_file_len = (uint64_t)bytes;
	r->ctype = "application/x-tar";
	r->status = 200;
	req_add_header(r, "Content-Disposition",
		       req_attachment(r, base ? base + 1 : file));
	return 0;
}

/* ---- the schedule ------------------------------------------------------------ */

static json_t *schedule_json(struct db_conn *c, const struct bk_schedule *s)
{
	json_t *o = json_pack("{s:b,s:I,s:s,s:I,s:I}", "enabled", s->enabled,
			      "interval_hours", (json_int_t)s->interval_hours,
			      "directory", s->directory, "keep",
			      (json_int_t)s->keep, "version",
			      (json_int_t)s->version);
	json_object_set_new(o, "updated_at",
			    s->updated_at[0] ? json_string(s->updated_at)
					     : json_null());
	json_object_set_new(o, "last_good", last_good_json(c));
	return o;
}

static int schedule_h_get(struct req *r)
{
	struct bk_schedule s;
	if (bk_schedule_load(r->db, &s) < 0)
		return req_db_error(r);
	req_etag(r, s.version);
	req_json(r, 200, schedule_json(r->db, &s));
	return 0;
}

static const struct field schedule_fields[] = {
	{"enabled", FT_BOOL, 0, 0},
	{"interval_hours", FT_INT, 0, 0},
	{"directory", FT_TEXT, 0, BK_DIR_MAX},
	{"keep", FT_INT, 0, 0},
};
static const struct schema schedule_schema = SCHEMA(schedule_fields);

/* Ranges, and a directory the server can write into (created when
 * missing): every bad field in one 422. */
static void schedule_check(struct req *r)
{
	const json_t *b = r->body;
	json_t *v = json_object_get(b, "interval_hours");
	if (json_is_integer(v) &&
	    (json_integer_value(v) < 1 || json_integer_value(v) > 8760))
		atr_field(&r->err, "interval_hours", "out_of_range",
			  "must be 1 to 8760 (a year)");
	v = json_object_get(b, "keep");
	if (json_is_integer(v) &&
	    (json_integer_value(v) < 1 || json_integer_value(v) > 1000))
		atr_field(&r->err, "keep", "out_of_range", "must be 1 to 1000");
	v = json_object_get(b, "directory");
	const char *d = json_string_value(v);
	if (!d)
		return;
	bool bad = !d[0];
	for (const char *p = d; *p && !bad; p++)
		bad = (unsigned char)*p < 0x20 || *p == 0x7f;
	if (bad) {
		atr_field(&r->err, "directory", "invalid",
			  "must be a path without control characters");
		return;
	}
	/* No ".." segment: the directory is named as it is meant. */
	for (const char *p = d; (p = strstr(p, "..")); p += 2)
		if ((p == d || p[-1] == '/') && (p[2] == 0 || p[2] == '/')) {
			atr_field(&r->err, "directory", "invalid",
				  "must not contain '..'");
			return;
		}
	struct stat sb;
	if (stat(d, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			atr_field(&r->err, "directory", "invalid",
				  "'%s' is not a directory", d);
		else if (access(d, W_OK | X_OK) != 0)
			atr_field(&r->err, "directory", "invalid",
				  "the server cannot write into '%s'", d);
	} else if (errno != ENOENT) {
		atr_field(&r->err, "directory", "invalid", "'%s': %s", d,
			  strerror(errno));
	} else {
		/* Missing: its nearest existing parent must be writable. */
		char p[BK_DIR_MAX + 1];
		atr_strlcpy(p, d, sizeof p);
		char *slash;
		bool ok = false;
		while ((slash = strrchr(p, '/'))) {
			if (slash == p) {
				p[1] = 0;
			} else {
				*slash = 0;
			}
			if (stat(p, &sb) == 0) {
				ok = S_ISDIR(sb.st_mode) &&
				     access(p, W_OK | X_OK) == 0;
				break;
			}
			if (slash == p)
				break;
		}
		if (!slash)
			ok = access(".", W_OK | X_OK) == 0;
		if (!ok)
			atr_field(&r->err, "directory", "invalid",
				  "the server cannot create '%s'", d);
	}
}

static int schedule_h_update(struct req *r)
{
	struct db_conn *c = r->db;
	if (db_begin(c) < 0)
		return req_db_error(r);
	struct bk_schedule s;
	if (bk_schedule_load(c, &s) < 0)
		return req_db_error(r);
	if (req_check_version(r, s.version, "backup schedule") < 0)
		return -1;
	struct bk_schedule was = s;
	json_t *v;
	if ((v = json_object_get(r->body, "enabled")) && json_is_boolean(v))
		s.enabled = json_is_true(v);
	if ((v = json_object_get(r->body, "interval_hours")) &&
	    json_is_integer(v))
		s.interval_hours = json_integer_value(v);
	if ((v = json_object_get(r->body, "keep")) && json_is_integer(v))
		s.keep = json_integer_value(v);
	if ((v = json_object_get(r->body, "directory")) && json_is_string(v))
		atr_strlcpy(s.directory, json_string_value(v),
			    sizeof s.directory);
	json_t *diff = json_object();
	if (s.enabled != was.enabled)
		json_object_set_new(diff, "enabled",
				    json_pack("{s:b,s:b}", "from", was.enabled,
					      "to", s.enabled));
	if (s.interval_hours != was.interval_hours)
		json_object_set_new(
			diff, "interval_hours",
			json_pack("{s:I,s:I}", "from",
				  (json_int_t)was.interval_hours, "to",
				  (json_int_t)s.interval_hours));
	if (s.keep != was.keep)
		json_object_set_new(diff, "keep",
				    json_pack("{s:I,s:I}", "from",
					      (json_int_t)was.keep, "to",
					      (json_int_t)s.keep));
	if (strcmp(s.directory, was.directory) != 0)
		json_object_set_new(diff, "directory",
				    json_pack("{s:s,s:s}", "from",
					      was.directory, "to",
					      s.directory));
	if (json_object_size(diff) > 0) {
		char now[ATR_TIME_LEN];
		atr_now_iso(now);
		struct db_stmt *st = db_prepare(
			c, "UPDATE backup_schedule SET enabled = ?, "
			   "interval_hours = ?, directory = ?, keep = ?, "
			   "version = version + 1, updated_by = ?, "
			   "updated_at = ? WHERE id = 1");
		int rc = -1;
		if (st) {
			db_bind_int(st, 1, s.enabled);
			db_bind_int(st, 2, s.interval_hours);
			db_bind_text(st, 3, s.directory);
			db_bind_int(st, 4, s.keep);
			db_bind_int(st, 5, r->who.staff_id);
			db_bind_text(st, 6, now);
			rc = db_step(st);
			db_reset(st);
		}
		if (rc < 0 ||
		    activity_from_req(r, "update", "backup_schedule", 1,
				      diff) < 0) {
			json_decref(diff);
			return r->err.kind ? -1 : req_db_error(r);
		}
	}
	json_decref(diff);
	if (db_commit(c) < 0 || bk_schedule_load(c, &s) < 0)
		return req_db_error(r);
	req_etag(r, s.version);
	req_json(r, 200, schedule_json(c, &s));
	return 0;
}

/* ---- the job and the scheduled task ------------------------------------------ */

static int backup_job(struct job_ctx *j, struct atr_err *err)
{
	int64_t id = json_integer_value(json_object_get(j->payload, "run"));
	if (id <= 0)
		return JOB_OK; /* nothing to do: a malformed payload */
	int rc = bk_run_execute(j->app, id, err);
	return rc == -2 ? JOB_ABORTED : rc < 0 ? JOB_FAILED : JOB_OK;
}

/* Queues a scheduled backup when the schedule is on and the last
 * scheduled one was queued interval_hours ago or more. Checked every
 * housekeeping period; the backup itself runs as a job. */
static int backup_task(struct app *app, struct db_conn *c, int64_t now_ms,
		       struct atr_err *err)
{
	struct bk_schedule s;
	if (bk_schedule_load(c, &s) < 0)
		return atr_fail(err, ATR_E_UNAVAILABLE,
				"cannot read the backup schedule: %s",
				db_errmsg(c));
	if (!s.enabled)
		return 0;
	if (db_begin(c) < 0)
		return atr_fail(err, ATR_E_UNAVAILABLE, "%s", db_errmsg(c));
	struct db_stmt *st = db_prepare(
		c, "SELECT max(created_at) FROM backup_run WHERE kind = "
		   "'scheduled'");
	int rc = st ? db_step(st) : -1;
	int64_t last = rc == 1 && db_col_text(st, 0)
			       ? atr_iso_ms(db_col_text(st, 0))
			       : 0;
	db_reset(st);
	int64_t busy = rc < 0 ? -1 : busy_run(c);
	int64_t org = busy < 0 ? -1 : bk_operator_org(c);
	if (org < 0) {
		db_rollback(c);
		return atr_fail(err, ATR_E_UNAVAILABLE, "%s", db_errmsg(c));
	}
	/* A clock that went back makes it due (last in the future). */
	bool due = !last || last > now_ms ||
		   now_ms - last >= s.interval_hours * HOUR_MS;
	if (!due || busy > 0 || org == 0) {
		db_rollback(c);
		return 0;
	}
	char at[ATR_TIME_LEN];
	atr_time_iso(now_ms, at);
	int64_t id = 0;
	json_t *diff = json_pack("{s:{s:s},s:{s:I}}", "kind", "to",
				 "scheduled", "interval_hours", "to",
				 (json_int_t)s.interval_hours);
	struct activity a = {.org_id = org,
			     .actor_name = "scheduler",
			     .action = "create",
			     .entity = "backup",
			     .diff = diff};
	rc = queue_run(c, org, "scheduled", 0, at, &id, err);
	a.entity_id = id;
	if (rc < 0 || activity_record(c, &a) < 0 || db_commit(c) < 0) {
		json_decref(diff);
		db_rollback(c);
		return err->kind ? -1
				 : atr_fail(err, ATR_E_UNAVAILABLE, "%s",
					    db_errmsg(c));
	}
	json_decref(diff);
	jobs_wake();
	return 0;
}

static int64_t backup_check_interval(const struct app *app)
{
	return app->cfg.housekeeping_interval_ms;
}

static const struct job_kind backup_kinds[] = {
	/* A large database takes long; past the lease another node would
	 * start it again. */
	{"backup", backup_job, .max_attempts = 3, .lease_ms = 6 * HOUR_MS,
	 .backoff_base_ms = 60000},
	{0},
};

static const struct sched_task backup_tasks[] = {
	{"backups", .interval = backup_check_interval, .run = backup_task},
	{0},
};

static const struct route backup_routes[] = {
	{HTTP_GET, "/api/v1/backups", backups_h_list, ACCESS_PERM, "backups",
	 CAP_VIEW, NULL, NULL, NULL, ROUTE_OPERATOR_ORG},
	{HTTP_POST, "/api/v1/backups", backups_h_create, ACCESS_PERM,
	 "backups", CAP_CREATE, &post_schema, NULL, NULL, ROUTE_OPERATOR_ORG},
	{HTTP_GET, "/api/v1/backups/{id}", backups_h_get, ACCESS_PERM,
	 "backups", CAP_VIEW, NULL, NULL, NULL, ROUTE_OPERATOR_ORG},
	{HTTP_GET, "/api/v1/backups/{id}/download", backups_h_download,
	 ACCESS_PERM, "backups", CAP_VIEW, NULL, NULL, NULL,
	 ROUTE_NO_TOKEN | ROUTE_OPERATOR_ORG},
	{HTTP_GET, "/api/v1/backup_schedule", schedule_h_get, ACCESS_PERM,
	 "backups", CAP_VIEW, NULL, NULL, NULL, ROUTE_OPERATOR_ORG},
	{HTTP_PATCH, "/api/v1/backup_schedule", schedule_h_update, ACCESS_PERM,
	 "backups", CAP_EDIT, &schedule_schema, NULL, schedule_check,
	 ROUTE_OPERATOR_ORG},
	{0},
};

static const char *const backup_log_also[] = {"backup_schedule", NULL};

/* No capabilities: no role grants any, administrators only. */
static const struct perm_module backup_perms[] = {
	{"backups", "Backups", 0, "backup", backup_log_also},
	{0},
};

/* The health page's "last good backup": its age, judged against the
 * schedule (good within one and a half periods, warning past two; without
 * a schedule, a week and two), warning when none was ever made. A backup
 * holds every organisation: the installation's part of the report (the
 * operator organisation's, and /metrics), as the Backups screen is. */
static int backup_health(struct app *app, struct db_conn *c, int64_t org,
			 struct health_report *rep)
{
	(void)org;
	if (!rep->installation)
		return 0;
	struct bk_schedule sch;
	char at[ATR_TIME_LEN];
	int64_t age = 0;
	if (bk_schedule_load(c, &sch) < 0)
		return -1;
	int got = backup_last_good(c, at, &age);
	if (got < 0)
		return -1;
	double period = sch.enabled ? (double)sch.interval_hours * 3600.0
				    : 7.0 * 86400.0;
	struct hr_ind *i = hr_add(rep, "backup_age", "seconds",
				  "/admin/utilities/backups");
	hr_thresholds(i, HR_LT, 1.5 * period, HR_GT, 2.0 * period);
	hr_fact(i, "scheduled", sch.enabled);
	if (sch.enabled)
		hr_fact(i, "interval_hours", sch.interval_hours);
	if (!got) {
		hr_force(i, HR_WARNING); /* never backed up */
		return 0;
	}
	hr_value(i, (double)age);
	hr_fact_text(i, "finished_at", at);
	hr_gauge(rep, "atrium_backup_age_seconds",
		 "Age of the last good backup (any node, any origin).", NULL,
		 NULL, (double)age);
	return 0;
}

const struct module module_backups = {
	.name = "backups",
	.perms = backup_perms,
	.routes = backup_routes,
	.job_kinds = backup_kinds,
	.tasks = backup_tasks,
	.health = backup_health,
};
