/* test_settings.c — core/settings_change.c: the judging a settings change
 * gets (the same for PATCH /api/v1/settings/{group} and `atrium settings
 * set`), and the write: the group's version, a stale If-Match, a change
 * of destination clearing the group's secret, a rule refusing, nothing
 * written when nothing changes. On SQLite, and PostgreSQL when
 * ATRIUM_TEST_PG is set.
 */
#include "atrium.h"

#include "core/config.h"
#include "core/secret.h"
#include "core/settings.h"
#include "db/db.h"
#include "unit.h"

#define TEST_KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* The code of the error err holds for field, or "" when none. */
static const char *code_of(const struct atr_err *err, const char *field)
{
	for (int i = 0; i < err->nfields; i++)
		if (!strcmp(err->fields[i].field, field))
			return err->fields[i].code;
	return "";
}

/* Judges body (JSON text) for group; err is cleared first. */
static int judge(const char *group, const char *text, struct atr_err *err)
{
	atr_err_clear(err);
	json_t *body = json_loads(text, 0, NULL);
	if (!CHECK(body != NULL))
		return 0;
	int rc = settings_judge(group, body, err);
	json_decref(body);
	return rc;
}

TEST(settings_judge_names_every_invalid_field)
{
	struct atr_err err = {0};
	CHECK_EQ_INT(judge("smtp", "{\"smtp_port\": 25, \"smtp_host\": "
				   "\"mail.example.com\"}",
			   &err),
		     0);
	CHECK_EQ_INT(judge("smtp", "{\"smtp_port\": null}", &err), 0);

	/* Every kind of problem at once, each named. */
	CHECK_EQ_INT(
		judge("smtp",
		      "{\"smtp_port\": 70000, \"smtp_host\": \"bad host!\", "
		      "\"smtp_security\": \"ssl\", \"smtp_email\": \"nope\", "
		      "\"smtp_from_name\": \"a\\nb\", \"smtp_username\": 3, "
		      "\"smtp_plaintext_password\": \"yes\", \"colour\": 1, "
		      "\"company_name\": \"X\", \"smtp_password\": \"\"}",
		      &err),
		-1);
	CHECK_EQ_INT(err.kind, ATR_E_INVALID);
	CHECK_STR(code_of(&err, "smtp_port"), "invalid");
	CHECK_STR(code_of(&err, "smtp_host"), "invalid");
	CHECK_STR(code_of(&err, "smtp_security"), "not_allowed");
	CHECK_STR(code_of(&err, "smtp_email"), "invalid");
	CHECK_STR(code_of(&err, "smtp_from_name"), "invalid");
	CHECK_STR(code_of(&err, "smtp_username"), "type");
	CHECK_STR(code_of(&err, "smtp_plaintext_password"), "type");
	CHECK_STR(code_of(&err, "colour"), "unknown_field");
	CHECK_STR(code_of(&err, "company_name"), "unknown_field");
	CHECK_STR(code_of(&err, "smtp_password"), "required");
	CHECK_EQ_INT(err.nfields, 10);

	/* An int is judged whole by its row: one error, the row's words. */
	CHECK_EQ_INT(judge("smtp", "{\"smtp_port\": \"25\"}", &err), -1);
	CHECK_EQ_INT(err.nfields, 1);
	CHECK_STR(code_of(&err, "smtp_port"), "type");
	CHECK_CONTAINS(err.fields[0].detail, "integer");

	/* Text too long, in characters; an empty required text. */
	char big[260];
	memset(big, 'a', 250);
	big[250] = 0;
	char *text = xasprintf("{\"company_name\": \"%s\"}", big);
	CHECK_EQ_INT(judge("company", text, &err), -1);
	CHECK_STR(code_of(&err, "company_name"), "too_long");
	free(text);
	CHECK_EQ_INT(judge("company", "{\"company_name\": \"\"}", &err), -1);
	CHECK_STR(code_of(&err, "company_name"), "required");

	/* Not a group: not found, whatever the body. */
	CHECK_EQ_INT(judge("nope", "{\"colour\": 1}", &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_NOT_FOUND);
	CHECK_EQ_INT(err.nfields, 0);
	/* Not an object. */
	CHECK_EQ_INT(judge("company", "[1]", &err), -1);
	CHECK_STR(code_of(&err, ""), "type");
}

/* Applies body (JSON text) to group of org 1 in one transaction, with
 * if_version; commits when something changed. Returns settings_apply's
 * answer; *diff_n the number of changes. */
static int apply(struct db_conn *c, const char *group, const char *text,
		 int64_t if_version, int64_t *version, size_t *diff_n,
		 struct atr_err *err)
{
	atr_err_clear(err);
	json_t *body = json_loads(text, 0, NULL);
	if (!CHECK(body != NULL) || !CHECK(settings_judge(group, body, err) == 0))
		return -9;
	struct settings_change ch = {.if_version = if_version};
	if (!CHECK(db_begin(c) == 0))
		return -9;
	int rc = settings_apply(c, 1, group, body, &ch, err);
	json_decref(body);
	*diff_n = json_object_size(ch.diff);
	*version = ch.version;
	json_decref(ch.diff);
	if (rc == 0 && *diff_n)
		CHECK(db_commit(c) == 0);
	else
		db_rollback(c);
	return rc;
}

static void apply_case(const char *url)
{
	struct config cfg = {0};
	struct atr_err err = {0};
	setenv("ATRIUM_MASTER_KEY", TEST_KEY, 1);
	int k = secret_key_load(&cfg, &err);
	unsetenv("ATRIUM_MASTER_KEY");
	if (!CHECK(k == 0))
		return;
	struct db *db = unit_db_open(url, true);
	struct db_conn *c = db ? unit_db_acquire(db) : NULL;
	if (!c)
		goto out;
	int64_t v;
	size_t n;
	CHECK_EQ_INT(settings_version(c, 1, "smtp", &v), 0);
	CHECK_EQ_INT(v, 1);

	/* A change: version 2; the same again changes nothing. */
	CHECK_EQ_INT(apply(c, "smtp", "{\"smtp_host\": \"a.example.com\", "
				      "\"smtp_password\": \"pw-one\"}",
			   -1, &v, &n, &err),
		     0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(v, 2);
	CHECK_EQ_INT(apply(c, "smtp", "{\"smtp_host\": \"a.example.com\"}", 2,
			   &v, &n, &err),
		     0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(v, 2);
	CHECK_EQ_INT(settings_version(c, 1, "smtp", &v), 0);
	CHECK_EQ_INT(v, 2);
	/* Other groups and organisations keep their own version. */
	CHECK_EQ_INT(settings_version(c, 1, "company", &v), 0);
	CHECK_EQ_INT(v, 1);

	/* A stale version: refused, nothing written. */
	CHECK_EQ_INT(apply(c, "smtp", "{\"smtp_port\": 2525}", 1, &v, &n,
			   &err),
		     -1);
	CHECK_EQ_INT(err.kind, ATR_E_PRECONDITION);
	CHECK_CONTAINS(err.msg, "version 2");
	int64_t port;
	CHECK_EQ_INT(settings_get_int(c, 1, "smtp_port", &port), 0);
	CHECK_EQ_INT(port, 587);

	/* A new host clears the password the change does not send. */
	CHECK_EQ_INT(apply(c, "smtp", "{\"smtp_host\": \"b.example.com\"}", 2,
			   &v, &n, &err),
		     0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(v, 3);
	char *stored = NULL;
	CHECK_EQ_INT(settings_load_stored(c, 1, "smtp_password", &stored), 0);
	CHECK(stored == NULL);
	json_t *values = settings_values_json(c, 1, "smtp");
	if (CHECK(values != NULL)) {
		CHECK(json_is_false(json_object_get(values, "smtp_password_set")));
		CHECK_STR(json_string_value(json_object_get(values, "smtp_host")),
			  "b.example.com");
		CHECK(!json_object_get(values, "smtp_password"));
	}
	json_decref(values);

	/* A rule across rows: a password without TLS needs the
	 * confirmation; refused, the version stays. */
	CHECK_EQ_INT(apply(c, "smtp", "{\"smtp_security\": \"none\", "
				      "\"smtp_password\": \"pw-two\"}",
			   -1, &v, &n, &err),
		     -1);
	CHECK_STR(code_of(&err, "smtp_security"), "not_allowed");
	CHECK_EQ_INT(settings_version(c, 1, "smtp", &v), 0);
	CHECK_EQ_INT(v, 3);
	CHECK_EQ_INT(apply(c, "smtp", "{\"smtp_security\": \"none\", "
				      "\"smtp_password\": \"pw-two\", "
				      "\"smtp_plaintext_password\": true}",
			   -1, &v, &n, &err),
		     0);
	CHECK_EQ_INT(v, 4);
	char pw[64];
	CHECK_EQ_INT(settings_get(c, 1, "smtp_password", pw, sizeof pw), 0);
	CHECK_STR(pw, "pw-two");
	db_release(c);
out:
	if (db)
		db_close(db);
	secret_key_unload();
}

TEST(settings_apply_versions_and_secrets_sqlite)
{
	unit_with_sqlite(apply_case);
}

TEST(settings_apply_versions_and_secrets_pg)
{
	unit_with_pg(apply_case);
}
