/* invoice.c — invoices: a client's bill with its lines, taxes and totals
 * (finance/document.h), numbered when issued, settled by payments and
 * credit notes (finance/invoice.h).
 *
 * Life: a draft is edited freely and has no number. POST .../issue gives
 * it the next number of the organisation's invoice series in the same
 * transaction (gapless: a failed issue gives the number back), dates it
 * (today in the organisation's zone when it has no issue date) and makes
 * it `issued`. From then on the invoice is immutable — only its sales
 * agent (owner_id) may still change — and it is corrected by a credit
 * note, never edited or deleted. Its status follows its money:
 *
 *   draft           not issued
 *   cancelled       credited in full
 *   paid            nothing left to pay (balance_due <= 0)
 *   overdue         due_date passed with a balance (the scheduler's
 *                   invoices_overdue task moves issued invoices there
 *                   each hour, in each organisation's zone)
 *   partially_paid  some paid or credited, the rest not yet due
 *   sent            emailed to the client, nothing paid
 *   issued          issued, nothing paid
 */
#include "atrium.h"

#include "auth/org.h"
#include "core/activity.h"
#include "core/module.h"
#include "core/settings.h"
#include "db/db.h"
#include "entity/entity.h"
#include "finance/document.h"
#include "finance/document_pdf.h"
#include "finance/invoice.h"
#include "finance/number_series.h"
#include "http/perm.h"
#include "http/write.h"
#include "jobs/jobs.h"

static const char *const invoice_statuses[] = {
	"draft",   "issued", "sent", "partially_paid", "paid", "overdue",
	"cancelled", NULL};

static const struct field invoice_fields[] = {
	{.name = "number", .type = FT_TEXT, .max = NUMSER_OUT_MAX,
	 .flags = F_READONLY | F_FILTER | F_SORT | F_LIST | F_SEARCH,
	 .hint = "Given from the invoice number series when the invoice is "
		 "issued."},
	{.name = "client_id", .type = FT_REF, .ref = "client", .label = "Client",
	 .flags = F_REQUIRED | F_FILTER | F_LIST},
	{.name = "contact_id", .type = FT_REF, .ref = "contact",
	 .label = "Contact", .flags = F_FILTER,
	 .hint = "The client's contact the invoice is addressed to."},
	{.name = "status", .type = FT_ENUM, .choices = invoice_statuses,
	 .def = "draft", .flags = F_READONLY | F_FILTER | F_SORT | F_LIST},
	{.name = "currency", .type = FT_CURRENCY, .max = 3,
	 .flags = F_FILTER,
	 .hint = "The organisation's base currency when not given."},
	{.name = "issue_date", .type = FT_DATE,
	 .flags = F_FILTER | F_SORT | F_LIST,
	 .hint = "Today when the invoice is issued without one."},
	{.name = "due_date", .type = FT_DATE,
	 .flags = F_FILTER | F_SORT | F_LIST},
	{.name = "lines", .type = FT_ITEMS, .max = DOC_LINES_MAX,
	 .flags = F_WIDE},
	{.name = "line_amounts", .type = FT_TAGS, .max = DOC_LINES_MAX,
	 .flags = F_READONLY},
	{.name = "subtotal", .type = FT_MONEY, .def = "0",
	 .flags = F_READONLY},
	{.name = "tax_total", .type = FT_MONEY, .def = "0",
	 .flags = F_READONLY},
	{.name = "total", .type = FT_MONEY, .def = "0",
	 .flags = F_READONLY | F_FILTER | F_SORT | F_LIST},
	{.name = "taxes", .type = FT_ITEMS, .max = DOC_TAXES_MAX,
	 .flags = F_READONLY},
	{.name = "amount_paid", .type = FT_MONEY, .def = "0",
	 .flags = F_READONLY | F_FILTER | F_SORT},
	{.name = "amount_credited", .type = FT_MONEY, .def = "0",
	 .flags = F_READONLY},
	{.name = "balance_due", .type = FT_MONEY, .def = "0",
	 .flags = F_READONLY | F_FILTER | F_SORT | F_LIST},
	{.name = "owner_id", .type = FT_STAFF, .label = "Sales agent",
	 .flags = F_FILTER | F_OWNER},
	{.name = "notes", .type = FT_TEXT, .max = 4000,
	 .flags = F_MULTILINE | F_WIDE,
	 .hint = "Printed on the invoice."},
	{.name = "terms", .type = FT_TEXT, .max = 4000,
	 .flags = F_MULTILINE | F_WIDE,
	 .hint = "Payment terms, printed on the invoice."},
	{.name = "issued_at", .type = FT_DATETIME, .flags = F_READONLY},
	{.name = "sent_at", .type = FT_DATETIME, .flags = F_READONLY},
	{.name = "sent_to", .type = FT_EMAIL, .max = 254, .flags = F_READONLY},
};

/* ---- status ---------------------------------------------------------------- */

static int64_t money_of(const json_t *rec, const char *key)
{
	int64_t v = 0;
	money_from_json(json_object_get(rec, key), &v);
	return v;
}

static const char *str_of(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

/* The status an issued invoice's figures give on day today. */
static const char *status_of(const json_t *inv, int64_t paid,
			     int64_t credited, const char *today)
{
	int64_t total = money_of(inv, "total");
	const char *due = str_of(inv, "due_date");
	if (!strcmp(str_of(inv, "status"), "draft"))
		return "draft";
	if (credited > 0 && credited >= total)
		return "cancelled";
	if (total - paid - credited <= 0)
		return "paid";
	if (due && strcmp(due, today) < 0)
		return "overdue";
	if (paid > 0 || credited > 0)
		return "partially_paid";
	return json_is_string(json_object_get(inv, "sent_at")) ? "sent"
							       : "issued";
}

static json_t *money_json(int64_t cents)
{
	char b[32];
	money_format(cents, b);
	return json_string(b);
}

/* ---- the entity's hooks ------------------------------------------------------ */

static void invoice_check(struct req *r, const struct entity *e)
{
	(void)e;
	doc_check_body(r);
	doc_default_currency(r);
}

static int invoice_on_write(struct req *r, const struct entity *e,
			    const json_t *before, json_t **after)
{
	if (before && strcmp(str_of(before, "status"), "draft")) {
		const char *k;
		json_t *v;
		json_object_foreach(r->body, k, v)
		{
			if (strcmp(k, "owner_id"))
				return atr_fail(&r->err, ATR_E_CONFLICT,
						"invoice %s is issued and cannot "
						"be changed (only its sales "
						"agent); issue a credit note to "
						"correct it",
						str_of(before, "number"));
		}
		return 0;
	}
	if (doc_check_contact(r, e, before, *after) < 0 ||
	    doc_check_order(r, *after, "issue_date", "due_date",
			    "issue date") < 0 ||
	    doc_update_totals(r, e, before, *after, NULL) < 0)
		return -1;
	/* A draft owes its total. */
	int64_t total = money_of(*after, "total");
	if (money_of(*after, "balance_due") == total)
		return 0;
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE invoice SET balance_due = ? WHERE id = ? AND "
		       "org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, total);
	db_bind_int(st, 2, json_integer_value(json_object_get(*after, "id")));
	db_bind_int(st, 3, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	json_object_set_new(*after, "balance_due", money_json(total));
	return rc < 0 ? -1 : 0;
}

static int invoice_on_delete(struct req *r, const struct entity *e,
			     const json_t *before)
{
	if (strcmp(str_of(before, "status"), "draft"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"invoice %s is issued and cannot be deleted; "
				"issue a credit note to cancel it",
				str_of(before, "number"));
	return doc_forget_taxes(r, e,
				json_integer_value(json_object_get(before, "id")));
}

const struct entity entity_invoice = {
	.name = "invoice",
	.plural = "invoices",
	.label = "Invoices",
	.schema = SCHEMA(invoice_fields),
	.title_field = "number",
	.ui_sort = "-id",
	.check = invoice_check,
	.on_write = invoice_on_write,
	.on_delete = invoice_on_delete,
};

/* ---- issuing ---------------------------------------------------------------- */

static int invoice_load(struct req *r, const struct write_op *op,
			json_t **rec)
{
	(void)op;
	return entity_record_load(r, &entity_invoice, true, rec);
}

static int issue_apply(struct req *r, const struct write_op *op,
		       const json_t *before, json_t **after)
{
	(void)op;
	if (strcmp(str_of(before, "status"), "draft"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"invoice %s is issued already",
				str_of(before, "number"));
	if (!json_array_size(json_object_get(before, "lines")))
		atr_field(&r->err, "lines", "required",
			  "an invoice needs at least one line to be issued");
	if (money_of(before, "total") < 0)
		atr_field(&r->err, "total", "negative",
			  "an invoice's total cannot be negative; issue a "
			  "credit note instead");
	char today[DOC_DATE_MAX];
	if (doc_today(r->db, r->who.org_id, today) < 0)
		return -1;
	const char *issue = str_of(before, "issue_date");
	if (!issue)
		issue = today;
	const char *due = str_of(before, "due_date");
	if (due && strcmp(due, issue) < 0)
		atr_field(&r->err, "due_date", "invalid",
			  "must not be before the issue date (%s)", issue);
	if (r->err.nfields)
		return -1;
	char number[NUMSER_OUT_MAX], now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (number_series_next(r->db, r->who.org_id, "invoice", atr_now_ms(),
			       number, sizeof number, &r->err) < 0)
		return -1;
	int64_t id = json_integer_value(json_object_get(before, "id"));
	*after = doc_next(before, now);
	json_object_set_new(*after, "number", json_string(number));
	json_object_set_new(*after, "issue_date", json_string(issue));
	json_object_set_new(*after, "issued_at", json_string(now));
	json_object_set_new(*after, "status", json_string("issued"));
	json_object_set_new(*after, "status",
			    json_string(status_of(*after, 0, 0, today)));
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE invoice SET status = ?, issue_date = ?, "
		       "issued_at = ?, updated_at = ?, version = version + 1 "
		       "WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, str_of(*after, "status"));
	db_bind_text(st, 2, issue);
	db_bind_text(st, 3, now);
	db_bind_text(st, 4, now);
	db_bind_int(st, 5, id);
	db_bind_int(st, 6, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || doc_set_number(r, "invoice", id, number) < 0)
		return -1;
	return 1;
}

/* POST /api/v1/invoices/{id}/issue */
static int invoice_h_issue(struct req *r)
{
	struct write_op op = {WRITE_UPDATE, "invoice", "/api/v1/invoices",
			      false, true, invoice_load, issue_apply, NULL};
	return write_run(r, &op);
}

/* ---- settling ---------------------------------------------------------------- */

int invoice_get(struct req *r, int64_t id, json_t **out)
{
	return entity_record_follow(r, &entity_invoice, id, out);
}

/* One integer from sql bound to (org, id). */
static int sum_of(struct req *r, const char *sql, int64_t id, int64_t *out)
{
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, id);
	int rc = db_step(st);
	*out = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int invoice_settle(struct req *r, int64_t id, enum settle_cause cause)
{
	json_t *before = NULL, *after = NULL;
	int ret = -1;
	int found = entity_record_follow(r, &entity_invoice, id, &before);
	if (found <= 0) {
		if (found == 0)
			atr_field(&r->err, "invoice_id", "not_found",
				  "no invoice with id %lld", (long long)id);
		return -1;
	}
	int64_t paid, credited;
	char today[DOC_DATE_MAX];
	if (sum_of(r, "SELECT COALESCE(SUM(CASE WHEN kind = 'refund' THEN "
		      "-amount ELSE amount END), 0) FROM payment WHERE org_id "
		      "= ? AND invoice_id = ?",
		   id, &paid) < 0 ||
	    sum_of(r, "SELECT COALESCE(SUM(total), 0) FROM credit_note WHERE "
		      "org_id = ? AND invoice_id = ? AND status = 'issued'",
		   id, &credited) < 0 ||
	    doc_today(r->db, r->who.org_id, today) < 0)
		goto out;
	int64_t total = money_of(before, "total");
	int64_t was_paid = money_of(before, "amount_paid");
	const char *status = str_of(before, "status");
	const char *field = cause == SETTLE_PAYMENT ? "amount" : "total";
	char b[32];
	if (!strcmp(status, "draft")) {
		atr_field(&r->err, "invoice_id", "draft",
			  "the invoice is a draft; issue it first");
		goto out;
	}
	if (!strcmp(status, "cancelled") && paid > was_paid) {
		atr_field(&r->err, "invoice_id", "cancelled",
			  "invoice %s is cancelled", str_of(before, "number"));
		goto out;
	}
	if (paid < 0) {
		money_format(was_paid, b);
		atr_field(&r->err, field, "too_much",
			  "refunds would exceed the %s paid", b);
		goto out;
	}
	if (credited > total) {
		money_format(total - money_of(before, "amount_credited"), b);
		atr_field(&r->err, field, "too_much",
			  "credit notes would exceed the invoice's total; %s "
			  "is left to credit",
			  b);
		goto out;
	}
	if (paid > was_paid && paid + credited > total) {
		money_format(money_of(before, "balance_due"), b);
		atr_field(&r->err, field, "too_much",
			  "exceeds the balance due of %s", b);
		goto out;
	}
	after = json_deep_copy(before);
	json_object_set_new(after, "amount_paid", money_json(paid));
	json_object_set_new(after, "amount_credited", money_json(credited));
	json_object_set_new(after, "balance_due",
			    money_json(total - paid - credited));
	json_object_set_new(after, "status",
			    json_string(status_of(after, paid, credited, today)));
	if (json_equal(before, after)) {
		ret = 0;
		goto out;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE invoice SET amount_paid = ?, amount_credited = ?, "
		       "balance_due = ?, status = ?, updated_at = ?, version = "
		       "version + 1 WHERE id = ? AND org_id = ?");
	if (!st)
		goto out;
	db_bind_int(st, 1, paid);
	db_bind_int(st, 2, credited);
	db_bind_int(st, 3, total - paid - credited);
	db_bind_text(st, 4, str_of(after, "status"));
	db_bind_text(st, 5, now);
	db_bind_int(st, 6, id);
	db_bind_int(st, 7, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		goto out;
	json_t *next = doc_next(after, now);
	json_decref(after);
	after = next;
	json_t *diff = write_diff(before, after);
	rc = activity_from_req(r, "update", "invoice", id, diff);
	json_decref(diff);
	if (rc == 0 && outbox_emit(r->db, r->who.org_id, "invoice", id,
				   "updated", before, after) == 0)
		ret = 0;
out:
	json_decref(before);
	json_decref(after);
	return ret;
}

/* ---- overdue ------------------------------------------------------------------ */

/* One invoice past due: its settlement moves the status (overdue). */
static int overdue_one(struct req *r, int64_t id, const char *today)
{
	(void)today;
	return invoice_settle(r, id, SETTLE_PAYMENT);
}

/* Marks overdue the issued invoices whose due date passed in their
 * organisation's zone, with an activity row and an event each
 * (doc_sweep). */
static int invoices_overdue(struct app *app, struct db_conn *c,
			    int64_t now_ms, struct atr_err *err)
{
	(void)now_ms;
	return doc_sweep(app, c,
			 "SELECT id, org_id, due_date FROM invoice WHERE status "
			 "IN ('issued', 'sent', 'partially_paid') AND due_date "
			 "< ? AND " ORG_ACTIVE_SQL("org_id") " ORDER BY org_id, id "
			 "LIMIT ?",
			 overdue_one, err);
}

/* ---- the module ------------------------------------------------------------- */

static const struct route invoice_routes[] = {
	ENTITY_ROUTES(entity_invoice, "invoices"),
	{HTTP_POST, "/api/v1/invoices/{id}/issue", invoice_h_issue,
	 ACCESS_PERM, "invoices", CAP_EDIT, &schema_empty, NULL, NULL, 0,
	 NULL},
	{HTTP_GET, "/api/v1/invoices/{id}/pdf", doc_pdf_h_get, ACCESS_PERM,
	 "invoices", CAP_VIEW, NULL, &entity_invoice, NULL, 0, NULL},
	{HTTP_POST, "/api/v1/invoices/{id}/send", doc_send_h, ACCESS_PERM,
	 "invoices", CAP_EDIT, &doc_send_schema, &entity_invoice, NULL, 0,
	 NULL},
	{0},
};

static const struct perm_module invoice_perms[] = {
    {"invoices", "Invoices", PB_ALL, "invoice", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const invoice_entities[] = {&entity_invoice,
							 NULL};

static const char *const rounding_choices[] = {"document", "line", NULL};

static const struct setting_def invoice_settings[] = {
	{"billing", "tax_rounding", SET_ENUM, "document", 0, 0,
	 rounding_choices, 0, NULL, NULL},
	{0},
};

static const struct sched_task invoice_tasks[] = {
	{"invoices_overdue", 3600 * 1000LL, NULL, NULL, invoices_overdue},
	{0},
};

const struct module module_invoices = {
	.name = "invoices",
	.perms = invoice_perms,
	.routes = invoice_routes,
	.entities = invoice_entities,
	.settings = invoice_settings,
	.tasks = invoice_tasks,
};
