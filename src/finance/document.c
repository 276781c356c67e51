/* document.c — the lines of the finance documents: their exact arithmetic
 * and the check of a body's lines (document.h states the arithmetic and
 * the rounding rules; document_store.c writes what follows from them). */
#include "atrium.h"

#include "admin/finance.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/l10n.h"
#include "core/settings.h"
#include "core/tz.h"
#include "db/db.h"
#include "entity/entity.h"
#include "finance/document.h"
#include "finance/document_int.h"
#include "http/http.h"

/* ---- arithmetic --------------------------------------------------------- */

static const int64_t pow10s[] = {1,	 10,	  100,	    1000,     10000,
				 100000, 1000000, 10000000, 100000000,
				 1000000000, 10000000000LL, 100000000000LL,
				 1000000000000LL};

int64_t doc_round(__int128 v, int from, int to)
{
	ATR_ASSERT(from >= to && from - to < (int)ATR_ARRAY_LEN(pow10s));
	__int128 d = pow10s[from - to];
	__int128 q = v / d, rem = v % d;
	if (rem < 0)
		rem = -rem;
	if (rem * 2 >= d)
		q += v < 0 ? -1 : 1;
	return (int64_t)q;
}

/* Rounds cents to the currency's places (0: whole units). */
static int64_t to_places(int64_t cents, int places)
{
	if (places >= 2)
		return cents;
	return doc_round(cents, 2, places) * pow10s[2 - places];
}

static int tax_index(const struct doc_tax *taxes, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (taxes[i].id == id)
			return i;
	return -1;
}

static int total_slot(struct doc_totals *out, int64_t id)
{
	for (int i = 0; i < out->ntaxes; i++)
		if (out->taxes[i].tax_id == id)
			return i;
	if (out->ntaxes == DOC_TAXES_MAX)
		return -1;
	out->taxes[out->ntaxes] = (struct doc_tax_total){.tax_id = id};
	return out->ntaxes++;
}

/* tax of a base (cents) at rate (thousandths of a percent): base × rate /
 * 100000, exactly, rounded to the currency's places. */
static int64_t tax_of(__int128 base, int64_t rate, int places)
{
	return to_places(doc_round(base * rate, 5, 0), places);
}

int doc_compute(const struct doc_line *lines, int n,
		const struct doc_tax *taxes, int ntaxes, enum doc_rounding rule,
		int places, int64_t *line_amount, struct doc_totals *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < n; i++) {
		const struct doc_line *l = &lines[i];
		/* q (10^-4) × p (10^-4) × (10000 − d) (10^-4 of one): 10^-12
		 * of a currency unit, to cents. */
		__int128 exact = (__int128)l->qty * l->price *
				 (10000 - l->discount);
		int64_t amount = to_places(doc_round(exact, 12, 2), places);
		line_amount[i] = amount;
		out->subtotal += amount;
		for (int k = 0; k < l->ntax; k++) {
			int t = tax_index(taxes, ntaxes, l->tax[k]);
			int s = total_slot(out, l->tax[k]);
			if (t < 0 || s < 0)
				return -1;
			out->taxes[s].base += amount;
			if (rule == DOC_ROUND_LINE)
				out->taxes[s].amount +=
					tax_of(amount, taxes[t].rate, places);
		}
	}
	for (int s = 0; s < out->ntaxes; s++) {
		struct doc_tax_total *tt = &out->taxes[s];
		if (rule == DOC_ROUND_DOCUMENT)
			tt->amount = tax_of(
				tt->base,
				taxes[tax_index(taxes, ntaxes, tt->tax_id)].rate,
				places);
		out->tax_total += tt->amount;
	}
	out->total = out->subtotal + out->tax_total;
	return 0;
}

/* ---- canonical text ------------------------------------------------------ */

/* v (units of 10^-scale) as decimal text with trailing zeros dropped but
 * at least min places: 25000 at scale 4 -> "2.5", min 2 -> "2.50". */
json_t *doc_decimal_text(int64_t v, int scale, int min)
{
	char b[40];
	decimal_format(v, scale, b);
	char *dot = strchr(b, '.');
	if (dot) {
		char *end = b + strlen(b);
		while (end > dot + 1 + min && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
	return json_string(b);
}

json_t *doc_money_text(int64_t cents)
{
	char b[32];
	money_format(cents, b);
	return json_string(b);
}

/* ---- the body check ------------------------------------------------------ */

/* The places of the organisation's currency code (its own row, else ISO
 * 4217's). -1 on a database error. */
int doc_currency_places(struct db_conn *c, int64_t org, const char *code)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT decimals FROM currency WHERE org_id = ? AND code = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, code);
	int rc = db_step(st);
	int places = rc == 1 ? (int)db_col_int(st, 0)
			     : currency_iso_decimals(code);
	db_reset(st);
	return rc < 0 ? -1 : places;
}

/* A member of line i that must be a decimal of scale places within
 * [min, max]; its value in *out. */
static bool line_decimal(struct req *r, int i, const json_t *line,
			 const char *key, int scale, int64_t min, int64_t max,
			 bool required, int64_t *out)
{
	const json_t *v = json_object_get(line, key);
	const char *name = arena_printf(r->arena, "lines[%d].%s", i, key);
	*out = 0;
	if (!v || json_is_null(v)) {
		if (required)
			atr_field(&r->err, name, "required", "is required");
		return !required;
	}
	if (!decimal_from_json(v, scale, out)) {
		atr_field(&r->err, name, "invalid",
			  "must be a number with at most %d decimals", scale);
		return false;
	}
	if (*out < min || *out > max) {
		char lo[40], hi[40];
		decimal_format(min, scale, lo);
		decimal_format(max, scale, hi);
		atr_field(&r->err, name, "out_of_range",
			  "must be between %s and %s", lo, hi);
		return false;
	}
	return true;
}

/* An optional text member of line i, at most max characters; NULL when
 * absent or blank. */
static const char *line_text(struct req *r, int i, const json_t *line,
			     const char *key, int max, bool multiline,
			     bool required)
{
	const json_t *v = json_object_get(line, key);
	const char *name = arena_printf(r->arena, "lines[%d].%s", i, key);
	struct field f = {.name = name, .type = FT_TEXT, .max = max,
			  .flags = multiline ? F_MULTILINE : 0};
	if (v && !json_is_null(v) && validate_value(&f, v, &r->err) < 0)
		return NULL;
	const char *s = json_string_value(v);
	if (s && !s[strspn(s, " \t\r\n")])
		s = NULL;
	if (!s && required)
		atr_field(&r->err, name, "required", "is required");
	return s;
}

/* Tax ids of line i: distinct positive integers, at most
 * DOC_LINE_TAXES; collected into ids (deduplicated across lines). */
static json_t *line_taxes(struct req *r, int i, const json_t *line,
			  int64_t *ids, int *nids)
{
	const json_t *v = json_object_get(line, "taxes");
	const char *name = arena_printf(r->arena, "lines[%d].taxes", i);
	json_t *out = json_array();
	if (!v || json_is_null(v))
		return out;
	size_t k;
	const json_t *it;
	if (!json_is_array(v) || json_array_size(v) > DOC_LINE_TAXES) {
		atr_field(&r->err, name, "invalid",
			  "must be an array of at most %d tax ids",
			  DOC_LINE_TAXES);
		return out;
	}
	int64_t seen[DOC_LINE_TAXES];
	int n = 0;
	json_array_foreach(v, k, it)
	{
		int64_t id = json_is_integer(it) ? json_integer_value(it) : 0;
		bool dup = false;
		for (int j = 0; j < n; j++)
			dup |= seen[j] == id;
		if (id < 1 || dup) {
			atr_field(&r->err, name, "invalid",
				  "must hold distinct tax ids");
			return out;
		}
		/* sorted, so equal sets compare equal */
		int j = n++;
		for (; j > 0 && seen[j - 1] > id; j--)
			seen[j] = seen[j - 1];
		seen[j] = id;
		bool known = false;
		for (int m = 0; m < *nids; m++)
			known |= ids[m] == id;
		if (!known && *nids < DOC_LINES_MAX * DOC_LINE_TAXES)
			ids[(*nids)++] = id;
	}
	for (int j = 0; j < n; j++)
		json_array_append_new(out, json_integer(seen[j]));
	return out;
}

static const char *const line_keys[] = {"description", "quantity", "unit",
					 "unit_price",	"discount", "taxes",
					 NULL};

/* Adds "lines[i].taxes" errors for ids that are not active taxes of the
 * organisation. */
static void check_tax_ids(struct req *r, const json_t *lines,
			  const int64_t *ids, int nids)
{
	if (!nids)
		return;
	struct buf sql = BUF_INIT;
	buf_adds(&sql, "SELECT id FROM tax WHERE org_id = ? AND active = 1 "
		       "AND id IN (");
	for (int i = 0; i < nids; i++)
		buf_adds(&sql, i ? ", ?" : "?");
	buf_adds(&sql, ")");
	struct db_stmt *st = db_prepare(r->db, buf_str(&sql));
	buf_free(&sql);
	if (!st) {
		req_db_error(r);
		return;
	}
	db_bind_int(st, 1, r->who.org_id);
	for (int i = 0; i < nids; i++)
		db_bind_int(st, 2 + i, ids[i]);
	int64_t *ok = arena_alloc(r->arena, sizeof *ok * (size_t)nids);
	int nok = 0, rc;
	while ((rc = db_step(st)) == 1)
		ok[nok++] = db_col_int(st, 0);
	db_reset(st);
	if (rc < 0) {
		req_db_error(r);
		return;
	}
	size_t i;
	const json_t *line;
	json_array_foreach(lines, i, line)
	{
		size_t k;
		const json_t *t;
		json_array_foreach(json_object_get(line, "taxes"), k, t)
		{
			bool found = false;
			for (int m = 0; m < nok; m++)
				found |= ok[m] == json_integer_value(t);
			if (!found) {
				atr_field(&r->err,
					  arena_printf(r->arena,
						       "lines[%zu].taxes", i),
					  "not_found", "no active tax with id %lld",
					  (long long)json_integer_value(t));
				break;
			}
		}
	}
}

void doc_check_body(struct req *r)
{
	const json_t *cur = json_object_get(r->body, "currency");
	if (json_is_string(cur) && req_db(r)) {
		int places = doc_currency_places(r->db, r->who.org_id,
					     json_string_value(cur));
		if (places < 0)
			req_db_error(r);
		else if (places > 2)
			atr_field(&r->err, "currency", "unsupported",
				  "documents are in currencies of at most 2 "
				  "decimal places; %s has %d",
				  json_string_value(cur), places);
	}
	const json_t *lines = json_object_get(r->body, "lines");
	if (!json_is_array(lines) || !req_db(r))
		return; /* absent, or the type check refused it */
	json_t *canon = json_array();
	int64_t *ids = arena_alloc(r->arena, sizeof *ids * DOC_LINES_MAX *
						     DOC_LINE_TAXES);
	int nids = 0;
	size_t i;
	const json_t *line;
	json_array_foreach(lines, i, line)
	{
		int li = (int)i;
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)line, k, v)
		{
			bool known = false;
			for (const char *const *p = line_keys; *p; p++)
				known |= !strcmp(*p, k);
			if (!known)
				atr_field(&r->err,
					  arena_printf(r->arena, "lines[%d].%s",
						       li, k),
					  "unknown_field", "unknown field");
		}
		const char *desc = line_text(r, li, line, "description",
					     DOC_DESCRIPTION_MAX, true, true);
		const char *unit = line_text(r, li, line, "unit", DOC_UNIT_MAX,
					     false, false);
		int64_t q, p, d;
		line_decimal(r, li, line, "quantity", DOC_QTY_SCALE, 1,
			     DOC_QTY_MAX * 10000, true, &q);
		line_decimal(r, li, line, "unit_price", DOC_PRICE_SCALE,
			     -DOC_PRICE_MAX * 10000, DOC_PRICE_MAX * 10000,
			     true, &p);
		line_decimal(r, li, line, "discount", DOC_DISC_SCALE, 0, 10000,
			     false, &d);
		__int128 gross = (__int128)q * p; /* 10^-8 of a unit */
		if (gross < 0)
			gross = -gross;
		if (gross > (__int128)DOC_LINE_MAX * 100000000)
			atr_field(&r->err,
				  arena_printf(r->arena, "lines[%d]", li),
				  "out_of_range",
				  "quantity × unit price exceeds %lld",
				  (long long)DOC_LINE_MAX);
		json_t *taxes = line_taxes(r, li, line, ids, &nids);
		json_t *o = json_object();
		json_object_set_new(o, "description", json_string(desc ? desc
								       : ""));
		json_object_set_new(o, "quantity",
				    doc_decimal_text(q, DOC_QTY_SCALE, 0));
		json_object_set_new(o, "unit",
				    unit ? json_string(unit) : json_null());
		json_object_set_new(o, "unit_price",
				    doc_decimal_text(p, DOC_PRICE_SCALE, 2));
		json_object_set_new(o, "discount",
				    doc_decimal_text(d, DOC_DISC_SCALE, 0));
		json_object_set_new(o, "taxes", taxes);
		json_array_append_new(canon, o);
	}
	if (!r->err.nfields)
		check_tax_ids(r, canon, ids, nids);
	json_object_set_new(r->body, "lines", canon);
}

void doc_default_currency(struct req *r)
{
	if (r->method != HTTP_POST || json_object_get(r->body, "currency") ||
	    !req_db(r))
		return;
	char base[4];
	if (currency_base(r->db, r->who.org_id, base) < 0)
		req_db_error(r);
	else
		json_object_set_new(r->body, "currency", json_string(base));
}

int doc_check_contact(struct req *r, const struct entity *e,
		      const json_t *before, const json_t *after)
{
	const json_t *ct = json_object_get(after, "contact_id");
	if (!json_is_integer(ct) ||
	    (before && json_equal(ct, json_object_get(before, "contact_id")) &&
	     json_equal(json_object_get(after, "client_id"),
			json_object_get(before, "client_id"))))
		return 0;
	struct db_stmt *st = db_prepare(
		r->db, "SELECT client_id FROM contact WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, json_integer_value(ct));
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	bool ok = rc == 1 && !db_col_null(st, 0) &&
		  db_col_int(st, 0) ==
			  json_integer_value(json_object_get(after, "client_id"));
	db_reset(st);
	if (rc < 0)
		return -1;
	if (!ok) {
		atr_field(&r->err, "contact_id", "invalid",
			  "is not a contact of the %s's client", e->name);
		return -1;
	}
	return 0;
}

int doc_check_order(struct req *r, const json_t *rec, const char *earlier,
		    const char *later, const char *label)
{
	const char *a = json_string_value(json_object_get(rec, earlier)),
		   *b = json_string_value(json_object_get(rec, later));
	if (a && b && strcmp(b, a) < 0) {
		atr_field(&r->err, later, "invalid", "must not be before the %s",
			  label);
		return -1;
	}
	return 0;
}

