/* pdf_input.c — the PDF renderer's input (pdf.h): every string checked
 * against its limit and cleaned for layout, the logo decoded and sized.
 */
#include "atrium.h"

#include <inttypes.h>
#include <math.h>
#include <librsvg/rsvg.h>

#include "finance/pdf.h"
#include "finance/pdf_int.h"

/* ---- text ----------------------------------------------------------------- */

/* The code point at s (n bytes left) and its length in *len, or -1 (with
 * *len 1) when s does not start a valid UTF-8 sequence: overlong forms,
 * surrogates and values past U+10FFFF are invalid. */
static int32_t utf8_next(const unsigned char *s, size_t n, int *len)
{
	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	int k;
	int32_t c, min;
	if ((s[0] & 0xE0) == 0xC0)
		k = 2, c = s[0] & 0x1F, min = 0x80;
	else if ((s[0] & 0xF0) == 0xE0)
		k = 3, c = s[0] & 0x0F, min = 0x800;
	else if ((s[0] & 0xF8) == 0xF0)
		k = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return -1;
	if ((size_t)k > n)
		return -1;
	for (int i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*len = k;
	return c;
}

/* s made fit for layout (pdf.h, "Text"): a malloc'd copy, "" for NULL;
 * NULL with a field error when it has more than max characters. */
static char *clean(const char *s, size_t max, const char *field,
		   struct atr_err *err)
{
	if (!s)
		return xstrdup("");
	/* Four bytes a character at most: a longer string is refused
	 * without reading it all. */
	size_t n = strnlen(s, max * 4 + 1);
	if (n > max * 4) {
		atr_field(err, field, "too_long", "longer than %zu characters",
			  max);
		return NULL;
	}
	struct buf b = BUF_INIT;
	buf_grow(&b, n + 16);
	b.p[0] = 0;
	size_t chars = 0;
	int marks = 0;
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		int len;
		int32_t c = utf8_next(p, (size_t)(end - p), &len);
		if (c < 0) {
			buf_adds(&b, "\xEF\xBF\xBD"); /* U+FFFD */
			marks = 0;
		} else if (c == '\r') {
			buf_addc(&b, '\n');
			if (p + 1 < end && p[1] == '\n')
				len = 2;
			marks = 0;
		} else if (c == '\n') {
			buf_addc(&b, '\n');
			marks = 0;
		} else if (c < 0x20 || (c >= 0x7F && c < 0xA0)) {
			buf_addc(&b, ' ');
			marks = 0;
		} else if (g_unichar_ismark((gunichar)c)) {
			if (++marks > PDF_MAX_MARKS) {
				p += len;
				continue;
			}
			buf_add(&b, p, (size_t)len);
		} else {
			buf_add(&b, p, (size_t)len);
			marks = 0;
		}
		p += len;
		chars++;
	}
	if (chars > max) {
		atr_field(err, field, "too_long", "longer than %zu characters",
			  max);
		buf_free(&b);
		return NULL;
	}
	return b.p ? buf_detach(&b) : xstrdup("");
}

static struct pdf_cpair *clean_pairs(const struct pdf_pair *in, int n,
				     int *nout, const char *field,
				     struct atr_err *err)
{
	*nout = 0;
	if (n < 0 || n > PDF_MAX_PAIRS || (n > 0 && !in)) {
		atr_field(err, field, "too_many", "at most %d pairs",
			  PDF_MAX_PAIRS);
		return NULL;
	}
	struct pdf_cpair *out = xcalloc((size_t)(n ? n : 1), sizeof *out);
	for (int i = 0; i < n; i++) {
		char f[64];
		snprintf(f, sizeof f, "%s[%d].label", field, i);
		out[i].label = clean(in[i].label, PDF_MAX_TEXT, f, err);
		snprintf(f, sizeof f, "%s[%d].value", field, i);
		out[i].value = clean(in[i].value, PDF_MAX_TEXT, f, err);
	}
	*nout = n;
	return out;
}

static void free_pairs(struct pdf_cpair *p, int n)
{
	for (int i = 0; p && i < n; i++) {
		free(p[i].label);
		free(p[i].value);
	}
	free(p);
}

void pdf_clean_free(struct pdf_clean *c)
{
	char **s[] = {&c->title, &c->number, &c->draft_label,
		      &c->company_name, &c->company_address, &c->client_label,
		      &c->client_name, &c->client_address, &c->tax_title,
		      &c->custom_title, &c->payment_title, &c->payment_modes,
		      &c->notes_title, &c->notes, &c->page_label, &c->lang};
	for (size_t i = 0; i < ATR_ARRAY_LEN(s); i++)
		free(*s[i]);
	for (int i = 0; i < PDF_NCOLS; i++)
		free(c->col_labels[i]);
	free_pairs(c->company_extra, c->ncompany_extra);
	free_pairs(c->client_extra, c->nclient_extra);
	free_pairs(c->meta, c->nmeta);
	free_pairs(c->tax, c->ntax);
	free_pairs(c->totals, c->ntotals);
	free_pairs(c->custom, c->ncustom);
	for (int i = 0; c->lines && i < c->nlines; i++)
		for (int j = 0; j < PDF_NCOLS; j++)
			free(c->lines[i].cell[j]);
	free(c->lines);
	if (c->logo)
		cairo_surface_destroy(c->logo);
	memset(c, 0, sizeof *c);
}

/* A BCP 47 tag as Pango takes it: letters, digits and '-', 1..35. */
static bool lang_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 35)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
		      ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
			return false;
	return true;
}

/* ---- the logo --------------------------------------------------------------- */

struct png_reader {
	const unsigned char *p;
	size_t left;
};

static cairo_status_t png_read(void *closure, unsigned char *data,
			       unsigned int len)
{
	struct png_reader *r = closure;
	if (len > r->left)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->p, len);
	r->p += len;
	r->left -= len;
	return CAIRO_STATUS_SUCCESS;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The logo's size on the page in points from its own size (CSS pixels,
 * or points for an SVG without a size) and the width asked for. */
static void logo_size(const struct pdf_doc *d, struct pdf_clean *c, double iw,
		      double ih)
{
	/* CSS pixels: 96 per inch, 72 points per inch. */
	double lw = (d->logo_width_px > 0 ? d->logo_width_px : iw) * 0.75;
	lw = fmin(lw, PDF_CONTENT_W * 0.45);
	double lh = lw * ih / iw;
	if (lh > PDF_LOGO_MAX_HEIGHT_PT) {
		lh = PDF_LOGO_MAX_HEIGHT_PT;
		lw = lh * iw / ih;
	}
	c->logo_w = lw;
	c->logo_h = lh;
}

/* Decodes a PNG logo into c->logo. The size in the PNG's header is
 * checked before cairo decodes it, so a huge image is refused before its
 * pixels are allocated. */
static int load_png(const struct pdf_doc *d, struct pdf_clean *c,
		    struct atr_err *err)
{
	const unsigned char *p = d->logo;
	size_t n = d->logo_len;
	if (n < 24 || memcmp(p, "\x89PNG\r\n\x1a\n", 8) != 0 ||
	    memcmp(p + 12, "IHDR", 4) != 0) {
		atr_field(err, "logo", "invalid", "not a PNG image");
		return -1;
	}
	uint32_t w = be32(p + 16), h = be32(p + 20);
	if (w == 0 || h == 0 || w > PDF_MAX_LOGO_SIDE || h > PDF_MAX_LOGO_SIDE) {
		atr_field(err, "logo", "too_large",
			  "%" PRIu32 "x%" PRIu32 " pixels; at most %d on a side",
			  w, h, PDF_MAX_LOGO_SIDE);
		return -1;
	}
	struct png_reader r = {p, n};
	cairo_surface_t *s = cairo_image_surface_create_from_png_stream(
		png_read, &r);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		/* Not cairo's status: it reports most damage as "out of
		 * memory". */
		atr_field(err, "logo", "invalid", "not a readable PNG image");
		cairo_surface_destroy(s);
		return -1;
	}
	c->logo = s;
	c->logo_sw = cairo_image_surface_get_width(s);
	c->logo_sh = cairo_image_surface_get_height(s);
	logo_size(d, c, c->logo_sw, c->logo_sh);
	return 0;
}

/* librsvg's message for e, without its trailing newline, in a static
 * buffer of this thread. */
static const char *gerror_text(const GError *e)
{
	static _Thread_local char msg[160];
	atr_strlcpy(msg, e && e->message ? e->message : "unknown error",
		    sizeof msg);
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = 0;
	return msg;
}

/* Draws an SVG logo, as vectors, into a recording surface of its size on
 * the page (c->logo), which the PDF replays as vectors. The SVG is read
 * from memory with no base file, so librsvg loads nothing else. */
static int load_svg(const struct pdf_doc *d, struct pdf_clean *c,
		    struct atr_err *err)
{
	GError *ge = NULL;
	RsvgHandle *h = rsvg_handle_new_from_data(d->logo, d->logo_len, &ge);
	if (!h) {
		atr_field(err, "logo", "invalid", "not a readable SVG image: %s",
			  gerror_text(ge));
		g_clear_error(&ge);
		return -1;
	}
	rsvg_handle_set_dpi(h, 96);
	int rc = -1;
	double iw = 0, ih = 0;
	gboolean hw, hh, hv;
	RsvgLength lw, lh;
	RsvgRectangle vb;
	if (!rsvg_handle_get_intrinsic_size_in_pixels(h, &iw, &ih)) {
		rsvg_handle_get_intrinsic_dimensions(h, &hw, &lw, &hh, &lh,
						     &hv, &vb);
		if (hv) {
			iw = vb.width;
			ih = vb.height;
		}
	}
	if (!(iw > 0 && ih > 0 && iw < 1e6 && ih < 1e6)) {
		atr_field(err, "logo", "invalid",
			  "the SVG image has neither a size nor a viewBox");
		goto out;
	}
	logo_size(d, c, iw, ih);
	cairo_rectangle_t ext = {0, 0, c->logo_w, c->logo_h};
	cairo_surface_t *rec =
		cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
	cairo_t *cr = cairo_create(rec);
	RsvgRectangle vp = {0, 0, c->logo_w, c->logo_h};
	gboolean ok = rsvg_handle_render_document(h, cr, &vp, &ge);
	cairo_destroy(cr);
	if (!ok || cairo_surface_status(rec) != CAIRO_STATUS_SUCCESS) {
		atr_field(err, "logo", "invalid", "cannot draw the SVG image: %s",
			  ge ? gerror_text(ge) : "cairo error");
		g_clear_error(&ge);
		cairo_surface_destroy(rec);
		goto out;
	}
	c->logo = rec;
	c->logo_sw = c->logo_w;
	c->logo_sh = c->logo_h;
	rc = 0;
out:
	g_object_unref(h);
	return rc;
}

static int load_logo(const struct pdf_doc *d, struct pdf_clean *c,
		     struct atr_err *err)
{
	if (d->logo_len > PDF_MAX_LOGO_BYTES) {
		atr_field(err, "logo", "too_large", "larger than %d bytes",
			  PDF_MAX_LOGO_BYTES);
		return -1;
	}
	if (d->logo_type == PDF_LOGO_SVG)
		return load_svg(d, c, err);
	return load_png(d, c, err);
}

int pdf_prepare(const struct pdf_doc *d, struct pdf_clean *c,
		   struct atr_err *err)
{
	memset(c, 0, sizeof *c);
	struct atr_err e = {0};
	c->title = clean(d->title, PDF_MAX_TEXT, "title", &e);
	c->draft = !d->number || !*d->number;
	c->number = clean(d->number, PDF_MAX_TEXT, "number", &e);
	c->draft_label = clean(d->draft_label ? d->draft_label : "DRAFT",
			       PDF_MAX_TEXT, "draft_label", &e);
	c->company_name = clean(d->company_name, PDF_MAX_TEXT, "company_name", &e);
	c->company_address = clean(d->company_address, PDF_MAX_ADDRESS,
				   "company_address", &e);
	c->company_extra = clean_pairs(d->company_extra, d->ncompany_extra,
				       &c->ncompany_extra, "company_extra", &e);
	c->client_label = clean(d->client_label, PDF_MAX_TEXT, "client_label", &e);
	c->client_name = clean(d->client_name, PDF_MAX_TEXT, "client_name", &e);
	c->client_address = clean(d->client_address, PDF_MAX_ADDRESS,
				  "client_address", &e);
	c->client_extra = clean_pairs(d->client_extra, d->nclient_extra,
				      &c->nclient_extra, "client_extra", &e);
	c->meta = clean_pairs(d->meta, d->nmeta, &c->nmeta, "meta", &e);
	static const char *const col_names[PDF_NCOLS] = {
		"description", "quantity", "unit", "unit_price",
		"discount", "taxes", "amount"};
	for (int j = 0; j < PDF_NCOLS; j++) {
		char f[64];
		snprintf(f, sizeof f, "col_labels[%d]", j);
		/* NULL leaves a column out, so it stays NULL here. */
		c->col_labels[j] = d->col_labels[j] || j == PDF_COL_DESCRIPTION
			? clean(d->col_labels[j], PDF_MAX_TEXT, f, &e) : NULL;
	}
	if (d->nlines < 0 || d->nlines > PDF_MAX_LINES ||
	    (d->nlines > 0 && !d->lines)) {
		atr_field(&e, "lines", "too_many", "%d lines; at most %d",
			  d->nlines, PDF_MAX_LINES);
	} else {
		c->lines = xcalloc((size_t)(d->nlines ? d->nlines : 1),
				   sizeof *c->lines);
		c->nlines = d->nlines;
		for (int i = 0; i < d->nlines; i++) {
			const struct pdf_line *l = &d->lines[i];
			const char *v[PDF_NCOLS] = {
				l->description, l->quantity, l->unit,
				l->unit_price, l->discount, l->taxes, l->amount};
			for (int j = 0; j < PDF_NCOLS; j++) {
				char f[64];
				snprintf(f, sizeof f, "lines[%d].%s", i,
					 col_names[j]);
				c->lines[i].cell[j] = clean(
					v[j], j == PDF_COL_DESCRIPTION
						      ? PDF_MAX_DESCRIPTION
						      : PDF_MAX_CELL, f, &e);
			}
		}
	}
	c->tax_title = clean(d->tax_title, PDF_MAX_TEXT, "tax_title", &e);
	c->tax = clean_pairs(d->tax_summary, d->ntax, &c->ntax, "tax_summary", &e);
	c->totals = clean_pairs(d->totals, d->ntotals, &c->ntotals, "totals", &e);
	c->custom_title = clean(d->custom_title, PDF_MAX_TEXT, "custom_title", &e);
	c->custom = clean_pairs(d->custom, d->ncustom, &c->ncustom, "custom", &e);
	c->payment_title = clean(d->payment_title, PDF_MAX_TEXT, "payment_title", &e);
	c->payment_modes = clean(d->payment_modes, PDF_MAX_LONG_TEXT,
				 "payment_modes", &e);
	c->notes_title = clean(d->notes_title, PDF_MAX_TEXT, "notes_title", &e);
	c->notes = clean(d->notes, PDF_MAX_LONG_TEXT, "notes", &e);
	c->page_label = clean(d->page_label ? d->page_label : "{page} / {pages}",
			      PDF_MAX_TEXT, "page_label", &e);
	c->lang = xstrdup(d->lang ? d->lang : "en");
	if (!lang_ok(c->lang))
		atr_field(&e, "lang", "invalid", "not a language tag");
	if (d->logo && e.nfields == 0)
		load_logo(d, c, &e);
	if (e.nfields == 0)
		return 0;
	pdf_clean_free(c);
	if (err) {
		atr_fail(err, ATR_E_INVALID, "cannot render the pdf: %s: %s",
			 e.fields[0].field, e.fields[0].detail);
		for (int i = 0; i < e.nfields; i++)
			atr_field(err, e.fields[i].field, e.fields[i].code,
				  "%s", e.fields[i].detail);
	}
	return -1;
}
