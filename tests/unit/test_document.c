/* test_document.c — the exact arithmetic of finance documents
 * (finance/document.h): line amounts, the two tax rounding rules, whole
 * currencies, half away from zero, the largest values. */
#include "unit.h"

#include "finance/document.h"

#define Q(x) ((int64_t)((x) * 10000 + ((x) < 0 ? -0.5 : 0.5))) /* 4 places */

TEST(document_round_half_away_from_zero)
{
	CHECK_EQ_INT(doc_round(125, 2, 1), 13);
	CHECK_EQ_INT(doc_round(124, 2, 1), 12);
	CHECK_EQ_INT(doc_round(-125, 2, 1), -13);
	CHECK_EQ_INT(doc_round(-124, 2, 1), -12);
	CHECK_EQ_INT(doc_round(5, 1, 0), 1);
	CHECK_EQ_INT(doc_round(4, 1, 0), 0);
	CHECK_EQ_INT(doc_round(7, 0, 0), 7);
}

TEST(document_lines_and_taxes)
{
	const struct doc_tax taxes[] = {{1, 19000}, {2, 9000}, {3, 0}};
	const struct doc_line lines[] = {
		/* 2.5 × 120.40 − 10 % = 270.90 at 19 % */
		{Q(2.5), Q(120.40), 1000, 1, {1}},
		/* 1 × 1000 at 9 % */
		{Q(1), Q(1000), 0, 1, {2}},
		/* 3 × 33.333 = 99.999 -> 100.00, reverse charge */
		{Q(3), Q(33.333), 0, 1, {3}},
		/* a discount line, no tax */
		{Q(1), Q(-20), 0, 0, {0}},
	};
	int64_t amt[4];
	struct doc_totals t;
	CHECK_EQ_INT(doc_compute(lines, 4, taxes, 3, DOC_ROUND_DOCUMENT, 2, amt,
				 &t),
		     0);
	CHECK_EQ_INT(amt[0], 27090);
	CHECK_EQ_INT(amt[1], 100000);
	CHECK_EQ_INT(amt[2], 10000);
	CHECK_EQ_INT(amt[3], -2000);
	CHECK_EQ_INT(t.subtotal, 135090);
	CHECK_EQ_INT(t.ntaxes, 3);
	CHECK_EQ_INT(t.taxes[0].amount, 5147); /* 51.471 */
	CHECK_EQ_INT(t.taxes[1].amount, 9000);
	CHECK_EQ_INT(t.taxes[2].amount, 0);
	CHECK_EQ_INT(t.tax_total, 14147);
	CHECK_EQ_INT(t.total, 149237);
	/* a tax the taxes table lacks is refused */
	const struct doc_line stray[] = {{Q(1), Q(1), 0, 1, {9}}};
	CHECK_EQ_INT(doc_compute(stray, 1, taxes, 3, DOC_ROUND_LINE, 2, amt, &t),
		     -1);
}

TEST(document_rounding_rules_differ)
{
	/* three lines of 0.15 at 9 %: per line 0.0135 -> 0.01 each (0.03);
	 * per document 9 % of 0.45 = 0.0405 -> 0.04 */
	const struct doc_tax taxes[] = {{5, 9000}};
	const struct doc_line l = {Q(1), Q(0.15), 0, 1, {5}};
	const struct doc_line lines[] = {l, l, l};
	int64_t amt[3];
	struct doc_totals t;
	CHECK_EQ_INT(doc_compute(lines, 3, taxes, 1, DOC_ROUND_DOCUMENT, 2, amt,
				 &t),
		     0);
	CHECK_EQ_INT(t.tax_total, 4);
	CHECK_EQ_INT(doc_compute(lines, 3, taxes, 1, DOC_ROUND_LINE, 2, amt, &t),
		     0);
	CHECK_EQ_INT(t.tax_total, 3);
	CHECK_EQ_INT(t.taxes[0].base, 45);
}

TEST(document_whole_currency_and_limits)
{
	const struct doc_tax taxes[] = {{1, 19000}};
	/* JPY: 3 × 33.5 = 100.5 -> 101; 19 % of 101 = 19.19 -> 19 */
	const struct doc_line yen[] = {{Q(3), Q(33.5), 0, 1, {1}}};
	int64_t amt[1];
	struct doc_totals t;
	CHECK_EQ_INT(doc_compute(yen, 1, taxes, 1, DOC_ROUND_DOCUMENT, 0, amt,
				 &t),
		     0);
	CHECK_EQ_INT(amt[0], 10100);
	CHECK_EQ_INT(t.tax_total, 1900);
	/* the largest line the check lets through (10^9 × 10^4 = 10^13
	 * units), taxed at 100 %: exact, no overflow */
	const struct doc_tax all[] = {{1, 100000}};
	const struct doc_line big[] = {
		{DOC_QTY_MAX * 10000, 10000LL * 10000, 0, 1, {1}}};
	CHECK_EQ_INT(doc_compute(big, 1, all, 1, DOC_ROUND_DOCUMENT, 2, amt,
				 &t),
		     0);
	CHECK(amt[0] == DOC_LINE_MAX * 100);
	CHECK(t.total == 2 * DOC_LINE_MAX * 100);
	/* a full discount makes 0 */
	const struct doc_line free_[] = {{Q(7), Q(12.34), 10000, 1, {1}}};
	CHECK_EQ_INT(doc_compute(free_, 1, taxes, 1, DOC_ROUND_LINE, 2, amt, &t),
		     0);
	CHECK_EQ_INT(t.total, 0);
}
