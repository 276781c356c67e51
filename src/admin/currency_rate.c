/* currency_rate.c — exchange rates entered by hand, their history, and
 * conversion for reports (the currencies permission module; the rows are
 * currency.c's).
 *
 * GET    /api/v1/currencies/{id}/rates  the history, newest first
 *                                       (filters: valid_on ranges,
 *                                       base_code)
 * POST   /api/v1/currencies/{id}/rates  a rate on a date {rate, valid_on}
 * GET    /api/v1/currency_rates/{id}    one rate
 * DELETE /api/v1/currency_rates/{id}    remove a mistaken entry (logged)
 * GET    /api/v1/currencies/convert     ?amount=&from=&to=&date=
 *
 * A rate says how many units of the base currency one unit of the
 * currency is worth on and after its date ("1 EUR = 4.975300 RON"), as
 * central banks publish them: an exact decimal with six places (RATE_SCALE),
 * kept with the base it was entered against. The rate on a date is the
 * latest on or before it against the current base; rates against an
 * earlier base stay in the history and are used by nothing. A rate is
 * never changed in place: a mistake is deleted and entered again, both in
 * the activity log.
 */
#include "atrium.h"

#include "admin/finance.h"
#include "auth/perm.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/iso_codes.h"
#include "core/l10n.h"
#include "core/module.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/write.h"

#define RATE_MAX 1000000000LL /* one unit worth at most 10^9 of the base */

static const int64_t pow10s[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

/* ---- conversion ---------------------------------------------------------- */

/* The decimals of code for org: its row's, or ISO's when it has none. 1
 * when the organisation has a row, 0 not, -1 error. */
static int currency_decimals(struct db_conn *c, int64_t org, const char *code,
			     int *dec)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT decimals FROM currency WHERE org_id = ? AND code = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, code);
	int rc = db_step(st);
	*dec = rc == 1 ? (int)db_col_int(st, 0) : currency_iso_decimals(code);
	db_reset(st);
	return rc;
}

/* The rate of code against base on date into u. 1, 0 none, -1 error. */
static int rate_on(struct db_conn *c, int64_t org, const char *code,
		   const char *base, const char *date, struct rate_used *u)
{
	atr_strlcpy(u->code, code, sizeof u->code);
	if (!strcmp(code, base)) {
		u->rate = pow10s[RATE_SCALE];
		u->valid_on[0] = 0;
		return 1;
	}
	struct db_stmt *st = db_prepare(
		c, "SELECT r.rate, r.valid_on FROM currency_rate r JOIN "
		   "currency c ON c.id = r.currency_id WHERE r.org_id = ? AND "
		   "c.code = ? AND r.base_code = ? AND r.valid_on <= ? ORDER "
		   "BY r.valid_on DESC LIMIT 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, code);
	db_bind_text(st, 3, base);
	db_bind_text(st, 4, date);
	int rc = db_step(st);
	if (rc == 1) {
		u->rate = db_col_int(st, 0);
		atr_strlcpy(u->valid_on, db_col_text(st, 1),
			    sizeof u->valid_on);
	}
	db_reset(st);
	return rc;
}

/* num / den rounded half away from zero (den > 0). */
static __int128 div_round(__int128 num, __int128 den)
{
	__int128 q = num / den, rem = num % den;
	if (rem < 0)
		rem = -rem;
	if (2 * rem >= den)
		q += num < 0 ? -1 : 1;
	return q;
}

int currency_convert(struct db_conn *c, int64_t org, int64_t amount,
		     const char *from, const char *to, const char *date,
		     struct conversion *out, struct atr_err *err)
{
	memset(out, 0, sizeof *out);
	if (currency_base(c, org, out->base) < 0)
		return -1;
	int dfrom = 0, known;
	const char *codes[2] = {from, to};
	static const char *const fields[2] = {"from", "to"};
	for (int i = 0; i < 2; i++) {
		known = currency_decimals(c, org, codes[i],
					  i ? &out->decimals : &dfrom);
		if (known < 0)
			return -1;
		if (!known && strcmp(codes[i], out->base))
			atr_field(err, fields[i], "not_found",
				  "%s is not one of your currencies",
				  codes[i]);
	}
	if (err->nfields)
		return 0;
	struct rate_used *u[2] = {&out->from, &out->to};
	for (int i = 0; i < 2; i++) {
		int rc = rate_on(c, org, codes[i], out->base, date, u[i]);
		if (rc < 0)
			return -1;
		if (rc == 0)
			atr_field(err, "date", "no_rate",
				  "no rate of %s to %s on or before %s",
				  codes[i], out->base, date);
	}
	if (err->nfields)
		return 0;
	/* amount (10^-4) x from (10^-6) / to (10^-6), in 10^-decimals:
	 * |num| < 10^16 * 10^15 * 10^4 = 10^35 < 2^127. */
	__int128 num = (__int128)amount * out->from.rate *
		       pow10s[out->decimals];
	__int128 den = (__int128)out->to.rate * pow10s[CONVERT_SCALE];
	out->result = (int64_t)div_round(num, den);
	return 1;
}

/* GET /api/v1/currencies/convert?amount=&from=&to=&date= (date: today in
 * the organisation's time zone when absent) */
static int convert_h(struct req *r)
{
	const char *amount = NULL, *from = NULL, *to = NULL, *date = NULL;
	for (int i = 0; i < r->nquery; i++) {
		const char *k = r->query[i].key, *v = r->query[i].value;
		if (!strcmp(k, "amount"))
			amount = v;
		else if (!strcmp(k, "from"))
			from = v;
		else if (!strcmp(k, "to"))
			to = v;
		else if (!strcmp(k, "date"))
			date = v;
		else
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"unknown parameter '%s'", k);
	}
	int64_t a = 0;
	if (!amount)
		atr_field(&r->err, "amount", "required", "give an amount");
	else if (decimal_parse(amount, CONVERT_SCALE, &a) < 0 ||
		 a > CONVERT_AMOUNT_MAX * pow10s[CONVERT_SCALE] ||
		 a < -CONVERT_AMOUNT_MAX * pow10s[CONVERT_SCALE])
		atr_field(&r->err, "amount", "invalid",
			  "must be a number with at most %d decimals, at "
			  "most 10^12",
			  CONVERT_SCALE);
	const char *codes[2] = {from, to};
	static const char *const fields[2] = {"from", "to"};
	for (int i = 0; i < 2; i++) {
		if (!codes[i])
			atr_field(&r->err, fields[i], "required",
				  "give an ISO 4217 code");
		else if (strlen(codes[i]) != 3 || !iso_currency(codes[i]))
			atr_field(&r->err, fields[i], "invalid",
				  "must be an ISO 4217 currency code like "
				  "EUR");
	}
	if (date && !valid_date(date))
		atr_field(&r->err, "date", "invalid", "must be YYYY-MM-DD");
	if (r->err.nfields)
		return -1;
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	char today[16];
	if (!date) {
		/* Without a date: today, in the organisation's time zone. */
		char zone[TZ_NAME_MAX];
		struct tz_local now;
		if (l10n_org_zone(c, r->who.org_id, zone) < 0)
			return req_db_error(r);
		if (tz_local(zone, atr_now_ms(), &now) < 0 &&
		    tz_local("UTC", atr_now_ms(), &now) < 0)
			return atr_fail(&r->err, ATR_E_INTERNAL,
					"cannot read today's date");
		snprintf(today, sizeof today, "%04d-%02d-%02d",
			 now.year % 10000, now.month % 100, now.day % 100);
		date = today;
	}
	struct conversion cv;
	int rc = currency_convert(c, r->who.org_id, a, from, to, date, &cv,
				  &r->err);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return -1;
	char am[40], res[40], rate[40], rf[40], rt[40];
	decimal_format(a, CONVERT_SCALE, am);
	decimal_format(cv.result, cv.decimals, res);
	decimal_format((int64_t)div_round((__int128)cv.from.rate *
						  pow10s[RATE_SCALE],
					  cv.to.rate),
		       RATE_SCALE, rate);
	decimal_format(cv.from.rate, RATE_SCALE, rf);
	decimal_format(cv.to.rate, RATE_SCALE, rt);
	json_t *rates = json_array();
	const struct rate_used *u[2] = {&cv.from, &cv.to};
	const char *txt[2] = {rf, rt};
	for (int i = 0; i < 2; i++)
		if (u[i]->valid_on[0] &&
		    !(i == 1 && !strcmp(cv.from.code, cv.to.code)))
			json_array_append_new(
				rates, json_pack("{s:s,s:s,s:s}", "currency",
						 u[i]->code, "rate", txt[i],
						 "valid_on", u[i]->valid_on));
	req_json(r, 200,
		 json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "amount", am,
			   "from", from, "to", to, "date", date, "base",
			   cv.base, "result", res, "rate", rate, "rates",
			   rates));
	return 0;
}

/* ---- the history ---------------------------------------------------------- */

#define COLS                                                                   \
	"r.id, r.currency_id, c.code, r.base_code, r.rate, r.valid_on, "       \
	"r.created_by, r.created_at"

static json_t *rate_json(struct db_stmt *st, const char *base)
{
	char rate[40];
	decimal_format(db_col_int(st, 4), RATE_SCALE, rate);
	const char *bc = db_col_text(st, 3);
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:b,s:I,s:s}", "id",
			 (json_int_t)db_col_int(st, 0), "currency_id",
			 (json_int_t)db_col_int(st, 1), "code",
			 db_col_text(st, 2), "base_code", bc, "rate", rate,
			 "valid_on", db_col_text(st, 5), "current",
			 base && !strcmp(base, bc), "created_by",
			 (json_int_t)db_col_int(st, 6), "created_at",
			 db_col_text(st, 7));
}

static void row(struct buf *b, struct db_stmt *st, const void *arg)
{
	json_t *o = rate_json(st, arg);
	char *t = json_dumps(o, JSON_COMPACT);
	buf_adds(b, t);
	free(t);
	json_decref(o);
}

static const struct field f_valid = {.name = "valid_on", .type = FT_DATE};
static const struct field f_base = {.name = "base_code",
				    .type = FT_CURRENCY};
static const struct field f_created = {.name = "created_at",
				       .type = FT_DATETIME};

static const struct list_col columns[] = {
	{&f_valid, "r.valid_on", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
	{&f_base, "r.base_code", LIST_FILTER},
	{&f_created, "r.created_at", LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

/* The rates of the currency in the path only. */
static int scope(struct req *r, struct list_query *q, const void *arg)
{
	list_where(q, "r.currency_id = ?");
	list_int(q, r->id);
	return 0;
}

static const struct list_spec spec = {
	.from = "currency_rate r JOIN currency c ON c.id = r.currency_id",
	.cols = COLS,
	.id = "r.id",
	.org = "r.org_id",
	.columns = columns,
	.ncolumns = (int)ATR_ARRAY_LEN(columns),
	.sort_default = "-valid_on",
	.limit_default = 50,
	.limit_max = 200,
	.count_default = true,
	.row = row,
	.scope = scope,
};

static int rates_h_list(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *cur = NULL;
	int rc = currency_load(r, r->id, false, &cur);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"currency %lld not found", (long long)r->id);
	char *base = arena_alloc(r->arena, 4);
	int brc = currency_base(r->db, r->who.org_id, base);
	json_decref(cur);
	if (brc < 0)
		return req_db_error(r);
	struct list_spec s = spec;
	s.arg = base;
	return list_run(r, &s);
}

/* Rate id of the caller's organisation: 1, 0 absent, -1 error. */
static int rate_load(struct req *r, int64_t id, bool lock, json_t **out)
{
	char base[4] = "";
	if (currency_base(r->db, r->who.org_id, base) < 0)
		return -1;
	const char *sql =
		lock && db_conn_dialect(r->db) == DB_PG
			? "SELECT " COLS " FROM currency_rate r JOIN currency "
			  "c ON c.id = r.currency_id WHERE r.id = ? AND "
			  "r.org_id = ? FOR UPDATE OF r"
			: "SELECT " COLS " FROM currency_rate r JOIN currency "
			  "c ON c.id = r.currency_id WHERE r.id = ? AND "
			  "r.org_id = ?";
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1)
		*out = rate_json(st, base);
	db_reset(st);
	return rc;
}

static int rates_h_get(struct req *r)
{
	if (!req_db(r))
		return -1;
	json_t *o = NULL;
	int rc = rate_load(r, r->id, false, &o);
	if (rc < 0)
		return req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND,
				"exchange rate %lld not found",
				(long long)r->id);
	req_json(r, 200, o);
	return 0;
}

/* ---- adding and removing --------------------------------------------------- */

static const struct field rate_fields[] = {
	{.name = "rate", .type = FT_DECIMAL, .flags = F_REQUIRED,
	 .scale = RATE_SCALE},
	{"valid_on", FT_DATE, F_REQUIRED, 0},
};
static const struct schema rate_schema = SCHEMA(rate_fields);

static void rate_check(struct req *r)
{
	int64_t x;
	const json_t *v = json_object_get(r->body, "rate");
	if (v && decimal_from_json(v, RATE_SCALE, &x) &&
	    (x <= 0 || x > RATE_MAX * pow10s[RATE_SCALE]))
		atr_field(&r->err, "rate", "out_of_range",
			  "must be above 0 and at most 1000000000");
}

static int create_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	json_t *cur = NULL;
	int rc = currency_load(r, r->id, true, &cur);
	if (rc <= 0)
		return rc < 0 ? -1
			      : atr_fail(&r->err, ATR_E_NOT_FOUND,
					 "currency %lld not found",
					 (long long)r->id);
	char base[4] = "", code[4] = "";
	atr_strlcpy(code, json_string_value(json_object_get(cur, "code")),
		    sizeof code);
	bool is_base = json_is_true(json_object_get(cur, "base"));
	if (currency_base(r->db, r->who.org_id, base) < 0) {
		json_decref(cur);
		return -1;
	}
	if (is_base) {
		atr_fail(&r->err, ATR_E_CONFLICT,
			 "%s is the base currency: its rate is always 1", code);
		json_decref(cur);
		return -1;
	}
	json_decref(cur);
	int64_t rate = 0;
	decimal_from_json(json_object_get(r->body, "rate"), RATE_SCALE, &rate);
	const char *on =
		json_string_value(json_object_get(r->body, "valid_on"));
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db, "INSERT INTO currency_rate (org_id, currency_id, "
		       "base_code, rate, valid_on, created_by, created_at) "
		       "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, r->id);
	db_bind_text(st, 3, base);
	db_bind_int(st, 4, rate);
	db_bind_text(st, 5, on);
	db_bind_int(st, 6, r->who.staff_id);
	db_bind_text(st, 7, now);
	rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc < 0 && db_err_unique(r->db))
		return atr_field(&r->err, "valid_on", "taken",
				 "%s already has a rate on %s; delete it to "
				 "enter another",
				 code, on),
		       -1;
	if (rc != 1)
		return -1;
	return rate_load(r, id, false, after);
}

static int load(struct req *r, const struct write_op *op, json_t **rec)
{
	return rate_load(r, r->id, true, rec);
}

static int delete_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	struct db_stmt *st = db_prepare(
		r->db, "DELETE FROM currency_rate WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 1;
}

static int rates_h_create(struct req *r)
{
	struct write_op op = {WRITE_CREATE, "currency_rate",
			      "/api/v1/currency_rates", false, false, load,
			      create_apply, NULL};
	return write_run(r, &op);
}

static int rates_h_delete(struct req *r)
{
	struct write_op op = {WRITE_DELETE, "currency_rate",
			      "/api/v1/currency_rates", false, false, load,
			      delete_apply, NULL};
	return write_run(r, &op);
}

/* ---- the module ---------------------------------------------------------- */

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/currencies/convert", convert_h, ACCESS_PERM,
	 "currencies", CAP_VIEW},
	{HTTP_GET, "/api/v1/currencies/{id}/rates", rates_h_list, ACCESS_PERM,
	 "currencies", CAP_VIEW},
	{HTTP_POST, "/api/v1/currencies/{id}/rates", rates_h_create,
	 ACCESS_PERM, "currencies", CAP_EDIT, &rate_schema, NULL, rate_check},
	{HTTP_GET, "/api/v1/currency_rates/{id}", rates_h_get, ACCESS_PERM,
	 "currencies", CAP_VIEW},
	{HTTP_DELETE, "/api/v1/currency_rates/{id}", rates_h_delete,
	 ACCESS_PERM, "currencies", CAP_EDIT},
	{0},
};

/* A row of its own so each file keeps its route array (as
 * webhook_deliveries); the permission is the currencies module's. */
const struct module module_currency_rates = {
	.name = "currency_rates",
	.routes = routes,
};
