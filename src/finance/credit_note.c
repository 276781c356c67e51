/* credit_note.c — credit notes: the one way to correct or cancel an
 * issued invoice.
 *
 * A credit note reverses one issued invoice, in full or in part. It is
 * made as a draft: without lines it takes the invoice's lines (a full
 * reversal), or the lines to reverse (a partial one), and always the
 * invoice's client and currency; its taxes count at the rates the invoice
 * was issued with. POST .../issue numbers it from the organisation's
 * credit-note series, dates it, and credits its total to the invoice in
 * the same transaction (invoice_settle: never more than the invoice's
 * total; credited in full, the invoice is `cancelled`). An issued credit
 * note is immutable and is never deleted; a draft may be.
 */
#include "atrium.h"

#include "core/arena.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity.h"
#include "finance/document.h"
#include "finance/document_pdf.h"
#include "finance/invoice.h"
#include "finance/number_series.h"
#include "http/perm.h"
#include "http/write.h"

static const char *const credit_statuses[] = {"draft", "issued", NULL};

static const struct field credit_fields[] = {
	{.name = "number", .type = FT_TEXT, .max = NUMSER_OUT_MAX,
	 .flags = F_READONLY | F_FILTER | F_SORT | F_LIST | F_SEARCH,
	 .hint = "Given from the credit note series when it is issued."},
	{.name = "invoice_id", .type = FT_REF, .ref = "invoice",
	 .label = "Invoice", .flags = F_REQUIRED | F_FILTER | F_LIST,
	 .hint = "The issued invoice this credit note reverses."},
	{.name = "client_id", .type = FT_REF, .ref = "client", .label = "Client",
	 .flags = F_READONLY | F_FILTER | F_LIST},
	{.name = "status", .type = FT_ENUM, .choices = credit_statuses,
	 .def = "draft", .flags = F_READONLY | F_FILTER | F_SORT | F_LIST},
	{.name = "currency", .type = FT_CURRENCY, .max = 3,
	 .flags = F_READONLY | F_FILTER},
	{.name = "issue_date", .type = FT_DATE,
	 .flags = F_FILTER | F_SORT | F_LIST,
	 .hint = "Today when the credit note is issued without one."},
	{.name = "reason", .type = FT_TEXT, .max = 2000,
	 .flags = F_MULTILINE | F_WIDE | F_SEARCH,
	 .hint = "Printed on the credit note."},
	{.name = "lines", .type = FT_ITEMS, .max = DOC_LINES_MAX,
	 .flags = F_WIDE,
	 .hint = "The invoice's lines when not given: a full reversal."},
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
	{.name = "owner_id", .type = FT_STAFF, .label = "Owner",
	 .flags = F_FILTER | F_OWNER},
	{.name = "issued_at", .type = FT_DATETIME, .flags = F_READONLY},
	{.name = "sent_at", .type = FT_DATETIME, .flags = F_READONLY},
	{.name = "sent_to", .type = FT_EMAIL, .max = 254, .flags = F_READONLY},
};

static const char *str_of(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static void credit_check(struct req *r, const struct entity *e)
{
	(void)e;
	if (r->method == HTTP_PATCH && json_object_get(r->body, "invoice_id"))
		atr_field(&r->err, "invoice_id", "read_only",
			  "a credit note stays with its invoice");
	doc_check_body(r);
}

/* Takes the invoice's client, currency and (without lines of its own)
 * lines into the new credit note's row and *after. */
static int from_invoice(struct req *r, const json_t *inv, json_t *after)
{
	bool copy = !json_object_get(r->body, "lines");
	const json_t *lines = copy ? json_object_get(inv, "lines")
				   : json_object_get(after, "lines");
	char *text = json_dumps(lines, JSON_COMPACT);
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE credit_note SET client_id = ?, currency = ?, "
		       "lines = ? WHERE id = ? AND org_id = ?");
	int rc = -1;
	if (st) {
		db_bind_int(st, 1, json_integer_value(
					   json_object_get(inv, "client_id")));
		db_bind_text(st, 2, str_of(inv, "currency"));
		db_bind_text(st, 3, text);
		db_bind_int(st, 4, json_integer_value(
					   json_object_get(after, "id")));
		db_bind_int(st, 5, r->who.org_id);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	}
	free(text);
	json_object_set(after, "client_id", json_object_get(inv, "client_id"));
	json_object_set(after, "currency", json_object_get(inv, "currency"));
	json_object_set_new(after, "lines", json_deep_copy(lines));
	return rc;
}

/* A credit note reverses what was billed: each line's taxes are taxes
 * of the invoice. */
static void check_taxes(struct req *r, const json_t *inv, const json_t *lines)
{
	const json_t *billed = json_object_get(inv, "taxes");
	size_t i, k, m;
	const json_t *line, *t, *b;
	json_array_foreach(lines, i, line)
		json_array_foreach(json_object_get(line, "taxes"), k, t)
		{
			bool found = false;
			json_array_foreach(billed, m, b)
				found |= json_equal(json_object_get(b, "tax_id"),
						    t);
			if (!found) {
				atr_field(&r->err,
					  arena_printf(r->arena,
						       "lines[%zu].taxes", i),
					  "not_billed",
					  "tax %lld is not on the invoice",
					  (long long)json_integer_value(t));
				break;
			}
		}
}

static int credit_on_write(struct req *r, const struct entity *e,
			   const json_t *before, json_t **after)
{
	if (before && strcmp(str_of(before, "status"), "draft"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"credit note %s is issued and cannot be "
				"changed",
				str_of(before, "number"));
	json_t *inv = NULL;
	int64_t id = json_integer_value(json_object_get(*after, "invoice_id"));
	int rc = invoice_get(r, id, &inv);
	if (rc == 0)
		atr_field(&r->err, "invoice_id", "not_found",
			  "no invoice with id %lld", (long long)id);
	if (rc <= 0)
		return -1;
	rc = -1;
	if (!strcmp(str_of(inv, "status"), "draft"))
		atr_field(&r->err, "invoice_id", "draft",
			  "the invoice is a draft: change or delete it "
			  "instead of crediting it");
	else if (!before && from_invoice(r, inv, *after) < 0)
		goto out;
	else if (json_object_get(r->body, "lines"))
		check_taxes(r, inv, json_object_get(*after, "lines"));
	if (r->err.nfields)
		goto out;
	rc = doc_update_totals(r, e, before, *after,
			       json_object_get(inv, "taxes"));
out:
	json_decref(inv);
	return rc;
}

static int credit_on_delete(struct req *r, const struct entity *e,
			    const json_t *before)
{
	if (strcmp(str_of(before, "status"), "draft"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"credit note %s is issued and cannot be "
				"deleted",
				str_of(before, "number"));
	return doc_forget_taxes(r, e,
				json_integer_value(json_object_get(before, "id")));
}

const struct entity entity_credit_note = {
	.name = "credit_note",
	.plural = "credit_notes",
	.label = "Credit notes",
	.schema = SCHEMA(credit_fields),
	.title_field = "number",
	.ui_sort = "-id",
	.check = credit_check,
	.on_write = credit_on_write,
	.on_delete = credit_on_delete,
};

/* ---- issuing ------------------------------------------------------------ */

static int credit_load(struct req *r, const struct write_op *op, json_t **rec)
{
	(void)op;
	return entity_record_load(r, &entity_credit_note, true, rec);
}

static int issue_apply(struct req *r, const struct write_op *op,
		       const json_t *before, json_t **after)
{
	(void)op;
	if (strcmp(str_of(before, "status"), "draft"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"credit note %s is issued already",
				str_of(before, "number"));
	if (!json_array_size(json_object_get(before, "lines"))) {
		atr_field(&r->err, "lines", "required",
			  "a credit note needs at least one line");
		return -1;
	}
	int64_t total = 0;
	money_from_json(json_object_get(before, "total"), &total);
	if (total <= 0) {
		atr_field(&r->err, "total", "out_of_range",
			  "a credit note's total must be greater than 0");
		return -1;
	}
	char today[DOC_DATE_MAX], now[ATR_TIME_LEN], number[NUMSER_OUT_MAX];
	if (doc_today(r->db, r->who.org_id, today) < 0)
		return -1;
	atr_now_iso(now);
	const char *issue = str_of(before, "issue_date");
	if (!issue)
		issue = today;
	if (number_series_next(r->db, r->who.org_id, "credit_note",
			       atr_now_ms(), number, sizeof number,
			       &r->err) < 0)
		return -1;
	int64_t id = json_integer_value(json_object_get(before, "id"));
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE credit_note SET status = 'issued', issue_date = "
		       "?, issued_at = ?, updated_at = ?, version = version + 1 "
		       "WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, issue);
	db_bind_text(st, 2, now);
	db_bind_text(st, 3, now);
	db_bind_int(st, 4, id);
	db_bind_int(st, 5, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || doc_set_number(r, "credit_note", id, number) < 0 ||
	    invoice_settle(r,
			   json_integer_value(
				   json_object_get(before, "invoice_id")),
			   SETTLE_CREDIT_NOTE) < 0)
		return -1;
	*after = doc_next(before, now);
	json_object_set_new(*after, "status", json_string("issued"));
	json_object_set_new(*after, "number", json_string(number));
	json_object_set_new(*after, "issue_date", json_string(issue));
	json_object_set_new(*after, "issued_at", json_string(now));
	return 1;
}

/* POST /api/v1/credit_notes/{id}/issue */
static int credit_h_issue(struct req *r)
{
	struct write_op op = {WRITE_UPDATE, "credit_note",
			      "/api/v1/credit_notes", false, true,
			      credit_load, issue_apply, NULL};
	return write_run(r, &op);
}

static const struct route credit_routes[] = {
	ENTITY_ROUTES(entity_credit_note, "credit_notes"),
	{HTTP_POST, "/api/v1/credit_notes/{id}/issue", credit_h_issue,
	 ACCESS_PERM, "credit_notes", CAP_EDIT, &schema_empty, NULL, NULL, 0,
	 NULL},
	{HTTP_GET, "/api/v1/credit_notes/{id}/pdf", doc_pdf_h_get, ACCESS_PERM,
	 "credit_notes", CAP_VIEW, NULL, &entity_credit_note, NULL, 0, NULL},
	{HTTP_POST, "/api/v1/credit_notes/{id}/send", doc_send_h, ACCESS_PERM,
	 "credit_notes", CAP_EDIT, &doc_send_schema, &entity_credit_note, NULL,
	 0, NULL},
	{0},
};

static const struct perm_module credit_perms[] = {
    {"credit_notes", "Credit notes", PB_ALL, "credit_note", NULL,
     PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const credit_entities[] = {&entity_credit_note,
							NULL};

const struct module module_credit_notes = {
	.name = "credit_notes",
	.perms = credit_perms,
	.routes = credit_routes,
	.entities = credit_entities,
};
