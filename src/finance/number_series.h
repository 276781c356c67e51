/* number_series.h — the numbers of finance documents: formats and the
 * gapless allocator.
 *
 * Every organisation has one series per document kind (invoice, proposal,
 * credit_note, contract): a prefix, a format, a padding width, a yearly
 * reset and the next number. The administrator edits them at
 * /admin/billing/config (GET/PATCH /api/v1/billing/number_series, the
 * module in number_series_api.c).
 *
 * The format, a small template language:
 *
 *   format  = 1*( literal / field )      ; 1..64 characters
 *   field   = "{PREFIX}" / "{YYYY}" / "{YY}" / "{MM}"
 *           / "{NUMBER}" / "{NUMBER:" width "}"
 *   width   = 1*2DIGIT                   ; 1..12
 *   literal = any character but "{", "}" and control characters
 *
 * {NUMBER} appears exactly once and is zero-padded to the series' padding
 * ({NUMBER:n}: to n); a number wider than its padding is written whole,
 * never cut. {YYYY}, {YY} and {MM} are the year and month of the moment
 * of issue in the organisation's time zone. A series that resets every
 * year must show the year ({YYYY} or {YY}), or numbers would repeat.
 * Examples: "{PREFIX}{YYYY}/{NUMBER}" -> "INV-2026/000123";
 * "{PREFIX} {YYYY} {NUMBER}" with prefix "FCT" -> "FCT 2026 000123".
 *
 * How a document module numbers a document (the recipe; see also
 * docs/internals/number-series.md):
 *   1. in the transaction that issues it (draft -> issued), after its
 *      row is locked or written, call number_series_next(c, org, kind,
 *      atr_now_ms(), out, sizeof out, &err);
 *   2. store out in the document's own `number` column, which carries a
 *      UNIQUE (org_id, number) index;
 *   3. commit. Any failure afterwards rolls the transaction back, and
 *      with it the counter: the number is given back, so the series has
 *      no gaps.
 * The counter row stays locked until the transaction ends (PostgreSQL:
 * the row lock UPDATE takes; SQLite: BEGIN IMMEDIATE's write lock), so
 * concurrent issuers of the same kind in one organisation wait for each
 * other. That queue is the price of gaplessness: keep the work between
 * number_series_next and commit short.
 */
#ifndef ATR_NUMBER_SERIES_H
#define ATR_NUMBER_SERIES_H

#include "atrium.h"

struct atr_err;
struct db_conn;

#define NUMSER_FORMAT_MAX 64  /* characters of a format */
#define NUMSER_PREFIX_MAX 20  /* characters of a prefix */
#define NUMSER_PAD_MAX 12     /* padding width */
#define NUMSER_NUMBER_MAX 999999999999LL /* the largest next number */
#define NUMSER_OUT_MAX 160    /* bytes of a rendered number, with its NUL */

/* The kinds that have a series, NULL-terminated. */
extern const char *const number_series_kinds[];
bool number_series_kind_valid(const char *kind);

/* The defaults of kind's series (a row is made with them on first use). */
struct number_series_conf {
	const char *prefix;
	const char *format;
	int padding;
	bool yearly_reset;
};
const struct number_series_conf *number_series_defaults(const char *kind);

/* Checks format against the grammar above: 0, or -1 with a message
 * ("unknown field {DD}") in msg of n bytes. */
int number_series_format_check(const char *format, char *msg, size_t n);
/* Whether a valid format shows the year. */
bool number_series_format_has_year(const char *format);
/* Renders number in a valid format into out (n bytes, at least
 * NUMSER_OUT_MAX). 0, or -1 when it does not fit. */
int number_series_render(const char *format, const char *prefix, int padding,
			 int64_t number, int year, int month, char *out,
			 size_t n);

/* Hands out the next number of org's kind series, dated when_ms (epoch
 * milliseconds; the year and month in the organisation's time zone),
 * inside the caller's open transaction (which must be a write
 * transaction: BEGIN IMMEDIATE on SQLite). The rendered number goes to out
 * (n bytes, at least NUMSER_OUT_MAX). When the series resets yearly and
 * the year of when_ms is later than the last issue's, numbering starts
 * again at 1.
 * 0, or -1: a conflict in err (a yearly series already numbering a later
 * year than when_ms's, so a number dated earlier cannot be given) or a
 * database error (err untouched). On -1 the caller rolls back. */
int number_series_next(struct db_conn *c, int64_t org, const char *kind,
		       int64_t when_ms, char *out, size_t n,
		       struct atr_err *err);

/* Makes org's kind row with the defaults when it is missing, in the
 * caller's transaction. 0 or -1. */
int number_series_ensure(struct db_conn *c, int64_t org, const char *kind);

/* The year and month of when_ms in org's time zone. 0 or -1. */
int number_series_when(struct db_conn *c, int64_t org, int64_t when_ms,
		       int *year, int *month);

#endif
