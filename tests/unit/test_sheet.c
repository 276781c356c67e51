/* test_sheet.c — admin/sheet_*.c: CSV and xlsx read row by row; files
 * written by libxlsxwriter (shared strings, and inline strings in its
 * constant-memory mode), hand-made workbooks (the 1904 date system, a
 * custom date format, merged ranges), and malicious ones refused (DTD and
 * entity expansion, a zip bomb, too many rows or columns, not UTF-8).
 */
#include "atrium.h"

#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "admin/sheet.h"
#include "core/buf.h"
#include "unit.h"

/* The rows read, as "r<rowno>:a|b|c\n" lines. */
static int collect(void *arg, int64_t rowno, const char *const *cells,
		   const size_t *lens, int n)
{
	struct buf *b = arg;
	buf_printf(b, "r%lld:", (long long)rowno);
	for (int i = 0; i < n; i++) {
		if (i)
			buf_addc(b, '|');
		buf_add(b, cells[i], lens[i]);
	}
	buf_addc(b, '\n');
	return 0;
}

static int read_str(const char *s, size_t len, enum sheet_format f,
		    const struct sheet_limits *lim, struct buf *out,
		    struct atr_err *err)
{
	buf_reset(out);
	atr_err_clear(err);
	return sheet_read(s, len, f, lim, collect, out, err);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	struct buf b = BUF_INIT;
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, fp)) > 0)
		buf_add(&b, tmp, n);
	fclose(fp);
	*len = b.len;
	return buf_detach(&b);
}

TEST(sheet_csv_rfc4180)
{
	struct buf out = BUF_INIT;
	struct atr_err err = {0};
	const char *csv = "\xEF\xBB\xBFname,notes,value\r\n"
			  "\"Ana, SRL\",\"two\nlines \"\"quoted\"\"\",12.5\r\n"
			  "\r\n"
			  "Ion,,\r\n"
			  "Țară,ș,\"\"";
	CHECK_EQ_INT(read_str(csv, strlen(csv), SHEET_CSV, NULL, &out, &err), 0);
	CHECK_STR(out.p, "r1:name|notes|value\n"
			 "r2:Ana, SRL|two\nlines \"quoted\"|12.5\n"
			 "r3:Ion\n"
			 "r4:Țară|ș\n");
	/* ';' detected from the header */
	const char *semi = "name;company\n\"A;B\";C, D\n";
	CHECK_EQ_INT(read_str(semi, strlen(semi), SHEET_CSV, NULL, &out, &err), 0);
	CHECK_STR(out.p, "r1:name|company\nr2:A;B|C, D\n");
	buf_free(&out);
}

TEST(sheet_csv_refused)
{
	struct buf out = BUF_INIT;
	struct atr_err err = {0};
	const char *open_quote = "a,b\n\"never closed,1\n";
	CHECK_EQ_INT(read_str(open_quote, strlen(open_quote), SHEET_CSV, NULL,
			      &out, &err),
		     -1);
	CHECK_CONTAINS(err.msg, "malformed CSV");
	const char *bad_utf8 = "a,b\n\xC3\x28,1\n";
	CHECK_EQ_INT(read_str(bad_utf8, strlen(bad_utf8), SHEET_CSV, NULL, &out,
			      &err),
		     -1);
	CHECK_CONTAINS(err.msg, "not UTF-8");
	const char nul[] = "a,b\n\0,1\n";
	CHECK_EQ_INT(read_str(nul, sizeof nul - 1, SHEET_CSV, NULL, &out, &err),
		     -1);
	struct sheet_limits lim = {.max_rows = 2, .max_cols = 3};
	const char *rows = "h\n1\n2\n3\n";
	CHECK_EQ_INT(read_str(rows, strlen(rows), SHEET_CSV, &lim, &out, &err),
		     -1);
	CHECK_CONTAINS(err.msg, "more than 2 data rows");
	const char *cols = "a,b,c,d\n";
	CHECK_EQ_INT(read_str(cols, strlen(cols), SHEET_CSV, &lim, &out, &err),
		     -1);
	CHECK_CONTAINS(err.msg, "more than 3 columns");
	/* a cell past SHEET_MAX_CELL */
	size_t n = SHEET_MAX_CELL + 10;
	char *big = xmalloc(n + 3);
	memcpy(big, "a\n", 2);
	memset(big + 2, 'x', n);
	big[n + 2] = 0;
	CHECK_EQ_INT(read_str(big, n + 2, SHEET_CSV, NULL, &out, &err), -1);
	CHECK_CONTAINS(err.msg, "longer than");
	free(big);
	buf_free(&out);
}

/* A workbook written by libxlsxwriter: shared strings (or inline ones in
 * constant-memory mode), numbers, a date, booleans, a number stored as
 * text, empty cells, a merged range. */
static char *lxw_file(bool constant_memory, size_t *len)
{
	char path[] = "/tmp/atrium-sheet-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	lxw_workbook_options opt = {.constant_memory = constant_memory};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
	lxw_format *date = workbook_add_format(wb);
	format_set_num_format(date, "dd/mm/yyyy");
	worksheet_write_string(ws, 0, 0, "name", NULL);
	worksheet_write_string(ws, 0, 1, "value", NULL);
	worksheet_write_string(ws, 0, 2, "since", NULL);
	worksheet_write_string(ws, 0, 3, "vip", NULL);
	worksheet_write_string(ws, 0, 4, "code", NULL);
	worksheet_write_string(ws, 1, 0, "Ana Pop", NULL);
	worksheet_write_number(ws, 1, 1, 1250.5, NULL);
	lxw_datetime dt = {2026, 12, 6, 0, 0, 0};
	worksheet_write_datetime(ws, 1, 2, &dt, date);
	worksheet_write_boolean(ws, 1, 3, 1, NULL);
	worksheet_write_string(ws, 1, 4, "00123", NULL);
	/* row 3: only the third column */
	worksheet_write_number(ws, 2, 2, 45000, date);
	if (!constant_memory)
		worksheet_merge_range(ws, 3, 0, 4, 1, "Merged", NULL);
	CHECK_EQ_INT(workbook_close(wb), LXW_NO_ERROR);
	char *data = slurp(path, len);
	unlink(path);
	return data;
}

TEST(sheet_xlsx_libxlsxwriter)
{
	struct buf out = BUF_INIT;
	struct atr_err err = {0};
	size_t len;
	char *x = lxw_file(false, &len);
	CHECK(x != NULL);
	CHECK_EQ_INT(sheet_sniff(x, len), SHEET_XLSX);
	CHECK_EQ_INT(read_str(x, len, SHEET_XLSX, NULL, &out, &err), 0);
	CHECK_STR(out.p, "r1:name|value|since|vip|code\n"
			 "r2:Ana Pop|1250.5|2026-12-06|true|00123\n"
			 "r3:||2023-03-15\n"
			 "r4:Merged|Merged\n"
			 "r5:Merged|Merged\n");
	free(x);
	x = lxw_file(true, &len); /* inline strings */
	CHECK_EQ_INT(read_str(x, len, SHEET_XLSX, NULL, &out, &err), 0);
	CHECK_STR(out.p, "r1:name|value|since|vip|code\n"
			 "r2:Ana Pop|1250.5|2026-12-06|true|00123\n"
			 "r3:||2023-03-15\n");
	free(x);
	buf_free(&out);
}

/* A workbook made part by part (parts: name, text pairs, NULL-ended). */
static char *zip_parts(const char *const *parts, size_t *len)
{
	char path[] = "/tmp/atrium-zip-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	int ze;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
	for (int i = 0; parts[i]; i += 2) {
		zip_source_t *s = zip_source_buffer(za, parts[i + 1],
						    strlen(parts[i + 1]), 0);
		zip_file_add(za, parts[i], s, ZIP_FL_OVERWRITE);
	}
	CHECK_EQ_INT(zip_close(za), 0);
	char *data = slurp(path, len);
	unlink(path);
	return data;
}

#define RELS                                                                   \
	"_rels/.rels",                                                         \
		"<Relationships><Relationship Id=\"r1\" "                      \
		"Type=\"http://x/officeDocument\" "                            \
		"Target=\"xl/workbook.xml\"/></Relationships>",                \
		"xl/_rels/workbook.xml.rels",                                  \
		"<Relationships><Relationship Id=\"rId1\" "                    \
		"Type=\"http://x/worksheet\" Target=\"worksheets/s.xml\"/>"    \
		"<Relationship Id=\"rId2\" Type=\"http://x/styles\" "          \
		"Target=\"/xl/styles.xml\"/></Relationships>"

TEST(sheet_xlsx_1904_custom_date)
{
	const char *parts[] = {
		RELS,
		"xl/workbook.xml",
		"<workbook xmlns:r=\"r\"><workbookPr date1904=\"1\"/><sheets>"
		"<sheet name=\"A\" sheetId=\"1\" r:id=\"rId1\"/></sheets>"
		"</workbook>",
		"xl/styles.xml",
		"<styleSheet><numFmts><numFmt numFmtId=\"164\" "
		"formatCode=\"[$-418]d&quot; zile &quot;mmm yyyy\"/>"
		"<numFmt numFmtId=\"165\" formatCode=\"0.00&quot;days&quot;\"/>"
		"</numFmts><cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/>"
		"<xf numFmtId=\"165\"/><xf numFmtId=\"22\"/></cellXfs>"
		"</styleSheet>",
		"xl/worksheets/s.xml",
		"<x:worksheet xmlns:x=\"m\"><x:sheetData>"
		"<x:row r=\"2\"><x:c r=\"A2\" s=\"1\"><x:v>0</x:v></x:c>"
		"<x:c r=\"C2\" s=\"2\"><x:v>3.5</x:v></x:c>"
		"<x:c r=\"D2\" s=\"3\"><x:v>1.75</x:v></x:c>"
		"<x:c r=\"E2\" t=\"inlineStr\"><x:is><x:r><x:t>a</x:t></x:r>"
		"<x:r><x:t xml:space=\"preserve\"> b</x:t></x:r>"
		"<x:rPh><x:t>ignored</x:t></x:rPh></x:is></x:c>"
		"<x:c r=\"F2\"><x:v>1E-3</x:v></x:c></x:row>"
		"</x:sheetData></x:worksheet>",
		NULL,
	};
	size_t len;
	char *x = zip_parts(parts, &len);
	struct buf out = BUF_INIT;
	struct atr_err err = {0};
	CHECK_EQ_INT(read_str(x, len, SHEET_XLSX, NULL, &out, &err), 0);
	CHECK_STR(out.p, "r2:1904-01-01||3.5|1904-01-02T18:00:00Z|a b|0.001\n");
	free(x);
	buf_free(&out);
}

static void refused(const char *const *parts, const char *why)
{
	size_t len;
	char *x = zip_parts(parts, &len);
	struct buf out = BUF_INIT;
	struct atr_err err = {0};
	CHECK_EQ_INT(read_str(x, len, SHEET_XLSX, NULL, &out, &err), -1);
	CHECK_CONTAINS(err.msg, why);
	free(x);
	buf_free(&out);
}

#define WORKBOOK                                                               \
	"xl/workbook.xml",                                                     \
		"<workbook><sheets><sheet r:id=\"rId1\"/></sheets></workbook>"

TEST(sheet_xlsx_malicious)
{
	/* billion laughs: any DTD is refused before an entity expands */
	const char *laughs[] = {
		RELS, WORKBOOK, "xl/worksheets/s.xml",
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
		"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>&lol2;"
		"</t></is></c></row></sheetData></worksheet>",
		NULL,
	};
	refused(laughs, "DTD");
	/* an external entity */
	const char *xxe[] = {
		RELS, WORKBOOK, "xl/worksheets/s.xml",
		"<!DOCTYPE w SYSTEM \"file:///etc/passwd\"><worksheet/>", NULL,
	};
	refused(xxe, "DTD");
	/* a zip bomb: 3 MiB of spaces compress far past the ratio */
	size_t n = 3u << 20;
	char *bomb = xmalloc(n + 64);
	static const char open_tag[] = "<worksheet><sheetData>";
	static const char close_tag[] = "</sheetData></worksheet>";
	size_t head = sizeof open_tag - 1;
	memcpy(bomb, open_tag, head);
	memset(bomb + head, ' ', n);
	memcpy(bomb + head + n, close_tag, sizeof close_tag);
	const char *zb[] = {RELS, WORKBOOK, "xl/worksheets/s.xml", bomb, NULL};
	refused(zb, "expands too much");
	free(bomb);
	/* not a zip at all, and no sheet */
	struct buf out = BUF_INIT;
	struct atr_err err = {0};
	CHECK_EQ_INT(read_str("PK\3\4garbage", 11, SHEET_XLSX, NULL, &out, &err),
		     -1);
	CHECK_CONTAINS(err.msg, "not a valid xlsx");
	const char *nosheet[] = {RELS, "xl/workbook.xml", "<workbook/>", NULL};
	refused(nosheet, "no sheet");
	const char *badss[] = {
		RELS, WORKBOOK, "xl/worksheets/s.xml",
		"<worksheet><sheetData><row><c t=\"s\"><v>7</v></c></row>"
		"</sheetData></worksheet>",
		NULL,
	};
	refused(badss, "shared string");
	const char *deep_col[] = {
		RELS, WORKBOOK, "xl/worksheets/s.xml",
		"<worksheet><sheetData><row><c r=\"ZZ1\"><v>1</v></c></row>"
		"</sheetData></worksheet>",
		NULL,
	};
	refused(deep_col, "columns");
	buf_free(&out);
}

TEST(sheet_xlsx_too_many_rows)
{
	/* 5,000 rows against a limit of 1,000: refused while reading */
	struct buf xml = BUF_INIT;
	buf_adds(&xml, "<worksheet><sheetData>");
	for (int i = 1; i <= 5000; i++)
		buf_printf(&xml, "<row r=\"%d\"><c><v>%d</v></c></row>", i,
			   i * 7919);
	buf_adds(&xml, "</sheetData></worksheet>");
	const char *parts[] = {RELS, WORKBOOK, "xl/worksheets/s.xml", xml.p,
			       NULL};
	size_t len;
	char *x = zip_parts(parts, &len);
	struct buf out = BUF_INIT;
	struct atr_err err = {0};
	struct sheet_limits lim = {.max_rows = 1000};
	CHECK_EQ_INT(read_str(x, len, SHEET_XLSX, &lim, &out, &err), -1);
	CHECK_CONTAINS(err.msg, "more than 1000 data rows");
	free(x);
	buf_free(&xml);
	buf_free(&out);
}

/* A workbook written by LibreOffice Calc 7.4 (Debian 12), from the flat
 * ODS beside it: tests/unit/fixtures/libreoffice_leads.fods, converted with
 *   soffice --headless --convert-to xlsx libreoffice_leads.fods
 * Shared strings with diacritics, a date style (yyyy\-mm\-dd, a custom
 * numFmt), a number, a code kept as text, booleans (LibreOffice writes them
 * as the numbers 1 and 0), an empty cell, and a range merged over two rows
 * (B2:B3) whose lower cell LibreOffice writes empty. */
TEST(sheet_xlsx_libreoffice)
{
	size_t len = 0;
	char *x = slurp("tests/unit/fixtures/libreoffice_leads.xlsx", &len);
	CHECK(x != NULL);
	if (!x)
		return;
	struct buf out = BUF_INIT;
	struct atr_err err = {0};
	CHECK_EQ_INT(read_str(x, len, SHEET_XLSX, NULL, &out, &err), 0);
	CHECK_STR(out.p, "r1:Name|Company|Since|Value|Code|VIP\n"
			 "r2:Ștefan Țurcanu|Merged SRL|2026-12-06|1250.5|00123|1\n"
			 "r3:Ana|Merged SRL|2000-02-29||Ștefan Țurcanu|0\n");
	free(x);
	buf_free(&out);
}
