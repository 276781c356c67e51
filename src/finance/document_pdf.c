/* document_pdf.c — the record as the client's PDF (document_pdf.h). */
#include "atrium.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/l10n.h"
#include "core/settings.h"
#include "db/db.h"
#include "entity/entity.h"
#include "finance/document.h"
#include "finance/document_pdf.h"
#include "finance/pdf.h"
#include "http/http.h"

/* ---- words ------------------------------------------------------------- */

enum word {
	W_INVOICE, W_CREDIT_NOTE, W_PROPOSAL, W_CONTRACT, W_DRAFT,
	W_ISSUE_DATE, W_DUE_DATE, W_DATE, W_OPEN_TILL, W_CURRENCY,
	W_REFERENCE, W_START, W_END, W_TYPE, W_CLIENT, W_ATTN,
	W_VAT_NO, W_REG_NO, W_DESCRIPTION, W_QTY, W_UNIT, W_PRICE,
	W_DISCOUNT, W_TAXES, W_AMOUNT, W_TAX_SUMMARY, W_ON, W_SUBTOTAL,
	W_TAX, W_TOTAL, W_PAID, W_CREDITED, W_DUE, W_DETAILS, W_PAYMENT,
	W_NOTES, W_PAGE, W_VALUE, W_YES, W_NO, W_SUBJECT, W__COUNT
};

/* English, then Romanian. */
static const char *const words[W__COUNT][2] = {
	[W_INVOICE] = {"Invoice", "Factură"},
	[W_CREDIT_NOTE] = {"Credit note", "Factură de stornare"},
	[W_PROPOSAL] = {"Proposal", "Ofertă"},
	[W_CONTRACT] = {"Contract", "Contract"},
	[W_DRAFT] = {"DRAFT", "CIORNĂ"},
	[W_ISSUE_DATE] = {"Issue date", "Data emiterii"},
	[W_DUE_DATE] = {"Due date", "Data scadenței"},
	[W_DATE] = {"Date", "Data"},
	[W_OPEN_TILL] = {"Valid until", "Valabilă până la"},
	[W_CURRENCY] = {"Currency", "Moneda"},
	[W_REFERENCE] = {"Reverses invoice", "Stornează factura"},
	[W_START] = {"Start date", "Data începerii"},
	[W_END] = {"End date", "Data încheierii"},
	[W_TYPE] = {"Type", "Tip"},
	[W_CLIENT] = {"Bill to", "Client"},
	[W_ATTN] = {"Attention", "În atenția"},
	[W_VAT_NO] = {"VAT no.", "Cod fiscal"},
	[W_REG_NO] = {"Reg. no.", "Nr. Reg. Com."},
	[W_DESCRIPTION] = {"Description", "Descriere"},
	[W_QTY] = {"Qty", "Cant."},
	[W_UNIT] = {"Unit", "U.M."},
	[W_PRICE] = {"Unit price", "Preț unitar"},
	[W_DISCOUNT] = {"Discount", "Reducere"},
	[W_TAXES] = {"Taxes", "Taxe"},
	[W_AMOUNT] = {"Amount", "Valoare"},
	[W_TAX_SUMMARY] = {"Tax summary", "Defalcarea taxelor"},
	[W_ON] = {"on", "din"},
	[W_SUBTOTAL] = {"Subtotal", "Subtotal"},
	[W_TAX] = {"Tax", "Taxe"},
	[W_TOTAL] = {"Total", "Total"},
	[W_PAID] = {"Paid", "Achitat"},
	[W_CREDITED] = {"Credited", "Stornat"},
	[W_DUE] = {"Amount due", "Rest de plată"},
	[W_DETAILS] = {"Details", "Detalii"},
	[W_PAYMENT] = {"How to pay", "Modalități de plată"},
	[W_NOTES] = {"Notes", "Mențiuni"},
	[W_PAGE] = {"Page {page} of {pages}", "Pagina {page} din {pages}"},
	[W_VALUE] = {"Value", "Valoare"},
	[W_YES] = {"Yes", "Da"},
	[W_NO] = {"No", "Nu"},
	[W_SUBJECT] = {"Subject", "Obiect"},
};

/* What one rendering needs at hand. */
struct ctx {
	struct req *r;
	struct l10n l;
	int ro; /* 1 for Romanian */
	char symbol[16];
	bool symbol_after;
	struct pdf_pair pairs[4][PDF_MAX_PAIRS]; /* meta, company, client, custom */
	int npairs[4];
};

enum { P_META, P_COMPANY, P_CLIENT, P_CUSTOM };

static const char *w(const struct ctx *x, enum word k)
{
	return words[k][x->ro];
}

static void pair(struct ctx *x, int list, const char *label,
		 const char *value)
{
	if (!value || !*value || x->npairs[list] == PDF_MAX_PAIRS)
		return;
	x->pairs[list][x->npairs[list]++] =
		(struct pdf_pair){label, arena_strdup(x->r->arena, value)};
}

static const char *str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static const char *date(struct ctx *x, const char *ymd)
{
	if (!ymd)
		return NULL;
	char out[32];
	l10n_format_date(&x->l, ymd, out, sizeof out);
	return arena_strdup(x->r->arena, out);
}

/* A decimal text in the organisation's separators. */
static const char *num(struct ctx *x, const char *v)
{
	if (!v)
		return NULL;
	char out[64];
	l10n_format_number(&x->l, v, out, sizeof out);
	return arena_strdup(x->r->arena, out);
}

/* An amount with the currency's symbol where the currency puts it. */
static const char *money(struct ctx *x, const char *v)
{
	const char *n = num(x, v);
	if (!n)
		return NULL;
	return x->symbol_after ? arena_printf(x->r->arena, "%s %s", n, x->symbol)
			       : arena_printf(x->r->arena, "%s %s", x->symbol, n);
}

/* ---- what the organisation says about itself ------------------------------ */

static int company(struct ctx *x, struct pdf_doc *d)
{
	static const char *const keys[] = {"company_name", "address",
					   "vat_number", "registration_number"};
	char v[4][512];
	for (int i = 0; i < 4; i++)
		if (settings_get(x->r->db, x->r->who.org_id, keys[i], v[i],
				 sizeof v[i]) < 0)
			return -1;
	d->company_name = arena_strdup(x->r->arena, v[0]);
	d->company_address = arena_strdup(x->r->arena, v[1]);
	pair(x, P_COMPANY, w(x, W_VAT_NO), v[2]);
	pair(x, P_COMPANY, w(x, W_REG_NO), v[3]);
	return 0;
}

/* The light-mode logo at the branding's PDF width. */
static int logo(struct ctx *x, struct pdf_doc *d)
{
	int64_t width = 0;
	if (settings_get_int(x->r->db, x->r->who.org_id, "pdf_logo_width",
			     &width) < 0)
		return -1;
	struct db_stmt *st = db_prepare(
		x->r->db, "SELECT content_type, data FROM branding_image WHERE "
			  "org_id = ? AND kind = 'logo_light'");
	if (!st)
		return -1;
	db_bind_int(st, 1, x->r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		size_t n = 0;
		const void *p = db_col_blob(st, 1, &n);
		unsigned char *copy = arena_alloc(x->r->arena, n ? n : 1);
		if (n)
			memcpy(copy, p, n);
		d->logo = copy;
		d->logo_len = n;
		d->logo_type = strstr(db_col_text(st, 0), "svg") ? PDF_LOGO_SVG
								 : PDF_LOGO_PNG;
		d->logo_width_px = (int)width;
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* The currency's symbol and its place (the code, after, when the
 * organisation has no row for it). */
static int currency(struct ctx *x, const char *code)
{
	snprintf(x->symbol, sizeof x->symbol, "%s", code ? code : "");
	x->symbol_after = true;
	struct db_stmt *st = db_prepare(
		x->r->db, "SELECT symbol, symbol_position FROM currency WHERE "
			  "org_id = ? AND code = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, x->r->who.org_id);
	db_bind_text(st, 2, code ? code : "");
	int rc = db_step(st);
	if (rc == 1 && !db_col_null(st, 0)) {
		snprintf(x->symbol, sizeof x->symbol, "%s", db_col_text(st, 0));
		x->symbol_after = db_col_null(st, 1) ||
				  strcmp(db_col_text(st, 1), "before");
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int client(struct ctx *x, struct pdf_doc *d, const json_t *rec)
{
	d->client_label = w(x, W_CLIENT);
	struct db_stmt *st = db_prepare(
		x->r->db, "SELECT company, vat_number, registration_number, "
			  "address, city, country FROM client WHERE id = ? AND "
			  "org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, json_integer_value(json_object_get(rec, "client_id")));
	db_bind_int(st, 2, x->r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		d->client_name = arena_strdup(x->r->arena, db_col_text(st, 0));
		struct buf a = BUF_INIT;
		for (int i = 3; i <= 5; i++)
			if (!db_col_null(st, i) && *db_col_text(st, i))
				buf_printf(&a, "%s%s", a.len ? "\n" : "",
					   db_col_text(st, i));
		d->client_address = arena_strdup(x->r->arena, buf_str(&a));
		buf_free(&a);
		if (!db_col_null(st, 1))
			pair(x, P_CLIENT, w(x, W_VAT_NO), db_col_text(st, 1));
		if (!db_col_null(st, 2))
			pair(x, P_CLIENT, w(x, W_REG_NO), db_col_text(st, 2));
	}
	db_reset(st);
	if (rc < 0)
		return -1;
	const json_t *ct = json_object_get(rec, "contact_id");
	if (!json_is_integer(ct))
		return 0;
	st = db_prepare(x->r->db, "SELECT first_name, last_name FROM contact "
				  "WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, json_integer_value(ct));
	db_bind_int(st, 2, x->r->who.org_id);
	rc = db_step(st);
	if (rc == 1)
		pair(x, P_CLIENT, w(x, W_ATTN),
		     arena_printf(x->r->arena, "%s %s",
				  db_col_null(st, 0) ? "" : db_col_text(st, 0),
				  db_col_null(st, 1) ? "" : db_col_text(st, 1)));
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Custom fields of e marked show_on_pdf, with the record's values. */
static int custom(struct ctx *x, const struct entity *e, const json_t *rec)
{
	const json_t *cf = json_object_get(rec, "custom_fields");
	struct db_stmt *st = db_prepare(
		x->r->db, "SELECT slug, label FROM custom_field WHERE org_id = ? "
			  "AND entity = ? AND show_on_pdf = 1 AND active = 1 "
			  "ORDER BY position, id");
	if (!st)
		return -1;
	db_bind_int(st, 1, x->r->who.org_id);
	db_bind_text(st, 2, e->name);
	int rc;
	while ((rc = db_step(st)) == 1) {
		const json_t *v = json_object_get(cf, db_col_text(st, 0));
		const char *text = NULL;
		if (json_is_string(v))
			text = json_string_value(v);
		else if (json_is_boolean(v))
			text = w(x, json_is_true(v) ? W_YES : W_NO);
		else if (json_is_integer(v))
			text = arena_printf(x->r->arena, "%lld",
					    (long long)json_integer_value(v));
		else if (json_is_array(v)) {
			struct buf b = BUF_INIT;
			size_t i;
			const json_t *it;
			json_array_foreach(v, i, it)
				if (json_is_string(it))
					buf_printf(&b, "%s%s", i ? ", " : "",
						   json_string_value(it));
			text = arena_strdup(x->r->arena, buf_str(&b));
			buf_free(&b);
		}
		pair(x, P_CUSTOM,
		     arena_strdup(x->r->arena, db_col_text(st, 1)), text);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* The payment modes shown on documents, one per paragraph. */
static int payment_modes(struct ctx *x, struct pdf_doc *d)
{
	struct db_stmt *st = db_prepare(
		x->r->db, "SELECT name, description FROM payment_mode WHERE "
			  "org_id = ? AND active = 1 AND show_on_documents = 1 "
			  "ORDER BY is_default DESC, name");
	if (!st)
		return -1;
	db_bind_int(st, 1, x->r->who.org_id);
	struct buf b = BUF_INIT;
	int rc;
	while ((rc = db_step(st)) == 1) {
		buf_printf(&b, "%s%s", b.len ? "\n\n" : "", db_col_text(st, 0));
		if (!db_col_null(st, 1) && *db_col_text(st, 1))
			buf_printf(&b, "\n%s", db_col_text(st, 1));
	}
	db_reset(st);
	d->payment_title = w(x, W_PAYMENT);
	d->payment_modes = arena_strdup(x->r->arena, buf_str(&b));
	buf_free(&b);
	return rc < 0 ? -1 : 0;
}

/* ---- the document ------------------------------------------------------- */

/* The lines, their taxes by name, the tax summary and legal notes. */
static void lines(struct ctx *x, struct pdf_doc *d, const json_t *rec,
		  struct buf *notes)
{
	const json_t *ls = json_object_get(rec, "lines"),
		     *amounts = json_object_get(rec, "line_amounts"),
		     *taxes = json_object_get(rec, "taxes");
	int n = (int)json_array_size(ls);
	struct pdf_line *out = arena_alloc(x->r->arena,
					   sizeof *out * (size_t)(n + 1));
	for (int i = 0; i < n; i++) {
		const json_t *l = json_array_get(ls, (size_t)i);
		struct buf tb = BUF_INIT;
		size_t k, m;
		const json_t *t, *s;
		json_array_foreach(json_object_get(l, "taxes"), k, t)
			json_array_foreach(taxes, m, s)
				if (json_equal(json_object_get(s, "tax_id"), t))
					buf_printf(&tb, "%s%s", tb.len ? ", " : "",
						   str(s, "name"));
		const char *disc = str(l, "discount");
		out[i] = (struct pdf_line){
			.description = str(l, "description"),
			.quantity = num(x, str(l, "quantity")),
			.unit = str(l, "unit"),
			.unit_price = num(x, str(l, "unit_price")),
			.discount = disc && strcmp(disc, "0")
					    ? arena_printf(x->r->arena, "%s%%",
							   num(x, disc))
					    : "",
			.taxes = arena_strdup(x->r->arena, buf_str(&tb)),
			.amount = num(x, json_string_value(json_array_get(
						 amounts, (size_t)i))),
		};
		buf_free(&tb);
	}
	d->lines = out;
	d->nlines = n;
	int nt = (int)json_array_size(taxes);
	struct pdf_pair *sum = arena_alloc(x->r->arena,
					   sizeof *sum * (size_t)(nt + 1));
	for (int i = 0; i < nt; i++) {
		const json_t *s = json_array_get(taxes, (size_t)i);
		/* "TVA 19% din 2.700,00 RON": the rate only when the name
		 * does not say it already. */
		const char *rate = arena_printf(x->r->arena, "%s%%",
						num(x, str(s, "rate")));
		const char *name = strstr(str(s, "name"), rate)
					   ? str(s, "name")
					   : arena_printf(x->r->arena, "%s (%s)",
							  str(s, "name"), rate);
		sum[i] = (struct pdf_pair){
			arena_printf(x->r->arena, "%s %s %s", name, w(x, W_ON),
				     money(x, str(s, "base"))),
			money(x, str(s, "amount"))};
		if (str(s, "legal_note"))
			buf_printf(notes, "%s%s", notes->len ? "\n" : "",
				   str(s, "legal_note"));
	}
	d->tax_title = w(x, W_TAX_SUMMARY);
	d->tax_summary = sum;
	d->ntax = nt;
}

static void totals(struct ctx *x, struct pdf_doc *d, const json_t *rec,
		   bool invoice)
{
	struct pdf_pair *t = arena_alloc(x->r->arena, sizeof *t * 6);
	int n = 0;
	t[n++] = (struct pdf_pair){w(x, W_SUBTOTAL),
				   money(x, str(rec, "subtotal"))};
	t[n++] = (struct pdf_pair){w(x, W_TAX), money(x, str(rec, "tax_total"))};
	t[n++] = (struct pdf_pair){w(x, W_TOTAL), money(x, str(rec, "total"))};
	if (invoice && str(rec, "number")) {
		int64_t paid = 0, credited = 0;
		money_from_json(json_object_get(rec, "amount_paid"), &paid);
		money_from_json(json_object_get(rec, "amount_credited"),
				&credited);
		if (paid)
			t[n++] = (struct pdf_pair){
				w(x, W_PAID), money(x, str(rec, "amount_paid"))};
		if (credited)
			t[n++] = (struct pdf_pair){
				w(x, W_CREDITED),
				money(x, str(rec, "amount_credited"))};
		t[n++] = (struct pdf_pair){w(x, W_DUE),
					   money(x, str(rec, "balance_due"))};
	}
	d->totals = t;
	d->ntotals = n;
}

/* The meta rows and the title of each kind. */
static int kind_of(struct ctx *x, const struct entity *e, const json_t *rec,
		   struct pdf_doc *d, struct buf *notes)
{
	if (!strcmp(e->name, "invoice")) {
		d->title = w(x, W_INVOICE);
		pair(x, P_META, w(x, W_ISSUE_DATE), date(x, str(rec, "issue_date")));
		pair(x, P_META, w(x, W_DUE_DATE), date(x, str(rec, "due_date")));
	} else if (!strcmp(e->name, "credit_note")) {
		d->title = w(x, W_CREDIT_NOTE);
		pair(x, P_META, w(x, W_ISSUE_DATE), date(x, str(rec, "issue_date")));
		json_t *inv = NULL;
		const struct entity *ie = entity_find("invoice");
		if (ie && entity_record_follow(
				  x->r, ie,
				  json_integer_value(
					  json_object_get(rec, "invoice_id")),
				  &inv) < 0)
			return -1;
		pair(x, P_META, w(x, W_REFERENCE),
		     inv ? arena_printf(x->r->arena, "%s / %s",
					str(inv, "number") ? str(inv, "number")
							   : "",
					date(x, str(inv, "issue_date"))
						? date(x, str(inv, "issue_date"))
						: "")
			 : NULL);
		json_decref(inv);
		if (str(rec, "reason"))
			buf_printf(notes, "%s", str(rec, "reason"));
	} else if (!strcmp(e->name, "proposal")) {
		d->title = w(x, W_PROPOSAL);
		pair(x, P_META, w(x, W_SUBJECT), str(rec, "subject"));
		pair(x, P_META, w(x, W_DATE), date(x, str(rec, "date")));
		pair(x, P_META, w(x, W_OPEN_TILL), date(x, str(rec, "open_till")));
	} else {
		d->title = w(x, W_CONTRACT);
		pair(x, P_META, w(x, W_SUBJECT), str(rec, "subject"));
		pair(x, P_META, w(x, W_TYPE), str(rec, "contract_type"));
		pair(x, P_META, w(x, W_START), date(x, str(rec, "start_date")));
		pair(x, P_META, w(x, W_END), date(x, str(rec, "end_date")));
		pair(x, P_META, w(x, W_VALUE), money(x, str(rec, "value")));
		if (str(rec, "description"))
			buf_printf(notes, "%s", str(rec, "description"));
	}
	pair(x, P_META, w(x, W_CURRENCY), str(rec, "currency"));
	return 0;
}

int doc_pdf(struct req *r, const struct entity *e, const json_t *rec,
	    struct buf *out)
{
	struct ctx x = {.r = r};
	struct pdf_doc d = {0};
	struct buf notes = BUF_INIT;
	int rc = -1;
	bool contract = !json_object_get(rec, "lines");
	if (l10n_load_org(r->db, r->who.org_id, &x.l) < 0)
		goto out;
	x.ro = !strcmp(x.l.val[L10N_LANGUAGE], "ro");
	if (currency(&x, str(rec, "currency")) < 0 || company(&x, &d) < 0 ||
	    logo(&x, &d) < 0 || client(&x, &d, rec) < 0 ||
	    custom(&x, e, rec) < 0 || kind_of(&x, e, rec, &d, &notes) < 0 ||
	    (!contract && payment_modes(&x, &d) < 0))
		goto out;
	d.number = str(rec, "number");
	d.draft_label = w(&x, W_DRAFT);
	d.page_label = w(&x, W_PAGE);
	d.lang = x.ro ? "ro" : "en";
	if (!contract) {
		static const enum word cols[PDF_NCOLS] = {
			W_DESCRIPTION, W_QTY,	W_UNIT,	  W_PRICE,
			W_DISCOUNT,    W_TAXES, W_AMOUNT};
		for (int i = 0; i < PDF_NCOLS; i++)
			d.col_labels[i] = w(&x, cols[i]);
		lines(&x, &d, rec, &notes);
		totals(&x, &d, rec, !strcmp(e->name, "invoice"));
		for (const char *k = "notes"; k; k = strcmp(k, "notes") ? NULL
								 : "terms")
			if (str(rec, k))
				buf_printf(&notes, "%s%s", notes.len ? "\n\n" : "",
					   str(rec, k));
	} else {
		/* A contract has no lines: its description is its text. */
		d.col_labels[PDF_COL_DESCRIPTION] = w(&x, W_DESCRIPTION);
	}
	d.meta = x.pairs[P_META];
	d.nmeta = x.npairs[P_META];
	d.company_extra = x.pairs[P_COMPANY];
	d.ncompany_extra = x.npairs[P_COMPANY];
	d.client_extra = x.pairs[P_CLIENT];
	d.nclient_extra = x.npairs[P_CLIENT];
	d.custom_title = w(&x, W_DETAILS);
	d.custom = x.pairs[P_CUSTOM];
	d.ncustom = x.npairs[P_CUSTOM];
	d.notes_title = w(&x, W_NOTES);
	d.notes = buf_str(&notes);
	rc = pdf_render(&d, out, &r->err);
	if (rc < 0 && r->err.nfields == 1 &&
	    !strcmp(r->err.fields[0].field, "logo")) {
		/* A logo the renderer cannot read must not stop the document:
		 * it goes out without one. */
		memset(&r->err, 0, sizeof r->err);
		d.logo = NULL;
		d.logo_len = 0;
		rc = pdf_render(&d, out, &r->err);
	}
out:
	buf_free(&notes);
	return rc;
}

const char *doc_pdf_name(struct req *r, const struct entity *e,
			 const json_t *rec)
{
	const char *n = str(rec, "number");
	if (n && *n) {
		char *name = arena_printf(r->arena, "%s.pdf", n);
		for (char *p = name; *p; p++)
			if (*p == '/' || *p == '\\')
				*p = '-';
		return name;
	}
	return arena_printf(r->arena, "%s-%lld-draft.pdf", e->name,
			    (long long)json_integer_value(json_object_get(rec, "id")));
}

int doc_pdf_h_get(struct req *r)
{
	const struct entity *e = r->route->arg;
	json_t *rec = NULL;
	if (!req_db(r))
		return -1;
	int found = entity_record_load(r, e, false, &rec);
	if (found <= 0)
		return found < 0 ? req_db_error(r)
				 : atr_fail(&r->err, ATR_E_NOT_FOUND,
					    "%s %lld not found", e->name,
					    (long long)r->id);
	struct buf pdf = BUF_INIT;
	int rc = doc_pdf(r, e, rec, &pdf);
	if (rc == 0) {
		r->ctype = "application/pdf";
		r->raw_len = pdf.len;
		r->raw_owned = buf_detach(&pdf);
		r->status = 200;
		req_add_header(r, "Content-Disposition",
			       req_attachment(r, doc_pdf_name(r, e, rec)));
		req_add_header(r, "Cache-Control", "private, no-store");
	}
	buf_free(&pdf);
	json_decref(rec);
	return rc;
}
