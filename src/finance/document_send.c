/* document_send.c — emailing an issued invoice or credit note, or a sent
 * proposal, to the client, its PDF attached (POST
 * /api/v1/invoices/{id}/send, /api/v1/credit_notes/{id}/send,
 * /api/v1/proposals/{id}/email; the edit permission).
 *
 * The PDF is rendered before the write transaction (a page of layout
 * must not hold SQLite's one writer), from the record as the caller sees
 * it; the transaction then checks the record is still that version
 * (else 409: a payment landed meanwhile, send again), queues the email
 * with the PDF (email_enqueue_files: it commits with the change or not at
 * all) and records sent_at, sent_to and, for an invoice that was only
 * issued, the status `sent` — with the activity row and event of the one
 * write path. The recipient is `to`, or the document's contact.
 */
#include "atrium.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/l10n.h"
#include "core/module.h"
#include "db/db.h"
#include "email/email.h"
#include "entity/entity.h"
#include "finance/document.h"
#include "finance/document_pdf.h"
#include "http/write.h"

static const struct field send_fields[] = {
	{.name = "to", .type = FT_EMAIL, .max = 254,
	 .hint = "The document's contact when not given."},
	{.name = "message", .type = FT_TEXT, .max = 2000,
	 .flags = F_MULTILINE},
};
const struct schema doc_send_schema = SCHEMA(send_fields);

struct send {
	const struct entity *e;
	json_t *rec;  /* as rendered */
	struct buf pdf;
	const char *to, *name;
};

static const char *str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

/* The contact's email and first name (or the client's name), for the
 * document rec (a credit note's through its invoice). 0 or -1. */
static int recipient(struct req *r, struct send *s)
{
	int64_t contact = json_integer_value(json_object_get(s->rec, "contact_id"));
	if (!contact && json_is_integer(json_object_get(s->rec, "invoice_id"))) {
		struct db_stmt *st = db_prepare(
			r->db, "SELECT contact_id FROM invoice WHERE id = ? AND "
			       "org_id = ?");
		if (!st)
			return -1;
		db_bind_int(st, 1, json_integer_value(
					   json_object_get(s->rec, "invoice_id")));
		db_bind_int(st, 2, r->who.org_id);
		if (db_step(st) == 1 && !db_col_null(st, 0))
			contact = db_col_int(st, 0);
		db_reset(st);
	}
	struct db_stmt *st = db_prepare(
		r->db, "SELECT c.email, c.first_name, k.company FROM client k "
		       "LEFT JOIN contact c ON c.id = ? AND c.org_id = k.org_id "
		       "WHERE k.id = ? AND k.org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, contact);
	db_bind_int(st, 2, json_integer_value(json_object_get(s->rec, "client_id")));
	db_bind_int(st, 3, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		if (!s->to && !db_col_null(st, 0) && *db_col_text(st, 0))
			s->to = arena_strdup(r->arena, db_col_text(st, 0));
		s->name = arena_strdup(r->arena,
				       !db_col_null(st, 1) && *db_col_text(st, 1)
					       ? db_col_text(st, 1)
					       : db_col_text(st, 2));
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int send_load(struct req *r, const struct write_op *op, json_t **rec)
{
	struct send *s = op->ctx;
	return entity_record_load(r, s->e, true, rec);
}

/* The email's variables, in the organisation's formats. */
static json_t *vars_of(struct req *r, struct send *s)
{
	struct l10n l;
	if (l10n_load_org(r->db, r->who.org_id, &l) < 0)
		return NULL;
	bool ro = !strcmp(l.val[L10N_LANGUAGE], "ro");
	char total[64], due[32];
	l10n_format_number(&l, str(s->rec, "total"), total, sizeof total);
	const char *msg = json_string_value(json_object_get(r->body, "message"));
	json_t *v = json_pack("{s:s,s:s,s:s,s:s}", "name", s->name ? s->name : "",
			      "number", str(s->rec, "number"), "total",
			      arena_printf(r->arena, "%s %s", total,
					   str(s->rec, "currency")),
			      "message", msg ? msg : "");
	if (!strcmp(s->e->name, "invoice")) {
		const char *d = str(s->rec, "due_date");
		l10n_format_date(&l, d, due, sizeof due);
		json_object_set_new(
			v, "due",
			json_string(!d ? ""
				    : ro ? arena_printf(r->arena,
							"Termenul de plată este %s.",
							due)
					 : arena_printf(r->arena,
							"Payment is due on %s.",
							due)));
	} else if (!strcmp(s->e->name, "proposal")) {
		const char *d = str(s->rec, "open_till");
		l10n_format_date(&l, d, due, sizeof due);
		json_object_set_new(v, "subject",
				    json_string(str(s->rec, "subject")));
		json_object_set_new(
			v, "valid",
			json_string(!d ? ""
				    : ro ? arena_printf(r->arena,
							"Oferta este valabilă până la %s.",
							due)
					 : arena_printf(r->arena,
							"The offer is valid until %s.",
							due)));
	} else {
		json_t *inv = NULL;
		const struct entity *ie = entity_find("invoice");
		if (entity_record_follow(
			    r, ie,
			    json_integer_value(json_object_get(s->rec, "invoice_id")),
			    &inv) < 0) {
			json_decref(v);
			return NULL;
		}
		json_object_set_new(v, "invoice",
				    json_string(inv && str(inv, "number")
							? str(inv, "number")
							: ""));
		json_decref(inv);
	}
	return v;
}

static int send_apply(struct req *r, const struct write_op *op,
		      const json_t *before, json_t **after)
{
	struct send *s = op->ctx;
	if (!json_equal(json_object_get(before, "version"),
			json_object_get(s->rec, "version")))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"%s %s changed while it was being sent; send it "
				"again",
				s->e->name, str(before, "number"));
	json_t *vars = vars_of(r, s);
	if (!vars)
		return -1;
	char tmpl[32];
	snprintf(tmpl, sizeof tmpl, "%s_sent", s->e->name);
	struct email_file f = {doc_pdf_name(r, s->e, s->rec), "application/pdf",
			       s->pdf.p, s->pdf.len};
	int rc = email_enqueue_files(r->db, r->who.org_id, s->to, tmpl, vars,
				     &f, 1, NULL, &r->err);
	json_decref(vars);
	if (rc < 0)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	bool to_sent = !strcmp(s->e->name, "invoice") &&
		       !strcmp(str(before, "status"), "issued");
	struct db_stmt *st = db_prepare(
		r->db, arena_printf(r->arena,
				    "UPDATE %s SET sent_at = ?, sent_to = ?, "
				    "status = %s, updated_at = ?, version = "
				    "version + 1 WHERE id = ? AND org_id = ?",
				    s->e->name, to_sent ? "'sent'" : "status"));
	if (!st)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_text(st, 2, s->to);
	db_bind_text(st, 3, now);
	db_bind_int(st, 4, r->id);
	db_bind_int(st, 5, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	*after = json_deep_copy(before);
	json_object_set_new(*after, "sent_at", json_string(now));
	json_object_set_new(*after, "sent_to", json_string(s->to));
	json_object_set_new(*after, "updated_at", json_string(now));
	json_object_set_new(
		*after, "version",
		json_integer(json_integer_value(json_object_get(before,
								"version")) +
			     1));
	if (to_sent)
		json_object_set_new(*after, "status", json_string("sent"));
	return 1;
}

int doc_send_h(struct req *r)
{
	struct send s = {.e = r->route->arg, .pdf = BUF_INIT};
	s.to = json_string_value(json_object_get(r->body, "to"));
	if (!req_db(r))
		return -1;
	int rc = entity_record_load(r, s.e, false, &s.rec);
	if (rc <= 0)
		return rc < 0 ? req_db_error(r)
			      : atr_fail(&r->err, ATR_E_NOT_FOUND,
					 "%s %lld not found", s.e->name,
					 (long long)r->id);
	rc = -1;
	if (!strcmp(str(s.rec, "status"), "draft")) {
		atr_fail(&r->err, ATR_E_CONFLICT,
			 "a draft is not sent: %s it first",
			 strcmp(s.e->name, "proposal") ? "issue" : "send");
		goto out;
	}
	if (recipient(r, &s) < 0) {
		req_db_error(r);
		goto out;
	}
	if (!s.to) {
		atr_field(&r->err, "to", "required",
			  "the document has no contact with an email address; "
			  "give one");
		goto out;
	}
	if (doc_pdf(r, s.e, s.rec, &s.pdf) < 0)
		goto out;
	char *loc = arena_printf(r->arena, "/api/v1/%s", s.e->plural);
	struct write_op op = {WRITE_UPDATE, s.e->name, loc, false, true,
			      send_load, send_apply, &s};
	rc = write_run(r, &op);
out:
	buf_free(&s.pdf);
	json_decref(s.rec);
	return rc;
}
