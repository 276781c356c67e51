/* finance.h — what the financial configuration (spec, Step 3: taxes,
 * currencies and their exchange rates, payment modes) offers the modules
 * that will use it: invoices, proposals, payments and reports.
 *
 * Adding a record that uses a tax (an invoice line's taxes, ...):
 *   1. give its table a tax_id column (or a join table) holding tax ids
 *      of the same organisation;
 *   2. add one row {table, column} to tax_users[] in src/admin/tax.c.
 * DELETE /api/v1/taxes/{id} then answers 409 ("deactivate it instead")
 * while any row of any listed table names the tax: tax_uses counts them
 * in the deleting transaction. The finance documents (invoices, credit
 * notes, proposals) list their taxes in document_tax (finance/document.c).
 *
 * Conversion (reports): an amount in one currency of the organisation
 * into another on a date, through the rates to the base currency entered
 * by hand (src/admin/currency_rate.c). The base currency is the
 * organisation's `default_currency` setting; its rate is 1 by definition.
 */
#ifndef ATR_FINANCE_H
#define ATR_FINANCE_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;

/* How many records of org refer to tax id (the tables of tax_users[]).
 * 0 or -1 (database). Inside or outside a transaction. */
int tax_uses(struct db_conn *c, int64_t org, int64_t id, int64_t *n);

/* Exchange rates are decimals with this many places (units of 10^-6). */
#define RATE_SCALE 6
/* Amounts converted: decimals with up to this many places, at most
 * CONVERT_AMOUNT_MAX in absolute value (so the arithmetic stays in 128
 * bits). */
#define CONVERT_SCALE 4
#define CONVERT_AMOUNT_MAX 1000000000000LL /* 10^12 */

/* The rate of one currency to the base used by a conversion. */
struct rate_used {
	char code[4];
	int64_t rate;      /* units of 10^-RATE_SCALE; 10^6 for the base */
	char valid_on[11]; /* YYYY-MM-DD; "" for the base (no row) */
};

struct conversion {
	char base[4];
	int64_t result;    /* units of 10^-decimals */
	int decimals;      /* of the target currency */
	struct rate_used from, to;
};

/* Converts amount (units of 10^-CONVERT_SCALE) from currency `from` to
 * `to` of org on date (YYYY-MM-DD): amount × rate(from) / rate(to), each
 * rate the latest against the current base on or before date, rounded
 * half away from zero to the target's decimal places (the currency's own,
 * or ISO 4217's when the organisation has no row for it). 1 done, 0 no
 * rate on or before date (err names the currency, field "date"), -1
 * database error. */
int currency_convert(struct db_conn *c, int64_t org, int64_t amount,
		     const char *from, const char *to, const char *date,
		     struct conversion *out, struct atr_err *err);

/* The organisation's base currency (its `default_currency` setting). 0
 * or -1. */
int currency_base(struct db_conn *c, int64_t org, char code[4]);

/* ISO 4217's decimal places of code (EUR 2, JPY 0, KWD 3), from ICU; 2
 * when ICU does not know it. */
int currency_iso_decimals(const char *code);

/* ---- between currency.c and currency_rate.c ---------------------------- */

struct req;
/* Currency id of the caller's organisation as the API shows it (with
 * `base`), locked on PostgreSQL when lock: 1 (*out the caller's), 0
 * absent, -1 database error. */
int currency_load(struct req *r, int64_t id, bool lock, json_t **out);

#endif
