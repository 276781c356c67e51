/* test_pdf_input.c — finance/pdf*.c: what the PDF renderer is given:
 * limits refused, invalid UTF-8 replaced, PNG and SVG logos, and renders
 * from eight threads at once. Helpers: test_pdf_util.c.
 */
#include "atrium.h"

#include <pthread.h>

#include "admin/image.h"
#include "core/buf.h"
#include "pdf_util.h"
#include "unit.h"

TEST(pdf_limits_are_refused)
{
	struct pdf_line *lines = xcalloc(PDF_MAX_LINES + 1, sizeof *lines);
	for (int i = 0; i <= PDF_MAX_LINES; i++)
		lines[i] = (struct pdf_line){"x", "1", "", "", "", "", "1"};
	struct pdf_doc d = pt_ro_invoice();
	d.lines = lines;
	d.nlines = PDF_MAX_LINES + 1;
	pt_check_refused(&d, "lines", "too_many");
	d.nlines = -1;
	pt_check_refused(&d, "lines", "too_many");

	char *big = xmalloc(PDF_MAX_DESCRIPTION + 2);
	memset(big, 'a', PDF_MAX_DESCRIPTION + 1);
	big[PDF_MAX_DESCRIPTION + 1] = 0;
	lines[0].description = big;
	d.nlines = 1;
	pt_check_refused(&d, "lines[0].description", "too_long");
	/* Characters, not bytes: 10,000 two-byte letters are fine, one
	 * more is not. */
	char *ro = xmalloc(2 * (PDF_MAX_DESCRIPTION + 1) + 1);
	for (int i = 0; i <= PDF_MAX_DESCRIPTION; i++)
		memcpy(ro + 2 * i, "ș", 2);
	ro[2 * (PDF_MAX_DESCRIPTION + 1)] = 0;
	lines[0].description = ro;
	pt_check_refused(&d, "lines[0].description", "too_long");
	ro[2 * PDF_MAX_DESCRIPTION] = 0;
	struct buf out = BUF_INIT;
	struct atr_err err = {0};
	CHECK_EQ_INT(pdf_render(&d, &out, &err), 0);
	buf_free(&out);

	lines[0].description = "x";
	char cell[PDF_MAX_CELL + 2];
	memset(cell, '9', PDF_MAX_CELL + 1);
	cell[PDF_MAX_CELL + 1] = 0;
	lines[0].amount = cell;
	pt_check_refused(&d, "lines[0].amount", "too_long");
	lines[0].amount = "1";

	d.lang = "ro\"; x";
	pt_check_refused(&d, "lang", "invalid");
	d.lang = "ro";
	d.ncustom = PDF_MAX_PAIRS + 1;
	pt_check_refused(&d, "custom", "too_many");
	free(big);
	free(ro);
	free(lines);
}

TEST(pdf_invalid_utf8_is_replaced)
{
	static const struct pdf_line bad_lines[] = {
		{"Servicii \xc3 lipsă \xed\xa0\x80 surogat \xc0\xaf lung "
		 "\xf4\x90\x80\x80 mare",
		 "1\xff", "\x01\x1b[31m", "", "", "", "1,00"}};
	struct pdf_doc d = pt_ro_invoice();
	d.title = "Factur\xc4";
	d.client_name = "Firma \xff\xfe SRL";
	d.lines = bad_lines;
	d.nlines = 1;
	/* "Z" under 30 combining acute accents: at most PDF_MAX_MARKS
	 * remain. */
	struct buf z = BUF_INIT;
	buf_adds(&z, "Zalgo Z");
	for (int i = 0; i < 30; i++)
		buf_adds(&z, "\xcc\x81");
	buf_adds(&z, " end\r\nnext line");
	d.notes = z.p;
	char *path = pt_render(&d);
	char *t = path ? pt_text_of(path, false) : NULL;
	if (t) {
		CHECK_CONTAINS(t, "Firma \xEF\xBF\xBD\xEF\xBF\xBD SRL");
		CHECK_CONTAINS(t, "Factur\xEF\xBF\xBD");
		CHECK_CONTAINS(t, "Servicii \xEF\xBF\xBD lipsă");
		CHECK_CONTAINS(t, "surogat");
		CHECK_CONTAINS(t, "next line");
		const char *zz = strstr(t, "Zalgo Z");
		int marks = 0;
		for (const char *p = zz ? zz + 7 : ""; p[0] == '\xcc' &&
						     p[1] == '\x81'; p += 2)
			marks++;
		CHECK(zz && marks <= PDF_MAX_MARKS);
	}
	free(t);
	pt_discard(path);
	buf_free(&z);
}

TEST(pdf_logo_is_drawn_at_its_width)
{
	struct image png = pt_make_png(300, 100);
	struct pdf_doc d = pt_ro_invoice();
	d.logo = png.data;
	d.logo_len = png.len;
	d.logo_width_px = 150; /* CSS px: 112.5 pt, so 300 px at 192 ppi */
	char *path = pt_render(&d);
	if (path) {
		struct buf out = BUF_INIT;
		char *argv[] = {"pdfimages", "-list", path, NULL};
		CHECK_EQ_INT(pt_capture(argv, &out), 0);
		int page, num, w = 0, h = 0, ppi = 0;
		char type[16] = "";
		const char *l = strstr(buf_str(&out), "\n   1 ");
		CHECK(l && sscanf(l, " %d %d %15s %d %d %*s %*s %*s %*s %*s "
				  "%*s %*s %d", &page, &num, type, &w, &h,
				  &ppi) == 6);
		CHECK_STR(type, "image");
		CHECK_EQ_INT(w, 300);
		CHECK_EQ_INT(h, 100);
		CHECK_EQ_INT(ppi, 192);
		buf_free(&out);
		long outside;
		CHECK_EQ_INT(pt_ink_outside(path, &outside), 1);
		CHECK_EQ_INT(outside, 0);
	}
	pt_discard(path);

	/* A corrupt logo is an error naming the logo, never a crash. */
	png.data[png.len / 2] ^= 0x55;
	png.data[png.len / 2 + 1] ^= 0x55;
	pt_check_refused(&d, "logo", "invalid");
	d.logo_len = 40; /* truncated */
	pt_check_refused(&d, "logo", "invalid");
	d.logo = (const unsigned char *)"GIF89a not a png at all, really";
	d.logo_len = 31;
	pt_check_refused(&d, "logo", "invalid");
	/* A header claiming a huge image is refused before decoding. */
	struct image huge = pt_make_png(4, 4);
	huge.data[16] = huge.data[20] = 0x7f;
	d.logo = huge.data;
	d.logo_len = huge.len;
	pt_check_refused(&d, "logo", "too_large");
	image_free(&huge);
	image_free(&png);
}

TEST(pdf_svg_logo_is_drawn_as_vectors)
{
	struct pdf_doc d = pt_ro_invoice();
	d.logo = (const unsigned char *)pt_svg_logo;
	d.logo_len = pt_svg_logo_len;
	d.logo_type = PDF_LOGO_SVG;
	d.logo_width_px = 150; /* 112.5 x 37.5 pt at the top left */
	char *path = pt_render(&d);
	if (path) {
		/* Vectors: no image in the file. */
		struct buf out = BUF_INIT;
		char *argv[] = {"pdfimages", "-list", path, NULL};
		CHECK_EQ_INT(pt_capture(argv, &out), 0);
		CHECK(!strstr(buf_str(&out), "\n   1 "));
		buf_free(&out);
		/* The dark rectangle fills the logo's box (less the white
		 * circle) and stops at its width. */
		double m = PDF_MARGIN_MM * 72 / 25.4;
		long in = pt_count_pixels(path, 0, 80, m + 40, m + 2, m + 110,
				       m + 35);
		long right = pt_count_pixels(path, 0, 80, m + 116, m, m + 200,
					  m + 36);
		CHECK(in > 300);
		CHECK_EQ_INT(right, 0);
		long outside;
		CHECK_EQ_INT(pt_ink_outside(path, &outside), 1);
		CHECK_EQ_INT(outside, 0);
	}
	pt_discard(path);

	d.logo_len = 40; /* cut in the middle of a tag */
	pt_check_refused(&d, "logo", "invalid");
	static const char nosize[] = "<svg xmlns='http://www.w3.org/2000/svg'/>";
	d.logo = (const unsigned char *)nosize;
	d.logo_len = sizeof nosize - 1;
	pt_check_refused(&d, "logo", "invalid");
	/* A PNG said to be an SVG is not read as one. */
	struct image png = pt_make_png(4, 4);
	d.logo = png.data;
	d.logo_len = png.len;
	pt_check_refused(&d, "logo", "invalid");
	image_free(&png);
}

/* ---- threads ------------------------------------------------------------ */

struct job {
	const struct pdf_doc *doc;
	struct buf out;
	int rc;
};

static void *render_job(void *arg)
{
	struct job *j = arg;
	struct atr_err err = {0};
	j->rc = pdf_render(j->doc, &j->out, &err);
	return NULL;
}

/* Eight renders at once (under ASan in build/san/unit), with SVG and PNG
 * logos: each has its own font map, and the shared fontconfig
 * configuration is only read. */
TEST(pdf_renders_from_eight_threads)
{
	struct pt_many m = pt_many_lines(100);
	struct pdf_doc small = pt_ro_invoice(), large = pt_ro_invoice();
	small.logo = (const unsigned char *)pt_svg_logo; /* librsvg too */
	small.logo_len = pt_svg_logo_len;
	small.logo_type = PDF_LOGO_SVG;
	struct image png = pt_make_png(300, 100);
	large.logo = png.data;
	large.logo_len = png.len;
	large.lines = m.lines;
	large.nlines = m.n;
	large.number = NULL;
	struct job jobs[8];
	pthread_t th[8];
	for (int i = 0; i < 8; i++) {
		jobs[i] = (struct job){i % 2 ? &large : &small, BUF_INIT, -1};
		CHECK_EQ_INT(pthread_create(&th[i], NULL, render_job, &jobs[i]),
			     0);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ_INT(jobs[i].rc, 0);
		char *path = jobs[i].rc == 0 ? pt_save(&jobs[i].out) : NULL;
		char *t = path ? pt_text_of(path, true) : NULL;
		CHECK_CONTAINS(t, "Societatea Ștefănescu și Fiii SRL");
		CHECK_CONTAINS(t, i % 2 ? "Poziția 100" : "FCT-2026-0001");
		free(t);
		pt_discard(path);
		buf_free(&jobs[i].out);
	}
	image_free(&png);
	pt_many_free(&m);
}
