/* pdf_int.h — the PDF renderer's parts, shared by pdf.c (the document:
 * input checks, fonts, the logo, the sections) and pdf_flow.c (the flow
 * engine: rows of cells placed on pages).
 *
 * The layout model. The content box is the page less PDF_MARGIN_MM on
 * every side; the page footer sits at its bottom and, from page 2 on, a
 * running header at its top. Everything else is a flow of rows placed
 * top to bottom. A row is a few cells side by side, each a Pango layout
 * wrapped to the cell's width or an image; its height is its tallest
 * cell's plus padding. A row that does not fit the rest of the page goes
 * to the next page; one taller than a whole page is split between lines
 * of its cells' layouts (each cell keeps its own position), so nothing
 * ever runs past the bottom. Rows can be grouped: a group that does not
 * fit but would fit on a fresh page moves there whole. While the line
 * table is being placed, every new page repeats its header row.
 *
 * The whole flow runs twice with the same code: first with no cairo
 * context, only to count the pages, then drawing, so "page X of Y" is
 * right and the two runs cannot break pages differently.
 */
#ifndef ATR_PDF_INT_H
#define ATR_PDF_INT_H

#include "atrium.h"

#include <cairo.h>
#include <pango/pangocairo.h>

/* A4 in points, and the content box. */
#define PDF_PAGE_W 595.2756
#define PDF_PAGE_H 841.8898
#define PDF_MARGIN (PDF_MARGIN_MM * 72.0 / 25.4)
#define PDF_CONTENT_W (PDF_PAGE_W - 2 * PDF_MARGIN)
#define PDF_FOOTER_H 16.0

/* The document's text after the checks: valid UTF-8 copies (malloc). */
struct pdf_cpair {
	char *label, *value;
};
struct pdf_cline {
	char *cell[7]; /* by enum pdf_col */
};
struct pdf_clean {
	char *title, *number, *draft_label;
	char *company_name, *company_address;
	struct pdf_cpair *company_extra;
	int ncompany_extra;
	char *client_label, *client_name, *client_address;
	struct pdf_cpair *client_extra;
	int nclient_extra;
	struct pdf_cpair *meta;
	int nmeta;
	char *col_labels[7];
	struct pdf_cline *lines;
	int nlines;
	char *tax_title;
	struct pdf_cpair *tax;
	int ntax;
	struct pdf_cpair *totals;
	int ntotals;
	char *custom_title;
	struct pdf_cpair *custom;
	int ncustom;
	char *payment_title, *payment_modes, *notes_title, *notes;
	char *page_label;
	char *lang;
	bool draft;
	/* The logo (owned): an image surface (PNG) or a recording surface
	 * (SVG, vectors); its size on the page in points and its own size
	 * in its surface's units. */
	cairo_surface_t *logo;
	double logo_w, logo_h, logo_sw, logo_sh;
};

/* A line of a cell's layout, in the layout's coordinates (points). */
struct pdf_lgeo {
	PangoLayoutLine *line; /* owned by the layout */
	double top, bottom, baseline, x;
};

/* Cell text styles. */
enum {
	PDF_BOLD = 1,
	PDF_RIGHT = 2,
	PDF_CENTER = 4,
	PDF_GREY = 8,      /* secondary text: labels, the footer */
	PDF_ONE_LINE = 16, /* one line, ellipsized (page chrome only) */
};

struct pdf_cell {
	double x, w; /* from the content box's left edge */
	double grey; /* text colour */
	PangoLayout *lay; /* or: */
	cairo_surface_t *img; /* borrowed */
	double img_w, img_h;   /* on the page */
	double img_sw, img_sh; /* in the surface's units */
	struct pdf_lgeo *geo; /* lines of lay (malloc) */
	int ngeo;
	int next; /* first line not drawn yet; for an image 1 once drawn */
};

#define PDF_ROW_CELLS 8

/* Row decorations. */
enum {
	PDF_ROW_FILL = 1,       /* grey background (the table header) */
	PDF_ROW_RULE_BELOW = 2, /* a thin rule under the row, full width */
	PDF_ROW_RULE_ABOVE = 4, /* a rule over the row from its 2nd cell */
};

struct pdf_row {
	struct pdf_cell cell[PDF_ROW_CELLS];
	int ncell;
	double pad;         /* inside the row, above and below its cells */
	double space_after; /* below the row, outside it */
	unsigned style;
};

struct pdf_flow {
	PangoContext *ctx;
	cairo_t *cr; /* NULL while counting pages */
	const struct pdf_clean *d;
	int page, npages;
	double y;       /* the next row's top, page coordinates */
	double bottom;  /* the lowest a row may reach */
	double fresh_y; /* where rows start on this page */
	struct pdf_row *thead; /* repeated on new pages, or NULL */
	PangoLayout *running;  /* the running header's text (pages 2+) */
	PangoLayout *watermark; /* the draft mark, or NULL */
	int overflow; /* the first page where a row ran past bottom, or 0 */
};

/* pdf_input.c */

/* Checks d and fills c with clean copies (pdf.h, "Text") and the decoded
 * logo. 0, or -1 with every refused field in err (c is then empty). */
int pdf_prepare(const struct pdf_doc *d, struct pdf_clean *c,
		struct atr_err *err);
/* Frees what pdf_prepare filled. */
void pdf_clean_free(struct pdf_clean *c);

/* pdf_flow.c */

/* A layout of text (already clean) w points wide, in the document's one
 * font at size points, styled by flags; attrs (may be NULL) is added and
 * stays the caller's. The caller unrefs it with g_object_unref. */
PangoLayout *pdf_layout(struct pdf_flow *f, const char *text, double w,
			double size, unsigned flags, PangoAttrList *attrs);

/* Adds a text cell at x, w wide to r (the text is padded by pad_x on each
 * side), or an image cell: img (sw x sh in its units) scaled to img_w x
 * img_h points. */
void pdf_cell_text(struct pdf_flow *f, struct pdf_row *r, double x, double w,
		   double pad_x, const char *text, double size, unsigned flags,
		   PangoAttrList *attrs);
void pdf_cell_image(struct pdf_row *r, double x, cairo_surface_t *img,
		    double img_w, double img_h, double sw, double sh);
/* Frees a row's layouts (not the row itself). */
void pdf_row_free(struct pdf_row *r);
/* The height of what is left of r to place. */
double pdf_row_height(const struct pdf_row *r);

/* Starts the flow on page 1; pdf_flow_end closes the last page. */
void pdf_flow_begin(struct pdf_flow *f);
void pdf_flow_end(struct pdf_flow *f);
/* Ends the page and starts the next (chrome, the table header). */
void pdf_flow_new_page(struct pdf_flow *f);
/* Places one row, splitting it over pages when it is taller than one. */
void pdf_place_row(struct pdf_flow *f, struct pdf_row *r);
/* Places rows[0..n) together on one page when they fit on one. */
void pdf_place_group(struct pdf_flow *f, struct pdf_row *rows, int n);
/* The top of a fresh page's rows after page 1 (chrome and table header). */
double pdf_fresh_top(const struct pdf_flow *f);

#endif
