/* pipe_log.c — Utilities > Pipe log (/admin/utilities/pipe_log): every
 * message `atrium pipe` received, with its result (ticket opened, reply
 * added, ignored, rejected, no recipient) and why. The spec's daily check
 * looks here for messages that did not become tickets.
 *
 * GET /api/v1/pipe-log   newest first; filters result, from_addr, to_addr,
 *                        ticket_id and a received_at range; q searches
 *                        subject, sender and recipient
 */
#include "atrium.h"

#include "core/buf.h"
#include "core/json_out.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/perm.h"

#define COLS                                                                   \
	"id, received_at, message_id, from_addr, to_addr, subject, result, "  \
	"detail, ticket_id, bytes"

static void opt_str(struct buf *b, struct db_stmt *st, int col)
{
	if (db_col_null(st, col))
		buf_adds(b, "null");
	else
		jout_str(b, db_col_text(st, col));
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	static const char *const keys[] = {"received_at", "message_id",
					   "from", "to", "subject", "result",
					   "detail"};
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	for (int i = 0; i < (int)ATR_ARRAY_LEN(keys); i++) {
		jout_key(b, keys[i], false);
		opt_str(b, st, 1 + i);
	}
	jout_key(b, "ticket_id", false);
	if (db_col_null(st, 8))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 8));
	jout_key(b, "bytes", false);
	jout_int(b, db_col_int(st, 9));
	buf_addc(b, '}');
}

static const char *const results[] = {"ticket_created", "reply_added",
				      "ignored",	"rejected",
				      "no_recipient",	NULL};
static const struct field f_result = {.name = "result", .type = FT_ENUM,
				      .choices = results};
static const struct field f_from = {.name = "from_addr", .type = FT_TEXT};
static const struct field f_to = {.name = "to_addr", .type = FT_TEXT};
static const struct field f_ticket = {.name = "ticket_id", .type = FT_INT};
static const struct field f_at = {.name = "received_at", .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_result, NULL, LIST_FILTER},
	{&f_from, NULL, LIST_FILTER},
	{&f_to, NULL, LIST_FILTER},
	{&f_ticket, NULL, LIST_FILTER},
	{&f_at, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static const char *const search[] = {"subject", "from_addr", "to_addr", NULL};

static const struct list_spec spec = {
	.from = "pipe_log",
	.cols = COLS,
	.id = "id",
	.org = "org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "-id",
	.limit_default = 50,
	.limit_max = 200,
	.search = search,
	.row = row,
};

static int pipe_log_h_list(struct req *r)
{
	return list_run(r, &spec);
}

static const struct route pipe_log_routes[] = {
	{HTTP_GET, "/api/v1/pipe-log", pipe_log_h_list, ACCESS_PERM,
	 "pipe_log", CAP_VIEW},
	{0},
};

static const struct perm_module pipe_log_perms[] = {
	{"pipe_log", "Pipe log", PB_VIEW, NULL},
	{0},
};

/* Old entries are archived and removed by log retention (the `pipe` log,
 * admin/retention.h), never deleted here. */
const struct module module_pipe_log = {
	.name = "pipe_log",
	.perms = pipe_log_perms,
	.routes = pipe_log_routes,
};
