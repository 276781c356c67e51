/* pdf_util.h — helpers of the PDF renderer's tests (test_pdf_util.c).
 *
 * poppler's tools run with posix_spawnp, never a shell; a tool that cannot
 * run fails the current test naming the Debian package. Paths and strings
 * returned are malloc'd and the caller frees them.
 */
#ifndef ATR_TEST_PDF_UTIL_H
#define ATR_TEST_PDF_UTIL_H

#include "atrium.h"

#include "admin/image.h"
#include "core/buf.h"
#include "finance/pdf.h"

/* Runs argv (PATH lookup) with its stdout appended to out; the exit
 * status, or -1 when it could not run (a failed check). */
int pt_capture(char *const argv[], struct buf *out);
/* Writes the PDF to a fresh file (mkstemp): its path, or NULL. */
char *pt_save(const struct buf *pdf);
/* pdftotext's UTF-8 text of path, -layout or -raw; NULL on failure. */
char *pt_text_of(const char *path, bool layout);
/* The value of "key:" in pdfinfo's output, or NULL. */
char *pt_info_of(const char *path, const char *key);
/* pdfinfo's page count, -1 on failure. */
int pt_pages_of(const char *path);
/* Renders d into a file: its path, or NULL with a failed check. */
char *pt_render(const struct pdf_doc *d);
/* Unlinks and frees path (NULL is fine). */
void pt_discard(char *path);

/* The Romanian invoice the tests start from (static data). */
struct pdf_doc pt_ro_invoice(void);

/* Renders every page of path at 50 dpi in grey and counts in *outside the
 * inked pixels outside the content box (PDF_MARGIN_MM each side, a pixel
 * of slack); the number of pages read, -1 on error. */
int pt_ink_outside(const char *path, long *outside);
/* Page i of text (form feeds part pages) says "Pagina i din n", for
 * every page, and there are n. */
void pt_check_page_labels(const char *text, int n);
/* Page 1 of path at 50 dpi in grey: w*h bytes, or NULL. */
unsigned char *pt_page_pixels(const char *path, int *w, int *h);
/* Pixels of page 1 with grey level lo..hi inside x0..x1, y0..y1 (points). */
long pt_count_pixels(const char *path, int lo, int hi, double x0, double y0,
		  double x1, double y1);
/* Light grey pixels (the draft mark's tone) on page 1. */
long pt_light_pixels(const char *path);

/* 300 characters with no break opportunity. */
char *pt_long_word(void);
/* n lines: every 7th with a long two-paragraph description, every 10th
 * with pt_long_word(); "Poziția NNN" starts each. */
struct pt_many {
	struct pdf_line *lines;
	char **desc;
	int n;
};
struct pt_many pt_many_lines(int n);
void pt_many_free(struct pt_many *m);

/* pdf_render(d) fails with ATR_E_INVALID, a field error field/code, and
 * leaves its output buffer as it was. */
void pt_check_refused(const struct pdf_doc *d, const char *field,
		   const char *code);
/* A w×h RGBA PNG made by libpng (admin/image.h); image_free it. */
struct image pt_make_png(int w, int h);
/* A 300×100 SVG logo: a dark rectangle with a white circle. */
extern const char pt_svg_logo[];
extern const size_t pt_svg_logo_len;

#endif
