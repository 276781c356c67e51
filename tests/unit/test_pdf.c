/* test_pdf.c — finance/pdf.c: the PDF renderer, checked from outside with
 * poppler's tools (poppler-utils: pdftotext, pdfinfo, pdftoppm, pdfimages),
 * which share no code with Cairo or Pango. A missing tool fails the test
 * saying so; `make deps-test` installs them.
 */
#include "atrium.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/image.h"
#include "core/buf.h"
#include "finance/pdf.h"
#include "unit.h"

extern char **environ;

/* ---- helpers ---------------------------------------------------------------- */

/* Runs argv (PATH lookup) with its stdout into out; returns the exit
 * status, -1 when it could not run. The child's stderr is the test's. */
static int capture(char *const argv[], struct buf *out)
{
	int fd[2];
	if (pipe(fd) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (rc != 0) {
		close(fd[0]);
		FAILF("cannot run %s: %s (Debian package poppler-utils; "
		      "make deps-test installs it)",
		      argv[0], strerror(rc));
		return -1;
	}
	char chunk[65536];
	ssize_t n;
	while ((n = read(fd[0], chunk, sizeof chunk)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			buf_add(out, chunk, (size_t)n);
	close(fd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Writes the PDF to a fresh file (mkstemp); the caller unlinks and frees
 * the path. */
static char *save(const struct buf *pdf)
{
	char *path = xstrdup("/tmp/atrium-pdf-XXXXXX");
	int fd = mkstemp(path);
	if (!CHECK(fd >= 0)) {
		free(path);
		return NULL;
	}
	CHECK(write(fd, pdf->p, pdf->len) == (ssize_t)pdf->len);
	close(fd);
	return path;
}

/* pdftotext's text of path (with -layout when layout), malloc'd; NULL and
 * a failed check when it fails. */
static char *text_of(const char *path, bool layout)
{
	struct buf out = BUF_INIT;
	char *argv[] = {"pdftotext", "-enc", "UTF-8",
			layout ? "-layout" : "-raw", (char *)path, "-", NULL};
	int rc = capture(argv, &out);
	if (!CHECK_EQ_INT(rc, 0)) {
		buf_free(&out);
		return NULL;
	}
	return out.p ? buf_detach(&out) : xstrdup("");
}

/* The value of "Key:" in pdfinfo's output, malloc'd, or NULL. */
static char *info_of(const char *path, const char *key)
{
	struct buf out = BUF_INIT;
	char *argv[] = {"pdfinfo", (char *)path, NULL};
	if (!CHECK_EQ_INT(capture(argv, &out), 0)) {
		buf_free(&out);
		return NULL;
	}
	char *res = NULL;
	size_t kl = strlen(key);
	for (char *line = out.p; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			const char *v = line + kl + 1;
			while (*v == ' ')
				v++;
			res = xstrdup(v);
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	buf_free(&out);
	return res;
}

static int pages_of(const char *path)
{
	char *v = info_of(path, "Pages");
	int n = v ? (int)strtol(v, NULL, 10) : -1;
	free(v);
	return n;
}

/* Renders d; the PDF's path (the caller unlinks and frees it) or NULL
 * with a failed check. */
static char *render(const struct pdf_doc *d)
{
	struct buf pdf = BUF_INIT;
	struct atr_err err = {0};
	int rc = pdf_render(d, &pdf, &err);
	if (!CHECK_EQ_INT(rc, 0)) {
		printf("  pdf_render: %s\n", err.msg);
		buf_free(&pdf);
		return NULL;
	}
	CHECK(pdf.len > 1000 && memcmp(pdf.p, "%PDF-", 5) == 0);
	char *path = save(&pdf);
	buf_free(&pdf);
	return path;
}

static void discard(char *path)
{
	if (path)
		unlink(path);
	free(path);
}

/* ---- documents ---------------------------------------------------------------- */

static const struct pdf_pair company_extra[] = {
	{"Cod fiscal", "RO 123 456"}, {"Nr. Reg. Com.", "J40/1234/2020"}};
static const struct pdf_pair client_extra[] = {{"CUI", "RO 987 654"}};
static const struct pdf_pair meta[] = {{"Data emiterii", "03.03.2026"},
				       {"Scadență", "02.04.2026"},
				       {"Monedă", "RON"}};
static const struct pdf_pair tax[] = {{"TVA 19% din 4.500,00", "855,00"}};
static const struct pdf_pair totals[] = {{"Subtotal", "4.500,00"},
					 {"TVA", "855,00"},
					 {"Total de plată", "5.355,00 lei"}};
static const struct pdf_pair custom[] = {{"Nr. comandă client", "PO-7781"},
					 {"Proiect", "Migrare ERP"}};

static const struct pdf_line ro_lines[] = {
	{"Consultanță tehnică — analiză și arhitectură", "10", "ore",
	 "250,00", "", "TVA 19%", "2.500,00"},
	{"Consultanță tehnică: instruire echipă\n(două sesiuni la sediul "
	 "clientului, Țăndărei)",
	 "8", "ore", "250,00", "-0%", "TVA 19%", "2.000,00"},
};

/* An invoice in Romanian, like the finance module will fill it. */
static struct pdf_doc ro_invoice(void)
{
	return (struct pdf_doc){
		.title = "Factură",
		.number = "FCT-2026-0001",
		.draft_label = "CIORNĂ",
		.company_name = "Atrium Demo SRL",
		.company_address = "Str. Știrbei Vodă 12\n010102 București\nRomânia",
		.company_extra = company_extra,
		.ncompany_extra = 2,
		.client_label = "Client",
		.client_name = "Societatea Ștefănescu și Fiii SRL",
		.client_address = "Bd. Ion Mihalache 15, Brașov",
		.client_extra = client_extra,
		.nclient_extra = 1,
		.meta = meta,
		.nmeta = 3,
		.col_labels = {"Descriere", "Cant.", "UM", "Preț unitar",
			       "Reducere", "Taxe", "Valoare"},
		.lines = ro_lines,
		.nlines = 2,
		.tax_title = "Sumar taxe",
		.tax_summary = tax,
		.ntax = 1,
		.totals = totals,
		.ntotals = 3,
		.custom_title = "Alte informații",
		.custom = custom,
		.ncustom = 2,
		.payment_title = "Modalități de plată",
		.payment_modes = "Transfer bancar: RO49 AAAA 1B31 0075 9384 0000\n"
				 "Numerar la sediu",
		.notes_title = "Mențiuni",
		.notes = "Taxare inversă conform art. 331 Cod fiscal.",
		.page_label = "Pagina {page} din {pages}",
		.lang = "ro",
	};
}

TEST(pdf_romanian_invoice_text)
{
	struct pdf_doc d = ro_invoice();
	char *path = render(&d);
	if (!path)
		return;
	char *t = text_of(path, true);
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
	char *title = info_of(path, "Title");
	CHECK_STR(title, "Factură FCT-2026-0001");
	free(title);
	char *creator = info_of(path, "Creator");
	CHECK_STR(creator, "Atrium");
	free(creator);
	char *author = info_of(path, "Author");
	CHECK_STR(author, "Atrium Demo SRL");
	free(author);
	char *size = info_of(path, "Page size");
	CHECK_CONTAINS(size, "(A4)");
	free(size);
	CHECK_EQ_INT(pages_of(path), 1);
	discard(path);
}

/* ---- the page check ---------------------------------------------------------- */

/* Renders every page of path in grey at 50 dpi (pdftoppm) and counts the
 * inked pixels (darker than near-white) outside the content box, the page
 * less PDF_MARGIN_MM on each side, with a pixel of slack for
 * antialiasing. Returns the number of pages read (-1 on error); *outside
 * gets the count, and the first offender is printed. */
static int ink_outside(const char *path, long *outside)
{
	*outside = 0;
	char *dir = unit_tmpdir();
	if (!dir)
		return -1;
	char *prefix = xasprintf("%s/p", dir);
	char *argv[] = {"pdftoppm", "-r", "50", "-gray", (char *)path, prefix,
			NULL};
	struct buf out = BUF_INIT;
	int pages = -1;
	if (!CHECK_EQ_INT(capture(argv, &out), 0))
		goto out;
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	pages = 0;
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] == '.') {
			free(ents[i]);
			continue;
		}
		char *file = xasprintf("%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		FILE *fp = fopen(file, "rb");
		int w = 0, h = 0, max = 0;
		if (!CHECK(fp && fscanf(fp, "P5 %d %d %d", &w, &h, &max) == 3 &&
			   fgetc(fp) != EOF && max == 255 && w > 300 && h > 500)) {
			if (fp)
				fclose(fp);
			free(file);
			pages = -1;
			continue;
		}
		unsigned char *px = xmalloc((size_t)w * (size_t)h);
		CHECK(fread(px, 1, (size_t)w * (size_t)h, fp) ==
		      (size_t)w * (size_t)h);
		fclose(fp);
		double m = PDF_MARGIN_MM / 25.4 * 50;
		int x0 = (int)floor(m) - 1, x1 = (int)ceil(w - m) + 1;
		int y0 = (int)floor(m) - 1, y1 = (int)ceil(h - m) + 1;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				if (x >= x0 && x < x1 && y >= y0 && y < y1)
					continue;
				if (px[(size_t)y * (size_t)w + (size_t)x] >= 250)
					continue;
				if ((*outside)++ == 0)
					printf("  ink outside the margins: page "
					       "%d, pixel (%d, %d) = %d\n",
					       pages + 1, x, y,
					       px[(size_t)y * (size_t)w + (size_t)x]);
			}
		free(px);
		free(file);
		if (pages >= 0)
			pages++;
	}
	free(ents);
out:
	buf_free(&out);
	free(prefix);
	unit_rmtree(dir);
	free(dir);
	return pages;
}

/* Checks that page i of the text (pages split by form feeds) says
 * "Pagina i din n", for every page, and that there are n of them. */
static void check_page_labels(const char *text, int n)
{
	int page = 0;
	for (const char *p = text; p && *p; page++) {
		const char *ff = strchr(p, '\f');
		char *one = xstrndup(p, ff ? (size_t)(ff - p) : strlen(p));
		char *want = xasprintf("Pagina %d din %d", page + 1, n);
		if (!strstr(one, want))
			FAILF("page %d does not say '%s'", page + 1, want);
		free(want);
		free(one);
		p = ff ? ff + 1 : NULL;
	}
	CHECK_EQ_INT(page, n);
}

/* ---- 100 lines ------------------------------------------------------------ */

/* 300 characters, no break opportunity. */
static char *long_word(void)
{
	char *w = xmalloc(301);
	for (int i = 0; i < 300; i++)
		w[i] = "abcdefghij"[i % 10];
	w[300] = 0;
	return w;
}

struct many {
	struct pdf_line *lines;
	char **desc;
	int n;
};

/* n lines: every 7th a long description over two paragraphs, every 10th
 * with the 300-character word. */
static struct many many_lines(int n)
{
	struct many m = {xcalloc((size_t)n, sizeof *m.lines),
			 xcalloc((size_t)n, sizeof *m.desc), n};
	char *word = long_word();
	for (int i = 0; i < n; i++) {
		if (i % 10 == 3)
			m.desc[i] = xasprintf("Poziția %03d Consultanță %s "
					      "sfârșit", i + 1, word);
		else if (i % 7 == 2)
			m.desc[i] = xasprintf(
				"Poziția %03d Servicii de întreținere și suport "
				"lunar pentru infrastructura clientului, "
				"inclusiv monitorizare, actualizări de "
				"securitate și copii de rezervă zilnice\n"
				"A doua linie: ștergere, țesătură", i + 1);
		else
			m.desc[i] = xasprintf("Poziția %03d Licență anuală",
					      i + 1);
		m.lines[i] = (struct pdf_line){m.desc[i], "1", "buc.",
					       "1.234,56", "-5%", "TVA 19%",
					       "1.172,83"};
	}
	free(word);
	return m;
}

static void many_free(struct many *m)
{
	for (int i = 0; i < m->n; i++)
		free(m->desc[i]);
	free(m->desc);
	free(m->lines);
}

TEST(pdf_hundred_lines_paginate_inside_the_margins)
{
	struct many m = many_lines(100);
	struct pdf_doc d = ro_invoice();
	d.lines = m.lines;
	d.nlines = m.n;
	char *path = render(&d);
	if (!path)
		goto out;
	int pages = pages_of(path);
	CHECK(pages > 1);
	char *t = text_of(path, true);
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
		check_page_labels(t, pages);
		CHECK_CONTAINS(t, "5.355,00 lei");
		CHECK_CONTAINS(t, "Taxare inversă conform art. 331");
	}
	free(t);
	/* The unbreakable word is all there, broken over lines: in reading
	 * order with the line breaks (and spaces) taken out. */
	char *raw = text_of(path, false);
	if (raw) {
		char *p = raw, *q = raw;
		for (; *p; p++)
			if (*p != '\n' && *p != ' ')
				*q++ = *p;
		*q = 0;
		char *word = long_word();
		char *want = xasprintf("Consultanță%ssfârșit", word);
		CHECK_CONTAINS(raw, want);
		free(want);
		free(word);
	}
	free(raw);
	long outside;
	CHECK_EQ_INT(ink_outside(path, &outside), pages);
	CHECK_EQ_INT(outside, 0);
	discard(path);
out:
	many_free(&m);
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
	struct pdf_doc d = ro_invoice();
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
	char *path = render(&d);
	if (path) {
		int pages = pages_of(path);
		CHECK(pages > 3);
		long outside;
		CHECK_EQ_INT(ink_outside(path, &outside), pages);
		CHECK_EQ_INT(outside, 0);
		char *t = text_of(path, true);
		if (t)
			check_page_labels(t, pages);
		free(t);
	}
	discard(path);
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
	struct pdf_doc d = ro_invoice();
	d.lines = &line;
	d.nlines = 1;
	char *path = render(&d);
	char *t = path ? text_of(path, false) : NULL;
	if (t) {
		CHECK(pages_of(path) > 1);
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
		CHECK_EQ_INT(ink_outside(path, &outside), pages_of(path));
		CHECK_EQ_INT(outside, 0);
	}
	free(t);
	discard(path);
	buf_free(&desc);
}

/* Counts light grey pixels (the draft mark's tone) on page 1 at 50 dpi. */
static long light_pixels(const char *path)
{
	char *dir = unit_tmpdir();
	if (!dir)
		return -1;
	char *prefix = xasprintf("%s/p", dir);
	char *argv[] = {"pdftoppm", "-r", "50", "-gray", "-f", "1", "-l", "1",
			"-singlefile", (char *)path, prefix, NULL};
	struct buf out = BUF_INIT;
	long n = -1;
	if (CHECK_EQ_INT(capture(argv, &out), 0)) {
		char *file = xasprintf("%s.pgm", prefix);
		FILE *fp = fopen(file, "rb");
		int w, h, max, c;
		if (CHECK(fp && fscanf(fp, "P5 %d %d %d", &w, &h, &max) == 3 &&
			  fgetc(fp) != EOF)) {
			n = 0;
			while ((c = fgetc(fp)) != EOF)
				if (c >= 200 && c <= 235)
					n++;
		}
		if (fp)
			fclose(fp);
		free(file);
	}
	buf_free(&out);
	free(prefix);
	unit_rmtree(dir);
	free(dir);
	return n;
}

TEST(pdf_draft_shows_the_draft_mark)
{
	struct pdf_doc d = ro_invoice();
	char *final = render(&d);
	d.number = NULL;
	char *draft = render(&d);
	if (!final || !draft)
		goto out;
	char *t = text_of(draft, true);
	CHECK_CONTAINS(t, "CIORNĂ");
	CHECK(t && !strstr(t, "FCT-2026-0001"));
	free(t);
	char *title = info_of(draft, "Title");
	CHECK_STR(title, "Factură CIORNĂ");
	free(title);
	/* The mark across the page: far more light grey than the final
	 * document has. */
	long a = light_pixels(final), b = light_pixels(draft);
	if (!CHECK(b > a + 2000))
		printf("  light pixels: final %ld, draft %ld\n", a, b);
	/* An empty number is a draft too, and the default mark is
	 * "DRAFT". */
	d.number = "";
	d.draft_label = NULL;
	char *p = render(&d);
	t = p ? text_of(p, true) : NULL;
	CHECK_CONTAINS(t, "DRAFT");
	free(t);
	discard(p);
out:
	discard(final);
	discard(draft);
}

TEST(pdf_without_lines_renders)
{
	struct pdf_doc d = ro_invoice();
	d.lines = NULL;
	d.nlines = 0;
	char *path = render(&d);
	char *t = path ? text_of(path, true) : NULL;
	CHECK_CONTAINS(t, "Descriere");
	CHECK_CONTAINS(t, "Total de plată");
	CHECK_CONTAINS(t, "Pagina 1 din 1");
	free(t);
	if (path)
		CHECK_EQ_INT(pages_of(path), 1);
	discard(path);

	/* Nothing but a title: every section is optional. */
	struct pdf_doc bare = {.title = "Contract"};
	path = render(&bare);
	t = path ? text_of(path, false) : NULL;
	CHECK_CONTAINS(t, "Contract");
	CHECK_CONTAINS(t, "DRAFT");
	CHECK_CONTAINS(t, "1 / 1");
	free(t);
	discard(path);
}

/* pdf_render fails; err names field with code; out is untouched. */
static void check_refused(const struct pdf_doc *d, const char *field,
			  const char *code)
{
	struct buf out = BUF_INIT;
	buf_adds(&out, "kept");
	struct atr_err err = {0};
	CHECK_EQ_INT(pdf_render(d, &out, &err), -1);
	CHECK_EQ_INT(err.kind, ATR_E_INVALID);
	CHECK_STR(buf_str(&out), "kept");
	CHECK_CONTAINS(err.msg, "cannot render the pdf");
	bool found = false;
	for (int i = 0; i < err.nfields; i++)
		if (strcmp(err.fields[i].field, field) == 0 &&
		    strcmp(err.fields[i].code, code) == 0)
			found = true;
	if (!CHECK(found))
		printf("  no field error %s/%s; message: %s\n", field, code,
		       err.msg);
	buf_free(&out);
}

TEST(pdf_limits_are_refused)
{
	struct pdf_line *lines = xcalloc(PDF_MAX_LINES + 1, sizeof *lines);
	for (int i = 0; i <= PDF_MAX_LINES; i++)
		lines[i] = (struct pdf_line){"x", "1", "", "", "", "", "1"};
	struct pdf_doc d = ro_invoice();
	d.lines = lines;
	d.nlines = PDF_MAX_LINES + 1;
	check_refused(&d, "lines", "too_many");
	d.nlines = -1;
	check_refused(&d, "lines", "too_many");

	char *big = xmalloc(PDF_MAX_DESCRIPTION + 2);
	memset(big, 'a', PDF_MAX_DESCRIPTION + 1);
	big[PDF_MAX_DESCRIPTION + 1] = 0;
	lines[0].description = big;
	d.nlines = 1;
	check_refused(&d, "lines[0].description", "too_long");
	/* Characters, not bytes: 10,000 two-byte letters are fine, one
	 * more is not. */
	char *ro = xmalloc(2 * (PDF_MAX_DESCRIPTION + 1) + 1);
	for (int i = 0; i <= PDF_MAX_DESCRIPTION; i++)
		memcpy(ro + 2 * i, "ș", 2);
	ro[2 * (PDF_MAX_DESCRIPTION + 1)] = 0;
	lines[0].description = ro;
	check_refused(&d, "lines[0].description", "too_long");
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
	check_refused(&d, "lines[0].amount", "too_long");
	lines[0].amount = "1";

	d.lang = "ro\"; x";
	check_refused(&d, "lang", "invalid");
	d.lang = "ro";
	d.ncustom = PDF_MAX_PAIRS + 1;
	check_refused(&d, "custom", "too_many");
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
	struct pdf_doc d = ro_invoice();
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
	char *path = render(&d);
	char *t = path ? text_of(path, false) : NULL;
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
	discard(path);
	buf_free(&z);
}

/* A w×h RGBA PNG, made by libpng through admin/image.h. */
static struct image make_png(int w, int h)
{
	unsigned char *px = xmalloc((size_t)w * (size_t)h * 4);
	for (int i = 0; i < w * h; i++) {
		px[i * 4] = (unsigned char)(i % w);
		px[i * 4 + 1] = 40;
		px[i * 4 + 2] = 160;
		px[i * 4 + 3] = 255;
	}
	struct image img = {0};
	char why[192];
	CHECK_EQ_INT(image_png_encode(px, w, h, PNG_FORMAT_RGBA, &img, why,
				      sizeof why),
		     0);
	free(px);
	return img;
}

TEST(pdf_logo_is_drawn_at_its_width)
{
	struct image png = make_png(300, 100);
	struct pdf_doc d = ro_invoice();
	d.logo_png = png.data;
	d.logo_len = png.len;
	d.logo_width_px = 150; /* CSS px: 112.5 pt, so 300 px at 192 ppi */
	char *path = render(&d);
	if (path) {
		struct buf out = BUF_INIT;
		char *argv[] = {"pdfimages", "-list", path, NULL};
		CHECK_EQ_INT(capture(argv, &out), 0);
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
		CHECK_EQ_INT(ink_outside(path, &outside), 1);
		CHECK_EQ_INT(outside, 0);
	}
	discard(path);

	/* A corrupt logo is an error naming the logo, never a crash. */
	png.data[png.len / 2] ^= 0x55;
	png.data[png.len / 2 + 1] ^= 0x55;
	check_refused(&d, "logo", "invalid");
	d.logo_len = 40; /* truncated */
	check_refused(&d, "logo", "invalid");
	d.logo_png = (const unsigned char *)"GIF89a not a png at all, really";
	d.logo_len = 31;
	check_refused(&d, "logo", "invalid");
	/* A header claiming a huge image is refused before decoding. */
	struct image huge = make_png(4, 4);
	huge.data[16] = huge.data[20] = 0x7f;
	d.logo_png = huge.data;
	d.logo_len = huge.len;
	check_refused(&d, "logo", "too_large");
	image_free(&huge);
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

/* Eight renders at once (under ASan in build/san/unit): each has its own
 * font map, and the shared fontconfig configuration is only read. */
TEST(pdf_renders_from_eight_threads)
{
	struct many m = many_lines(100);
	struct pdf_doc small = ro_invoice(), large = ro_invoice();
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
		char *path = jobs[i].rc == 0 ? save(&jobs[i].out) : NULL;
		char *t = path ? text_of(path, true) : NULL;
		CHECK_CONTAINS(t, "Societatea Ștefănescu și Fiii SRL");
		CHECK_CONTAINS(t, i % 2 ? "Poziția 100" : "FCT-2026-0001");
		free(t);
		discard(path);
		buf_free(&jobs[i].out);
	}
	many_free(&m);
}
