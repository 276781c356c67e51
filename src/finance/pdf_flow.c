/* pdf_flow.c — the PDF renderer's flow engine: text cells, rows, groups
 * and pages (the model is described in pdf_int.h).
 */
#include "atrium.h"

#include <math.h>

#include "finance/pdf.h"
#include "finance/pdf_int.h"

#define FONT_FAMILY "DejaVu Sans"
/* Space kept under the running header (its rule sits in it). */
#define RUNNING_GAP 8.0
/* A row taller than a page starts on the current page only when at
 * least this much of it fits there. */
#define MIN_SPLIT 36.0

PangoLayout *pdf_layout(struct pdf_flow *f, const char *text, double w,
			double size, unsigned flags, PangoAttrList *attrs)
{
	PangoLayout *lay = pango_layout_new(f->ctx);
	PangoFontDescription *fd = pango_font_description_new();
	pango_font_description_set_family_static(fd, FONT_FAMILY);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	if (flags & PDF_BOLD)
		pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(lay, (int)(w * PANGO_SCALE));
	if (flags & PDF_ONE_LINE) {
		/* One line: the text is made single-line by the caller;
		 * what does not fit ends with an ellipsis. */
		pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
		pango_layout_set_height(lay, -1);
	} else {
		/* Words wrap; a word wider than the box breaks between
		 * characters. */
		pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_alignment(lay, flags & PDF_RIGHT    ? PANGO_ALIGN_RIGHT
					: flags & PDF_CENTER ? PANGO_ALIGN_CENTER
							     : PANGO_ALIGN_LEFT);
	/* No hyphen where a word breaks: in "1.234.5-67,89" it would read
	 * as a minus. */
	PangoAttrList *al = attrs ? pango_attr_list_copy(attrs)
				  : pango_attr_list_new();
	pango_attr_list_insert_before(al, pango_attr_insert_hyphens_new(FALSE));
	pango_layout_set_attributes(lay, al);
	pango_attr_list_unref(al);
	pango_layout_set_text(lay, text, -1);
	return lay;
}

/* Reads the lines of c->lay into c->geo. */
static void cell_measure(struct pdf_cell *c)
{
	int n = pango_layout_get_line_count(c->lay);
	c->geo = xcalloc((size_t)(n > 0 ? n : 1), sizeof *c->geo);
	c->ngeo = 0;
	PangoLayoutIter *it = pango_layout_get_iter(c->lay);
	do {
		PangoRectangle log;
		pango_layout_iter_get_line_extents(it, NULL, &log);
		struct pdf_lgeo *g = &c->geo[c->ngeo++];
		g->line = pango_layout_iter_get_line_readonly(it);
		g->top = (double)log.y / PANGO_SCALE;
		g->bottom = (double)(log.y + log.height) / PANGO_SCALE;
		g->x = (double)log.x / PANGO_SCALE;
		g->baseline =
			(double)pango_layout_iter_get_baseline(it) / PANGO_SCALE;
	} while (c->ngeo < n && pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
}

void pdf_cell_text(struct pdf_flow *f, struct pdf_row *r, double x, double w,
		   double pad_x, const char *text, double size, unsigned flags,
		   PangoAttrList *attrs)
{
	ATR_ASSERT(r->ncell < PDF_ROW_CELLS);
	struct pdf_cell *c = &r->cell[r->ncell++];
	memset(c, 0, sizeof *c);
	c->x = x + pad_x;
	c->w = w - 2 * pad_x;
	c->grey = flags & PDF_GREY ? 0.35 : 0.0;
	c->lay = pdf_layout(f, text, c->w, size, flags, attrs);
	cell_measure(c);
}

void pdf_cell_image(struct pdf_row *r, double x, cairo_surface_t *img,
		    double img_w, double img_h, double sw, double sh)
{
	ATR_ASSERT(r->ncell < PDF_ROW_CELLS);
	struct pdf_cell *c = &r->cell[r->ncell++];
	memset(c, 0, sizeof *c);
	c->x = x;
	c->w = img_w;
	c->img = img;
	c->img_w = img_w;
	c->img_h = img_h;
	c->img_sw = sw;
	c->img_sh = sh;
}

void pdf_row_free(struct pdf_row *r)
{
	for (int i = 0; i < r->ncell; i++) {
		if (r->cell[i].lay)
			g_object_unref(r->cell[i].lay);
		free(r->cell[i].geo);
	}
	r->ncell = 0;
}

static bool cell_done(const struct pdf_cell *c)
{
	return c->img ? c->next > 0 : c->next >= c->ngeo;
}

/* The height of what is left of c. */
static double cell_rest(const struct pdf_cell *c)
{
	if (cell_done(c))
		return 0;
	if (c->img)
		return c->img_h;
	return c->geo[c->ngeo - 1].bottom - c->geo[c->next].top;
}

double pdf_row_height(const struct pdf_row *r)
{
	double h = 0;
	for (int i = 0; i < r->ncell; i++)
		h = fmax(h, cell_rest(&r->cell[i]));
	return h + 2 * r->pad;
}

/* How many of c's next lines fit in avail points (at least one when
 * force); their height in *h. */
static int cell_take(const struct pdf_cell *c, double avail, bool force,
		     double *h)
{
	*h = 0;
	if (cell_done(c))
		return 0;
	if (c->img) {
		if (c->img_h > avail && !force)
			return 0;
		*h = c->img_h;
		return 1;
	}
	int k = c->next;
	double top = c->geo[k].top;
	while (k < c->ngeo && c->geo[k].bottom - top <= avail)
		k++;
	if (k == c->next && force)
		k++;
	if (k > c->next)
		*h = c->geo[k - 1].bottom - top;
	return k - c->next;
}

/* Draws n lines of c from c->next with the first line's top at y. */
static void cell_draw(struct pdf_flow *f, const struct pdf_cell *c, int n,
		      double y)
{
	cairo_t *cr = f->cr;
	double x = PDF_MARGIN + c->x;
	if (c->img) {
		cairo_save(cr);
		cairo_translate(cr, x, y);
		cairo_scale(cr, c->img_w / c->img_sw, c->img_h / c->img_sh);
		cairo_set_source_surface(cr, c->img, 0, 0);
		cairo_pattern_set_filter(cairo_get_source(cr),
					 CAIRO_FILTER_GOOD);
		cairo_paint(cr);
		cairo_restore(cr);
		return;
	}
	cairo_set_source_rgb(cr, c->grey, c->grey, c->grey);
	double top = c->geo[c->next].top;
	for (int i = c->next; i < c->next + n; i++) {
		const struct pdf_lgeo *g = &c->geo[i];
		cairo_move_to(cr, x + g->x, y + g->baseline - top);
		pango_cairo_show_layout_line(cr, g->line);
	}
}

static void hline(cairo_t *cr, double x0, double x1, double y, double width,
		  double grey)
{
	cairo_set_source_rgb(cr, grey, grey, grey);
	cairo_set_line_width(cr, width);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
	cairo_move_to(cr, x0, y);
	cairo_line_to(cr, x1, y);
	cairo_stroke(cr);
}

/* Draws (when drawing) the slice of r that fits from f->y down, and moves
 * f->y under it. true when r is now placed whole. */
static bool row_slice(struct pdf_flow *f, struct pdf_row *r)
{
	bool fresh = f->y <= f->fresh_y + 0.001;
	double avail = f->bottom - f->y - 2 * r->pad;
	int take[PDF_ROW_CELLS];
	double h = 0;
	int any = 0;
	for (int i = 0; i < r->ncell; i++) {
		double ch;
		take[i] = cell_take(&r->cell[i], avail, fresh, &ch);
		h = fmax(h, ch);
		any += take[i];
	}
	if (any == 0 && r->ncell > 0 && pdf_row_height(r) > 2 * r->pad)
		return false; /* nothing fits here */
	double box = h + 2 * r->pad;
	/* Never expected (a forced line always fits a fresh page): the
	 * renderer refuses the document rather than draw past bottom. */
	if (f->y + box > f->bottom + 0.01 && !f->overflow)
		f->overflow = f->page;
	if (f->cr) {
		cairo_t *cr = f->cr;
		if (r->style & PDF_ROW_FILL) {
			cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
			cairo_rectangle(cr, PDF_MARGIN, f->y, PDF_CONTENT_W, box);
			cairo_fill(cr);
		}
		if ((r->style & PDF_ROW_RULE_ABOVE) && r->ncell > 1)
			hline(cr, PDF_MARGIN + r->cell[0].x - 3,
			      PDF_MARGIN + PDF_CONTENT_W, f->y + 0.4, 0.8, 0.2);
		for (int i = 0; i < r->ncell; i++)
			if (take[i])
				cell_draw(f, &r->cell[i], take[i],
					  f->y + r->pad);
		if (r->style & PDF_ROW_RULE_BELOW)
			hline(cr, PDF_MARGIN, PDF_MARGIN + PDF_CONTENT_W,
			      f->y + box - 0.25, 0.5, 0.7);
	}
	bool done = true;
	for (int i = 0; i < r->ncell; i++) {
		r->cell[i].next += take[i];
		if (!cell_done(&r->cell[i]))
			done = false;
	}
	f->y += box;
	return done;
}

void pdf_place_row(struct pdf_flow *f, struct pdf_row *r)
{
	double h = pdf_row_height(r);
	if (f->y + h > f->bottom &&
	    (h <= f->bottom - pdf_fresh_top(f) || f->bottom - f->y < MIN_SPLIT))
		pdf_flow_new_page(f);
	while (!row_slice(f, r))
		pdf_flow_new_page(f);
	f->y += r->space_after;
}

void pdf_place_group(struct pdf_flow *f, struct pdf_row *rows, int n)
{
	double h = 0;
	for (int i = 0; i < n; i++)
		h += pdf_row_height(&rows[i]) + (i < n - 1 ? rows[i].space_after : 0);
	if (f->y + h > f->bottom && h <= f->bottom - pdf_fresh_top(f))
		pdf_flow_new_page(f);
	for (int i = 0; i < n; i++)
		pdf_place_row(f, &rows[i]);
}

/* ---- pages ------------------------------------------------------------- */

static double layout_h(PangoLayout *lay)
{
	int w, h;
	pango_layout_get_size(lay, &w, &h);
	return (double)h / PANGO_SCALE;
}

/* The height of the whole of r, placed or not. */
static double row_full_height(const struct pdf_row *r)
{
	double h = 0;
	for (int i = 0; i < r->ncell; i++) {
		const struct pdf_cell *c = &r->cell[i];
		h = fmax(h, c->img ? c->img_h
			 : c->ngeo   ? c->geo[c->ngeo - 1].bottom - c->geo[0].top
				     : 0);
	}
	return h + 2 * r->pad;
}

double pdf_fresh_top(const struct pdf_flow *f)
{
	double y = PDF_MARGIN + layout_h(f->running) + RUNNING_GAP;
	if (f->thead)
		y += row_full_height(f->thead);
	return y;
}

/* s with "{page}" and "{pages}" replaced, newlines as spaces (malloc). */
static char *page_label(const char *fmt, int page, int npages)
{
	struct buf b = BUF_INIT;
	for (const char *p = fmt; *p;) {
		if (strncmp(p, "{page}", 6) == 0) {
			buf_printf(&b, "%d", page);
			p += 6;
		} else if (strncmp(p, "{pages}", 7) == 0) {
			buf_printf(&b, "%d", npages);
			p += 7;
		} else {
			buf_addc(&b, *p == '\n' ? ' ' : *p);
			p++;
		}
	}
	return buf_detach(&b) ?: xstrdup("");
}

static void draw_footer(struct pdf_flow *f)
{
	char *s = page_label(f->d->page_label, f->page, f->npages);
	PangoLayout *lay = pdf_layout(f, s, PDF_CONTENT_W, 7.5,
				      PDF_RIGHT | PDF_ONE_LINE, NULL);
	cairo_set_source_rgb(f->cr, 0.35, 0.35, 0.35);
	cairo_move_to(f->cr, PDF_MARGIN,
		      PDF_PAGE_H - PDF_MARGIN - layout_h(lay));
	pango_cairo_show_layout(f->cr, lay);
	g_object_unref(lay);
	free(s);
}

/* The draft mark across the page, scaled to stay inside the content box
 * whatever the label's length. Drawn as outlines, not text: text
 * extraction, copy and screen readers get the page's text without the
 * mark's letters strewn through it (the header says the draft in text). */
static void draw_watermark(struct pdf_flow *f)
{
	cairo_t *cr = f->cr;
	PangoRectangle ink, log;
	pango_layout_get_extents(f->watermark, &ink, &log);
	/* The box holding both the ink and the logical extents. */
	double x0 = fmin(ink.x, log.x) / PANGO_SCALE;
	double y0 = fmin(ink.y, log.y) / PANGO_SCALE;
	double w = fmax(ink.x + ink.width, log.x + log.width) / PANGO_SCALE - x0;
	double h = fmax(ink.y + ink.height, log.y + log.height) / PANGO_SCALE - y0;
	double ch = PDF_PAGE_H - 2 * PDF_MARGIN;
	double a = atan2(ch, PDF_CONTENT_W);
	double bw = w * cos(a) + h * sin(a), bh = w * sin(a) + h * cos(a);
	double s = fmin(1.0, fmin(0.85 * PDF_CONTENT_W / bw, 0.85 * ch / bh));
	cairo_save(cr);
	cairo_translate(cr, PDF_PAGE_W / 2, PDF_PAGE_H / 2);
	cairo_rotate(cr, -a);
	cairo_scale(cr, s, s);
	cairo_move_to(cr, -w / 2 - x0, -h / 2 - y0);
	cairo_set_source_rgb(cr, 0.86, 0.86, 0.86);
	pango_cairo_layout_path(cr, f->watermark);
	cairo_fill(cr);
	cairo_restore(cr);
}

static void start_page(struct pdf_flow *f)
{
	f->page++;
	f->y = PDF_MARGIN;
	f->bottom = PDF_PAGE_H - PDF_MARGIN - PDF_FOOTER_H;
	if (f->cr && f->watermark)
		draw_watermark(f);
	if (f->page > 1) {
		double h = layout_h(f->running);
		if (f->cr) {
			cairo_set_source_rgb(f->cr, 0.35, 0.35, 0.35);
			cairo_move_to(f->cr, PDF_MARGIN, f->y);
			pango_cairo_show_layout(f->cr, f->running);
			hline(f->cr, PDF_MARGIN, PDF_MARGIN + PDF_CONTENT_W,
			      f->y + h + RUNNING_GAP / 2, 0.5, 0.7);
		}
		f->y += h + RUNNING_GAP;
	}
	f->fresh_y = f->y;
	if (f->thead) {
		struct pdf_row *t = f->thead;
		for (int i = 0; i < t->ncell; i++)
			t->cell[i].next = 0;
		row_slice(f, t);
		f->fresh_y = f->y;
	}
}

void pdf_flow_begin(struct pdf_flow *f)
{
	const struct pdf_clean *d = f->d;
	char *run = xasprintf("%s %s", d->title,
			      d->draft ? d->draft_label : d->number);
	for (char *p = run; *p; p++)
		if (*p == '\n')
			*p = ' ';
	f->running = pdf_layout(f, run, PDF_CONTENT_W, 7.5, PDF_ONE_LINE, NULL);
	free(run);
	if (d->draft && f->cr) {
		char *mark = xstrdup(d->draft_label);
		for (char *p = mark; *p; p++)
			if (*p == '\n')
				*p = ' ';
		f->watermark = pdf_layout(f, mark, -1, 72, PDF_BOLD, NULL);
		pango_layout_set_width(f->watermark, -1);
		free(mark);
	}
	f->page = 0;
	start_page(f);
}

void pdf_flow_new_page(struct pdf_flow *f)
{
	if (f->cr) {
		draw_footer(f);
		cairo_show_page(f->cr);
	}
	start_page(f);
}

void pdf_flow_end(struct pdf_flow *f)
{
	if (f->cr) {
		draw_footer(f);
		cairo_show_page(f->cr);
	}
	g_object_unref(f->running);
	if (f->watermark)
		g_object_unref(f->watermark);
	f->running = f->watermark = NULL;
}
