/* retention_api.c — module `log_archives`: the table of logs under
 * retention, their settings (group `retention`), the hourly task, and
 * Utilities > Log archives (/admin/utilities/log_archives).
 *
 * GET /api/v1/log-archives                 the manifests, newest first;
 *                                          filters log, status, created_at
 * GET /api/v1/log-archives/{id}/download   the archive file (gzip), its
 *                                          SHA-256 in X-Archive-SHA256;
 *                                          logged
 * Both are for administrators only (the permission row grants nothing to
 * a role): archives hold every log's old rows, whoever they are about.
 */
#include "atrium.h"

#include <errno.h>
#include <sys/stat.h>

#include "admin/retention.h"
#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/perm.h"
#include "jobs/jobs.h"

/* ---- the logs ------------------------------------------------------------ */

static const char *const activity_ints[] = {
	"id", "org_id", "seq", "actor_id", "entity_id", "mac_version", NULL};
static const char *const request_ints[] = {
	"id",	     "org_id",	 "status", "duration_ms",
	"staff_id", "token_id", "session_id", NULL};
static const char *const pipe_ints[] = {"id", "org_id", "ticket_id", "bytes",
					NULL};
static const char *const attempt_ints[] = {
	"id",	     "org_id",	     "webhook_id", "delivery_id",
	"attempt",   "status_code", "duration_ms", NULL};
static const char *const delivery_ints[] = {
	"id",	 "org_id",	    "webhook_id", "event_id",
	"attempts", "job_id", "last_status_code", NULL};
static const char *const event_ints[] = {"id", "org_id", "entity_id", NULL};

/* Adding a log: one row here and its setting row below. Order matters
 * where rows refer to each other: attempts before their deliveries (a
 * delivery goes only once its attempts are gone, so the cascade never
 * removes an attempt that is not archived). */
const struct retention_log retention_logs[] = {
	{"activity", "activity_log", "at", NULL, "retention_activity_days",
	 activity_ints, true},
	{"api_requests", "api_request_log", "at", NULL,
	 "api_log_retention_days", request_ints, false},
	{"pipe", "pipe_log", "received_at", NULL, "retention_pipe_days",
	 pipe_ints, false},
	{"webhook_attempts", "webhook_attempt", "at", NULL,
	 "retention_webhook_attempts_days", attempt_ints, false},
	{"webhook_deliveries", "webhook_delivery", "updated_at",
	 "status <> 'pending' AND NOT EXISTS (SELECT 1 FROM webhook_attempt a "
	 "WHERE a.delivery_id = webhook_delivery.id)",
	 "retention_webhook_deliveries_days", delivery_ints, false},
	/* An event a subscriber's job still waits to deliver (a blocked
	 * webhook) stays: its job reads it. */
	{"events", "event", "created_at",
	 "processed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM job j WHERE "
	 "j.status IN ('queued', 'running', 'blocked') AND j.order_seq = "
	 "event.id AND j.kind LIKE 'event:%')",
	 "retention_events_days", event_ints, false},
	{0},
};

const struct retention_log *retention_log_find(const char *name)
{
	for (const struct retention_log *L = retention_logs; L->name; L++)
		if (!strcmp(L->name, name))
			return L;
	return NULL;
}

/* Days; 0 keeps forever. The activity log is kept forever unless an
 * administrator chooses otherwise (DESIGN: retention archives, it never
 * truncates); the API request log's setting is event_log.c's. */
static const struct setting_def settings[] = {
	{"retention", "retention_activity_days", SET_INT, "0", 0, 36500},
	{"retention", "retention_pipe_days", SET_INT, "90", 0, 36500},
	{"retention", "retention_webhook_attempts_days", SET_INT, "30", 0,
	 36500},
	{"retention", "retention_webhook_deliveries_days", SET_INT, "30", 0,
	 36500},
	{"retention", "retention_events_days", SET_INT, "0", 0, 36500},
	{0},
};

static int retention_task(struct app *app, struct db_conn *c, int64_t now_ms,
			  struct atr_err *err)
{
	return retention_run(app, c, now_ms, NULL, -1, NULL, err) < 0 ? -1
								       : 0;
}

static const struct sched_task tasks[] = {
	{"log_retention", .interval_ms = 3600000, .run = retention_task},
	{0},
};

/* ---- the routes ---------------------------------------------------------- */

#define COLS                                                                   \
	"id, log, status, path, row_count, first_id, last_id, first_at, "      \
	"last_at, cutoff, bytes, sha256, removed, cut_seq, cut_hash, "         \
	"checkpoint, created_at, finished_at, rewritten_by, rewritten_at, "   \
	"rewrite_note, replaced_path"

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	static const struct {
		const char *key;
		bool num;
	} cols[] = {
		{"id", true},	     {"log", false},	   {"status", false},
		{"path", false},     {"rows", true},	   {"first_id", true},
		{"last_id", true},   {"first_at", false}, {"last_at", false},
		{"cutoff", false},   {"bytes", true},	   {"sha256", false},
		{"removed", true},   {"cut_seq", true},	   {"cut_hash", false},
		{"checkpoint", false}, {"created_at", false},
		{"finished_at", false},
		/* An erasure's rewrite (retention_rewrite.c). */
		{"rewritten_by", true}, {"rewritten_at", false},
		{"rewrite_note", false}, {"replaced_path", false},
	};
	buf_addc(b, '{');
	for (int i = 0; i < (int)ATR_ARRAY_LEN(cols); i++) {
		jout_key(b, cols[i].key, i == 0);
		if (db_col_null(st, i))
			buf_adds(b, "null");
		else if (cols[i].num)
			jout_int(b, db_col_int(st, i));
		else
			jout_str(b, db_col_text(st, i));
	}
	buf_addc(b, '}');
}

static const char *const log_names[] = {
	"activity", "api_requests", "pipe", "webhook_attempts",
	"webhook_deliveries", "events", NULL};
static const char *const statuses[] = {"written", "done", NULL};
static const struct field f_log = {.name = "log", .type = FT_ENUM,
				   .choices = log_names};
static const struct field f_status = {.name = "status", .type = FT_ENUM,
				      .choices = statuses};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_log, NULL, LIST_FILTER},
	{&f_status, NULL, LIST_FILTER},
	{&f_created, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static const struct list_spec spec = {
	.from = "log_archive",
	.cols = COLS,
	.id = "id",
	.org = "org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "-id",
	.limit_default = 50,
	.limit_max = 200,
	.row = row,
};

static int archives_h_list(struct req *r)
{
	return list_run(r, &spec);
}

static int archives_h_download(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct db_stmt *st = db_prepare(
		c, "SELECT path, sha256, log FROM log_archive WHERE id = ? AND "
		   "org_id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	char *rel = rc == 1 ? arena_strdup(r->arena, db_col_text(st, 0)) : NULL;
	char *sha = rc == 1 ? arena_strdup(r->arena, db_col_text(st, 1)) : NULL;
	char *log = rc == 1 ? arena_strdup(r->arena, db_col_text(st, 2)) : NULL;
	db_reset(st);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"log archive %lld not found", (long long)r->id);
	char *full = arena_printf(r->arena, "%s/%s", r->app->cfg.archive_dir,
				  rel);
	/* Sent from the file (the server reads it in pieces): an archive
	 * never passes through memory whole. */
	FILE *f = fopen(full, "rb");
	struct stat fst;
	if (!f || fstat(fileno(f), &fst) < 0) {
		int e = errno;
		if (f)
			fclose(f);
		return atr_fail(&r->err,
				e == ENOENT ? ATR_E_NOT_FOUND : ATR_E_INTERNAL,
				"cannot read the file of log archive %lld: %s",
				(long long)r->id, strerror(e));
	}
	json_t *diff = json_pack("{s:s,s:s,s:s}", "log", log, "path", rel,
				 "sha256", sha);
	int arc = -1;
	if (db_begin(c) == 0)
		arc = activity_from_req(r, "download", "log_archive", r->id,
					diff);
	json_decref(diff);
	if (arc < 0 || db_commit(c) < 0) {
		fclose(f);
		if (db_in_tx(c))
			db_rollback(c);
		return r->err.kind ? -1 : req_db_error(r);
	}
	const char *slash = strrchr(rel, '/');
	r->raw_file = f;
	r->raw_file_len = (uint64_t)fst.st_size;
	r->ctype = "application/gzip";
	req_add_header(r, "Content-Disposition",
		       req_attachment(r, arena_printf(r->arena, "%s-%s", log,
						      slash ? slash + 1
							    : rel)));
	req_add_header(r, "X-Archive-SHA256", sha);
	r->status = 200;
	return 0;
}

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/log-archives", archives_h_list, ACCESS_PERM,
	 "log_archives", CAP_VIEW},
	{HTTP_GET, "/api/v1/log-archives/{id}/download", archives_h_download,
	 ACCESS_PERM, "log_archives", CAP_VIEW},
	{0},
};

/* Administrators only: no capability a role could be granted. */
static const struct perm_module perms[] = {
	{"log_archives", "Log archives", 0, "log_archive"},
	{0},
};

const struct module module_log_archives = {
	.name = "log_archives",
	.perms = perms,
	.routes = routes,
	.settings = settings,
	.tasks = tasks,
};
