/* document_store.c — what a document's write stores beyond its lines:
 * the figures and the tax summary, the taxes it uses (document_tax), its
 * date and its number (document.h). */
#include "atrium.h"

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

/* ---- totals -------------------------------------------------------------- */

/* The taxes named by lines, as they are now: for the arithmetic (t) and
 * for the summary (by id: name, rate, reverse_charge, legal_note). */
static int load_taxes(struct req *r, const json_t *lines,
		      struct doc_tax *t, int *nt, json_t *info)
{
	int64_t ids[DOC_TAXES_MAX];
	int n = 0;
	size_t i, k;
	const json_t *line, *v;
	json_array_foreach(lines, i, line)
		json_array_foreach(json_object_get(line, "taxes"), k, v)
		{
			int64_t id = json_integer_value(v);
			bool seen = false;
			for (int m = 0; m < n; m++)
				seen |= ids[m] == id;
			if (seen)
				continue;
			if (n == DOC_TAXES_MAX) {
				atr_field(&r->err, "lines", "too_many",
					  "a document uses at most %d "
					  "different taxes",
					  DOC_TAXES_MAX);
				return -1;
			}
			ids[n++] = id;
		}
	*nt = 0;
	if (!n)
		return 0;
	struct buf sql = BUF_INIT;
	buf_adds(&sql, "SELECT id, name, rate, reverse_charge, legal_note FROM "
		       "tax WHERE org_id = ? AND id IN (");
	for (int m = 0; m < n; m++)
		buf_adds(&sql, m ? ", ?" : "?");
	buf_adds(&sql, ") ORDER BY rate DESC, id");
	struct db_stmt *st = db_prepare(r->db, buf_str(&sql));
	buf_free(&sql);
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	for (int m = 0; m < n; m++)
		db_bind_int(st, 2 + m, ids[m]);
	int rc;
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0);
		t[*nt] = (struct doc_tax){id, db_col_int(st, 2)};
		(*nt)++;
		char key[24], rate[40];
		snprintf(key, sizeof key, "%lld", (long long)id);
		decimal_format(db_col_int(st, 2), DOC_RATE_SCALE, rate);
		json_object_set_new(
			info, key,
			json_pack("{s:I,s:s,s:o,s:b,s:s?}", "tax_id",
				  (json_int_t)id, "name", db_col_text(st, 1),
				  "rate",
				  doc_decimal_text(db_col_int(st, 2),
					       DOC_RATE_SCALE, 0),
				  "reverse_charge", db_col_int(st, 3) != 0,
				  "legal_note",
				  db_col_null(st, 4) ? NULL
						     : db_col_text(st, 4)));
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static enum doc_rounding rounding_rule(struct db_conn *c, int64_t org)
{
	char v[16];
	if (settings_get(c, org, "tax_rounding", v, sizeof v) == 0 &&
	    !strcmp(v, "line"))
		return DOC_ROUND_LINE;
	return DOC_ROUND_DOCUMENT;
}

/* Fills lines[] from canonical JSON lines (checked: parsing cannot
 * fail). */
static void parse_lines(const json_t *in, struct doc_line *out)
{
	size_t i;
	const json_t *l;
	json_array_foreach(in, i, l)
	{
		struct doc_line *d = &out[i];
		decimal_from_json(json_object_get(l, "quantity"), DOC_QTY_SCALE,
				  &d->qty);
		decimal_from_json(json_object_get(l, "unit_price"),
				  DOC_PRICE_SCALE, &d->price);
		decimal_from_json(json_object_get(l, "discount"),
				  DOC_DISC_SCALE, &d->discount);
		d->ntax = 0;
		size_t k;
		const json_t *t;
		json_array_foreach(json_object_get(l, "taxes"), k, t)
			if (d->ntax < DOC_LINE_TAXES)
				d->tax[d->ntax++] = json_integer_value(t);
	}
}

static bool changed(const json_t *before, const json_t *after,
		    const char *key)
{
	return !before || !json_equal(json_object_get(before, key),
				      json_object_get(after, key));
}

/* document_tax follows the taxes the document's lines name. */
static int store_uses(struct req *r, const struct entity *e, int64_t id,
		      const struct doc_totals *t)
{
	if (doc_forget_taxes(r, e, id) < 0)
		return -1;
	struct db_stmt *st = NULL;
	for (int i = 0; i < t->ntaxes; i++) {
		st = db_prepare(r->db, "INSERT INTO document_tax (org_id, doc, "
				       "doc_id, tax_id) VALUES (?, ?, ?, ?)");
		if (!st)
			return -1;
		db_bind_int(st, 1, r->who.org_id);
		db_bind_text(st, 2, e->name);
		db_bind_int(st, 3, id);
		db_bind_int(st, 4, t->taxes[i].tax_id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int doc_forget_taxes(struct req *r, const struct entity *e, int64_t id)
{
	struct db_stmt *st = db_prepare(
		r->db, "DELETE FROM document_tax WHERE org_id = ? AND doc = ? "
		       "AND doc_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_text(st, 2, e->name);
	db_bind_int(st, 3, id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Rates and names of the taxes snapshot names override the current ones
 * (see doc_update_totals). */
static void apply_snapshot(const json_t *snapshot, struct doc_tax *t, int nt,
			   json_t *info)
{
	size_t i;
	const json_t *s;
	json_array_foreach(snapshot, i, s)
	{
		int64_t id = json_integer_value(json_object_get(s, "tax_id"));
		int64_t rate;
		if (!decimal_from_json(json_object_get(s, "rate"), DOC_RATE_SCALE,
				       &rate))
			continue;
		for (int k = 0; k < nt; k++)
			if (t[k].id == id)
				t[k].rate = rate;
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)id);
		if (json_object_get(info, key)) {
			json_t *o = json_deep_copy(s);
			json_object_del(o, "base");
			json_object_del(o, "amount");
			json_object_set_new(info, key, o);
		}
	}
}

int doc_update_totals(struct req *r, const struct entity *e,
		      const json_t *before, json_t *after, const json_t *rates)
{
	if (before && !changed(before, after, "lines") &&
	    !changed(before, after, "currency"))
		return 0;
	const json_t *lines = json_object_get(after, "lines");
	int n = (int)json_array_size(lines);
	struct doc_line *dl = arena_alloc(r->arena, sizeof *dl * (size_t)(n + 1));
	int64_t *amount = arena_alloc(r->arena, sizeof *amount * (size_t)(n + 1));
	struct doc_tax taxes[DOC_TAXES_MAX];
	int ntaxes = 0;
	json_t *info = json_object();
	int rc = -1;
	const char *cur = json_string_value(json_object_get(after, "currency"));
	int places = cur ? doc_currency_places(r->db, r->who.org_id, cur) : 2;
	struct doc_totals t;
	if (places < 0 || load_taxes(r, lines, taxes, &ntaxes, info) < 0)
		goto out;
	apply_snapshot(rates, taxes, ntaxes, info);
	parse_lines(lines, dl);
	if (doc_compute(dl, n, taxes, ntaxes, rounding_rule(r->db, r->who.org_id),
			places > 2 ? 2 : places, amount, &t) < 0) {
		/* a tax deleted since the check: it cannot be (in use) */
		atr_fail(&r->err, ATR_E_CONFLICT,
			 "a tax of these lines was just removed");
		goto out;
	}
	json_t *la = json_array(), *sum = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(la, doc_money_text(amount[i]));
	for (int i = 0; i < t.ntaxes; i++) {
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)t.taxes[i].tax_id);
		json_t *o = json_deep_copy(json_object_get(info, key));
		json_object_set_new(o, "base", doc_money_text(t.taxes[i].base));
		json_object_set_new(o, "amount", doc_money_text(t.taxes[i].amount));
		json_array_append_new(sum, o);
	}
	int64_t id = json_integer_value(json_object_get(after, "id"));
	char *la_text = json_dumps(la, JSON_COMPACT);
	char *sum_text = json_dumps(sum, JSON_COMPACT);
	struct db_stmt *st = db_prepare(
		r->db, arena_printf(r->arena,
				    "UPDATE %s SET line_amounts = ?, "
				    "subtotal = ?, tax_total = ?, total = ?, "
				    "taxes = ? WHERE id = ? AND org_id = ?",
				    e->name));
	if (st) {
		db_bind_text(st, 1, la_text);
		db_bind_int(st, 2, t.subtotal);
		db_bind_int(st, 3, t.tax_total);
		db_bind_int(st, 4, t.total);
		db_bind_text(st, 5, sum_text);
		db_bind_int(st, 6, id);
		db_bind_int(st, 7, r->who.org_id);
		rc = db_step(st) < 0 ? -1 : 0;
		db_reset(st);
	}
	free(la_text);
	free(sum_text);
	if (rc == 0)
		rc = store_uses(r, e, id, &t);
	json_object_set_new(after, "line_amounts", la);
	json_object_set_new(after, "subtotal", doc_money_text(t.subtotal));
	json_object_set_new(after, "tax_total", doc_money_text(t.tax_total));
	json_object_set_new(after, "total", doc_money_text(t.total));
	json_object_set_new(after, "taxes", sum);
out:
	json_decref(info);
	return rc;
}

/* ---- dates and numbers ----------------------------------------------------- */

int doc_today(struct db_conn *c, int64_t org, char out[DOC_DATE_MAX])
{
	char zone[TZ_NAME_MAX];
	struct tz_local now;
	if (l10n_org_zone(c, org, zone) < 0)
		return -1;
	if (tz_local(zone, atr_now_ms(), &now) < 0 &&
	    tz_local("UTC", atr_now_ms(), &now) < 0)
		return -1;
	snprintf(out, DOC_DATE_MAX, "%04d-%02d-%02d", now.year % 10000, now.month % 100,
		 now.day % 100);
	return 0;
}

int doc_horizon(char out[DOC_DATE_MAX])
{
	struct tz_local t;
	if (tz_local("Pacific/Kiritimati", atr_now_ms(), &t) < 0)
		return -1;
	snprintf(out, DOC_DATE_MAX, "%04d-%02d-%02d", t.year % 10000,
		 t.month % 100, t.day % 100);
	return 0;
}

int doc_set_number(struct req *r, const char *table, int64_t id,
		   const char *number)
{
	struct db_stmt *st = db_prepare(
		r->db, arena_printf(r->arena,
				    "UPDATE %s SET number = ? WHERE id = ? AND "
				    "org_id = ?",
				    table));
	if (!st)
		return -1;
	db_bind_text(st, 1, number);
	db_bind_int(st, 2, id);
	db_bind_int(st, 3, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 && db_err_unique(r->db))
		return atr_fail(&r->err, ATR_E_CONFLICT,
				"%s number '%s' is already used by another "
				"%s; change the %s number series (its format "
				"or next number)",
				table, number, table, table);
	return rc < 0 ? -1 : 0;
}
