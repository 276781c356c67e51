/* pdf.h — finance documents (invoices, proposals, credit notes, contracts)
 * as A4 PDFs, laid out with Pango and drawn by Cairo.
 *
 * The renderer does layout only. The caller fills a struct pdf_doc with
 * every string already translated and formatted in the organisation's
 * language and number, date and currency formats ("1.234,50 lei",
 * "31.03.2026", "TVA 19%"); nothing here formats a number or a date or
 * knows what a document means.
 *
 * Ownership: every pointer in struct pdf_doc is borrowed for the call and
 * read only; pdf_render keeps nothing after it returns. NULL strings and
 * zero counts mean "nothing to show". On success the PDF is appended to
 * out (the caller owns out and frees it with buf_free); on failure out is
 * left as it was.
 *
 * Text: any UTF-8. Invalid sequences are shown as U+FFFD, control
 * characters (but newlines) as spaces, CR LF as a newline, and a run of
 * more than PDF_MAX_MARKS combining marks is cut to that many (so "zalgo"
 * text cannot pile ink above its line). Every text wraps within its box
 * at word boundaries, and a word wider than the box (a 300-character
 * reference) is broken between characters: text is never ellipsized or
 * cut, except the running header and the page footer, which are one line
 * each and end with "…" when too long. One font, DejaVu Sans (Debian's
 * fonts-dejavu-core), loaded from its files into a private fontconfig
 * configuration: output does not depend on the other fonts installed, and
 * a character DejaVu Sans lacks shows as a box, never as another font.
 *
 * Layout (docs/internals/pdf.md): A4, PDF_MARGIN_MM on every side, and
 * nothing is ever drawn outside that box. Page 1: logo, title, number (a
 * draft: the draft mark) and meta pairs; the company and the client side
 * by side; then the line table, its header repeated on every page it
 * spans; after it the tax summary, the totals (the last row bold), the
 * custom fields, the payment modes and the notes, each section moved to
 * the next page whole when it does not fit and would fit on one page.
 * Every page ends with the page label ("Pagina 2 din 3"); pages after the
 * first start with the title and number. A table row or text taller than
 * a page continues on the next page.
 *
 * Thread safety: pdf_render may be called from any number of threads at
 * once. Each call has its own Pango font map and context; the fontconfig
 * configuration holding the font is built once and shared read only.
 */
#ifndef ATR_PDF_H
#define ATR_PDF_H

#include "atrium.h"

#include "core/buf.h"

/* Limits: a document past any of them is refused (ATR_E_INVALID naming
 * the field) before any layout, so the work and memory of one call are
 * bounded. Lengths are in characters (code points). */
#define PDF_MAX_LINES 500
#define PDF_MAX_DESCRIPTION 10000 /* a line's description */
#define PDF_MAX_LONG_TEXT 10000   /* notes, payment_modes */
#define PDF_MAX_ADDRESS 2000      /* company_address, client_address */
#define PDF_MAX_CELL 200          /* a line's other cells */
#define PDF_MAX_TEXT 1000         /* any other string */
#define PDF_MAX_PAIRS 50          /* each list of pairs */
#define PDF_MAX_LOGO_SIDE 2000    /* logo pixels, either side */
#define PDF_MAX_LOGO_BYTES (4 * 1024 * 1024) /* either format */
#define PDF_MAX_MARKS 4           /* combining marks in a row */

/* The page: A4 portrait, this margin on every side. */
#define PDF_MARGIN_MM 15
/* The logo's height on the page at most, in points (about 34 mm); a
 * taller logo is scaled down, keeping its proportions. */
#define PDF_LOGO_MAX_HEIGHT_PT 96.0

/* A label and its value: "Cod fiscal" "RO123456". label may be NULL or
 * "" (then the value alone is shown). */
struct pdf_pair {
	const char *label, *value;
};

/* One row of the line table. description may span several lines (\n)
 * and is wrapped within its column; the other cells are right-aligned
 * (shown as given: "2,5", "buc.", "1.000,00", "-10%", "TVA 19%"). */
struct pdf_line {
	const char *description;
	const char *quantity, *unit, *unit_price, *discount, *taxes, *amount;
};

enum pdf_logo_type { PDF_LOGO_PNG = 0, PDF_LOGO_SVG };

/* The columns of the line table, in order, for col_labels. */
enum pdf_col {
	PDF_COL_DESCRIPTION,
	PDF_COL_QUANTITY,
	PDF_COL_UNIT,
	PDF_COL_UNIT_PRICE,
	PDF_COL_DISCOUNT,
	PDF_COL_TAXES,
	PDF_COL_AMOUNT,
	PDF_NCOLS
};

struct pdf_doc {
	/* "Factură", "Invoice", "Credit note", "Proposal", "Contract". */
	const char *title;
	/* "FCT-2026-0001"; NULL or "" for a draft, which then shows
	 * draft_label after the title and across every page. */
	const char *number;
	const char *draft_label; /* "CIORNĂ"; NULL: "DRAFT" */

	/* The logo's bytes (NULL: none), a PNG or an SVG (as branding
	 * stores them), shown logo_width_px CSS pixels wide (96 per inch:
	 * 150 px is 112.5 pt, about 40 mm; the branding setting
	 * pdf_logo_width), at most 45% of the content width and
	 * PDF_LOGO_MAX_HEIGHT_PT high, keeping its proportions.
	 * logo_width_px <= 0: the image's own width (an SVG's width, or its
	 * viewBox's). An SVG is drawn as vectors by librsvg, from memory
	 * with no base file, so it can load nothing else. A logo that cannot
	 * be read, or a PNG larger than PDF_MAX_LOGO_SIDE, makes the call
	 * fail (ATR_E_INVALID, field "logo"); the caller may render again
	 * without it. */
	const unsigned char *logo;
	size_t logo_len;
	enum pdf_logo_type logo_type;
	int logo_width_px;

	const char *company_name;
	const char *company_address;    /* multi-line */
	const struct pdf_pair *company_extra; /* VAT no., registration no. */
	int ncompany_extra;

	const char *client_label;       /* "Client", "Bill to"; may be NULL */
	const char *client_name;
	const char *client_address;     /* multi-line */
	const struct pdf_pair *client_extra;
	int nclient_extra;

	/* Under the title: issue date, due date, currency, reference. */
	const struct pdf_pair *meta;
	int nmeta;

	/* The table's header labels, translated. A NULL label (but the
	 * description's) leaves that column out and gives its width to the
	 * description. */
	const char *col_labels[PDF_NCOLS];
	const struct pdf_line *lines;
	int nlines; /* 0..PDF_MAX_LINES */

	/* Each section below is left out when it has nothing; its title
	 * (may be NULL) is printed above it. */
	const char *tax_title;                /* "Tax summary" */
	const struct pdf_pair *tax_summary;   /* {"TVA 19% din 1.000,00", "190,00"} */
	int ntax;
	const struct pdf_pair *totals;        /* the last one is bold */
	int ntotals;
	const char *custom_title;
	const struct pdf_pair *custom;        /* custom fields with show_on_pdf */
	int ncustom;
	const char *payment_title;            /* "Payment modes" */
	const char *payment_modes;            /* multi-line */
	const char *notes_title;
	const char *notes;                    /* legal mentions, terms; multi-line */

	/* The footer of every page: "{page}" and "{pages}" are replaced by
	 * the page number and the page count ("Pagina {page} din {pages}");
	 * NULL: "{page} / {pages}". */
	const char *page_label;
	/* The text's language, a BCP 47 tag ("ro", "en-GB"): Pango shapes
	 * and breaks lines for it. NULL: "en". Cairo (1.16) cannot write the
	 * PDF's /Lang entry, so the file itself does not carry it. */
	const char *lang;
};

/* Renders d as an A4 PDF and appends it to out. The PDF's metadata: title
 * "<title> <number>" (or the draft label), author company_name, creator
 * "Atrium". 0, or -1 with err: ATR_E_INVALID with a field error per
 * refused field (over a limit, an unreadable logo, a malformed lang),
 * ATR_E_INTERNAL when the font is missing, Cairo fails or (a bug) a row
 * would run past the bottom of a page. */
int pdf_render(const struct pdf_doc *d, struct buf *out, struct atr_err *err);

#endif
