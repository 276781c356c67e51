/* pdf.c — finance documents as PDFs (pdf.h): the input checks, the font,
 * the logo, the document's sections and pdf_render. The flow engine that
 * places them on pages is pdf_flow.c.
 */
#include "atrium.h"

#include <cairo-pdf.h>
#include <math.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangofc-fontmap.h>
#include <pthread.h>

#include "finance/pdf.h"
#include "finance/pdf_int.h"

/* The one font (Debian's fonts-dejavu-core), by file. */
#define FONT_DIR "/usr/share/fonts/truetype/dejavu/"
static const char *const font_files[] = {
	FONT_DIR "DejaVuSans.ttf",
	FONT_DIR "DejaVuSans-Bold.ttf",
};

/* A PDF bigger than this is an error (a bound, never reached by a
 * document within the limits). */
#define PDF_MAX_OUTPUT (256u * 1024 * 1024)

/* ---- the sections ------------------------------------------------------------ */

#define W PDF_CONTENT_W
#define BODY 8.5 /* the body text's size, points */

/* A text cell's content built piece by piece, each piece styled. */
struct block {
	struct buf text;
	PangoAttrList *attrs;
};

static void block_init(struct block *b)
{
	b->text = (struct buf)BUF_INIT;
	b->attrs = pango_attr_list_new();
}

static void block_free(struct block *b)
{
	buf_free(&b->text);
	pango_attr_list_unref(b->attrs);
}

static void attr_range(struct block *b, PangoAttribute *a, size_t from)
{
	a->start_index = (guint)from;
	a->end_index = (guint)b->text.len;
	pango_attr_list_insert(b->attrs, a);
}

/* Appends s (nothing when empty): on a new line unless inline, at size
 * points, bold or not, in colour rgb (0xRRGGBB). */
static void block_add(struct block *b, const char *s, bool newline,
		      double size, bool bold, unsigned rgb)
{
	if (!*s)
		return;
	if (newline && b->text.len)
		buf_addc(&b->text, '\n');
	size_t from = b->text.len;
	buf_adds(&b->text, s);
	attr_range(b, pango_attr_size_new_absolute((int)(size * PANGO_SCALE)),
		   from);
	if (bold)
		attr_range(b, pango_attr_weight_new(PANGO_WEIGHT_BOLD), from);
	if (rgb)
		attr_range(b,
			   pango_attr_foreground_new(
				   (guint16)((rgb >> 16 & 0xFF) * 257),
				   (guint16)((rgb >> 8 & 0xFF) * 257),
				   (guint16)((rgb & 0xFF) * 257)),
			   from);
}

/* "Label: value" on a line of its own, the value bold. */
static void block_pair(struct block *b, const struct pdf_cpair *p,
		       double size)
{
	if (!*p->label && !*p->value)
		return;
	if (*p->label) {
		block_add(b, p->label, true, size, false, 0x555555);
		block_add(b, *p->value ? ": " : "", false, size, false, 0x555555);
		block_add(b, p->value, false, size, true, 0);
	} else {
		block_add(b, p->value, true, size, true, 0);
	}
}

/* A small gap: a line holding one space at size points. */
static void block_gap(struct block *b, double size)
{
	if (b->text.len)
		block_add(b, " ", true, size, false, 0);
}

static void cell_block(struct pdf_flow *f, struct pdf_row *r, double x,
		       double w, struct block *b, unsigned flags)
{
	pdf_cell_text(f, r, x, w, 0, buf_str(&b->text), BODY, flags, b->attrs);
}

/* The logo on the left; the title, number or draft mark and the meta
 * pairs on the right. Then the company and the client side by side. */
static void place_head(struct pdf_flow *f)
{
	const struct pdf_clean *d = f->d;
	struct pdf_row rows[2] = {{.space_after = 14}, {.space_after = 16}};
	if (d->logo)
		pdf_cell_image(&rows[0], 0, d->logo, d->logo_w, d->logo_h,
			       d->logo_sw, d->logo_sh);
	struct block b;
	block_init(&b);
	block_add(&b, d->title, true, 18, true, 0);
	if (d->draft)
		block_add(&b, d->draft_label, true, 11, true, 0xB00000);
	else
		block_add(&b, d->number, true, 11, true, 0);
	block_gap(&b, 5);
	for (int i = 0; i < d->nmeta; i++)
		block_pair(&b, &d->meta[i], BODY);
	cell_block(f, &rows[0], W * 0.5, W * 0.5, &b, PDF_RIGHT);
	block_free(&b);

	block_init(&b);
	block_add(&b, d->company_name, true, 10, true, 0);
	block_add(&b, d->company_address, true, BODY, false, 0);
	for (int i = 0; i < d->ncompany_extra; i++)
		block_pair(&b, &d->company_extra[i], BODY);
	cell_block(f, &rows[1], 0, W * 0.5 - 8, &b, 0);
	block_free(&b);

	block_init(&b);
	block_add(&b, d->client_label, true, 7.5, true, 0x555555);
	block_add(&b, d->client_name, true, 10, true, 0);
	block_add(&b, d->client_address, true, BODY, false, 0);
	for (int i = 0; i < d->nclient_extra; i++)
		block_pair(&b, &d->client_extra[i], BODY);
	cell_block(f, &rows[1], W * 0.5 + 8, W * 0.5 - 8, &b, 0);
	block_free(&b);

	pdf_place_group(f, rows, 2);
	pdf_row_free(&rows[0]);
	pdf_row_free(&rows[1]);
}

/* The table's columns: widths in points for the numeric ones; the
 * description takes the rest. A column without a label is left out. */
static const double col_width[PDF_NCOLS] = {0, 40, 34, 60, 52, 56, 70};
#define CELL_PAD 3.0
#define TABLE_SIZE 8.0

struct columns {
	double x[PDF_NCOLS], w[PDF_NCOLS];
	bool on[PDF_NCOLS];
};

static void columns_init(const struct pdf_clean *d, struct columns *c)
{
	double used = 0;
	for (int j = 1; j < PDF_NCOLS; j++) {
		c->on[j] = d->col_labels[j] != NULL;
		c->w[j] = c->on[j] ? col_width[j] : 0;
		used += c->w[j];
	}
	c->on[0] = true;
	c->w[0] = W - used;
	double x = 0;
	for (int j = 0; j < PDF_NCOLS; j++) {
		c->x[j] = x;
		x += c->w[j];
	}
}

static void table_row(struct pdf_flow *f, const struct columns *c,
		      struct pdf_row *r, char *const cells[PDF_NCOLS],
		      double size, unsigned flags)
{
	for (int j = 0; j < PDF_NCOLS; j++)
		if (c->on[j])
			pdf_cell_text(f, r, c->x[j], c->w[j], CELL_PAD,
				      cells[j], size,
				      flags | (j ? PDF_RIGHT : 0), NULL);
}

static void place_table(struct pdf_flow *f)
{
	const struct pdf_clean *d = f->d;
	struct columns c;
	columns_init(d, &c);
	struct pdf_row head = {.pad = 3, .style = PDF_ROW_FILL};
	table_row(f, &c, &head, d->col_labels, 7.5, PDF_BOLD);
	/* The header is not left alone at the bottom of a page. */
	double first = 0;
	if (d->nlines > 0) {
		struct pdf_row r = {.pad = 3};
		table_row(f, &c, &r, d->lines[0].cell, TABLE_SIZE, 0);
		first = fmin(pdf_row_height(&r), 36);
		pdf_row_free(&r);
	}
	double head_h = pdf_row_height(&head);
	if (f->y + head_h + first > f->bottom)
		pdf_flow_new_page(f);
	pdf_place_row(f, &head);
	/* The header is repeated on the table's next pages unless it
	 * would take more than a third of them (absurdly long labels):
	 * every page must keep room for its rows. */
	if (head_h <= (PDF_PAGE_H - 2 * PDF_MARGIN - PDF_FOOTER_H) / 3)
		f->thead = &head;
	for (int i = 0; i < d->nlines; i++) {
		struct pdf_row r = {.pad = 3, .style = PDF_ROW_RULE_BELOW};
		table_row(f, &c, &r, d->lines[i].cell, TABLE_SIZE, 0);
		pdf_place_row(f, &r);
		pdf_row_free(&r);
	}
	f->thead = NULL;
	pdf_row_free(&head);
	f->y += 12;
}

/* Pairs right of the middle (the tax summary, the totals): label and
 * value, the value right-aligned; the last one bold when last_bold. */
static void place_sums(struct pdf_flow *f, const char *title,
		       const struct pdf_cpair *p, int n, double size,
		       bool last_bold)
{
	if (n == 0)
		return;
	int nrows = n + (*title ? 1 : 0), k = 0;
	struct pdf_row *rows = xcalloc((size_t)nrows, sizeof *rows);
	if (*title)
		pdf_cell_text(f, &rows[k++], W * 0.4, W * 0.6, 3, title, BODY,
			      PDF_BOLD, NULL);
	for (int i = 0; i < n; i++, k++) {
		bool bold = last_bold && i == n - 1;
		rows[k].pad = bold ? 3 : 1.5;
		if (bold)
			rows[k].style = PDF_ROW_RULE_ABOVE;
		pdf_cell_text(f, &rows[k], W * 0.4, W * 0.36, 3, p[i].label,
			      bold ? size + 1 : size, bold ? PDF_BOLD : 0, NULL);
		pdf_cell_text(f, &rows[k], W * 0.76, W * 0.24, 3, p[i].value,
			      bold ? size + 1 : size,
			      PDF_RIGHT | (bold ? PDF_BOLD : 0), NULL);
	}
	rows[nrows - 1].space_after = 10;
	pdf_place_group(f, rows, nrows);
	for (int i = 0; i < nrows; i++)
		pdf_row_free(&rows[i]);
	free(rows);
}

/* The custom fields: a label column and a value column, full width. */
static void place_custom(struct pdf_flow *f)
{
	const struct pdf_clean *d = f->d;
	if (d->ncustom == 0)
		return;
	int nrows = d->ncustom + (*d->custom_title ? 1 : 0), k = 0;
	struct pdf_row *rows = xcalloc((size_t)nrows, sizeof *rows);
	if (*d->custom_title)
		pdf_cell_text(f, &rows[k++], 0, W, 0, d->custom_title, BODY,
			      PDF_BOLD, NULL);
	for (int i = 0; i < d->ncustom; i++, k++) {
		rows[k].pad = 1.5;
		pdf_cell_text(f, &rows[k], 0, W * 0.3, 0, d->custom[i].label,
			      BODY, PDF_GREY, NULL);
		pdf_cell_text(f, &rows[k], W * 0.3, W * 0.7, 3,
			      d->custom[i].value, BODY, 0, NULL);
	}
	rows[nrows - 1].space_after = 10;
	pdf_place_group(f, rows, nrows);
	for (int i = 0; i < nrows; i++)
		pdf_row_free(&rows[i]);
	free(rows);
}

/* A titled text across the page (the payment modes, the notes). */
static void place_text(struct pdf_flow *f, const char *title, const char *text)
{
	if (!*text)
		return;
	struct pdf_row rows[2] = {{.pad = 1.5}, {.space_after = 10}};
	int n = 0;
	if (*title)
		pdf_cell_text(f, &rows[n++], 0, W, 0, title, BODY, PDF_BOLD,
			      NULL);
	pdf_cell_text(f, &rows[n++], 0, W, 0, text, BODY, 0, NULL);
	pdf_place_group(f, rows, n);
	for (int i = 0; i < n; i++)
		pdf_row_free(&rows[i]);
}

/* The whole document, from page 1 to the last. */
static void flow_document(struct pdf_flow *f)
{
	const struct pdf_clean *d = f->d;
	pdf_flow_begin(f);
	place_head(f);
	place_table(f);
	place_sums(f, d->tax_title, d->tax, d->ntax, BODY, false);
	place_sums(f, "", d->totals, d->ntotals, 9, true);
	place_custom(f);
	place_text(f, d->payment_title, d->payment_modes);
	place_text(f, d->notes_title, d->notes);
	pdf_flow_end(f);
}

/* ---- rendering ------------------------------------------------------------- */

static pthread_once_t fonts_once = PTHREAD_ONCE_INIT;
static FcConfig *fonts;      /* read only once built */
static char fonts_error[256];

/* A fontconfig configuration holding only the font files: no system or
 * user configuration, no other font, whatever the machine has. */
static void fonts_init(void)
{
	FcConfig *cfg = FcConfigCreate();
	for (size_t i = 0; i < ATR_ARRAY_LEN(font_files); i++) {
		if (!FcConfigAppFontAddFile(cfg, (const FcChar8 *)font_files[i])) {
			snprintf(fonts_error, sizeof fonts_error,
				 "cannot load the pdf font %s (Debian package "
				 "fonts-dejavu-core)", font_files[i]);
			FcConfigDestroy(cfg);
			return;
		}
	}
	fonts = cfg;
}

/* Under LeakSanitizer (the test builds): fontconfig keeps the pointers
 * inside its patterns and character sets as offsets, which the leak
 * checker cannot follow, so the configuration above and the patterns
 * Cairo's font cache holds show as leaked at exit though they are
 * reachable (a constant 8 KiB whether one document or a thousand is
 * rendered). Only allocations made inside libfontconfig are ignored. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static cairo_status_t pdf_write(void *closure, const unsigned char *data,
				unsigned int len)
{
	struct buf *b = closure;
	if (b->len + len > PDF_MAX_OUTPUT)
		return CAIRO_STATUS_WRITE_ERROR;
	buf_add(b, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* A Pango context on a font map of this call's own, holding the one
 * font, with fixed font options (no hinting: the same metrics whatever
 * draws them). */
static PangoContext *context_new(const char *lang)
{
	PangoFontMap *fm = pango_cairo_font_map_new_for_font_type(
		CAIRO_FONT_TYPE_FT);
	ATR_ASSERT(fm && PANGO_IS_FC_FONT_MAP(fm));
	pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(fm), fonts);
	PangoContext *ctx = pango_font_map_create_context(fm);
	g_object_unref(fm); /* the context holds it */
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	pango_cairo_context_set_font_options(ctx, fo);
	cairo_font_options_destroy(fo);
	pango_cairo_context_set_resolution(ctx, 72);
	pango_context_set_round_glyph_positions(ctx, FALSE);
	pango_context_set_language(ctx, pango_language_from_string(lang));
	return ctx;
}

int pdf_render(const struct pdf_doc *d, struct buf *out, struct atr_err *err)
{
	pthread_once(&fonts_once, fonts_init);
	if (!fonts)
		return atr_fail(err, ATR_E_INTERNAL, "%s", fonts_error);
	struct pdf_clean c;
	if (pdf_prepare(d, &c, err) < 0)
		return -1;
	int rc = -1;
	struct buf pdf = BUF_INIT;
	PangoContext *ctx = context_new(c.lang);

	/* Pass 1 counts the pages. */
	struct pdf_flow f = {.ctx = ctx, .d = &c};
	flow_document(&f);
	int npages = f.page;

	/* Pass 2 draws them. */
	cairo_surface_t *s = cairo_pdf_surface_create_for_stream(
		pdf_write, &pdf, PDF_PAGE_W, PDF_PAGE_H);
	char *title = xasprintf("%s %s", c.title, c.draft ? c.draft_label
							   : c.number);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
	free(title);
	if (*c.company_name)
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_AUTHOR,
					       c.company_name);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "Atrium");
	cairo_t *cr = cairo_create(s);
	f = (struct pdf_flow){.ctx = ctx, .cr = cr, .d = &c, .npages = npages};
	flow_document(&f);
	ATR_ASSERT(f.page == npages);
	cairo_status_t st = cairo_status(cr);

	cairo_destroy(cr);
	cairo_surface_finish(s);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (st != CAIRO_STATUS_SUCCESS) {
		atr_fail(err, ATR_E_INTERNAL, "cannot render the pdf: %s",
			 cairo_status_to_string(st));
		goto out;
	}
	if (f.overflow) {
		/* A layout bug: refused rather than hand out a page whose
		 * text runs into its footer or margin. */
		atr_fail(err, ATR_E_INTERNAL, "cannot render the pdf: a row "
			 "runs past the bottom of page %d", f.overflow);
		goto out;
	}
	buf_add(out, pdf.p, pdf.len);
	rc = 0;
out:
	buf_free(&pdf);
	g_object_unref(ctx);
	pdf_clean_free(&c);
	return rc;
}
