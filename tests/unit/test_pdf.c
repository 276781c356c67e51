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
