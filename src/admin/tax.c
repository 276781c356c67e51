/* tax.c — the taxes module (/admin/taxes; spec, Step 3: "VAT rates
 * (19%, 9%, 5%, 0%, reverse charge)").
 *
 * GET    /api/v1/taxes        list (filters: name, active, reverse_charge,
 *                             rate ranges; sort: name, rate, created_at)
 * POST   /api/v1/taxes        add a tax
 * GET    /api/v1/taxes/{id}   one, with how many records use it (in_use)
 * PATCH  /api/v1/taxes/{id}   change it (If-Match); active: false
 *                             deactivates (kept for the documents that use
 *                             it, offered for no new one)
 * DELETE /api/v1/taxes/{id}   remove it; 409 while a record uses it
 *
 * A rate is an exact decimal of up to three places, 0 to 100 (FT_DECIMAL,
 * stored in thousandths of a percent). A reverse-charge tax has rate 0 and
 * a legal note that documents print ("Taxare inversă, art. 331 Cod
 * fiscal"). Names are unique in the organisation whatever their case.
 *
 * Nothing is seeded: VAT rates are law and change (Romania's 19 % and
 * 9 %/5 % became 21 % and 11 % in August 2025), so the administrator enters
 * the rates in force; the admin guide lists the current Romanian ones.
 * Every change goes through the one write path (activity row, outbox
 * event tax.created/updated/deleted, in the same transaction).
 */
#include "atrium.h"

#include "admin/finance.h"
#include "auth/perm.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/write.h"

#define NAME_MAX_CHARS 100
#define NOTE_MAX_CHARS 1000
#define RATE_PLACES 3
#define RATE_MAX 100000 /* 100.000 % */

/* The tables whose rows name a tax (finance.h: "Adding a record that uses
 * a tax"). */
static const struct {
	const char *table, *column;
} tax_users[] = {
	{"document_tax", "tax_id"}, /* invoices, proposals, credit notes */
	{NULL, NULL},
};

int tax_uses(struct db_conn *c, int64_t org, int64_t id, int64_t *n)
{
	*n = 0;
	for (size_t i = 0; i < ATR_ARRAY_LEN(tax_users) && tax_users[i].table;
	     i++) {
		char sql[256];
		snprintf(sql, sizeof sql,
			 "SELECT COUNT(*) FROM %s WHERE org_id = ? AND %s = ?",
			 tax_users[i].table, tax_users[i].column);
		struct db_stmt *st = db_prepare(c, sql);
		if (!st)
			return -1;
		db_bind_int(st, 1, org);
		db_bind_int(st, 2, id);
		int rc = db_step(st);
		if (rc == 1)
			*n += db_col_int(st, 0);
		db_reset(st);
		if (rc != 1)
			return -1;
	}
	return 0;
}

/* ---- the record ---------------------------------------------------------- */

#define COLS                                                                   \
	"id, name, rate, reverse_charge, legal_note, active, created_by, "     \
	"created_at, updated_at, version"

static json_t *text_or_null(struct db_stmt *st, int col)
{
	return db_col_null(st, col) ? json_null()
				    : json_string(db_col_text(st, col));
}

static json_t *tax_json(struct db_stmt *st)
{
	char rate[40];
	decimal_format(db_col_int(st, 2), RATE_PLACES, rate);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "name", text_or_null(st, 1));
	json_object_set_new(o, "rate", json_string(rate));
	json_object_set_new(o, "reverse_charge",
			    json_boolean(db_col_int(st, 3)));
	json_object_set_new(o, "legal_note", text_or_null(st, 4));
	json_object_set_new(o, "active", json_boolean(db_col_int(st, 5)));
	json_object_set_new(o, "created_by", json_integer(db_col_int(st, 6)));
	json_object_set_new(o, "created_at", text_or_null(st, 7));
	json_object_set_new(o, "updated_at", text_or_null(st, 8));
	json_object_set_new(o, "version", json_integer(db_col_int(st, 9)));
	return o;
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	json_t *o = tax_json(st);
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

/* Tax id of the caller's organisation, locked on PostgreSQL when lock:
 * 1, 0 absent, -1 error. */
static int tax_load(struct req *r, int64_t id, bool lock, json_t **out)
{
	const char *sql = lock && db_conn_dialect(r->db) == DB_PG
				  ? "SELECT " COLS " FROM tax WHERE id = ? AND "
				    "org_id = ? FOR UPDATE"
				  : "SELECT " COLS " FROM tax WHERE id = ? AND "
				    "org_id = ?";
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1)
		*out = tax_json(st);
	db_reset(st);
	return rc;
}

/* ---- list ---------------------------------------------------------------- */

static const struct field f_name = {.name = "name", .type = FT_TEXT};
static const struct field f_rate = {
	.name = "rate", .type = FT_DECIMAL, .scale = RATE_PLACES};
static const struct field f_active = {.name = "active", .type = FT_BOOL};
static const struct field f_reverse = {.name = "reverse_charge",
				       .type = FT_BOOL};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_name, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_rate, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_active, NULL, LIST_FILTER},
	{&f_reverse, NULL, LIST_FILTER},
	{&f_created, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static const char *const search[] = {"name", "legal_note", NULL};

static const struct list_spec spec = {
	.from = "tax",
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

static int taxes_h_list(struct req *r)
{
	return list_run(r, &spec);
}

static int taxes_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *t = NULL;
	int rc = tax_load(r, r->id, false, &t);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "tax %lld not found",
				(long long)r->id);
	int64_t n = 0;
	if (tax_uses(r->db, r->who.org_id, r->id, &n) < 0) {
		json_decref(t);
		return req_db_error(r);
	}
	json_object_set_new(t, "in_use", json_integer(n));
	req_etag(r, json_integer_value(json_object_get(t, "version")));
	req_json(r, 200, t);
	return 0;
}

/* ---- validation ---------------------------------------------------------- */

static const struct field tax_fields[] = {
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_CHARS},
	{.name = "rate", .type = FT_DECIMAL, .flags = F_REQUIRED,
	 .scale = RATE_PLACES},
	{"reverse_charge", FT_BOOL, 0, 0},
	{"legal_note", FT_TEXT, F_MULTILINE, NOTE_MAX_CHARS},
	{"active", FT_BOOL, 0, 0},
};
static const struct schema tax_schema = SCHEMA(tax_fields);

static bool has_error(const struct atr_err *e, const char *field)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].field, field))
			return true;
	return false;
}

/* The rate of a checked body member, or -1 when absent or invalid. */
static int64_t body_rate(const json_t *b)
{
	int64_t x;
	const json_t *v = json_object_get(b, "rate");
	return v && decimal_from_json(v, RATE_PLACES, &x) ? x : -1;
}

/* The rules across fields, on the tax as it would be (the body over
 * before, NULL on create): 0 <= rate <= 100, a blank name, reverse charge
 * only at 0 %. Adds field errors to err. */
static void tax_rules(const json_t *b, const json_t *before,
		      struct atr_err *err)
{
	int64_t rate = body_rate(b);
	if (json_object_get(b, "rate") && !has_error(err, "rate") &&
	    (rate < 0 || rate > RATE_MAX))
		atr_field(err, "rate", "out_of_range",
			  "must be from 0 to 100 (percent)");
	const char *name = json_string_value(json_object_get(b, "name"));
	if (name && !has_error(err, "name") && !name[strspn(name, " ")])
		atr_field(err, "name", "required", "must not be blank");
	if (has_error(err, "rate") || has_error(err, "reverse_charge"))
		return;
	const json_t *rc = json_object_get(b, "reverse_charge");
	bool reverse = rc ? json_is_true(rc)
			  : json_is_true(json_object_get(before,
							 "reverse_charge"));
	if (rate < 0 && before) {
		int64_t x = 0;
		decimal_from_json(json_object_get(before, "rate"), RATE_PLACES,
				  &x);
		rate = x;
	}
	if (reverse && rate > 0)
		atr_field(err, json_object_get(b, "rate") ? "rate"
							  : "reverse_charge",
			  "invalid",
			  "a reverse-charge tax has a rate of 0 (the buyer "
			  "accounts for the VAT)");
}

/* Members that have no "no value": null is refused, not read as false. */
static void no_nulls(struct req *r, const char *const *keys)
{
	for (; *keys; keys++)
		if (json_is_null(json_object_get(r->body, *keys)))
			atr_field(&r->err, *keys, "required",
				  "must not be null");
}

static void tax_check(struct req *r)
{
	static const char *const nn[] = {"reverse_charge", "active", NULL};
	no_nulls(r, nn);
	if (json_is_object(r->body))
		tax_rules(r->body, NULL, &r->err);
}

/* ---- writing ------------------------------------------------------------- */

static int load(struct req *r, const struct write_op *op, json_t **rec)
{
	return tax_load(r, r->id, true, rec);
}

/* 1 when another tax of the organisation has name (any case), 0 not, -1
 * error. */
static int name_taken(struct req *r, const char *name, int64_t self)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT 1 FROM tax WHERE org_id = ? AND lower(name) = "
		       "lower(?) AND id <> ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, name);
	db_bind_int(st, 3, self);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

/* The value of key: the body's when sent, else before's. */
static const json_t *pick(const json_t *b, const json_t *before,
			  const char *key)
{
	const json_t *v = json_object_get(b, key);
	return v ? v : json_object_get(before, key);
}

/* Writes the tax (INSERT when before is NULL, else UPDATE) and gives it
 * back in *after. 1, or -1 with r->err or a database error. */
static int tax_write(struct req *r, const json_t *before, json_t **after)
{
	const json_t *b = r->body;
	if (before) {
		tax_rules(b, before, &r->err);
		if (r->err.kind)
			return -1;
	}
	const char *name = json_string_value(pick(b, before, "name"));
	int taken = name_taken(r, name, before ? r->id : 0);
	if (taken < 0)
		return -1;
	if (taken)
		return atr_field(&r->err, "name", "taken",
				 "another tax is called '%s'", name),
		       -1;
	int64_t rate = 0;
	decimal_from_json(pick(b, before, "rate"), RATE_PLACES, &rate);
	const json_t *rc = pick(b, before, "reverse_charge");
	const json_t *act = pick(b, before, "active");
	const json_t *note = pick(b, before, "legal_note");
	const char *ntext = json_string_value(note);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db,
		before ? "UPDATE tax SET name = ?, rate = ?, reverse_charge = "
			 "?, legal_note = ?, active = ?, updated_at = ?, "
			 "version = version + 1 WHERE id = ? AND org_id = ? "
			 "RETURNING " COLS
		       : "INSERT INTO tax (name, rate, reverse_charge, "
			 "legal_note, active, updated_at, created_by, org_id, "
			 "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
			 "RETURNING " COLS);
	if (!st)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_int(st, 2, rate);
	db_bind_int(st, 3, json_is_true(rc));
	ntext && *ntext ? db_bind_text(st, 4, ntext) : db_bind_null(st, 4);
	db_bind_int(st, 5, act ? json_is_true(act) : 1);
	db_bind_text(st, 6, now);
	if (before) {
		db_bind_int(st, 7, r->id);
		db_bind_int(st, 8, r->who.org_id);
	} else {
		db_bind_int(st, 7, r->who.staff_id);
		db_bind_int(st, 8, r->who.org_id);
		db_bind_text(st, 9, now);
	}
	int ret = db_step(st);
	if (ret == 1)
		*after = tax_json(st);
	db_reset(st);
	if (ret < 0 && db_err_unique(r->db))
		return atr_field(&r->err, "name", "taken",
				 "another tax is called '%s'", name),
		       -1;
	return ret;
}

static int create_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	return tax_write(r, NULL, after);
}

static int update_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	int rc = tax_write(r, before, after);
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
	if (same) { /* write_run rolls the version bump back */
		json_decref(*after);
		*after = NULL;
	}
	return 1;
}

static int delete_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	int64_t n = 0;
	if (tax_uses(r->db, r->who.org_id, r->id, &n) < 0)
		return -1;
	if (n > 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"tax '%s' is used by %lld records; deactivate "
				"it instead",
				json_string_value(json_object_get(before,
								  "name")),
				(long long)n);
	struct db_stmt *st = db_prepare(
		r->db, "DELETE FROM tax WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 1;
}

static int run(struct req *r, enum write_kind kind,
	       int (*apply)(struct req *, const struct write_op *,
			    const json_t *, json_t **))
{
	struct write_op op = {kind,  "tax", "/api/v1/taxes", false, false,
			      load,  apply, NULL};
	return write_run(r, &op);
}

static int taxes_h_create(struct req *r)
{
	return run(r, WRITE_CREATE, create_apply);
}

static int taxes_h_update(struct req *r)
{
	return run(r, WRITE_UPDATE, update_apply);
}

static int taxes_h_delete(struct req *r)
{
	return run(r, WRITE_DELETE, delete_apply);
}

/* ---- the module ---------------------------------------------------------- */

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/taxes", taxes_h_list, ACCESS_PERM, "taxes",
	 CAP_VIEW},
	{HTTP_POST, "/api/v1/taxes", taxes_h_create, ACCESS_PERM, "taxes",
	 CAP_CREATE, &tax_schema, NULL, tax_check},
	{HTTP_GET, "/api/v1/taxes/{id}", taxes_h_get, ACCESS_PERM, "taxes",
	 CAP_VIEW},
	{HTTP_PATCH, "/api/v1/taxes/{id}", taxes_h_update, ACCESS_PERM, "taxes",
	 CAP_EDIT, &tax_schema, NULL, tax_check},
	{HTTP_DELETE, "/api/v1/taxes/{id}", taxes_h_delete, ACCESS_PERM,
	 "taxes", CAP_DELETE},
	{0},
};

static const struct perm_module perms[] = {
	{"taxes", "Taxes", PB_VIEW | PB_CREATE | PB_EDIT | PB_DELETE, "tax"},
	{0},
};

const struct module module_taxes = {
	.name = "taxes",
	.perms = perms,
	.routes = routes,
};
