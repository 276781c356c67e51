/* payment_mode.c — the payment modes module (/admin/paymentmodes; spec,
 * Step 3: "accepted payment methods").
 *
 * GET    /api/v1/payment_modes        list (filters: name, kind, active,
 *                                     show_on_documents, is_default)
 * POST   /api/v1/payment_modes        add one
 * GET    /api/v1/payment_modes/{id}   one
 * PATCH  /api/v1/payment_modes/{id}   change it (If-Match); active: false
 *                                     deactivates
 * DELETE /api/v1/payment_modes/{id}   remove it
 *
 * A mode is online (card, PayPal: paid through a provider) or offline
 * (bank transfer, cash), may be shown on documents (the bank details an
 * invoice prints) and may be the one selected by default on a new
 * payment. At most one is the default: making one the default clears the
 * other in the same transaction, with its own activity row and event, and
 * a partial unique index holds the rule against any race. The default is
 * active (deactivating it is refused until another is the default).
 *
 * A mode payments name cannot be deleted (409: deactivate it instead);
 * the payment table's foreign key holds the rule against any race.
 */
#include "atrium.h"

#include "auth/perm.h"
#include "core/activity.h"
#include "core/buf.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/write.h"

#define NAME_MAX_CHARS 100
#define DESC_MAX_CHARS 1000

/* ---- the record ---------------------------------------------------------- */

#define COLS                                                                   \
	"id, name, description, kind, active, show_on_documents, is_default, " \
	"created_by, created_at, updated_at, version"

static json_t *text_or_null(struct db_stmt *st, int col)
{
	return db_col_null(st, col) ? json_null()
				    : json_string(db_col_text(st, col));
}

static json_t *mode_json(struct db_stmt *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "name", text_or_null(st, 1));
	json_object_set_new(o, "description", text_or_null(st, 2));
	json_object_set_new(o, "kind", text_or_null(st, 3));
	json_object_set_new(o, "active", json_boolean(db_col_int(st, 4)));
	json_object_set_new(o, "show_on_documents",
			    json_boolean(db_col_int(st, 5)));
	json_object_set_new(o, "is_default", json_boolean(db_col_int(st, 6)));
	json_object_set_new(o, "created_by", json_integer(db_col_int(st, 7)));
	json_object_set_new(o, "created_at", text_or_null(st, 8));
	json_object_set_new(o, "updated_at", text_or_null(st, 9));
	json_object_set_new(o, "version", json_integer(db_col_int(st, 10)));
	return o;
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	json_t *o = mode_json(st);
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

/* Mode id of the caller's organisation, locked on PostgreSQL when lock:
 * 1, 0 absent, -1 error. */
static int mode_load(struct req *r, int64_t id, bool lock, json_t **out)
{
	const char *sql = lock && db_conn_dialect(r->db) == DB_PG
				  ? "SELECT " COLS " FROM payment_mode WHERE "
				    "id = ? AND org_id = ? FOR UPDATE"
				  : "SELECT " COLS " FROM payment_mode WHERE "
				    "id = ? AND org_id = ?";
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1)
		*out = mode_json(st);
	db_reset(st);
	return rc;
}

/* ---- list ---------------------------------------------------------------- */

static const char *const kinds[] = {"online", "offline", NULL};

static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct field f_kind = {
	.name = "kind", .type = FT_ENUM, .choices = kinds};
static const struct field f_active = {.name = "active", .type = FT_BOOL};
static const struct field f_docs = {.name = "show_on_documents",
				    .type = FT_BOOL};
static const struct field f_default = {.name = "is_default",
				       .type = FT_BOOL};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_name, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_kind, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_active, NULL, LIST_FILTER},
	{&f_docs, NULL, LIST_FILTER},
	{&f_default, NULL, LIST_FILTER},
	{&f_created, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static const char *const search[] = {"name", "description", NULL};

static const struct list_spec spec = {
	.from = "payment_mode",
	.cols = COLS,
	.id = "id",
	.org = "org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "name",
	.limit_default = 50,
	.limit_max = 200,
	.search = search,
	.count_default = true,
	.row = row,
};

static int modes_h_list(struct req *r)
{
	return list_run(r, &spec);
}

static int modes_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *m = NULL;
	int rc = mode_load(r, r->id, false, &m);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"payment mode %lld not found", (long long)r->id);
	req_etag(r, json_integer_value(json_object_get(m, "version")));
	req_json(r, 200, m);
	return 0;
}

/* ---- validation ---------------------------------------------------------- */

static const struct field mode_fields[] = {
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_CHARS},
	{"description", FT_TEXT, F_MULTILINE, DESC_MAX_CHARS},
	{"kind", FT_ENUM, 0, 0, kinds},
	{"active", FT_BOOL, 0, 0},
	{"show_on_documents", FT_BOOL, 0, 0},
	{"is_default", FT_BOOL, 0, 0},
};
static const struct schema mode_schema = SCHEMA(mode_fields);

static bool has_error(const struct atr_err *e, const char *field)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].field, field))
			return true;
	return false;
}

/* The value of key: the body's when sent, else before's (NULL on create). */
static const json_t *pick(const json_t *b, const json_t *before,
			  const char *key)
{
	const json_t *v = json_object_get(b, key);
	return v ? v : json_object_get(before, key);
}

/* The rules on the mode as it would be: a name that is not blank, and
 * the default is active. */
static void mode_rules(const json_t *b, const json_t *before,
		       struct atr_err *err)
{
	const char *name = json_string_value(json_object_get(b, "name"));
	if (name && !has_error(err, "name") && !name[strspn(name, " ")])
		atr_field(err, "name", "required", "must not be blank");
	if (has_error(err, "active") || has_error(err, "is_default"))
		return;
	const json_t *act = pick(b, before, "active");
	bool active = !act || json_is_true(act);
	if (json_is_true(pick(b, before, "is_default")) && !active)
		atr_field(err, json_object_get(b, "active") ? "active"
							    : "is_default",
			  "invalid",
			  "the default payment mode must be active; make "
			  "another mode the default first");
}

/* Members that have no "no value": null is refused, not read as false. */
static void no_nulls(struct req *r, const char *const *keys)
{
	for (; *keys; keys++)
		if (json_is_null(json_object_get(r->body, *keys)))
			atr_field(&r->err, *keys, "required",
				  "must not be null");
}

static void mode_check(struct req *r)
{
	static const char *const nn[] = {"kind", "active", "show_on_documents", "is_default", NULL};
	no_nulls(r, nn);
	if (json_is_object(r->body))
		mode_rules(r->body, NULL, &r->err);
}

/* ---- writing ------------------------------------------------------------- */

static int load(struct req *r, const struct write_op *op, json_t **rec)
{
	return mode_load(r, r->id, true, rec);
}

static int name_taken(struct req *r, const char *name, int64_t self)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT 1 FROM payment_mode WHERE org_id = ? AND "
		       "lower(name) = lower(?) AND id <> ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, name);
	db_bind_int(st, 3, self);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

/* Clears the organisation's default (but self), each cleared mode with
 * its activity row and event, in the open transaction. 0 or -1. */
static int clear_default(struct req *r, int64_t self, const char *now)
{
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE payment_mode SET is_default = 0, updated_at = ?, "
		       "version = version + 1 WHERE org_id = ? AND is_default = "
		       "1 AND id <> ? RETURNING " COLS);
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, r->who.org_id);
	db_bind_int(st, 3, self);
	json_t *cleared = json_array();
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(cleared, mode_json(st));
	db_reset(st);
	size_t i;
	json_t *after;
	json_array_foreach(cleared, i, after)
	{
		if (rc < 0)
			break;
		int64_t id = json_integer_value(json_object_get(after, "id"));
		json_t *before = json_deep_copy(after);
		json_object_set_new(before, "is_default", json_true());
		json_object_set_new(
			before, "version",
			json_integer(json_integer_value(
					     json_object_get(after, "version")) -
				     1));
		json_t *diff = json_pack("{s:{s:b,s:b}}", "is_default", "from",
					 1, "to", 0);
		if (activity_from_req(r, "update", "payment_mode", id, diff) <
			    0 ||
		    outbox_emit(r->db, r->who.org_id, "payment_mode", id,
				"updated", before, after) < 0)
			rc = -1;
		json_decref(diff);
		json_decref(before);
	}
	json_decref(cleared);
	return rc < 0 ? -1 : 0;
}

/* Writes the mode (INSERT when before is NULL, else UPDATE). 1, or -1. */
static int mode_write(struct req *r, const json_t *before, json_t **after)
{
	const json_t *b = r->body;
	if (before) {
		mode_rules(b, before, &r->err);
		if (r->err.kind)
			return -1;
	}
	const char *name = json_string_value(pick(b, before, "name"));
	int taken = name_taken(r, name, before ? r->id : 0);
	if (taken < 0)
		return -1;
	if (taken)
		return atr_field(&r->err, "name", "taken",
				 "another payment mode is called '%s'", name),
		       -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	bool dflt = json_is_true(pick(b, before, "is_default"));
	if (dflt && clear_default(r, before ? r->id : 0, now) < 0)
		return -1;
	const json_t *act = pick(b, before, "active");
	const json_t *docs = pick(b, before, "show_on_documents");
	const char *kind = json_string_value(pick(b, before, "kind"));
	const char *desc = json_string_value(pick(b, before, "description"));
	struct db_stmt *st = db_prepare(
		r->db,
		before ? "UPDATE payment_mode SET name = ?, description = ?, "
			 "kind = ?, active = ?, show_on_documents = ?, "
			 "is_default = ?, updated_at = ?, version = version + "
			 "1 WHERE id = ? AND org_id = ? RETURNING " COLS
		       : "INSERT INTO payment_mode (name, description, kind, "
			 "active, show_on_documents, is_default, updated_at, "
			 "created_by, org_id, created_at) VALUES (?, ?, ?, ?, "
			 "?, ?, ?, ?, ?, ?) RETURNING " COLS);
	if (!st)
		return -1;
	db_bind_text(st, 1, name);
	desc && *desc ? db_bind_text(st, 2, desc) : db_bind_null(st, 2);
	db_bind_text(st, 3, kind ? kind : "offline");
	db_bind_int(st, 4, act ? json_is_true(act) : 1);
	db_bind_int(st, 5, docs ? json_is_true(docs) : 1);
	db_bind_int(st, 6, dflt);
	db_bind_text(st, 7, now);
	if (before) {
		db_bind_int(st, 8, r->id);
		db_bind_int(st, 9, r->who.org_id);
	} else {
		db_bind_int(st, 8, r->who.staff_id);
		db_bind_int(st, 9, r->who.org_id);
		db_bind_text(st, 10, now);
	}
	int ret = db_step(st);
	if (ret == 1)
		*after = mode_json(st);
	db_reset(st);
	if (ret < 0 && db_err_unique(r->db))
		/* The name was checked above: a concurrent change won. */
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"another payment mode was saved with this name "
				"or as the default at the same time; reload "
				"and try again");
	return ret;
}

static int create_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	return mode_write(r, NULL, after);
}

static int update_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	int rc = mode_write(r, before, after);
	if (rc != 1)
		return rc;
	json_t *a = json_deep_copy(*after), *b = json_deep_copy(before);
	static const char *const skip[] = {"version", "updated_at"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(skip); i++) {
		json_object_del(a, skip[i]);
		json_object_del(b, skip[i]);
	}
	bool same = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	if (same) {
		json_decref(*after);
		*after = NULL;
	}
	return 1;
}

static int delete_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	struct db_stmt *st = db_prepare(
		r->db, "DELETE FROM payment_mode WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 && db_err_fk(r->db))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"payment mode '%s' is used by payments; "
				"deactivate it instead",
				json_string_value(json_object_get(before,
								  "name")));
	return rc < 0 ? -1 : 1;
}

static int run(struct req *r, enum write_kind kind,
	       int (*apply)(struct req *, const struct write_op *,
			    const json_t *, json_t **))
{
	struct write_op op = {kind,  "payment_mode", "/api/v1/payment_modes",
			      false, false,	     load,
			      apply, NULL};
	return write_run(r, &op);
}

static int modes_h_create(struct req *r)
{
	return run(r, WRITE_CREATE, create_apply);
}

static int modes_h_update(struct req *r)
{
	return run(r, WRITE_UPDATE, update_apply);
}

static int modes_h_delete(struct req *r)
{
	return run(r, WRITE_DELETE, delete_apply);
}

/* ---- the module ---------------------------------------------------------- */

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/payment_modes", modes_h_list, ACCESS_PERM,
	 "payment_modes", CAP_VIEW},
	{HTTP_POST, "/api/v1/payment_modes", modes_h_create, ACCESS_PERM,
	 "payment_modes", CAP_CREATE, &mode_schema, NULL, mode_check},
	{HTTP_GET, "/api/v1/payment_modes/{id}", modes_h_get, ACCESS_PERM,
	 "payment_modes", CAP_VIEW},
	{HTTP_PATCH, "/api/v1/payment_modes/{id}", modes_h_update, ACCESS_PERM,
	 "payment_modes", CAP_EDIT, &mode_schema, NULL, mode_check},
	{HTTP_DELETE, "/api/v1/payment_modes/{id}", modes_h_delete,
	 ACCESS_PERM, "payment_modes", CAP_DELETE},
	{0},
};

static const struct perm_module perms[] = {
	{"payment_modes", "Payment modes",
	 PB_VIEW | PB_CREATE | PB_EDIT | PB_DELETE, "payment_mode"},
	{0},
};

const struct module module_payment_modes = {
	.name = "payment_modes",
	.perms = perms,
	.routes = routes,
};
