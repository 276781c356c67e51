/* test_fields.c — entity field sets extended at run time: a module's
 * custom definitions reach validation, storage, the record's JSON, the
 * list engine and the diff, from a cache that follows changes (locally at
 * once, from another node through the database's generation). On SQLite
 * and, with ATRIUM_TEST_PG, PostgreSQL. */
#include "atrium.h"

#include "unit.h"

#include <jansson.h>

#include "core/arena.h"
#include "core/module.h"
#include "core/secret.h"
#include "core/config.h"
#include "db/db.h"
#include "entity/entity.h"
#include "http/http.h"
#include "http/pipeline.h"
#include "http/query.h"
#include "http/write.h"

/* The test module: its definitions depend on `version`. */
static int version;

static int provide(struct db_conn *c, int64_t org, const struct entity *e,
		   json_t **defs)
{
	if (strcmp(e->name, "lead")) {
		*defs = json_array();
		return 0;
	}
	*defs = json_pack(
		"[{s:s,s:s,s:s,s:[s,s],s:b,s:b},"
		" {s:s,s:s,s:b,s:b},"
		" {s:s,s:s,s:b}]",
		"name", "industry", "type", "enum", "label", "Industry",
		"choices", "timber", "steel", "filterable", 1, "sortable", 1,
		"name", "budget", "type", "money", "filterable", 1, "required",
		version > 0,
		"name", "secret_score", "type", "integer", "admin_only", 1);
	if (version > 1)
		json_array_append_new(*defs,
				      json_pack("{s:s,s:s,s:s}", "name", "due",
						"type", "date", "default",
						"\"2027-01-01\""));
	return 0;
}

static const struct module test_provider = {.name = "test_fields",
					    .custom_fields = provide};

static struct app app;
/* The program's modules, the test's provider and the end. */
static const struct module *mods[256];
static struct route create_route;

/* A request as the pipeline leaves it for the handler. */
static void req_start(struct req *r, bool admin, const char *body)
{
	memset(r, 0, sizeof *r);
	r->app = &app;
	r->arena = arena_new();
	r->who = (struct principal){.staff_id = 1, .org_id = 1, .admin = admin};
	r->authed = true;
	atr_strlcpy(r->ip, "127.0.0.1", sizeof r->ip);
	if (body) {
		r->body = json_loads(body, 0, NULL);
		r->raw_body = body;
		r->raw_body_len = strlen(body);
	}
}

static void req_end(struct req *r)
{
	if (r->db && db_in_tx(r->db))
		db_rollback(r->db);
	if (r->db)
		db_release(r->db);
	r->db = NULL;
	req_free(r);
}

static bool has_error(const struct req *r, const char *field, const char *code)
{
	for (int i = 0; i < r->err.nfields; i++)
		if (!strcmp(r->err.fields[i].field, field) &&
		    !strcmp(r->err.fields[i].code, code))
			return true;
	return false;
}

static void fields(const char *url)
{
	app.db = unit_db_open(url, true);
	if (!app.db)
		return;
	const struct entity *lead = entity_find("lead");
	struct db_conn *c = unit_db_acquire(app.db);
	CHECK_EQ_INT(db_exec(c, "INSERT INTO staff (org_id, email, email_norm, "
				"name, admin, created_at, updated_at) VALUES "
				"(1, 'a@x.test', 'a@x.test', 'A', 1, 'x', "
				"'x')"),
		     0);
	db_release(c);
	version = 0;
	entity_fields_recheck(1000LL * 1000 * 1000);

	/* The set: compiled-in fields, three custom ones, the body schema
	 * with custom_fields, list columns custom_fields.<name>. */
	struct req r;
	req_start(&r, true, NULL);
	const struct field_set *fs = entity_fields(&r, lead);
	if (!CHECK(fs != NULL)) {
		req_end(&r);
		goto out;
	}
	CHECK_EQ_INT(fs->ncustom, 3);
	CHECK(schema_find(fs->body, "custom_fields") != NULL);
	bool col = false;
	for (int i = 0; i < fs->ncolumns; i++)
		col |= !strcmp(fs->columns[i].f->name, "custom_fields.industry");
	CHECK(col);
	CHECK(entity_fields(&r, lead) == fs); /* once per request */
	req_end(&r);

	/* Validation: unknown, invalid, admin_only for a member. */
	req_start(&r, false,
		  "{\"name\":\"x\",\"custom_fields\":{\"industry\":\"wood\","
		  "\"budget\":\"1.234\",\"nope\":1,\"secret_score\":3}}");
	create_route = (struct route){.method = HTTP_POST, .arg = lead};
	r.route = &create_route;
	r.method = HTTP_POST;
	entity_check_refs(&r);
	CHECK(has_error(&r, "custom_fields.industry", "not_allowed"));
	CHECK(has_error(&r, "custom_fields.budget", "invalid"));
	CHECK(has_error(&r, "custom_fields.nope", "unknown_field"));
	CHECK(has_error(&r, "custom_fields.secret_score", "unknown_field"));
	req_end(&r);

	/* Create as an administrator: stored, given back in API form. */
	req_start(&r, true,
		  "{\"name\":\"Lead one\",\"custom_fields\":{\"industry\":"
		  "\"timber\",\"budget\":\"1250.5\",\"secret_score\":7}}");
	r.route = &create_route;
	r.method = HTTP_POST;
	CHECK_EQ_INT(entity_h_create(&r), 0);
	json_t *cf = json_object_get(r.out, "custom_fields");
	CHECK_STR(json_string_value(json_object_get(cf, "industry")), "timber");
	CHECK_STR(json_string_value(json_object_get(cf, "budget")), "1250.50");
	CHECK_EQ_INT(json_integer_value(json_object_get(cf, "secret_score")),
		     7);
	int64_t id = json_integer_value(json_object_get(r.out, "id"));
	req_end(&r);

	/* A member reads it without the admin_only value. */
	req_start(&r, false, NULL);
	r.who.perms.bits[perm_module_index("leads")] = PB_VIEW;
	r.id = id;
	create_route.arg = lead;
	r.route = &create_route;
	CHECK_EQ_INT(entity_h_get(&r), 0);
	cf = json_object_get(r.out, "custom_fields");
	CHECK(json_object_get(cf, "secret_score") == NULL);
	CHECK_STR(json_string_value(json_object_get(cf, "industry")), "timber");
	req_end(&r);

	/* Another change of the stored values (an update's doing), read
	 * back; the diff of the two records names custom_fields.industry. */
	c = unit_db_acquire(app.db);
	json_t *before = NULL;
	CHECK_EQ_INT(db_exec(c, "UPDATE lead SET cf = '{\"budget\":125050,"
				"\"industry\":\"steel\",\"secret_score\":7}', "
				"version = version + 1"),
		     0);
	db_release(c);
	req_start(&r, true, NULL);
	r.id = id;
	r.route = &create_route;
	CHECK_EQ_INT(entity_h_get(&r), 0);
	before = json_incref(r.out);
	req_end(&r);
	cf = json_object_get(before, "custom_fields");
	CHECK_STR(json_string_value(json_object_get(cf, "industry")), "steel");
	json_t *after = json_deep_copy(before);
	json_object_set_new(json_object_get(after, "custom_fields"), "industry",
			    json_string("timber"));
	json_t *d = write_diff(before, after);
	CHECK(json_object_get(d, "custom_fields.industry") != NULL);
	CHECK_EQ_INT(json_object_size(d), 1);
	json_decref(d);
	json_decref(before);
	json_decref(after);

	/* The list filters and sorts on a custom field. */
	req_start(&r, true, NULL);
	struct atr_err qe = {0};
	const char *qs = "custom_fields.industry=steel&count=true";
	CHECK_EQ_INT(query_parse(qs, strlen(qs), r.arena, r.query, QUERY_MAX,
				 &r.nquery, &qe),
		     0);
	r.route = &create_route;
	CHECK_EQ_INT(entity_h_list(&r), 0);
	json_t *page = json_loadb(r.raw_owned, r.raw_len, 0, NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(page, "total")), 1);
	json_decref(page);
	req_end(&r);

	/* A definition changes on this node: the next request sees it. */
	version = 2;
	struct req w;
	req_start(&w, true, NULL);
	CHECK_EQ_INT(db_begin(req_db(&w)), 0);
	CHECK_EQ_INT(entity_fields_changed(&w, lead), 0);
	CHECK_EQ_INT(db_commit(w.db), 0);
	req_end(&w);
	req_start(&r, true, NULL);
	fs = entity_fields(&r, lead);
	CHECK(fs && fs->ncustom == 4 &&
	      (fs->custom[1].flags & F_REQUIRED) != 0);
	req_end(&r);

	/* Another node changed it (only the database knows): seen once the
	 * recheck interval has passed (0 here). */
	version = 0;
	c = unit_db_acquire(app.db);
	CHECK_EQ_INT(db_exec(c, "UPDATE field_gen SET gen = gen + 1"), 0);
	db_release(c);
	entity_fields_recheck(0);
	req_start(&r, true, NULL);
	fs = entity_fields(&r, lead);
	CHECK(fs && fs->ncustom == 3);
	req_end(&r);
	entity_fields_recheck(1000LL * 1000 * 1000);

	/* A change in flight (its transaction open on another connection): a
	 * set built meanwhile has the old definitions and is not cached as
	 * fresh, so once the change's request ends the next request sees the
	 * new ones, with no wait for the recheck interval. */
	req_start(&w, true, NULL);
	CHECK_EQ_INT(db_begin(req_db(&w)), 0);
	CHECK_EQ_INT(entity_fields_changed(&w, lead), 0);
	req_start(&r, true, NULL);
	fs = entity_fields(&r, lead);
	CHECK(fs && fs->ncustom == 3);
	req_end(&r);
	version = 2;
	CHECK_EQ_INT(db_commit(w.db), 0);
	req_end(&w);
	req_start(&r, true, NULL);
	fs = entity_fields(&r, lead);
	CHECK(fs && fs->ncustom == 4);
	req_end(&r);
out:
	entity_fields_fini();
	db_close(app.db);
	app.db = NULL;
}

static void with_provider(void (*runner)(unit_db_fn))
{
	int n = 0;
	for (; unit_app.modules[n]; n++) {
		if (n + 2 >= (int)ATR_ARRAY_LEN(mods)) {
			FAILF("more than %d modules: raise mods[]",
			      (int)ATR_ARRAY_LEN(mods) - 2);
			return;
		}
		mods[n] = unit_app.modules[n];
	}
	mods[n++] = &test_provider;
	mods[n] = NULL;
	app.modules = mods;
	bool had = secret_key_loaded();
	if (!had) {
		setenv("ATRIUM_MASTER_KEY",
		       "00112233445566778899aabbccddeeff00112233445566778899aab"
		       "bccddeeff",
		       0);
		struct config cfg = {0};
		struct atr_err err = {0};
		if (secret_key_load(&cfg, &err) < 0) {
			FAILF("cannot load a master key: %s", err.msg);
			return;
		}
	}
	runner(fields);
	if (!had)
		secret_key_unload();
}

TEST(fields_runtime_sqlite)
{
	with_provider(unit_with_sqlite);
}

TEST(fields_runtime_pg)
{
	with_provider(unit_with_pg);
}
