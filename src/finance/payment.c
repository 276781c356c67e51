/* payment.c — payments and refunds of issued invoices.
 *
 * A payment (kind `payment`) records money received against one invoice,
 * in the invoice's currency: its amount, date, payment mode, the
 * provider's or bank's transaction id and a note. A refund (kind
 * `refund`) gives money back and lowers what was paid. Partial payments
 * are the rule; the invoice's paid amount, balance and status follow
 * every write in the same transaction (invoice_settle), which refuses a
 * payment on a draft or cancelled invoice, more than the balance due, or
 * refunds beyond what was paid. A payment stays with its invoice: its
 * invoice_id cannot change.
 */
#include "atrium.h"

#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "finance/document.h"
#include "finance/invoice.h"
#include "http/perm.h"

static const char *const payment_kinds[] = {"payment", "refund", NULL};

static const struct field payment_fields[] = {
	{.name = "invoice_id", .type = FT_REF, .ref = "invoice",
	 .label = "Invoice", .flags = F_REQUIRED | F_FILTER | F_LIST},
	{.name = "kind", .type = FT_ENUM, .choices = payment_kinds,
	 .def = "payment", .flags = F_FILTER | F_LIST,
	 .hint = "A refund gives money back to the client."},
	{.name = "amount", .type = FT_MONEY,
	 .flags = F_REQUIRED | F_FILTER | F_SORT | F_LIST,
	 .hint = "In the invoice's currency."},
	{.name = "date", .type = FT_DATE, .flags = F_FILTER | F_SORT | F_LIST,
	 .hint = "Today when not given."},
	{.name = "payment_mode_id", .type = FT_INT, .label = "Payment mode",
	 .flags = F_FILTER | F_LIST,
	 .hint = "One of the organisation's active payment modes; the "
		 "default one when not given."},
	{.name = "transaction_id", .type = FT_TEXT, .max = 100,
	 .label = "Transaction ID", .flags = F_FILTER | F_SEARCH | F_LIST},
	{.name = "note", .type = FT_TEXT, .max = 2000,
	 .flags = F_MULTILINE | F_WIDE},
	{.name = "recorded_by", .type = FT_STAFF, .label = "Recorded by",
	 .flags = F_FILTER | F_OWNER},
};

/* The default payment mode of the organisation, or 0. -1 on error. */
static int64_t default_mode(struct req *r)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT id FROM payment_mode WHERE org_id = ? AND "
		       "is_default = 1 AND active = 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	int rc = db_step(st);
	int64_t id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : id;
}

static void payment_check(struct req *r, const struct entity *e)
{
	(void)e;
	if (!req_db(r))
		return;
	if (r->method == HTTP_PATCH && json_object_get(r->body, "invoice_id"))
		atr_field(&r->err, "invoice_id", "read_only",
			  "a payment stays with its invoice; delete it and "
			  "record it again on the other one");
	int64_t amount;
	if (money_from_json(json_object_get(r->body, "amount"), &amount) &&
	    amount <= 0)
		atr_field(&r->err, "amount", "out_of_range",
			  "must be greater than 0");
	if (r->method == HTTP_POST && !json_object_get(r->body, "date")) {
		char today[DOC_DATE_MAX];
		if (doc_today(r->db, r->who.org_id, today) < 0)
			req_db_error(r);
		else
			json_object_set_new(r->body, "date",
					    json_string(today));
	}
	const json_t *mode = json_object_get(r->body, "payment_mode_id");
	if (r->method == HTTP_POST && !mode) {
		int64_t id = default_mode(r);
		if (id < 0)
			req_db_error(r);
		else if (id > 0)
			json_object_set_new(r->body, "payment_mode_id",
					    json_integer(id));
	} else if (json_is_integer(mode)) {
		struct db_stmt *st = db_prepare(
			r->db, "SELECT 1 FROM payment_mode WHERE id = ? AND "
			       "org_id = ? AND active = 1");
		if (!st) {
			req_db_error(r);
			return;
		}
		db_bind_int(st, 1, json_integer_value(mode));
		db_bind_int(st, 2, r->who.org_id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			req_db_error(r);
		else if (rc == 0)
			atr_field(&r->err, "payment_mode_id", "not_found",
				  "no active payment mode with id %lld",
				  (long long)json_integer_value(mode));
	}
}

static int64_t invoice_of(const json_t *rec)
{
	return json_integer_value(json_object_get(rec, "invoice_id"));
}

static int payment_on_write(struct req *r, const struct entity *e,
			    const json_t *before, json_t **after)
{
	(void)e;
	(void)before;
	return invoice_settle(r, invoice_of(*after), SETTLE_PAYMENT);
}

static int payment_on_delete(struct req *r, const struct entity *e,
			     const json_t *before)
{
	(void)e;
	return invoice_settle(r, invoice_of(before), SETTLE_PAYMENT);
}

const struct entity entity_payment = {
	.name = "payment",
	.plural = "payments",
	.label = "Payments",
	.schema = SCHEMA(payment_fields),
	.title_field = "transaction_id",
	.ui_sort = "-id",
	.check = payment_check,
	.on_write = payment_on_write,
	.on_delete = payment_on_delete,
};

static const struct route payment_routes[] = {
	ENTITY_ROUTES(entity_payment, "payments"),
	{0},
};

static const struct perm_module payment_perms[] = {
    {"payments", "Payments", PB_ALL, "payment", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const payment_entities[] = {&entity_payment,
							 NULL};

const struct module module_payments = {
	.name = "payments",
	.perms = payment_perms,
	.routes = payment_routes,
	.entities = payment_entities,
};
