/* test_integrations.c — API token format and checks (auth/api_token.c),
 * Standard Webhooks signing and URL rules (admin/webhook_send.c), the job
 * runner's backoff cap per kind. */
#include "atrium.h"

#include <jansson.h>

#include "admin/webhook_int.h"
#include "auth/api_token.h"
#include "auth/perm.h"
#include "jobs/jobs_int.h"
#include "unit.h"

TEST(api_token_format_and_checksum)
{
	char t[API_TOKEN_LEN + 1];
	for (int i = 0; i < 50; i++) {
		api_token_new(t);
		CHECK_EQ_INT(strlen(t), API_TOKEN_LEN);
		CHECK(strncmp(t, "atr_", 4) == 0);
		CHECK(api_token_well_formed(t));
		/* Any one character changed is caught by the checksum. */
		char u[API_TOKEN_LEN + 1];
		memcpy(u, t, sizeof u);
		u[10] = u[10] == 'a' ? 'b' : 'a';
		CHECK(!api_token_well_formed(u));
	}
	CHECK(!api_token_well_formed("atr_short"));
	CHECK(!api_token_well_formed(NULL));
	api_token_new(t);
	t[0] = 'x';
	CHECK(!api_token_well_formed(t));
	CHECK_STR(api_token_from_header("Bearer atr_x"), "atr_x");
	CHECK_STR(api_token_from_header("bearer  atr_y"), "atr_y");
	CHECK(api_token_from_header("Basic abc") == NULL);
	CHECK(api_token_from_header(NULL) == NULL);
}

TEST(api_token_networks)
{
	CHECK(api_token_cidr_valid("10.0.0.0/8"));
	CHECK(api_token_cidr_valid("203.0.113.7"));
	CHECK(api_token_cidr_valid("2001:db8::/32"));
	CHECK(!api_token_cidr_valid("10.0.0.0/33"));
	CHECK(!api_token_cidr_valid("2001:db8::/129"));
	CHECK(!api_token_cidr_valid("example.com"));
	CHECK(!api_token_cidr_valid("10.0.0.0/"));
	CHECK(api_token_ip_in("10.1.2.3", "10.0.0.0/8"));
	CHECK(!api_token_ip_in("11.1.2.3", "10.0.0.0/8"));
	CHECK(api_token_ip_in("192.168.1.130", "192.168.1.128/25"));
	CHECK(!api_token_ip_in("192.168.1.127", "192.168.1.128/25"));
	CHECK(api_token_ip_in("::ffff:10.1.2.3", "10.0.0.0/8"));
	CHECK(api_token_ip_in("2001:db8::1", "2001:db8::/32"));
	CHECK(!api_token_ip_in("2001:db9::1", "2001:db8::/32"));
	CHECK(!api_token_ip_in("10.1.2.3", "2001:db8::/32"));
	CHECK(api_token_ip_in("127.0.0.1", "127.0.0.1"));
	CHECK(api_token_ip_in("1.2.3.4", "0.0.0.0/0"));
}

TEST(api_token_key_role_narrows)
{
	int leads = perm_module_index("leads"), clients = perm_module_index("clients");
	if (!CHECK(leads >= 0 && clients >= 0))
		return;
	uint8_t bits[PERM_MODULES_MAX] = {0};
	bits[leads] = PB_VIEW_OWN | PB_CREATE | PB_EDIT;
	bits[clients] = PB_VIEW;
	json_t *kr = json_pack("{s:[s,s]}", "leads", "view", "edit");
	api_token_narrow(bits, kr);
	json_decref(kr);
	/* view in the key role admits the owner's view_own, never more. */
	CHECK_EQ_INT(bits[leads], PB_VIEW_OWN | PB_EDIT);
	CHECK_EQ_INT(bits[clients], 0);
}

/* The example of the Standard Webhooks specification's test suite. */
TEST(webhook_sign_standard_vector)
{
	const char *secrets[2] = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL};
	const char *body = "{\"test\": 2432232314}";
	char sig[200];
	CHECK_EQ_INT(webhook_sign(secrets, "msg_p5jXN8AQM9LWM0D4loKWxJek",
				  1614265330, body, strlen(body), sig,
				  sizeof sig),
		     0);
	CHECK_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* Two secrets during a rotation: two signatures. */
	char fresh[WH_SECRET_LEN + 1];
	webhook_secret_new(fresh);
	CHECK_EQ_INT(strlen(fresh), WH_SECRET_LEN);
	const char *both[2] = {fresh, secrets[0]};
	CHECK_EQ_INT(webhook_sign(both, "msg_p5jXN8AQM9LWM0D4loKWxJek",
				  1614265330, body, strlen(body), sig,
				  sizeof sig),
		     0);
	CHECK_CONTAINS(sig, " v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	const char *bad[2] = {"nope", NULL};
	CHECK_EQ_INT(webhook_sign(bad, "m", 1, "x", 1, sig, sizeof sig), -1);
}

TEST(webhook_url_rules)
{
	char why[200];
	CHECK_EQ_INT(webhook_url_check("https://example.com/hook", false, why,
				       sizeof why),
		     0);
	CHECK_EQ_INT(webhook_url_check("http://example.com/hook", false, why,
				       sizeof why),
		     -1);
	CHECK_EQ_INT(webhook_url_check("http://127.0.0.1:9/hook", true, why,
				       sizeof why),
		     0);
	CHECK_EQ_INT(webhook_url_check("https://u:p@example.com/", false, why,
				       sizeof why),
		     -1);
	CHECK_EQ_INT(webhook_url_check("ftp://example.com/", true, why,
				       sizeof why),
		     -1);
	CHECK_EQ_INT(webhook_url_check("not a url", false, why, sizeof why),
		     -1);
}

TEST(webhook_post_refuses_private_destinations)
{
	/* Refused after resolution, before any connection. */
	static const char *const urls[] = {
		"https://127.0.0.1/", "https://localhost/",
		"https://10.0.0.1/",  "https://[::1]/",
		"https://[fe80::1]/", "https://169.254.169.254/",
		"https://100.64.0.1/", "https://[::ffff:192.168.0.1]/",
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(urls); i++) {
		struct wh_attempt res;
		int rc = webhook_post(urls[i], false, "msg_x", 1, "v1,x", "{}",
				      2, &res);
		CHECK_EQ_INT(rc, -1);
		CHECK(res.refused);
		CHECK_CONTAINS(res.error, "private");
		CHECK_EQ_INT(res.status, 0);
		free(res.response);
	}
}

TEST(job_backoff_cap_per_kind)
{
	for (int i = 0; i < 200; i++) {
		int64_t d = job_backoff_capped_ms(60000, 24LL * 3600 * 1000, 15);
		CHECK(d >= 0 && d <= 24LL * 3600 * 1000);
		d = job_backoff_capped_ms(1000, 0, 100);
		CHECK(d >= 0 && d <= 3600 * 1000);
	}
}
