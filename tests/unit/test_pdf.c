/* test_pdf.c — finance/pdf*.c: the PDF renderer's text and layout,
 * checked from outside with poppler's tools (poppler-utils: pdftotext,
 * pdfinfo, pdftoppm, pdfimages), which share no code with Cairo or Pango.
 * A missing tool fails the test saying so; `make deps-test` installs
 * them. Input limits, logos and threads: test_pdf_input.c; the helpers:
 * test_pdf_util.c.
 */
#include "atrium.h"

#include "core/buf.h"
#include "pdf_util.h"
#include "unit.h"

TEST(pdf_romanian_invoice_text)
{
	struct pdf_doc d = pt_ro_invoice();
	char *path = pt_render(&d);
	if (!path)
		return;
	char *t = pt_text_of(path, true);
	if (t) {
		CHECK_CONTAINS(t, "Factură");
		CHECK_CONTAINS(t, "FCT-2026-0001");
		CHECK_CONTAINS(t, "Societatea Ștefănescu și Fiii SRL");
		CHECK_CONTAINS(t, "Str. Știrbei Vodă 12");
		CHECK_CONTAINS(t, "Consultanță tehnică — analiză și arhitectură");
		CHECK_CONTAINS(t, "Consultanță tehnică: instruire echipă");
		CHECK_CONTAINS(t, "clientului, Țăndărei)");
		CHECK_CONTAINS(t, "Scadență: 02.04.2026");
		CHECK_CONTAINS(t, "TVA 19% din 4.500,00");
		CHECK_CONTAINS(t, "5.355,00 lei");
		CHECK_CONTAINS(t, "Nr. comandă client");
		CHECK_CONTAINS(t, "PO-7781");
		CHECK_CONTAINS(t, "RO49 AAAA 1B31 0075 9384 0000");
		CHECK_CONTAINS(t, "Taxare inversă conform art. 331");
		CHECK_CONTAINS(t, "Pagina 1 din 1");
		/* The comma-below letters, not the cedilla look-alikes. */
		CHECK(!strstr(t, "ş") && !strstr(t, "ţ"));
		CHECK(!strstr(t, "CIORNĂ"));
	}
	free(t);
	char *title = pt_info_of(path, "Title");
	CHECK_STR(title, "Factură FCT-2026-0001");
	free(title);
	char *creator = pt_info_of(path, "Creator");
	CHECK_STR(creator, "Atrium");
	free(creator);
	char *author = pt_info_of(path, "Author");
	CHECK_STR(author, "Atrium Demo SRL");
	free(author);
	char *size = pt_info_of(path, "Page size");
	CHECK_CONTAINS(size, "(A4)");
	free(size);
	CHECK_EQ_INT(pt_pages_of(path), 1);
	pt_discard(path);
}

TEST(pdf_hundred_lines_paginate_inside_the_margins)
{
	struct pt_many m = pt_many_lines(100);
	struct pdf_doc d = pt_ro_invoice();
	d.lines = m.lines;
	d.nlines = m.n;
	char *path = pt_render(&d);
	if (!path)
		goto out;
	int pages = pt_pages_of(path);
	CHECK(pages > 1);
	char *t = pt_text_of(path, true);
	if (t) {
		/* Every line, in order. */
		const char *at = t;
		for (int i = 0; i < 100; i++) {
			char want[32];
			snprintf(want, sizeof want, "Poziția %03d", i + 1);
			const char *hit = strstr(at, want);
			if (!hit) {
				FAILF("'%s' missing or out of order", want);
				break;
			}
			at = hit + strlen(want);
		}
		pt_check_page_labels(t, pages);
		CHECK_CONTAINS(t, "5.355,00 lei");
		CHECK_CONTAINS(t, "Taxare inversă conform art. 331");
	}
	free(t);
	/* The unbreakable word is all there, broken over lines: in reading
	 * order with the line breaks (and spaces) taken out. */
	char *raw = pt_text_of(path, false);
	if (raw) {
		char *p = raw, *q = raw;
		for (; *p; p++)
			if (*p != '\n' && *p != ' ')
				*q++ = *p;
		*q = 0;
		char *word = pt_long_word();
		char *want = xasprintf("Consultanță%ssfârșit", word);
		CHECK_CONTAINS(raw, want);
		free(want);
		free(word);
	}
	free(raw);
	long outside;
	CHECK_EQ_INT(pt_ink_outside(path, &outside), pages);
	CHECK_EQ_INT(outside, 0);
	pt_discard(path);
out:
	pt_many_free(&m);
}

/* Every text at its longest, unbreakable where it can be: whatever the
 * content, nothing is drawn in the margins. */
TEST(pdf_long_texts_stay_inside_the_margins)
{
	size_t n = 2000;
	char *addr = xmalloc(n + 1), *text = xmalloc(PDF_MAX_TEXT + 1);
	char *notes = xmalloc(PDF_MAX_LONG_TEXT + 1);
	for (size_t i = 0; i < n; i++)
		addr[i] = i % 2 ? 'W' : 'M';
	addr[n] = 0;
	for (size_t i = 0; i < PDF_MAX_TEXT; i++)
		text[i] = 'W';
	text[PDF_MAX_TEXT] = 0;
	for (size_t i = 0; i < PDF_MAX_LONG_TEXT; i++)
		notes[i] = i % 50 == 49 ? '\n' : 'W';
	notes[PDF_MAX_LONG_TEXT] = 0;
	char cell[PDF_MAX_CELL + 1];
	memset(cell, '8', PDF_MAX_CELL);
	cell[PDF_MAX_CELL] = 0;
	struct pdf_pair pairs[3] = {{text, text}, {"", text}, {text, ""}};
	struct pdf_line lines[2] = {{notes, cell, cell, cell, cell, cell, cell},
				    {"x", "1", "", "", "", "", "1"}};
	struct pdf_doc d = pt_ro_invoice();
	d.title = text;
	d.number = text;
	d.company_name = text;
	d.company_address = addr;
	d.company_extra = pairs;
	d.ncompany_extra = 3;
	d.client_name = text;
	d.client_address = addr;
	d.meta = pairs;
	d.nmeta = 3;
	d.col_labels[PDF_COL_UNIT_PRICE] = text;
	d.lines = lines;
	d.nlines = 2;
	d.tax_title = text;
	d.tax_summary = pairs;
	d.ntax = 3;
	d.totals = pairs;
	d.ntotals = 3;
	d.custom_title = text;
	d.custom = pairs;
	d.ncustom = 3;
	d.payment_modes = notes;
	d.notes = notes;
	char *label = xasprintf("Pagina {page} din {pages} %.900s", text);
	d.page_label = label;
	char *path = pt_render(&d);
	if (path) {
		int pages = pt_pages_of(path);
		CHECK(pages > 3);
		long outside;
		CHECK_EQ_INT(pt_ink_outside(path, &outside), pages);
		CHECK_EQ_INT(outside, 0);
		char *t = pt_text_of(path, true);
		if (t)
			pt_check_page_labels(t, pages);
		free(t);
	}
	pt_discard(path);
	free(label);
	free(addr);
	free(text);
	free(notes);
}

/* A description taller than a page continues on the next pages: every
 * word once, in order, nothing lost or repeated at the page breaks. */
TEST(pdf_row_taller_than_a_page_continues)
{
	struct buf desc = BUF_INIT;
	int words = 0;
	while (desc.len + 7 <= PDF_MAX_DESCRIPTION)
		buf_printf(&desc, "w%04d ", ++words);
	struct pdf_line line = {desc.p, "1", "h", "1,00", "", "", "1,00"};
	struct pdf_doc d = pt_ro_invoice();
	d.lines = &line;
	d.nlines = 1;
	char *path = pt_render(&d);
	char *t = path ? pt_text_of(path, false) : NULL;
	if (t) {
		CHECK(pt_pages_of(path) > 1);
		const char *at = t;
		for (int i = 1; i <= words; i++) {
			char w[8];
			snprintf(w, sizeof w, "w%04d", i);
			const char *hit = strstr(at, w);
			if (!hit) {
				FAILF("'%s' missing or out of order", w);
				break;
			}
			at = hit + 5;
		}
		CHECK(!strstr(at, "w0001"));
		/* Each word once: the last one's end is the first's only
		 * occurrence after it, checked above; and none twice. */
		const char *first = strstr(t, "w0001");
		CHECK(first && !strstr(first + 5, "w0001 "));
		long outside;
		CHECK_EQ_INT(pt_ink_outside(path, &outside), pt_pages_of(path));
		CHECK_EQ_INT(outside, 0);
	}
	free(t);
	pt_discard(path);
	buf_free(&desc);
}

TEST(pdf_draft_shows_the_draft_mark)
{
	struct pdf_doc d = pt_ro_invoice();
	char *final = pt_render(&d);
	d.number = NULL;
	char *draft = pt_render(&d);
	if (!final || !draft)
		goto out;
	char *t = pt_text_of(draft, true);
	CHECK_CONTAINS(t, "CIORNĂ");
	CHECK(t && !strstr(t, "FCT-2026-0001"));
	free(t);
	char *title = pt_info_of(draft, "Title");
	CHECK_STR(title, "Factură CIORNĂ");
	free(title);
	/* The mark across the page: far more light grey than the final
	 * document has. */
	long a = pt_light_pixels(final), b = pt_light_pixels(draft);
	if (!CHECK(b > a + 2000))
		printf("  light pixels: final %ld, draft %ld\n", a, b);
	/* An empty number is a draft too, and the default mark is
	 * "DRAFT". */
	d.number = "";
	d.draft_label = NULL;
	char *p = pt_render(&d);
	t = p ? pt_text_of(p, true) : NULL;
	CHECK_CONTAINS(t, "DRAFT");
	free(t);
	pt_discard(p);
out:
	pt_discard(final);
	pt_discard(draft);
}

TEST(pdf_without_lines_renders)
{
	struct pdf_doc d = pt_ro_invoice();
	d.lines = NULL;
	d.nlines = 0;
	char *path = pt_render(&d);
	char *t = path ? pt_text_of(path, true) : NULL;
	CHECK_CONTAINS(t, "Descriere");
	CHECK_CONTAINS(t, "Total de plată");
	CHECK_CONTAINS(t, "Pagina 1 din 1");
	free(t);
	if (path)
		CHECK_EQ_INT(pt_pages_of(path), 1);
	pt_discard(path);

	/* Nothing but a title: every section is optional. */
	struct pdf_doc bare = {.title = "Contract"};
	path = pt_render(&bare);
	t = path ? pt_text_of(path, false) : NULL;
	CHECK_CONTAINS(t, "Contract");
	CHECK_CONTAINS(t, "DRAFT");
	CHECK_CONTAINS(t, "1 / 1");
	free(t);
	pt_discard(path);
}
