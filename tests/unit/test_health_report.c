/* test_health_report.c — core/health_report.c: judging an indicator by the
 * spec's thresholds (both boundaries, each direction, no value, forced),
 * the JSON and the Prometheus text (one HELP/TYPE per name, escaped
 * labels, a full report dropping what does not fit). */
#include "atrium.h"

#include <math.h>

#include "core/buf.h"
#include "core/health_report.h"
#include "unit.h"

static enum hr_status judge(double v, enum hr_op gop, double g, enum hr_op wop,
			    double w)
{
	struct hr_ind i = {0};
	hr_value(&i, v);
	hr_thresholds(&i, gop, g, wop, w);
	return hr_judge(&i);
}

TEST(health_judge_spec_thresholds)
{
	/* Cron last run: < 2 min good, > 5 min warning. */
	CHECK_EQ_INT(judge(0, HR_LT, 120, HR_GT, 300), HR_GOOD);
	CHECK_EQ_INT(judge(119.9, HR_LT, 120, HR_GT, 300), HR_GOOD);
	CHECK_EQ_INT(judge(120, HR_LT, 120, HR_GT, 300), HR_BETWEEN);
	CHECK_EQ_INT(judge(300, HR_LT, 120, HR_GT, 300), HR_BETWEEN);
	CHECK_EQ_INT(judge(300.5, HR_LT, 120, HR_GT, 300), HR_WARNING);
	/* Emails blocked: 0 good, > 10 warning. */
	CHECK_EQ_INT(judge(0, HR_EQ, 0, HR_GT, 10), HR_GOOD);
	CHECK_EQ_INT(judge(1, HR_EQ, 0, HR_GT, 10), HR_BETWEEN);
	CHECK_EQ_INT(judge(10, HR_EQ, 0, HR_GT, 10), HR_BETWEEN);
	CHECK_EQ_INT(judge(11, HR_EQ, 0, HR_GT, 10), HR_WARNING);
	/* API error rate: < 1 % good, > 5 % warning. */
	CHECK_EQ_INT(judge(0.99, HR_LT, 1, HR_GT, 5), HR_GOOD);
	CHECK_EQ_INT(judge(1, HR_LT, 1, HR_GT, 5), HR_BETWEEN);
	CHECK_EQ_INT(judge(5.01, HR_LT, 1, HR_GT, 5), HR_WARNING);
	/* Webhook delivery rate: > 99 % good, < 95 % warning (higher is
	 * better). */
	CHECK_EQ_INT(judge(100, HR_GT, 99, HR_LT, 95), HR_GOOD);
	CHECK_EQ_INT(judge(99, HR_GT, 99, HR_LT, 95), HR_BETWEEN);
	CHECK_EQ_INT(judge(95, HR_GT, 99, HR_LT, 95), HR_BETWEEN);
	CHECK_EQ_INT(judge(94.9, HR_GT, 99, HR_LT, 95), HR_WARNING);
	/* Administrators with 2FA: 100 % good, anything less a warning. */
	CHECK_EQ_INT(judge(100, HR_GE, 100, HR_LT, 100), HR_GOOD);
	CHECK_EQ_INT(judge(99.5, HR_GE, 100, HR_LT, 100), HR_WARNING);
	/* Inactive accounts: 0 good, any a warning. */
	CHECK_EQ_INT(judge(0, HR_EQ, 0, HR_GT, 0), HR_GOOD);
	CHECK_EQ_INT(judge(1, HR_EQ, 0, HR_GT, 0), HR_WARNING);
}

TEST(health_judge_unknown_and_forced)
{
	struct hr_ind i = {0};
	hr_thresholds(&i, HR_LT, 1, HR_GT, 5);
	CHECK_EQ_INT(hr_judge(&i), HR_UNKNOWN); /* no value: no data */
	hr_value(&i, NAN);
	CHECK_EQ_INT(hr_judge(&i), HR_UNKNOWN); /* NaN is no value */
	hr_force(&i, HR_WARNING);
	CHECK_EQ_INT(hr_judge(&i), HR_WARNING);
	struct hr_ind j = {0};
	hr_value(&j, 3); /* no thresholds at all: nothing to judge by */
	CHECK_EQ_INT(hr_judge(&j), HR_UNKNOWN);
	CHECK_STR(hr_status_name(HR_BETWEEN), "between");
	CHECK_STR(hr_op_name(HR_GE), ">=");
	CHECK(!hr_holds(HR_NONE, 1, 1));
}

TEST(health_report_json_and_prom)
{
	struct health_report *rep = xcalloc(1, sizeof *rep);
	health_report_init(rep, 0, false);
	CHECK(rep->installation); /* org 0: the installation's, always */
	struct hr_ind *i = hr_add(rep, "job_backlog", "seconds", "/x");
	hr_subject(i, "email");
	hr_value(i, 1000);
	hr_thresholds(i, HR_LT, 60, HR_GT, 900);
	hr_fact(i, "due", 3);
	hr_fact_text(i, "node", "h:1:ab");
	hr_gauge(rep, "atrium_a", "A.", "kind", "e\"v\\il\n", 1);
	hr_gauge(rep, "atrium_b", "B.", NULL, NULL, 2.5);
	hr_gauge(rep, "atrium_a", "A.", "kind", "x", 3);
	hr_gauge(rep, "atrium_c", "C.", NULL, NULL, NAN); /* dropped */
	hr_gauge(rep, "atrium_d", "D.", NULL, NULL, INFINITY);
	json_t *o = health_report_json(rep);
	CHECK_STR(json_string_value(json_object_get(o, "scope")),
		  "installation");
	json_t *ind = json_array_get(json_object_get(o, "indicators"), 0);
	CHECK_STR(json_string_value(json_object_get(ind, "status")), "warning");
	CHECK_STR(json_string_value(json_object_get(ind, "subject")), "email");
	CHECK_STR(json_string_value(json_object_get(
			  json_object_get(ind, "warning"), "op")),
		  ">");
	CHECK_EQ_INT(json_integer_value(json_object_get(
			     json_object_get(ind, "facts"), "due")),
		     3);
	json_decref(o);
	struct buf b = BUF_INIT;
	health_report_prom(rep, &b);
	CHECK_STR(buf_str(&b),
		  "# HELP atrium_a A.\n# TYPE atrium_a gauge\n"
		  "atrium_a{kind=\"e\\\"v\\\\il\\n\"} 1\n"
		  "atrium_a{kind=\"x\"} 3\n"
		  "# HELP atrium_b B.\n# TYPE atrium_b gauge\n"
		  "atrium_b 2.5\n"
		  "# HELP atrium_d D.\n# TYPE atrium_d gauge\n"
		  "atrium_d +Inf\n");
	buf_free(&b);
	/* A full report hands out a scratch indicator and drops it. */
	for (int k = 0; k < HR_INDICATORS_MAX + 5; k++)
		hr_value(hr_add(rep, "k", "count", ""), k);
	CHECK_EQ_INT(rep->n, HR_INDICATORS_MAX);
	health_report_free(rep);
	/* An organisation's report: the installation's parts only when
	 * asked (the operator's). */
	health_report_init(rep, 7, false);
	CHECK(!rep->installation);
	o = health_report_json(rep);
	CHECK_STR(json_string_value(json_object_get(o, "scope")),
		  "organisation");
	json_decref(o);
	health_report_free(rep);
	health_report_init(rep, 1, true);
	CHECK(rep->installation);
	health_report_free(rep);
	free(rep);
}
