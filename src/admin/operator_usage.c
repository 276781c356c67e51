/* operator_usage.c — what an organisation uses, for the operator console
 * (operator.h): seats, members, records, storage, jobs. */
#include "atrium.h"

#include "admin/operator.h"
#include "auth/org.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/http.h"

static void key_int(struct buf *b, const char *k, bool first, int64_t v)
{
	jout_key(b, k, first);
	jout_int(b, v);
}

void operator_usage_row(struct buf *b, struct db_stmt *st, int col)
{
	int64_t mi = db_col_int(st, col), es = db_col_int(st, col + 1);
	buf_adds(b, ",\"seats\":{");
	key_int(b, "used", true, db_col_int(st, col + 2));
	key_int(b, "included", false, mi);
	key_int(b, "extra", false, es);
	key_int(b, "allowed", false, mi + es);
	buf_adds(b, "},\"usage\":{\"members\":{");
	key_int(b, "active", true, db_col_int(st, col + 2));
	key_int(b, "total", false, db_col_int(st, col + 3));
	buf_adds(b, "},\"jobs\":{");
	key_int(b, "waiting", true, db_col_int(st, col + 4));
	key_int(b, "dead", false, db_col_int(st, col + 5));
	buf_adds(b, "},\"storage\":{");
	key_int(b, "attachments_bytes", true, db_col_int(st, col + 6));
	buf_adds(b, "}}");
}

/* One count: the first column of sql bound to org. -1 on an error. */
static int64_t count(struct db_conn *c, const char *sql, int64_t org)
{
	struct db_stmt *st = db_prepare(c, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : rc == 0 ? 0 : -1;
	db_reset(st);
	return n;
}

/* {entity: rows} of every registry entity whose table carries org_id,
 * and their sum in *total. NULL on a database error. */
static json_t *records(struct req *r, int64_t org, int64_t *total)
{
	char **tables;
	int n;
	struct atr_err e = {0};
	if (db_tables_with(r->db, "org_id", &tables, &n, &e) < 0) {
		r->err = e;
		return NULL;
	}
	json_t *out = json_object();
	*total = 0;
	for (int i = 0; i < entity_count(); i++) {
		const char *name = entity_at(i)->name;
		bool scoped = false;
		for (int k = 0; k < n && !scoped; k++)
			scoped = !strcmp(tables[k], name);
		if (!scoped || json_object_get(out, name))
			continue;
		char *sql = arena_printf(
		    r->arena, "SELECT COUNT(*) FROM \"%s\" WHERE org_id = ?",
		    name);
		int64_t v = count(r->db, sql, org);
		if (v < 0) {
			json_decref(out);
			db_names_free(tables, n);
			req_db_error(r);
			return NULL;
		}
		json_object_set_new(out, name, json_integer(v));
		*total += v;
	}
	db_names_free(tables, n);
	return out;
}

int operator_usage(struct req *r, const struct org_row *o, json_t *j)
{
	struct db_stmt *st = db_prepare(
	    r->db,
	    "SELECT o.members_included, o.extra_seats, " OPERATOR_USAGE_COLS
	    " FROM org o WHERE o.id = ?");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, o->id);
	struct buf b = BUF_INIT;
	int rc = db_step(st);
	if (rc == 1) {
		buf_adds(&b, "{\"x\":0");
		operator_usage_row(&b, st, 0);
		buf_addc(&b, '}');
	}
	db_reset(st);
	if (rc != 1) {
		buf_free(&b);
		return req_db_error(r);
	}
	json_t *parsed = json_loads(buf_str(&b), 0, NULL);
	buf_free(&b);
	ATR_ASSERT(parsed);
	json_t *usage = json_object_get(parsed, "usage");
	int64_t total = 0;
	json_t *recs = records(r, o->id, &total);
	int64_t kids = org_children(r->db, o->id);
	int64_t archives = count(r->db,
				 "SELECT COALESCE(SUM(bytes), 0) FROM "
				 "log_archive WHERE org_id = ? AND removed = 0",
				 o->id);
	if (!recs || kids < 0 || archives < 0) {
		json_decref(recs);
		json_decref(parsed);
		return r->err.kind ? -1 : req_db_error(r);
	}
	json_object_set_new(usage, "records", recs);
	json_object_set_new(usage, "records_total", json_integer(total));
	json_object_set_new(usage, "children", json_integer(kids));
	json_object_set_new(json_object_get(usage, "storage"), "archives_bytes",
			    json_integer(archives));
	json_object_set(j, "seats", json_object_get(parsed, "seats"));
	json_object_set(j, "usage", usage);
	json_decref(parsed);
	return 0;
}
