/* test_security.c — the security checklist's pure rules (admin/security.h):
 * when a row is next due, its status, the grants of a role beyond its
 * template, and the key that names a set of findings. */
#include "unit.h"

#include "admin/role.h"
#include "admin/security.h"
#include "http/perm.h"

#define DAY SEC_DAY_MS

TEST(security_next_due)
{
	/* Never done: a period after the organisation began. */
	CHECK_EQ_INT(sec_next_due(-1, 100 * DAY, 7), 107 * DAY);
	/* Done: a period after that. */
	CHECK_EQ_INT(sec_next_due(200 * DAY, 100 * DAY, 7), 207 * DAY);
	CHECK_EQ_INT(sec_next_due(0, 100 * DAY, 365), 365 * DAY);
	/* A continuous row is never due by date. */
	CHECK_EQ_INT(sec_next_due(200 * DAY, 100 * DAY, 0), -1);
	CHECK_EQ_INT(sec_next_due(-1, -1, 30), 30 * DAY);
}

TEST(security_status)
{
	int64_t due = 10 * DAY;
	CHECK_EQ_INT(sec_status_of(due - 1, due, 0, 0, true, false), SEC_OK);
	/* The due time itself is overdue. */
	CHECK_EQ_INT(sec_status_of(due, due, 0, 0, true, false), SEC_OVERDUE);
	CHECK_EQ_INT(sec_status_of(due + 1, due, 0, 0, false, false), SEC_OVERDUE);
	/* Findings before the due date: attention, when they alert. */
	CHECK_EQ_INT(sec_status_of(due - 1, due, 3, 0, true, false), SEC_ATTENTION);
	CHECK_EQ_INT(sec_status_of(due - 1, due, 3, 3, true, false), SEC_ATTENTION);
	CHECK_EQ_INT(sec_status_of(due - 1, due, 3, 0, false, false), SEC_OK);
	/* A continuous row: overdue while findings are past their grace,
	 * attention for those within it. */
	CHECK_EQ_INT(sec_status_of(due, -1, 2, 1, true, false), SEC_OVERDUE);
	CHECK_EQ_INT(sec_status_of(due, -1, 1, 0, true, false), SEC_ATTENTION);
	CHECK_EQ_INT(sec_status_of(due, -1, 0, 0, true, false), SEC_OK);
	/* Not applicable wins over everything. */
	CHECK_EQ_INT(sec_status_of(due + 1, due, 5, 5, true, true), SEC_NA);
	CHECK_STR(sec_status_name(SEC_ATTENTION), "attention");
	CHECK_STR(sec_status_name(SEC_NA), "not_applicable");
}

TEST(security_excess_bits)
{
	CHECK_EQ_INT(sec_excess_bits(PB_VIEW_OWN | PB_CREATE, PB_VIEW_OWN | PB_CREATE), 0);
	CHECK_EQ_INT(sec_excess_bits(PB_VIEW_OWN | PB_DELETE, PB_VIEW_OWN | PB_CREATE), PB_DELETE);
	/* view_own is within a template's view of the same module ... */
	CHECK_EQ_INT(sec_excess_bits(PB_VIEW_OWN, PB_VIEW), 0);
	/* ... but view is beyond view_own. */
	CHECK_EQ_INT(sec_excess_bits(PB_VIEW, PB_VIEW_OWN), PB_VIEW);
	/* A module the template does not name: every grant is beyond it. */
	CHECK_EQ_INT(sec_excess_bits(PB_ALL, 0), PB_ALL);
	CHECK_EQ_INT(sec_excess_bits(0, 0), 0);
}

TEST(security_role_templates)
{
	int t = role_template_find("Sales Agent");
	CHECK(t >= 0);
	CHECK_STR(role_template_name(t), "Sales Agent");
	CHECK_EQ_INT(role_template_find("sales agent"), -1);
	CHECK_EQ_INT(role_template_find(NULL), -1);
	CHECK(role_template_name(role_template_count()) == NULL);
	int leads = perm_module_index("leads"), clients = perm_module_index("clients");
	int roles = perm_module_index("roles");
	CHECK(leads >= 0 && clients >= 0 && roles >= 0);
	CHECK_EQ_INT(role_template_bits(t, leads), PB_VIEW_OWN | PB_CREATE | PB_EDIT);
	CHECK_EQ_INT(role_template_bits(t, clients), PB_VIEW | PB_CREATE);
	CHECK_EQ_INT(role_template_bits(t, roles), 0);
	CHECK_EQ_INT(role_template_bits(-1, leads), 0);
	/* The spec's Sales Agent granted delete on leads is beyond it. */
	CHECK_EQ_INT(sec_excess_bits(PB_VIEW_OWN | PB_DELETE,
				     role_template_bits(t, leads)),
		     PB_DELETE);
}

TEST(security_ids_key)
{
	int64_t a[] = {1, 22, 333};
	char k[SEC_KEY_MAX], small[10];
	sec_ids_key(a, 3, k, sizeof k);
	CHECK_STR(k, "ids:1,22,333");
	sec_ids_key(a, 0, k, sizeof k);
	CHECK_STR(k, "ids:");
	/* What does not fit is left out, whole ids only. */
	sec_ids_key(a, 3, small, sizeof small);
	CHECK_STR(small, "ids:1,22");
	CHECK_EQ_INT(sec_check_find("activity_review"), 3);
	CHECK_EQ_INT(sec_check_find("nope"), -1);
	CHECK_STR(sec_checks[0].key, "admin_two_factor");
	CHECK_EQ_INT(sec_checks[0].period_days, 0);
	CHECK(!sec_checks[0].reviewable);
}

TEST(security_notice_due)
{
	/* Never told: due. */
	CHECK(sec_notice_due("", "due:2026-01-01T00:00:00.000Z"));
	CHECK(sec_notice_due(NULL, "ids:1"));
	/* A periodic row: once per due date. */
	CHECK(!sec_notice_due("due:2026-01-01T00:00:00.000Z",
			      "due:2026-01-01T00:00:00.000Z"));
	CHECK(sec_notice_due("due:2026-01-01T00:00:00.000Z",
			     "due:2026-01-08T00:00:00.000Z"));
	/* A continuous row: only someone new is news. */
	CHECK(!sec_notice_due("ids:1,5", "ids:1,5"));
	CHECK(!sec_notice_due("ids:1,5", "ids:5"));
	CHECK(!sec_notice_due("ids:1,5", "ids:"));
	CHECK(sec_notice_due("ids:1,5", "ids:1,5,9"));
	CHECK(sec_notice_due("ids:5", "ids:1,5"));
	CHECK(sec_notice_due("ids:", "ids:3"));
	/* 1 is no prefix of 15. */
	CHECK(sec_notice_due("ids:15", "ids:1"));
	/* A key of another kind than the last notice's is news. */
	CHECK(sec_notice_due("due:2026-01-01T00:00:00.000Z", "ids:1"));
}
