/* currency.c — the currencies module (/admin/currencies; spec, Step 3:
 * "currencies used + exchange rates").
 *
 * GET    /api/v1/currencies            list (filters: code, active, base)
 * POST   /api/v1/currencies            add an ISO 4217 currency
 * GET    /api/v1/currencies/{id}       one
 * PATCH  /api/v1/currencies/{id}       symbol, its position, decimals,
 *                                      active (If-Match)
 * DELETE /api/v1/currencies/{id}       remove one without rates
 * POST   /api/v1/currencies/{id}/base  make it the base currency
 * (the rates and the conversion are currency_rate.c)
 *
 * The base currency is the organisation's `default_currency` setting
 * (Settings > Localization, src/admin/localization.c): one value, so
 * exactly one base, and one truth for the UI's money formats and for the
 * rates. Making a currency the base is an explicit action that changes
 * that setting through settings_apply (its version, its activity row), so
 * it needs the settings.edit permission, as the Localization tab does.
 * The base currency cannot be deactivated or deleted. A code that has
 * only the setting and no row here (EUR on a fresh install) is still the
 * base: conversions treat it as rate 1.
 *
 * Symbol and decimal places default to ICU's data for the code (ISO 4217
 * minor units: EUR 2, JPY 0, KWD 3); the code never changes.
 */
#include "atrium.h"

#include <unicode/ucurr.h>
#include <unicode/ustring.h>

#include "admin/finance.h"
#include "auth/perm.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/iso_codes.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/write.h"

#define SYMBOL_MAX_CHARS 8

int currency_base(struct db_conn *c, int64_t org, char code[4])
{
	return settings_get(c, org, "default_currency", code, 4);
}

int currency_iso_decimals(const char *code)
{
	UChar u[4];
	UErrorCode ec = U_ZERO_ERROR;
	u_uastrncpy(u, code, 4);
	int32_t d = ucurr_getDefaultFractionDigits(u, &ec);
	return U_FAILURE(ec) || d < 0 || d > 4 ? 2 : (int)d;
}

/* ICU's symbol of code in English ("€", "$", "RON"), or the code. */
static void iso_symbol(const char *code, char *out, size_t n)
{
	UChar u[4];
	UErrorCode ec = U_ZERO_ERROR;
	u_uastrncpy(u, code, 4);
	UBool choice = 0;
	int32_t len = 0;
	const UChar *s = ucurr_getName(u, "en", UCURR_SYMBOL_NAME, &choice,
				       &len, &ec);
	int32_t got = 0;
	if (!U_FAILURE(ec) && s)
		u_strToUTF8(out, (int32_t)n, &got, s, len, &ec);
	if (U_FAILURE(ec) || got <= 0 || (size_t)got >= n)
		atr_strlcpy(out, code, n);
}

/* ---- the record ---------------------------------------------------------- */

#define COLS                                                                   \
	"id, code, symbol, symbol_position, decimals, active, created_by, "    \
	"created_at, updated_at, version"

static json_t *text_or_null(struct db_stmt *st, int col)
{
	return db_col_null(st, col) ? json_null()
				    : json_string(db_col_text(st, col));
}

static json_t *currency_json(struct db_stmt *st, const char *base)
{
	const char *code = db_col_text(st, 1);
	const struct iso_code *iso = iso_currency(code);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "code", json_string(code));
	json_object_set_new(o, "name", json_string(iso ? iso->name : code));
	json_object_set_new(o, "symbol", text_or_null(st, 2));
	json_object_set_new(o, "symbol_position", text_or_null(st, 3));
	json_object_set_new(o, "decimals", json_integer(db_col_int(st, 4)));
	json_object_set_new(o, "active", json_boolean(db_col_int(st, 5)));
	json_object_set_new(o, "base",
			    json_boolean(base && !strcmp(base, code)));
	json_object_set_new(o, "created_by", json_integer(db_col_int(st, 6)));
	json_object_set_new(o, "created_at", text_or_null(st, 7));
	json_object_set_new(o, "updated_at", text_or_null(st, 8));
	json_object_set_new(o, "version", json_integer(db_col_int(st, 9)));
	return o;
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	json_t *o = currency_json(st, arg);
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

int currency_load(struct req *r, int64_t id, bool lock, json_t **out)
{
	char base[4] = "";
	if (currency_base(r->db, r->who.org_id, base) < 0)
		return -1;
	const char *sql = lock && db_conn_dialect(r->db) == DB_PG
				  ? "SELECT " COLS " FROM currency WHERE id = "
				    "? AND org_id = ? FOR UPDATE"
				  : "SELECT " COLS " FROM currency WHERE id = "
				    "? AND org_id = ?";
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1)
		*out = currency_json(st, base);
	db_reset(st);
	return rc;
}

/* ---- list ---------------------------------------------------------------- */

static const char *const positions[] = {"before", "after", NULL};

static const struct field f_code = {.name = "code", .type = FT_CURRENCY};
static const struct field f_active = {.name = "active", .type = FT_BOOL};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_code, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_active, NULL, LIST_FILTER},
	{&f_created, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static const char *const search[] = {"code", "symbol", NULL};

/* ?base=true|false: the base currency, or the others. */
static int base_param(struct req *r, struct list_query *q, const char *key,
		      const char *op, const char *value, const void *arg)
{
	if (strcmp(key, "base"))
		return 0;
	if (op || (strcmp(value, "true") && strcmp(value, "false")))
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"base must be true or false");
	list_where(q, strcmp(value, "true") ? "code <> ?" : "code = ?");
	list_text(q, arg);
	q->filtered = true;
	return 1;
}

static const struct list_spec spec = {
	.from = "currency",
	.cols = COLS,
	.id = "id",
	.org = "org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "code",
	.limit_default = 50,
	.limit_max = 200,
	.search = search,
	.count_default = true,
	.row = row,
	.param = base_param,
};

static int currencies_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char *base = arena_alloc(r->arena, 4);
	if (currency_base(c, r->who.org_id, base) < 0)
		return req_db_error(r);
	struct list_spec s = spec;
	s.arg = base;
	return list_run(r, &s);
}

static int currencies_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *o = NULL;
	int rc = currency_load(r, r->id, false, &o);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"currency %lld not found", (long long)r->id);
	req_etag(r, json_integer_value(json_object_get(o, "version")));
	req_json(r, 200, o);
	return 0;
}

/* ---- validation ---------------------------------------------------------- */

static const struct field create_fields[] = {
    {"code", FT_CURRENCY, F_REQUIRED, 3},
    {"symbol", FT_TEXT, 0, SYMBOL_MAX_CHARS},
    {"symbol_position", FT_ENUM, 0, 0, positions},
    {"decimals", FT_INT, F_ZERO, 0},
    {"active", FT_BOOL, 0, 0},
};
static const struct schema create_schema = SCHEMA(create_fields);

static const struct field change_fields[] = {
    {"symbol", FT_TEXT, 0, SYMBOL_MAX_CHARS},
    {"symbol_position", FT_ENUM, 0, 0, positions},
    {"decimals", FT_INT, F_ZERO, 0},
    {"active", FT_BOOL, 0, 0},
};
static const struct schema change_schema = SCHEMA(change_fields);

/* Members that have no "no value": null is refused, not read as false. */
static void no_nulls(struct req *r, const char *const *keys)
{
	for (; *keys; keys++)
		if (json_is_null(json_object_get(r->body, *keys)))
			atr_field(&r->err, *keys, "required",
				  "must not be null");
}

static void currency_check(struct req *r)
{
	static const char *const nn[] = {"symbol", "symbol_position", "decimals", "active", NULL};
	no_nulls(r, nn);
	json_t *d = json_object_get(r->body, "decimals");
	if (json_is_integer(d) && json_integer_value(d) > 4) /* < 0: F_ZERO */
		atr_field(&r->err, "decimals", "out_of_range",
			  "must be 0 to 4");
	const char *s = json_string_value(json_object_get(r->body, "symbol"));
	if (s && !s[strspn(s, " ")])
		atr_field(&r->err, "symbol", "required", "must not be blank");
}

/* ---- writing ------------------------------------------------------------- */

static int load(struct req *r, const struct write_op *op, json_t **rec)
{
	return currency_load(r, r->id, true, rec);
}

static const json_t *pick(const json_t *b, const json_t *before,
			  const char *key)
{
	const json_t *v = json_object_get(b, key);
	return v ? v : json_object_get(before, key);
}

static int create_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	const json_t *b = r->body;
	const char *code = json_string_value(json_object_get(b, "code"));
	char sym[64], base[4] = "", now[ATR_TIME_LEN];
	const char *s = json_string_value(json_object_get(b, "symbol"));
	if (!s)
		iso_symbol(code, sym, sizeof sym);
	const json_t *pos = json_object_get(b, "symbol_position");
	const json_t *dec = json_object_get(b, "decimals");
	const json_t *act = json_object_get(b, "active");
	if (currency_base(r->db, r->who.org_id, base) < 0)
		return -1;
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db, "INSERT INTO currency (org_id, code, symbol, "
		       "symbol_position, decimals, active, created_by, "
		       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
		       "?, ?) RETURNING " COLS);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, code);
	db_bind_text(st, 3, s ? s : sym);
	db_bind_text(st, 4, pos ? json_string_value(pos) : "before");
	db_bind_int(st, 5, dec ? json_integer_value(dec)
			       : currency_iso_decimals(code));
	db_bind_int(st, 6, act ? json_is_true(act) : 1);
	db_bind_int(st, 7, r->who.staff_id);
	db_bind_text(st, 8, now);
	db_bind_text(st, 9, now);
	int rc = db_step(st);
	if (rc == 1)
		*after = currency_json(st, base);
	db_reset(st);
	if (rc < 0 && db_err_unique(r->db))
		return atr_field(&r->err, "code", "taken",
				 "%s is already one of your currencies", code),
		       -1;
	return rc;
}

static int update_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	const json_t *b = r->body;
	const json_t *act = json_object_get(b, "active");
	if (act && !json_is_true(act) &&
	    json_is_true(json_object_get(before, "base")))
		return atr_field(&r->err, "active", "invalid",
				 "the base currency cannot be deactivated; "
				 "make another currency the base first"),
		       -1;
	char base[4] = "", now[ATR_TIME_LEN];
	if (currency_base(r->db, r->who.org_id, base) < 0)
		return -1;
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE currency SET symbol = ?, symbol_position = ?, "
		       "decimals = ?, active = ?, updated_at = ?, version = "
		       "version + 1 WHERE id = ? AND org_id = ? RETURNING " COLS);
	if (!st)
		return -1;
	db_bind_text(st, 1, json_string_value(pick(b, before, "symbol")));
	db_bind_text(st, 2,
		     json_string_value(pick(b, before, "symbol_position")));
	db_bind_int(st, 3, json_integer_value(pick(b, before, "decimals")));
	db_bind_int(st, 4, json_is_true(pick(b, before, "active")));
	db_bind_text(st, 5, now);
	db_bind_int(st, 6, r->id);
	db_bind_int(st, 7, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1)
		*after = currency_json(st, base);
	db_reset(st);
	if (rc != 1)
		return rc;
	json_t *x = json_deep_copy(*after), *y = json_deep_copy(before);
	static const char *const skip[] = {"version", "updated_at"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(skip); i++) {
		json_object_del(x, skip[i]);
		json_object_del(y, skip[i]);
	}
	if (json_equal(x, y)) {
		json_decref(*after);
		*after = NULL;
	}
	json_decref(x);
	json_decref(y);
	return 1;
}

static int delete_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	const char *code = json_string_value(json_object_get(before, "code"));
	if (json_is_true(json_object_get(before, "base")))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"%s is the base currency; make another "
				"currency the base first",
				code);
	struct db_stmt *st = db_prepare(
		r->db, "SELECT COUNT(*) FROM currency_rate WHERE org_id = ? "
		       "AND currency_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, r->id);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1)
		return -1;
	if (n > 0)
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"%s has %lld exchange rates in its history; "
				"deactivate it instead",
				code, (long long)n);
	st = db_prepare(r->db,
			"DELETE FROM currency WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 1;
}

static int run(struct req *r, enum write_kind kind,
	       int (*apply)(struct req *, const struct write_op *,
			    const json_t *, json_t **))
{
	struct write_op op = {kind,  "currency", "/api/v1/currencies",
			      false, false,	 load,
			      apply, NULL};
	return write_run(r, &op);
}

static int currencies_h_create(struct req *r)
{
	return run(r, WRITE_CREATE, create_apply);
}

static int currencies_h_update(struct req *r)
{
	return run(r, WRITE_UPDATE, update_apply);
}

static int currencies_h_delete(struct req *r)
{
	return run(r, WRITE_DELETE, delete_apply);
}

/* POST /{id}/base: the currency becomes the organisation's base (its
 * default_currency setting), with the setting's activity row and one of
 * the currency's own. 409 when it is deactivated. */
static int currencies_h_base(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *cur = NULL, *body = NULL;
	struct settings_change ch = {.if_version = -1};
	int rc = -1;
	int found = currency_load(r, r->id, true, &cur);
	if (found < 0) {
		req_db_error(r);
		goto out;
	}
	if (found == 0) {
		atr_fail(&r->err, ATR_E_NOT_FOUND, "currency %lld not found",
			 (long long)r->id);
		goto out;
	}
	const char *code = json_string_value(json_object_get(cur, "code"));
	if (!json_is_true(json_object_get(cur, "active"))) {
		atr_fail(&r->err, ATR_E_CONFLICT,
			 "%s is deactivated; activate it before making it "
			 "the base currency",
			 code);
		goto out;
	}
	body = json_pack("{s:s}", "default_currency", code);
	if (settings_apply(c, r->who.org_id, "localization", body, &ch,
			   &r->err) < 0)
		goto out;
	if (json_object_size(ch.diff) > 0) {
		json_t *diff = json_pack("{s:{s:b,s:b}}", "base", "from", 0,
					 "to", 1);
		int a = activity_from_req(r, "update", "settings", 0, ch.diff);
		if (a == 0)
			a = activity_from_req(r, "make_base", "currency", r->id,
					      diff);
		json_decref(diff);
		if (a < 0 || db_commit(c) < 0) {
			if (!r->err.kind)
				req_db_error(r);
			goto out;
		}
	} else {
		db_rollback(c);
	}
	json_object_set_new(cur, "base", json_true());
	req_etag(r, json_integer_value(json_object_get(cur, "version")));
	req_json(r, 200, cur);
	cur = NULL;
	rc = 0;
out:
	if (rc < 0 && db_in_tx(c))
		db_rollback(c);
	json_decref(cur);
	json_decref(body);
	json_decref(ch.diff);
	return rc;
}

/* ---- the module ---------------------------------------------------------- */

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/currencies", currencies_h_list, ACCESS_PERM,
	 "currencies", CAP_VIEW},
	{HTTP_POST, "/api/v1/currencies", currencies_h_create, ACCESS_PERM,
	 "currencies", CAP_CREATE, &create_schema, NULL, currency_check},
	{HTTP_GET, "/api/v1/currencies/{id}", currencies_h_get, ACCESS_PERM,
	 "currencies", CAP_VIEW},
	{HTTP_PATCH, "/api/v1/currencies/{id}", currencies_h_update,
	 ACCESS_PERM, "currencies", CAP_EDIT, &change_schema, NULL,
	 currency_check},
	{HTTP_DELETE, "/api/v1/currencies/{id}", currencies_h_delete,
	 ACCESS_PERM, "currencies", CAP_DELETE},
	/* It changes an organisation setting: the Localization tab's
	 * permission. */
	{HTTP_POST, "/api/v1/currencies/{id}/base", currencies_h_base,
	 ACCESS_PERM, "settings", CAP_EDIT, &schema_empty},
	{0},
};

/* A rate's rows (currency_rate.c) follow the currencies' view. */
static const char *const rate_log[] = {"currency_rate", NULL};

static const struct perm_module perms[] = {
	{"currencies", "Currencies and exchange rates",
	 PB_VIEW | PB_CREATE | PB_EDIT | PB_DELETE, "currency", rate_log},
	{0},
};

const struct module module_currencies = {
	.name = "currencies",
	.perms = perms,
	.routes = routes,
};
