/* directory.c — what every signed-in member may read for pickers: the
 * staff directory (active members, id and name only) and the ISO country
 * and currency lists. No permission beyond a session: a member without
 * staff.view still needs to name a colleague (or themselves) as assignee,
 * and sees "Ana Pop" instead of "#3". Nothing else of a member is here:
 * no email, role or status.
 */
#include "atrium.h"

#include "core/iso_codes.h"
#include "core/module.h"
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

static const struct route directory_routes[] = {
	{HTTP_GET, "/api/v1/directory", directory_h_staff, ACCESS_SESSION},
	{HTTP_GET, "/api/v1/reference/countries", directory_h_codes,
	 ACCESS_SESSION, NULL, 0, NULL, "countries"},
	{HTTP_GET, "/api/v1/reference/currencies", directory_h_codes,
	 ACCESS_SESSION, NULL, 0, NULL, "currencies"},
	{0},
};

const struct module module_directory = {
	.name = "directory",
	.routes = directory_routes,
};
