/* proposal.c — proposals: an offer to a client with lines, taxes and
 * totals (finance/document.h), numbered when first sent, answered by the
 * client, and converted into an invoice.
 *
 * Life (the status is read-only; the actions move it, each in one
 * transaction with its activity row and `updated` event):
 *
 *   draft     being written: no number; edited and deleted freely
 *   sent      POST .../send, from draft, sent or expired: the first send
 *             gives the next number of the organisation's proposal
 *             series (gapless, in the same transaction); a proposal keeps
 *             its number for good, so sending a revision again keeps it.
 *             Dated today in the organisation's zone when it has no date;
 *             refused without lines or when open_till has passed. Send
 *             records that the proposal went out; POST .../email then
 *             mails its PDF to the client (finance/document_pdf.h).
 *   accepted  POST .../accept, from sent only (accepted_at)
 *   declined  POST .../decline, from sent only (declined_at)
 *   expired   the scheduler's proposals_expire task, each hour: a sent
 *             proposal whose open_till passed in its organisation's zone
 *   invoiced  POST .../invoice, from any status but declined and
 *             invoiced: a draft invoice made through the invoice entity's
 *             own create (entity_record_create: its checks, its figures,
 *             its activity row and event), linked by invoice_id
 *
 * Editing, the rule stated once: a proposal is editable while it is
 * draft, sent or expired (a sent proposal edited stays sent and keeps its
 * number: the revision goes out when it is sent again; an expired one
 * gets a later open_till and is sent again). Accepted, declined and
 * invoiced proposals are frozen: only the sales agent (owner_id) may
 * still change, anything else is 409. Deleting: draft, sent, declined and
 * expired proposals may be deleted; an accepted one (the client's
 * agreement) and an invoiced one (the origin of an invoice) are kept
 * (409). The invoice a proposal became refers back through invoice_id,
 * so it is not deleted while the proposal exists (409).
 */
#include "atrium.h"

#include "auth/org.h"
#include "core/activity.h"
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
#include "jobs/jobs.h"


static const char *const proposal_statuses[] = {
	"draft", "sent", "accepted", "declined", "expired", "invoiced", NULL};

static const struct field proposal_fields[] = {
	{.name = "number", .type = FT_TEXT, .max = NUMSER_OUT_MAX,
	 .flags = F_READONLY | F_FILTER | F_SORT | F_LIST | F_SEARCH,
	 .hint = "Given from the proposal number series when the proposal "
		 "is first sent."},
	{.name = "subject", .type = FT_TEXT, .max = 255,
	 .flags = F_REQUIRED | F_SEARCH | F_FILTER | F_SORT | F_LIST},
	{.name = "client_id", .type = FT_REF, .ref = "client", .label = "Client",
	 .flags = F_REQUIRED | F_FILTER | F_LIST},
	{.name = "contact_id", .type = FT_REF, .ref = "contact",
	 .label = "Contact", .flags = F_FILTER,
	 .hint = "The client's contact the proposal is addressed to."},
	{.name = "status", .type = FT_ENUM, .choices = proposal_statuses,
	 .def = "draft", .flags = F_READONLY | F_FILTER | F_SORT | F_LIST},
	{.name = "currency", .type = FT_CURRENCY, .max = 3,
	 .flags = F_FILTER,
	 .hint = "The organisation's base currency when not given."},
	{.name = "date", .type = FT_DATE, .flags = F_FILTER | F_SORT | F_LIST,
	 .hint = "Today when the proposal is sent without one."},
	{.name = "open_till", .type = FT_DATE,
	 .flags = F_FILTER | F_SORT | F_LIST, .label = "Open till",
	 .hint = "The proposal expires after this day."},
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
	{.name = "owner_id", .type = FT_STAFF, .label = "Sales agent",
	 .flags = F_FILTER | F_OWNER},
	{.name = "notes", .type = FT_TEXT, .max = 4000,
	 .flags = F_MULTILINE | F_WIDE,
	 .hint = "Printed on the proposal."},
	{.name = "terms", .type = FT_TEXT, .max = 4000,
	 .flags = F_MULTILINE | F_WIDE,
	 .hint = "Terms of the offer, printed on the proposal."},
	{.name = "invoice_id", .type = FT_REF, .ref = "invoice",
	 .label = "Invoice", .flags = F_READONLY | F_FILTER,
	 .hint = "The invoice the proposal became."},
	{.name = "sent_at", .type = FT_DATETIME, .flags = F_READONLY},
	{.name = "sent_to", .type = FT_EMAIL, .max = 254, .flags = F_READONLY},
	{.name = "accepted_at", .type = FT_DATETIME, .flags = F_READONLY},
	{.name = "declined_at", .type = FT_DATETIME, .flags = F_READONLY},
};

static const char *str_of(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static int64_t id_of(const json_t *rec)
{
	return json_integer_value(json_object_get(rec, "id"));
}

/* How messages name a proposal: its number, or #id before it has one
 * (in the request's arena). */
static const char *name_of(struct req *r, const json_t *rec)
{
	const char *n = str_of(rec, "number");
	return n ? n : arena_printf(r->arena, "#%lld", (long long)id_of(rec));
}

static bool frozen(const char *status)
{
	return !strcmp(status, "accepted") || !strcmp(status, "declined") ||
	       !strcmp(status, "invoiced");
}

/* ---- the entity's hooks ---------------------------------------------------- */

static void proposal_check(struct req *r, const struct entity *e)
{
	(void)e;
	doc_check_body(r);
	doc_default_currency(r);
}

static int proposal_on_write(struct req *r, const struct entity *e,
			     const json_t *before, json_t **after)
{
	if (before && frozen(str_of(before, "status"))) {
		const char *k;
		json_t *v;
		json_object_foreach(r->body, k, v)
		{
			if (strcmp(k, "owner_id"))
				return atr_fail(&r->err, ATR_E_CONFLICT,
						"proposal %s is %s and cannot be "
						"changed (only its sales agent)",
						name_of(r, before),
						str_of(before, "status"));
		}
		return 0;
	}
	if (doc_check_contact(r, e, before, *after) < 0 ||
	    doc_check_order(r, *after, "date", "open_till", "date") < 0)
		return -1;
	return doc_update_totals(r, e, before, *after, NULL);
}

static int proposal_on_delete(struct req *r, const struct entity *e,
			      const json_t *before)
{
	const char *status = str_of(before, "status");
	if (!strcmp(status, "accepted") || !strcmp(status, "invoiced"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"proposal %s is %s and is kept: it records %s",
				name_of(r, before), status,
				!strcmp(status, "accepted")
					? "the client's agreement"
					: "where an invoice came from");
	return doc_forget_taxes(r, e, id_of(before));
}

const struct entity entity_proposal = {
	.name = "proposal",
	.plural = "proposals",
	.label = "Proposals",
	.schema = SCHEMA(proposal_fields),
	.title_field = "subject",
	.ui_sort = "-id",
	.check = proposal_check,
	.on_write = proposal_on_write,
	.on_delete = proposal_on_delete,
};

/* ---- moving the status ------------------------------------------------------ */

/* A copy of before moved to status, with its next version, updated at
 * now (caller owns it). */
static json_t *advance(const json_t *before, const char *status,
		       const char *now)
{
	json_t *after = doc_next(before, now);
	json_object_set_new(after, "status", json_string(status));
	return after;
}

/* Stores what the actions change (status, date, the moments, invoice_id,
 * version, updated_at) as after has them; the number goes through
 * doc_set_number. 0 or -1. */
static int store(struct req *r, const json_t *after)
{
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE proposal SET status = ?, date = ?, sent_at = ?, "
		       "accepted_at = ?, declined_at = ?, invoice_id = ?, "
		       "updated_at = ?, version = ? WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	const json_t *inv = json_object_get(after, "invoice_id");
	db_bind_text(st, 1, str_of(after, "status"));
	db_bind_text(st, 2, str_of(after, "date"));
	db_bind_text(st, 3, str_of(after, "sent_at"));
	db_bind_text(st, 4, str_of(after, "accepted_at"));
	db_bind_text(st, 5, str_of(after, "declined_at"));
	db_bind_opt_int(st, 6, json_is_integer(inv), json_integer_value(inv));
	db_bind_text(st, 7, str_of(after, "updated_at"));
	db_bind_int(st, 8, json_integer_value(json_object_get(after, "version")));
	db_bind_int(st, 9, id_of(after));
	db_bind_int(st, 10, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int proposal_load(struct req *r, const struct write_op *op,
			 json_t **rec)
{
	(void)op;
	return entity_record_load(r, &entity_proposal, true, rec);
}

static int send_apply(struct req *r, const struct write_op *op,
		      const json_t *before, json_t **after)
{
	(void)op;
	const char *status = str_of(before, "status");
	if (frozen(status))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"proposal %s is %s and is not sent again",
				name_of(r, before), status);
	if (!json_array_size(json_object_get(before, "lines")))
		atr_field(&r->err, "lines", "required",
			  "a proposal needs at least one line to be sent");
	int64_t total = 0;
	money_from_json(json_object_get(before, "total"), &total);
	if (total < 0)
		atr_field(&r->err, "total", "negative",
			  "a proposal's total cannot be negative");
	char today[DOC_DATE_MAX];
	if (doc_today(r->db, r->who.org_id, today) < 0)
		return -1;
	const char *till = str_of(before, "open_till");
	if (till && strcmp(till, today) < 0)
		atr_field(&r->err, "open_till", "passed",
			  "%s has passed; set a later day to send the "
			  "proposal",
			  till);
	if (r->err.nfields)
		return -1;
	const char *date = str_of(before, "date");
	char number[NUMSER_OUT_MAX] = "", now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (!str_of(before, "number") &&
	    number_series_next(r->db, r->who.org_id, "proposal", atr_now_ms(),
			       number, sizeof number, &r->err) < 0)
		return -1;
	*after = advance(before, "sent", now);
	json_object_set_new(*after, "date", json_string(date ? date : today));
	json_object_set_new(*after, "sent_at", json_string(now));
	if (*number)
		json_object_set_new(*after, "number", json_string(number));
	if (store(r, *after) < 0 ||
	    (*number && doc_set_number(r, "proposal", id_of(before), number) < 0))
		return -1;
	return 1;
}

/* accept and decline: from sent only, the moment in field `at`. */
static int answer(struct req *r, const json_t *before, json_t **after,
		  const char *status, const char *at)
{
	const char *was = str_of(before, "status");
	if (strcmp(was, "sent"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"proposal %s is %s; only a sent proposal is "
				"%s",
				name_of(r, before), was, status);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	*after = advance(before, status, now);
	json_object_set_new(*after, at, json_string(now));
	return store(r, *after) < 0 ? -1 : 1;
}

static int accept_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	(void)op;
	return answer(r, before, after, "accepted", "accepted_at");
}

static int decline_apply(struct req *r, const struct write_op *op,
			 const json_t *before, json_t **after)
{
	(void)op;
	return answer(r, before, after, "declined", "declined_at");
}

static int run_action(struct req *r,
		      int (*apply)(struct req *, const struct write_op *,
				   const json_t *, json_t **))
{
	struct write_op op = {WRITE_UPDATE,  "proposal", "/api/v1/proposals",
			      false,	     true,	 proposal_load,
			      apply,	     NULL};
	return write_run(r, &op);
}

/* POST /api/v1/proposals/{id}/send */
static int proposal_h_send(struct req *r)
{
	return run_action(r, send_apply);
}

/* POST /api/v1/proposals/{id}/accept */
static int proposal_h_accept(struct req *r)
{
	return run_action(r, accept_apply);
}

/* POST /api/v1/proposals/{id}/decline */
static int proposal_h_decline(struct req *r)
{
	return run_action(r, decline_apply);
}

/* ---- into an invoice ---------------------------------------------------------- */

/* What the conversion may add to the invoice that the proposal does not
 * hold. */
static const struct field convert_fields[] = {
	{.name = "due_date", .type = FT_DATE},
	{.name = "owner_id", .type = FT_STAFF},
	{.name = "custom_fields", .type = FT_OBJECT},
};
static const struct schema convert_schema = SCHEMA(convert_fields);

struct convert {
	json_t *invoice; /* the invoice made, for the answer */
};

/* The body of the invoice proposal p becomes, as POST /api/v1/invoices
 * takes it: the proposal's client, contact, currency, lines, notes,
 * terms and sales agent, with what the request adds (caller owns it). */
static json_t *invoice_body(struct req *r, const json_t *p)
{
	json_t *b = json_object();
	static const char *const copied[] = {"client_id", "contact_id",
					     "currency",  "lines",
					     "notes",	  "terms",
					     "owner_id",  NULL};
	for (const char *const *k = copied; *k; k++) {
		const json_t *v = json_object_get(p, *k);
		if (v && !json_is_null(v))
			json_object_set_new(b, *k, json_deep_copy(v));
	}
	static const char *const added[] = {"due_date", "owner_id",
					    "custom_fields", NULL};
	for (const char *const *k = added; *k; k++) {
		const json_t *v = json_object_get(r->body, *k);
		if (v && !json_is_null(v))
			json_object_set_new(b, *k, json_deep_copy(v));
	}
	return b;
}

static int convert_apply(struct req *r, const struct write_op *op,
			 const json_t *before, json_t **after)
{
	struct convert *x = op->ctx;
	const char *status = str_of(before, "status");
	if (!strcmp(status, "invoiced"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"proposal %s became invoice %lld already",
				name_of(r, before),
				(long long)json_integer_value(
					json_object_get(before, "invoice_id")));
	if (!strcmp(status, "declined"))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"proposal %s was declined and does not become "
				"an invoice",
				name_of(r, before));
	if (!json_array_size(json_object_get(before, "lines"))) {
		atr_field(&r->err, "lines", "required",
			  "a proposal needs at least one line to become an "
			  "invoice");
		return -1;
	}
	json_t *body = invoice_body(r, before);
	int rc = entity_record_create(r, &entity_invoice, body, &x->invoice);
	json_decref(body);
	if (rc < 0)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	*after = advance(before, "invoiced", now);
	json_object_set(*after, "invoice_id",
			json_object_get(x->invoice, "id"));
	return store(r, *after) < 0 ? -1 : 1;
}

/* 201 with the invoice, where it lives and its version. */
static void convert_reply(struct req *r, const struct write_op *op)
{
	struct convert *x = op->ctx;
	req_add_header(r, "Location",
		       arena_printf(r->arena, "/api/v1/invoices/%lld",
				    (long long)id_of(x->invoice)));
	req_etag(r, json_integer_value(json_object_get(x->invoice, "version")));
	req_json(r, 201, json_incref(x->invoice));
}

/* POST /api/v1/proposals/{id}/invoice (the invoices.create permission;
 * the proposal must be one the caller sees: the load is scoped). */
static int proposal_h_invoice(struct req *r)
{
	struct convert x = {NULL};
	struct write_op op = {.kind = WRITE_UPDATE,
			      .entity = "proposal",
			      .location = "/api/v1/proposals",
			      .if_match_optional = true,
			      .load = proposal_load,
			      .apply = convert_apply,
			      .ctx = &x,
			      .reply = convert_reply,
			      .idempotent = true};
	int rc = write_run(r, &op);
	json_decref(x.invoice);
	return rc;
}

/* ---- expiry -------------------------------------------------------------------- */

/* Expires proposal id when it is still sent and its open_till is before
 * today, inside r's transaction, with its activity row and event. 0
 * (done, or nothing to do) or -1. */
static int expire_one(struct req *r, int64_t id, const char *today)
{
	json_t *before = NULL, *after = NULL, *diff = NULL;
	int rc = entity_record_follow(r, &entity_proposal, id, &before);
	if (rc <= 0)
		return rc;
	const char *till = str_of(before, "open_till");
	rc = 0;
	if (strcmp(str_of(before, "status"), "sent") || !till ||
	    strcmp(till, today) >= 0)
		goto out; /* answered or revised since the candidates' read */
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	after = advance(before, "expired", now);
	diff = write_diff(before, after);
	if (store(r, after) < 0 ||
	    activity_from_req(r, "update", "proposal", id, diff) < 0 ||
	    outbox_emit(r->db, r->who.org_id, "proposal", id, "updated",
			before, after) < 0)
		rc = -1;
out:
	json_decref(before);
	json_decref(after);
	json_decref(diff);
	return rc;
}

/* Marks expired the sent proposals whose open_till passed in their
 * organisation's zone, each with an activity row (by the system) and an
 * event (doc_sweep). */
static int proposals_expire(struct app *app, struct db_conn *c,
			    int64_t now_ms, struct atr_err *err)
{
	(void)now_ms;
	return doc_sweep(app, c,
			 "SELECT id, org_id, open_till FROM proposal WHERE "
			 "status = 'sent' AND open_till < ? AND "
			 ORG_ACTIVE_SQL("org_id") " ORDER BY org_id, id "
			 "LIMIT ?",
			 expire_one, err);
}

/* ---- the module ---------------------------------------------------------------- */

static const struct route proposal_routes[] = {
	ENTITY_ROUTES(entity_proposal, "proposals"),
	{HTTP_POST, "/api/v1/proposals/{id}/send", proposal_h_send,
	 ACCESS_PERM, "proposals", CAP_EDIT, &schema_empty, NULL, NULL, 0,
	 NULL},
	{HTTP_GET, "/api/v1/proposals/{id}/pdf", doc_pdf_h_get, ACCESS_PERM,
	 "proposals", CAP_VIEW, NULL, &entity_proposal, NULL, 0, NULL},
	{HTTP_POST, "/api/v1/proposals/{id}/email", doc_send_h, ACCESS_PERM,
	 "proposals", CAP_EDIT, &doc_send_schema, &entity_proposal, NULL, 0,
	 NULL},
	{HTTP_POST, "/api/v1/proposals/{id}/accept", proposal_h_accept,
	 ACCESS_PERM, "proposals", CAP_EDIT, &schema_empty, NULL, NULL, 0,
	 NULL},
	{HTTP_POST, "/api/v1/proposals/{id}/decline", proposal_h_decline,
	 ACCESS_PERM, "proposals", CAP_EDIT, &schema_empty, NULL, NULL, 0,
	 NULL},
	/* Makes an invoice: the invoices' create permission. */
	{HTTP_POST, "/api/v1/proposals/{id}/invoice", proposal_h_invoice,
	 ACCESS_PERM, "invoices", CAP_CREATE, &convert_schema, NULL, NULL, 0,
	 NULL},
	{0},
};

static const struct perm_module proposal_perms[] = {
    {"proposals", "Proposals", PB_ALL, "proposal", NULL, PERM_PARENT_SCOPE},
    {0},
};

static const struct entity *const proposal_entities[] = {&entity_proposal,
							  NULL};

static const struct sched_task proposal_tasks[] = {
	{"proposals_expire", 3600 * 1000LL, NULL, NULL, proposals_expire},
	{0},
};

const struct module module_proposals = {
	.name = "proposals",
	.perms = proposal_perms,
	.routes = proposal_routes,
	.entities = proposal_entities,
	.tasks = proposal_tasks,
};
