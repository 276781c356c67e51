/* invoice.h — what payments and credit notes ask of invoices.
 *
 * An invoice's money figures follow the records that settle it:
 *   amount_paid     = Σ payments − Σ refunds
 *   amount_credited = Σ totals of its issued credit notes
 *   balance_due     = total − amount_paid − amount_credited
 * and its status follows them (invoice.c says how). Whoever changes a
 * payment or issues a credit note calls invoice_settle in the same
 * transaction; it refuses what would break the invoice's arithmetic.
 */
#ifndef ATR_INVOICE_H
#define ATR_INVOICE_H

#include "atrium.h"

#include <jansson.h>

struct req;
struct entity;

extern const struct entity entity_invoice;

/* Why the settlement runs, for its errors' field names. */
enum settle_cause {
	SETTLE_PAYMENT,     /* a payment or refund was written or removed */
	SETTLE_CREDIT_NOTE, /* a credit note was issued */
};

/* Recomputes invoice id's paid and credited amounts, balance and status
 * inside the caller's transaction, whatever the caller's view of
 * invoices; when they change, writes the invoice (next version), its
 * activity row and its `updated` event. Refuses (422 naming `amount`, or
 * `invoice_id`) a payment on a draft or cancelled invoice, payments
 * beyond the balance, refunds beyond what was paid and credit beyond the
 * total. 0, or -1 (r->err, or a database error). */
int invoice_settle(struct req *r, int64_t id, enum settle_cause cause);

/* The invoice as stored, for a credit note's defaults (lines, currency,
 * client): 1 found (*out a new reference), 0 not, -1 error. Unscoped:
 * the caller has checked the invoice is visible. */
int invoice_get(struct req *r, int64_t id, json_t **out);

#endif
