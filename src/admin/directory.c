/* directory.c — what every signed-in member may read for pickers: the
 * staff directory (active members, id and name only), the ISO country
 * and currency lists, and what a document's form offers (the active
 * taxes and payment modes by name, the tax rounding rule): a Sales Agent
 * who writes invoices, or an AR Accountant who records payments, needs
 * to choose a tax or a mode without the right to manage them. No permission beyond a session: a member without
 * staff.view still needs to name a colleague (or themselves) as assignee,
 * and sees "Ana Pop" instead of "#3". Nothing else of a member is here:
 * no email, role or status.
 */
#include "atrium.h"

#include "core/iso_codes.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "http/http.h"

/* GET /api/v1/directory: {"data": [{id, name}]}, active members of the
 * caller's organisation by name. */
static int directory_h_staff(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	if (r->nquery)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"unknown query parameter '%s'",
				r->query[0].key);
	struct db_stmt *st = db_prepare(
		c, "SELECT id, name FROM staff WHERE org_id = ? AND active = 1 "
		   "ORDER BY lower(name), id");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->who.org_id);
	json_t *data = json_array();
	int rc;
	while ((rc = db_step(st)) == 1)
		json_array_append_new(data,
				      json_pack("{s:I,s:s}", "id",
						(json_int_t)db_col_int(st, 0),
						"name", db_col_text(st, 1)));
	db_reset(st);
	if (rc < 0) {
		json_decref(data);
		return req_db_error(r);
	}
	req_json(r, 200, json_pack("{s:o}", "data", data));
	return 0;
}

/* GET /api/v1/reference/countries and .../currencies: {"data": [{code,
 * name}]} in code order; the route's arg says which. */
static int directory_h_codes(struct req *r)
{
	bool countries = !strcmp(r->route->arg, "countries");
	int n = countries ? iso_country_count() : iso_currency_count();
	json_t *data = json_array();
	for (int i = 0; i < n; i++) {
		const struct iso_code *x =
			countries ? iso_country_at(i) : iso_currency_at(i);
		json_array_append_new(data, json_pack("{s:s,s:s}", "code",
						      x->code, "name",
						      x->name));
	}
	req_json(r, 200, json_pack("{s:o}", "data", data));
	return 0;
}

/* A tax rate (thousandths of a percent) as GET /api/v1/taxes writes
 * it: "19.000". */
static json_t *rate_text(int64_t v)
{
	char b[40];
	decimal_format(v, 3, b);
	return json_string(b);
}

/* Appends the rows of sql (bound to org) as objects of the n named
 * columns (id an integer, rate a tax rate, names starting "is_" or
 * "reverse_" booleans, the rest text). 0 or -1. */
static int rows(struct req *r, const char *sql, const char *const *cols,
		int n, json_t *out)
{
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	int rc;
	while ((rc = db_step(st)) == 1) {
		json_t *o = json_object();
		for (int i = 0; i < n; i++) {
			json_t *v;
			if (!strncmp(cols[i], "is_", 3) ||
			    !strncmp(cols[i], "reverse_", 8))
				v = json_boolean(db_col_int(st, i) != 0);
			else if (!strcmp(cols[i], "id"))
				v = json_integer(db_col_int(st, i));
			else if (!strcmp(cols[i], "rate"))
				v = rate_text(db_col_int(st, i));
			else
				v = json_string(db_col_text(st, i));
			json_object_set_new(o, cols[i], v);
		}
		json_array_append_new(out, o);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* GET /api/v1/reference/finance: {"taxes": [{id, name, rate,
 * reverse_charge}], "payment_modes": [{id, name, is_default}],
 * "tax_rounding": "document"|"line"}, the active ones of the caller's
 * organisation. */
static int directory_h_finance(struct req *r)
{
	static const char *const tax_cols[] = {"id", "name", "rate",
					       "reverse_charge"};
	static const char *const mode_cols[] = {"id", "name", "is_default"};
	if (!req_db(r))
		return -1;
	json_t *taxes = json_array(), *modes = json_array();
	char rule[16] = "document";
	int rc = rows(r, "SELECT id, name, rate, reverse_charge FROM tax "
			 "WHERE org_id = ? AND active = 1 ORDER BY rate DESC, "
			 "lower(name), id",
		      tax_cols, 4, taxes);
	if (rc == 0)
		rc = rows(r, "SELECT id, name, is_default FROM payment_mode "
			     "WHERE org_id = ? AND active = 1 ORDER BY "
			     "is_default DESC, lower(name), id",
			  mode_cols, 3, modes);
	if (rc == 0)
		rc = settings_get(r->db, r->who.org_id, "tax_rounding", rule,
				  sizeof rule);
	if (rc < 0) {
		json_decref(taxes);
		json_decref(modes);
		return req_db_error(r);
	}
	req_json(r, 200, json_pack("{s:o,s:o,s:s}", "taxes", taxes,
				   "payment_modes", modes, "tax_rounding",
				   rule));
	return 0;
}

static const struct route directory_routes[] = {
	{HTTP_GET, "/api/v1/directory", directory_h_staff, ACCESS_SESSION},
	{HTTP_GET, "/api/v1/reference/countries", directory_h_codes,
	 ACCESS_SESSION, NULL, 0, NULL, "countries"},
	{HTTP_GET, "/api/v1/reference/currencies", directory_h_codes,
	 ACCESS_SESSION, NULL, 0, NULL, "currencies"},
	{HTTP_GET, "/api/v1/reference/finance", directory_h_finance,
	 ACCESS_SESSION},
	{0},
};

const struct module module_directory = {
	.name = "directory",
	.routes = directory_routes,
};
