/* test_kernel.c — the kernel's decisions in isolation: the permission
 * decision, route matching over the binary's table, the secret store, the
 * JSON encoder and RFC 5322 message building. */
#include "atrium.h"

#include "unit.h"

#include <jansson.h>
#include <sodium.h>

#include "auth/perm.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/json_out.h"
#include "core/secret.h"
#include "email/email.h"
#include "email/inbound.h"
#include "http/http.h"
#include "http/router.h"

/* ---- the permission decision ----------------------------------------------- */

static struct principal member(const char *module, unsigned bits)
{
	struct principal p = {.staff_id = 7, .org_id = 1};
	int m = perm_module_index(module);
	if (m >= 0)
		p.perms.bits[m] = (uint8_t)bits;
	return p;
}

TEST(perm_decision)
{
	struct principal admin = {.admin = true};
	CHECK_EQ_INT(perm_check(&admin, "leads", CAP_DELETE), PERM_ALL);
	CHECK_EQ_INT(perm_check(&admin, "no-such-module", CAP_VIEW), PERM_ALL);

	struct principal none = member("leads", 0);
	CHECK_EQ_INT(perm_check(&none, "leads", CAP_VIEW), PERM_DENY);
	CHECK_EQ_INT(perm_view_scope(&none, "leads"), PERM_DENY);

	struct principal own = member("leads", PB_VIEW_OWN | PB_CREATE);
	CHECK_EQ_INT(perm_check(&own, "leads", CAP_VIEW), PERM_OWN);
	CHECK_EQ_INT(perm_check(&own, "leads", CAP_CREATE), PERM_ALL);
	CHECK_EQ_INT(perm_check(&own, "leads", CAP_EDIT), PERM_DENY);
	CHECK_EQ_INT(perm_check(&own, "clients", CAP_VIEW), PERM_DENY);

	/* view beats view_own; unknown modules are denied (deny by default). */
	struct principal all = member("leads", PB_VIEW | PB_VIEW_OWN);
	CHECK_EQ_INT(perm_view_scope(&all, "leads"), PERM_ALL);
	CHECK_EQ_INT(perm_check(&all, "nope", CAP_VIEW), PERM_DENY);
	CHECK_EQ_INT(perm_module_index(NULL), -1);

	/* The table holds every module's rows, each once, with a log entity
	 * for what the activity log follows. */
	CHECK(perm_module_count() >= 9);
	for (int i = 0; i < perm_module_count(); i++)
		for (int j = 0; j < i; j++)
			CHECK(strcmp(perm_module_at(i)->name,
				     perm_module_at(j)->name) != 0);
	CHECK_STR(perm_module_at(perm_module_index("leads"))->log_entity,
		  "lead");
	CHECK_EQ_INT(perm_bit_parse("view_own"), PB_VIEW_OWN);
	CHECK_EQ_INT(perm_bit_parse("own"), 0);
	CHECK_STR(perm_bit_name(PB_EDIT), "edit");
}

/* A business's member acting in one of its merchants: the record modules
 * keep what they hold, cut to what "merchants" allows (never delete);
 * every other module nothing; an administrator is none there. */
TEST(perm_parent_scope)
{
	int leads = perm_module_index("leads"),
	    staff = perm_module_index("staff");
	int merchants = perm_module_index("merchants");
	CHECK(leads >= 0 && staff >= 0 && merchants >= 0);
	CHECK(perm_module_at(leads)->flags & PERM_PARENT_SCOPE);
	CHECK(!(perm_module_at(staff)->flags & PERM_PARENT_SCOPE));
	CHECK(!(perm_module_at(merchants)->flags & PERM_PARENT_SCOPE));

	struct principal p = member("leads", PB_ALL);
	p.perms.bits[staff] = PB_ALL;
	p.perms.bits[merchants] = PB_VIEW | PB_EDIT;
	perm_parent_scope(&p);
	CHECK_EQ_INT(p.perms.bits[leads], PB_VIEW | PB_VIEW_OWN | PB_EDIT);
	CHECK_EQ_INT(perm_check(&p, "leads", CAP_DELETE), PERM_DENY);
	CHECK_EQ_INT(perm_check(&p, "leads", CAP_CREATE), PERM_DENY);
	CHECK_EQ_INT(perm_check(&p, "staff", CAP_VIEW), PERM_DENY);
	CHECK_EQ_INT(p.perms.bits[merchants], 0);

	/* Never more than the member holds. */
	struct principal own = member("leads", PB_VIEW_OWN);
	own.perms.bits[merchants] = PB_VIEW | PB_CREATE | PB_EDIT;
	perm_parent_scope(&own);
	CHECK_EQ_INT(own.perms.bits[leads], PB_VIEW_OWN);
	CHECK_EQ_INT(perm_check(&own, "clients", CAP_VIEW), PERM_DENY);

	/* No merchants grant: nothing at all. */
	struct principal none = member("leads", PB_ALL);
	perm_parent_scope(&none);
	CHECK_EQ_INT(none.perms.bits[leads], 0);

	/* An administrator: every record module but delete, no admin bypass. */
	struct principal admin = {.admin = true};
	perm_parent_scope(&admin);
	CHECK(!admin.admin);
	CHECK_EQ_INT(perm_check(&admin, "invoices", CAP_EDIT), PERM_ALL);
	CHECK_EQ_INT(perm_check(&admin, "invoices", CAP_DELETE), PERM_DENY);
	CHECK_EQ_INT(perm_check(&admin, "settings", CAP_VIEW), PERM_DENY);
	CHECK_EQ_INT(perm_check(&admin, "roles", CAP_EDIT), PERM_DENY);
}

TEST(perm_matrix_validation)
{
	struct atr_err e = {0};
	json_t *m = json_loads("{\"leads\":[\"view\",\"edit\"],\"nope\":[\"view\"],"
			       "\"settings\":[\"create\"],\"roles\":\"view\"}",
			       0, NULL);
	CHECK_EQ_INT(perm_validate_matrix(m, "permissions", &e), 3);
	json_decref(m);
	bool nope = false, settings = false, roles = false;
	for (int i = 0; i < e.nfields; i++) {
		nope |= !strcmp(e.fields[i].field, "permissions.nope");
		settings |= !strcmp(e.fields[i].field, "permissions.settings");
		roles |= !strcmp(e.fields[i].field, "permissions.roles");
	}
	CHECK(nope && settings && roles);
}

/* ---- route matching ----------------------------------------------------------- */

static enum match_result match(enum http_method m, const char *path,
			       const char **route, int64_t *id,
			       char allow[96])
{
	struct req r = {0};
	r.arena = arena_new();
	int idx = -1;
	enum match_result res =
		router_match(&unit_app, m, path, &r, &idx, allow, 96);
	*route = res == MATCH_OK ? unit_app.routes[idx].path : NULL;
	*id = r.id;
	arena_free(r.arena);
	return res;
}

TEST(router_matching)
{
	const char *rt;
	int64_t id;
	char allow[96];
	CHECK_EQ_INT(match(HTTP_GET, "/api/v1/leads/42", &rt, &id, allow),
		     MATCH_OK);
	CHECK_STR(rt, "/api/v1/leads/{id}");
	CHECK_EQ_INT(id, 42);
	CHECK_EQ_INT(match(HTTP_HEAD, "/api/v1/leads", &rt, &id, allow),
		     MATCH_OK); /* HEAD answers as GET */
	CHECK_EQ_INT(match(HTTP_PUT, "/api/v1/leads/42", &rt, &id, allow),
		     MATCH_NO_METHOD);
	CHECK_CONTAINS(allow, "PATCH");
	CHECK_CONTAINS(allow, "DELETE");
	CHECK_EQ_INT(match(HTTP_GET, "/api/v1/leads/0", &rt, &id, allow),
		     MATCH_BAD_ID);
	CHECK_EQ_INT(match(HTTP_GET, "/api/v1/leads/12ab", &rt, &id, allow),
		     MATCH_BAD_ID);
	CHECK_EQ_INT(match(HTTP_GET, "/api/v1/leads/1234567890123456789",
			   &rt, &id, allow),
		     MATCH_BAD_ID);
	CHECK_EQ_INT(match(HTTP_GET, "/api/v1/nothing", &rt, &id, allow),
		     MATCH_NO_PATH);
	CHECK_EQ_INT(match(HTTP_GET, "/api/v1/settings/smtp", &rt, &id, allow),
		     MATCH_OK);
	CHECK_STR(rt, "/api/v1/settings/{group}");
	CHECK_EQ_INT(match(HTTP_GET, "/api/v1/settings/SMTP", &rt, &id, allow),
		     MATCH_NO_PATH); /* a word segment is [a-z_]+ */
	CHECK_EQ_INT(match(HTTP_GET, "/assets/js/app.js", &rt, &id, allow),
		     MATCH_OK);
	CHECK_STR(rt, "/assets/*");
	/* Every route has a permission when it needs one. */
	for (int i = 0; i < unit_app.nroutes; i++) {
		const struct route *r = &unit_app.routes[i];
		if (r->access == ACCESS_PERM)
			CHECK(perm_module_index(r->module) >= 0);
	}
}

/* ---- the secret store ------------------------------------------------------------ */

TEST(secret_store)
{
	bool had = secret_key_loaded();
	if (!had) {
		setenv("ATRIUM_MASTER_KEY",
		       "00112233445566778899aabbccddeeff00112233445566778899aab"
		       "bccddeeff",
		       0);
		struct config cfg = {0};
		struct atr_err err = {0};
		if (!CHECK_EQ_INT(secret_key_load(&cfg, &err), 0))
			return;
	}
	char *a = secret_encrypt("hunter2"), *b = secret_encrypt("hunter2");
	CHECK(a && b && strcmp(a, b) != 0); /* a fresh nonce each time */
	CHECK(secret_is_stored(a));
	CHECK(!strstr(a, "hunter2"));
	struct atr_err err = {0};
	char *p = secret_decrypt(a, &err);
	CHECK_STR(p, "hunter2");
	secret_free(p);
	/* One flipped character no longer authenticates. */
	size_t n = strlen(a);
	a[n - 3] = a[n - 3] == 'A' ? 'B' : 'A';
	CHECK(secret_decrypt(a, &err) == NULL);
	CHECK(err.msg[0] != 0);
	CHECK(secret_decrypt("v0:abc", &err) == NULL);
	free(a);
	free(b);
	unsigned char k1[32], k2[32], k3[32];
	CHECK_EQ_INT(secret_derive("listcurs", 1, k1, sizeof k1), 0);
	CHECK_EQ_INT(secret_derive("listcurs", 1, k2, sizeof k2), 0);
	CHECK_EQ_INT(secret_derive("listcurs", 2, k3, sizeof k3), 0);
	CHECK(memcmp(k1, k2, 32) == 0 && memcmp(k1, k3, 32) != 0);
	CHECK_EQ_INT(secret_derive("listcurs", 1, k1, 8), -1); /* too short */
	if (!had)
		secret_key_unload();
}

/* ---- the JSON encoder ---------------------------------------------------------------- */

TEST(json_out_escaping)
{
	struct buf b = BUF_INIT;
	jout_str(&b, "a\"b\\c\n\t\x01 é \xe2\x82\xac");
	json_t *v = json_loads(buf_str(&b), JSON_DECODE_ANY, NULL);
	CHECK(v && !strcmp(json_string_value(v), "a\"b\\c\n\t\x01 é €"));
	json_decref(v);
	buf_reset(&b);
	/* Invalid UTF-8 (a lone continuation, an overlong, a surrogate)
	 * becomes U+FFFD: the output is always valid JSON. */
	jout_str(&b, "x\x80y\xc0\xafz\xed\xa0\x80!");
	v = json_loads(buf_str(&b), JSON_DECODE_ANY, NULL);
	CHECK(v != NULL);
	CHECK_CONTAINS(json_string_value(v), "\xef\xbf\xbd");
	json_decref(v);
	buf_reset(&b);
	jout_str(&b, NULL);
	CHECK_STR(buf_str(&b), "null");
	buf_reset(&b);
	buf_addc(&b, '{');
	jout_key(&b, "n", true);
	jout_int(&b, INT64_MIN);
	jout_key(&b, "m", false);
	jout_int(&b, 0);
	buf_addc(&b, '}');
	CHECK_STR(buf_str(&b), "{\"n\":-9223372036854775808,\"m\":0}");
	buf_free(&b);
}

/* ---- message building ------------------------------------------------------------------ */

TEST(email_message_building)
{
	struct atr_err err = {0};
	struct email_msg m = {"ana@example.test", "Ça va? A long subject that "
			      "needs encoding because it is not ASCII at all",
			      "Line one\nLíne two\n", "<id.1@example.test>",
			      "2026-12-05T10:00:00.000Z"};
	size_t len = 0;
	char *msg = email_build_message("crm@example.test", "Atrium CRM", &m,
					&len, &err);
	if (!CHECK(msg != NULL))
		return;
	CHECK_EQ_INT(strlen(msg), len);
	CHECK_CONTAINS(msg, "Message-ID: <id.1@example.test>\r\n");
	CHECK_CONTAINS(msg, "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n");
	CHECK_CONTAINS(msg, "Subject: =?UTF-8?");
	CHECK_CONTAINS(msg, "Content-Transfer-Encoding: quoted-printable\r\n");
	CHECK_CONTAINS(msg, "L=C3=ADne two");
	CHECK(strstr(msg, "\r\n\r\n") != NULL);
	for (const char *p = msg; *p; p++)
		if (*p == '\n')
			CHECK(p > msg && p[-1] == '\r'); /* CRLF only */
	free(msg);
	/* A line break in a header is refused (header injection). */
	struct email_msg bad = {"ana@example.test\r\nBcc: x@example.test",
				"Hi", "x", NULL, NULL};
	CHECK(email_build_message("crm@example.test", NULL, &bad, &len,
				  &err) == NULL);
	struct email_msg bad2 = {"ana@example.test", "Hi\nBcc: x", "x", NULL,
				 NULL};
	memset(&err, 0, sizeof err);
	CHECK(email_build_message("crm@example.test", NULL, &bad2, &len,
				  &err) == NULL);
	CHECK(err.msg[0] != 0);
}

/* Files go as multipart/mixed attachments that a MIME parser (GMime, the
 * email pipe's) reads back byte for byte, with a non-ASCII name. */
TEST(email_message_with_files)
{
	struct atr_err err = {0};
	unsigned char pdf[3000];
	for (size_t i = 0; i < sizeof pdf; i++)
		pdf[i] = (unsigned char)(i * 7 + 3);
	const struct email_file files[] = {
		{"Factură FCT-2026-0001.pdf", "application/pdf", pdf,
		 sizeof pdf},
		{"notes.txt", "text/plain", "plain", 5},
	};
	struct email_msg m = {"ana@example.test", "Invoice", "See attached.\n",
			      "<id.2@example.test>", NULL, NULL, NULL, 0,
			      files, 2};
	size_t len = 0;
	char *msg = email_build_message("crm@example.test", "CRM", &m, &len,
					&err);
	if (!CHECK(msg != NULL))
		return;
	CHECK_CONTAINS(msg, "Content-Type: multipart/mixed;");
	CHECK_CONTAINS(msg, "filename*=utf-8''Factur%C4%83%20FCT-2026-0001.pdf");
	CHECK_CONTAINS(msg, "filename=\"notes.txt\"");
	struct inbound_msg in = {0};
	CHECK_EQ_INT(inbound_parse(msg, len, &in, &err), 0);
	CHECK_EQ_INT(in.nattach, 2);
	CHECK_EQ_INT(in.nfiles, 2);
	if (in.nfiles == 2) {
		CHECK_STR(in.files[0].name, "Factură FCT-2026-0001.pdf");
		CHECK(in.files[0].len == sizeof pdf &&
		      !memcmp(in.files[0].data, pdf, sizeof pdf));
		CHECK(in.files[1].len == 5);
	}
	CHECK_CONTAINS(in.text, "See attached.");
	inbound_free(&in);
	free(msg);
	/* A quote or a line break in a file's type is refused. */
	const struct email_file bad[] = {{"x.pdf", "a/b\r\nBcc: y", "x", 1}};
	struct email_msg mb = m;
	mb.files = bad;
	mb.nfiles = 1;
	CHECK(email_build_message("crm@example.test", NULL, &mb, &len, &err) ==
	      NULL);
}
