/* document.h — what invoices, proposals and credit notes share: their
 * lines, the exact arithmetic of their totals, the taxes they use and the
 * day they are dated.
 *
 * Lines. A document's `lines` (FT_ITEMS) are what its author typed, in a
 * canonical form: {description, quantity, unit, unit_price, discount,
 * taxes}. Everything computed from them is a read-only field beside them
 * (line_amounts, subtotal, tax_total, total, taxes), so a client may send
 * back the lines it read without meeting a read-only member.
 *
 * Arithmetic (exact, in integers; 128 bits for the products):
 *   quantity   up to 4 decimals, 0 < q <= 10^9
 *   unit_price up to 4 decimals, |p| <= 10^10 (a negative price is a
 *              discount line)
 *   discount   percent, up to 2 decimals, 0..100
 *   tax rate   percent, up to 3 decimals (the taxes module)
 *   a line     |q × p| <= 10^13 currency units (DOC_LINE_MAX)
 *   amounts    in the document currency's minor units (cents), every
 *              rounding half away from zero to the currency's places.
 *
 *   line amount  = round(q × p × (1 − discount/100))        (always)
 *   subtotal     = Σ line amounts
 *   rounding "document" (the default; the EU VAT directive's per-rate
 *   total): tax of rate t = round(t × Σ line amounts carrying t)
 *   rounding "line": tax of rate t = Σ round(t × line amount)
 *   tax_total    = Σ taxes; total = subtotal + tax_total
 * The organisation chooses the rule (setting billing.tax_rounding); a
 * document keeps the figures it was issued with.
 *
 * Documents are in a currency of at most 2 decimal places (amounts are
 * FT_MONEY); ISO 4217's 3-place currencies are refused with a field
 * error.
 */
#ifndef ATR_DOCUMENT_H
#define ATR_DOCUMENT_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;
struct entity;
struct req;

#define DOC_LINES_MAX 500
#define DOC_LINE_TAXES 5        /* taxes on one line */
#define DOC_TAXES_MAX 20        /* distinct taxes on one document */
#define DOC_QTY_SCALE 4
#define DOC_PRICE_SCALE 4
#define DOC_DISC_SCALE 2
#define DOC_RATE_SCALE 3        /* as the taxes module stores rates */
#define DOC_QTY_MAX 1000000000LL        /* 10^9 */
#define DOC_PRICE_MAX 10000000000LL     /* 10^10 */
/* |quantity × unit price| of one line, in currency units (10^13), so
 * that 500 lines and their taxes stay far inside 64 bits of cents. */
#define DOC_LINE_MAX 10000000000000LL
#define DOC_DESCRIPTION_MAX 2000
#define DOC_UNIT_MAX 20
#define DOC_DATE_MAX 16 /* YYYY-MM-DD and its NUL, with room */

enum doc_rounding { DOC_ROUND_DOCUMENT, DOC_ROUND_LINE };

struct doc_line {
	int64_t qty;      /* units of 10^-4 */
	int64_t price;    /* units of 10^-4 of the currency */
	int64_t discount; /* hundredths of a percent */
	int ntax;
	int64_t tax[DOC_LINE_TAXES]; /* tax ids */
};

struct doc_tax {
	int64_t id;
	int64_t rate; /* thousandths of a percent */
};

struct doc_tax_total {
	int64_t tax_id;
	int64_t base;   /* cents: the lines' amounts it applies to */
	int64_t amount; /* cents */
};

struct doc_totals {
	int64_t subtotal, tax_total, total; /* cents */
	int ntaxes;
	struct doc_tax_total taxes[DOC_TAXES_MAX];
};

/* The totals of n lines with the taxes they name (ntaxes rows of taxes,
 * each id once) under rule, in a currency of `places` decimals (0..2).
 * line_amount[i] gets each line's amount (cents). 0, or -1 when a line
 * names a tax not in taxes or a document has more than DOC_TAXES_MAX
 * distinct taxes (the check refuses both before). Pure: no database. */
int doc_compute(const struct doc_line *lines, int n,
		const struct doc_tax *taxes, int ntaxes, enum doc_rounding rule,
		int places, int64_t *line_amount, struct doc_totals *out);

/* Rounds v (units of 10^-from) half away from zero to units of 10^-to
 * (to <= from). Exposed for the tests. */
int64_t doc_round(__int128 v, int from, int to);

/* ---- for the document entities (invoice, proposal, credit_note) -------- */

/* The check of a body's `lines` and `currency`, in the entity's check
 * hook: every line's members (errors named lines[i].quantity, ...), its
 * taxes active taxes of the organisation, the currency one of at most 2
 * places. Replaces the body's lines with their canonical form. */
void doc_check_body(struct req *r);

/* Recomputes the figures of record *after of table e->name from its lines
 * and currency when create (before NULL) or either changed, in the
 * write's transaction: stores line_amounts, subtotal, tax_total, total
 * and taxes (the summary, with each tax's name, rate and legal note as
 * they are now), keeps document_tax (which taxes the document uses) and
 * sets the same keys in *after. With rates (a `taxes` summary of another
 * document: the invoice a credit note reverses), a tax it names counts
 * with the name and rate it had there, so a reversal matches what was
 * billed even after the rate changed. 0 or -1. */
int doc_update_totals(struct req *r, const struct entity *e,
		      const json_t *before, json_t *after, const json_t *rates);

/* On create (POST), a body without `currency` takes the organisation's
 * base currency: the check hook of a document whose currency the author
 * chooses (invoices, proposals), after doc_check_body. */
void doc_default_currency(struct req *r);

/* The contact of record after (`contact_id`), when set and new or moved
 * with its client, must be a contact of its `client_id`: a field error
 * "contact_id" naming e ("is not a contact of the proposal's client")
 * otherwise. For on_write hooks. 0, or -1 (r->err, or a database
 * error). */
int doc_check_contact(struct req *r, const struct entity *e,
		      const json_t *before, const json_t *after);

/* The date in field `later` of rec must not be before the one in
 * `earlier` (either may be absent): a field error on `later` ("must not
 * be before the <label>") otherwise. 0 or -1. */
int doc_check_order(struct req *r, const json_t *rec, const char *earlier,
		    const char *later, const char *label);

/* Removes the document's document_tax rows (its delete). 0 or -1. */
int doc_forget_taxes(struct req *r, const struct entity *e, int64_t id);

/* Today in the organisation's time zone, YYYY-MM-DD. 0 or -1. */
int doc_today(struct db_conn *c, int64_t org, char out[DOC_DATE_MAX]);

/* Today in the zone furthest ahead of UTC (UTC+14), YYYY-MM-DD: no
 * organisation's today is later, so a scheduler task takes the documents
 * whose date is before it as candidates and judges each in its own
 * organisation's zone (doc_today). 0 or -1. */
int doc_horizon(char out[DOC_DATE_MAX]);

/* Sets `number` of document id of table to number inside the caller's
 * transaction; a number taken by another document of the organisation is
 * a 409 naming the series to fix. 0 or -1 (r->err or a database error). */
int doc_set_number(struct req *r, const char *table, int64_t id,
		   const char *number);

/* A copy of record before as a write at now leaves it: updated_at now,
 * the next version (an action's *after, before its own keys are set).
 * New reference. */
json_t *doc_next(const json_t *before, const char *now);

/* The scheduler's date rules (invoices overdue, proposals expired): sql
 * selects "id, org_id, <date>" of the candidate records, ordered by
 * org_id, with ? the horizon (doc_horizon: no zone is later) and ? the
 * batch (DOC_SWEEP_BATCH); each candidate whose date is before today in
 * its organisation's zone is handed to one, in a transaction of its own
 * with the system's request context (an administrator of the org, no
 * actor). one returns >= 0 (commit) or -1 (rollback, the run fails);
 * the next run takes what is left. 0 or -1 with err. */
#define DOC_SWEEP_BATCH 500
struct app;
int doc_sweep(struct app *app, struct db_conn *c, const char *sql,
	      int (*one)(struct req *r, int64_t id, const char *today),
	      struct atr_err *err);

#endif
