/* test_pdf_util.c — what the PDF renderer's tests share (pdf_util.h):
 * running poppler's tools, reading their output and rendered pages, and
 * the documents the tests render. No tests here.
 */
#include "atrium.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pdf_util.h"
#include "unit.h"

extern char **environ;

/* ---- helpers ---------------------------------------------------------------- */

/* Runs argv (PATH lookup) with its stdout into out; returns the exit
 * status, -1 when it could not run. The child's stderr is the test's. */
int pt_capture(char *const argv[], struct buf *out)
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
char *pt_save(const struct buf *pdf)
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
char *pt_text_of(const char *path, bool layout)
{
	struct buf out = BUF_INIT;
	char *argv[] = {"pdftotext", "-enc", "UTF-8",
			layout ? "-layout" : "-raw", (char *)path, "-", NULL};
	int rc = pt_capture(argv, &out);
	if (!CHECK_EQ_INT(rc, 0)) {
		buf_free(&out);
		return NULL;
	}
	return out.p ? buf_detach(&out) : xstrdup("");
}

/* The value of "Key:" in pdfinfo's output, malloc'd, or NULL. */
char *pt_info_of(const char *path, const char *key)
{
	struct buf out = BUF_INIT;
	char *argv[] = {"pdfinfo", (char *)path, NULL};
	if (!CHECK_EQ_INT(pt_capture(argv, &out), 0)) {
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

int pt_pages_of(const char *path)
{
	char *v = pt_info_of(path, "Pages");
	int n = v ? (int)strtol(v, NULL, 10) : -1;
	free(v);
	return n;
}

/* Renders d; the PDF's path (the caller unlinks and frees it) or NULL
 * with a failed check. */
char *pt_render(const struct pdf_doc *d)
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
	char *path = pt_save(&pdf);
	buf_free(&pdf);
	return path;
}

void pt_discard(char *path)
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
struct pdf_doc pt_ro_invoice(void)
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

/* ---- the page check ---------------------------------------------------------- */

/* Renders every page of path in grey at 50 dpi (pdftoppm) and counts the
 * inked pixels (darker than near-white) outside the content box, the page
 * less PDF_MARGIN_MM on each side, with a pixel of slack for
 * antialiasing. Returns the number of pages read (-1 on error); *outside
 * gets the count, and the first offender is printed. */
int pt_ink_outside(const char *path, long *outside)
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
	if (!CHECK_EQ_INT(pt_capture(argv, &out), 0))
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
void pt_check_page_labels(const char *text, int n)
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
char *pt_long_word(void)
{
	char *w = xmalloc(301);
	for (int i = 0; i < 300; i++)
		w[i] = "abcdefghij"[i % 10];
	w[300] = 0;
	return w;
}


/* n lines: every 7th a long description over two paragraphs, every 10th
 * with the 300-character word. */
struct pt_many pt_many_lines(int n)
{
	struct pt_many m = {xcalloc((size_t)n, sizeof *m.lines),
			 xcalloc((size_t)n, sizeof *m.desc), n};
	char *word = pt_long_word();
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

void pt_many_free(struct pt_many *m)
{
	for (int i = 0; i < m->n; i++)
		free(m->desc[i]);
	free(m->desc);
	free(m->lines);
}

/* Page 1 of path in grey at 50 dpi (pdftoppm): w*h bytes (malloc), or
 * NULL and a failed check. */
unsigned char *pt_page_pixels(const char *path, int *w, int *h)
{
	char *dir = unit_tmpdir();
	if (!dir)
		return NULL;
	char *prefix = xasprintf("%s/p", dir);
	char *argv[] = {"pdftoppm", "-r", "50", "-gray", "-f", "1", "-l", "1",
			"-singlefile", (char *)path, prefix, NULL};
	struct buf out = BUF_INIT;
	unsigned char *px = NULL;
	if (CHECK_EQ_INT(pt_capture(argv, &out), 0)) {
		char *file = xasprintf("%s.pgm", prefix);
		FILE *fp = fopen(file, "rb");
		int max;
		if (CHECK(fp && fscanf(fp, "P5 %d %d %d", w, h, &max) == 3 &&
			  fgetc(fp) != EOF && *w > 0 && *h > 0)) {
			size_t n = (size_t)*w * (size_t)*h;
			px = xmalloc(n);
			if (!CHECK(fread(px, 1, n, fp) == n)) {
				free(px);
				px = NULL;
			}
		}
		if (fp)
			fclose(fp);
		free(file);
	}
	buf_free(&out);
	free(prefix);
	unit_rmtree(dir);
	free(dir);
	return px;
}

/* Pixels of page 1 from lo to hi (grey levels) inside the rectangle
 * x0..x1, y0..y1 in points. */
long pt_count_pixels(const char *path, int lo, int hi, double x0,
			 double y0, double x1, double y1)
{
	int w, h;
	unsigned char *px = pt_page_pixels(path, &w, &h);
	if (!px)
		return -1;
	long n = 0;
	double k = 50.0 / 72;
	for (int y = (int)(y0 * k); y < (int)(y1 * k) && y < h; y++)
		for (int x = (int)(x0 * k); x < (int)(x1 * k) && x < w; x++) {
			int v = px[(size_t)y * (size_t)w + (size_t)x];
			if (v >= lo && v <= hi)
				n++;
		}
	free(px);
	return n;
}

/* The light grey of the draft mark, anywhere on page 1. */
long pt_light_pixels(const char *path)
{
	return pt_count_pixels(path, 200, 235, 0, 0, 600, 850);
}

/* pdf_render fails; err names field with code; out is untouched. */
void pt_check_refused(const struct pdf_doc *d, const char *field,
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

/* A w×h RGBA PNG, made by libpng through admin/image.h. */
struct image pt_make_png(int w, int h)
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

const char pt_svg_logo[] =
	"<svg xmlns='http://www.w3.org/2000/svg' width='300' height='100'>"
	"<rect width='300' height='100' fill='#102040'/>"
	"<circle cx='50' cy='50' r='40' fill='#ffffff'/></svg>";
const size_t pt_svg_logo_len = sizeof pt_svg_logo - 1;
