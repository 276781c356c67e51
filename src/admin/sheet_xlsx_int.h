/* sheet_xlsx_int.h — what the xlsx reader's two files share: the reader's
 * state and the part layer (sheet_xlsx_part.c: entries of the zip streamed
 * through expat with their limits, DTDs and entities refused, nesting
 * bounded). The workbook, styles, shared strings and sheet handlers are in
 * sheet_xlsx.c. Internal to the reader.
 */
#ifndef ATRIUM_ADMIN_SHEET_XLSX_INT_H
#define ATRIUM_ADMIN_SHEET_XLSX_INT_H

#include <expat.h>
#include <zip.h>

#include "admin/sheet.h"
#include "core/buf.h"

#define XML_DEPTH_MAX 64

struct xlsx;

/* One part being parsed. */
struct part {
	XML_Parser p;
	struct xlsx *x;
	int depth;
	bool refused; /* a DTD or entity declaration, or too deep */
};

struct merge {
	int64_t r1, r2;
	int c1, c2;
	char *value; /* the top-left cell's, once its row was read */
	size_t len;
};

struct xlsx {
	zip_t *za;
	struct atr_err *err;
	struct sheet_row *row;
	sheet_row_fn fn;
	void *arg;
	int rc; /* 0 going on, 1 stopped by fn, -1 failed */
	/* locations */
	char *workbook, *sheet_rid, *sheet, *strings, *styles;
	bool date1904;
	/* styles: per cellXfs index, whether it shows a date */
	bool *xf_date;
	int nxf, capxf;
	int64_t *fmt_ids; /* custom numFmts that are dates */
	int nfmt, capfmt;
	bool in_xfs;
	/* shared strings: their texts one after another, each NUL-ended,
	 * and where each starts (one allocation each, however many) */
	struct buf ss;
	size_t *ssoff;
	int64_t nss, capss;
	struct buf text;
	bool in_si, in_t, in_rph;
	/* merges */
	struct merge *m;
	int nm;
	size_t merge_bytes;
	/* the sheet */
	int64_t rowno;
	int col;
	char ctype[16];
	int cstyle;
	bool in_v, in_is, in_cell;
	bool in_rels_scan; /* current part: workbook rels */
	bool in_sheet_data;
};


/* An XML name without its namespace prefix. */
const char *xlsx_local(const char *name);
/* The value of attribute name in expat's atts, or NULL. */
const char *xlsx_attr(const char **atts, const char *name);
/* A relationship target relative to the part at base ("xl/workbook.xml"),
 * as a zip entry name (caller frees). */
char *xlsx_resolve(const char *base, const char *target);
/* Streams entry name (absent: 0 when optional, else refused) through
 * expat with the handlers, at most limit bytes uncompressed. 0, or -1
 * with x->err (x->rc set by a handler also ends it). */
int xlsx_part_parse(struct xlsx *x, const char *name, bool optional,
		    uint64_t limit, XML_StartElementHandler start,
		    XML_EndElementHandler end, XML_CharacterDataHandler text);
/* Depth bookkeeping every start/end handler does first: the reader of the
 * part that ud is. */
struct xlsx *xlsx_enter(void *ud);
struct xlsx *xlsx_leave(void *ud);
/* A character-data handler that keeps nothing. */
void XMLCALL xlsx_no_text(void *ud, const XML_Char *s, int len);
/* Ends the part's parse with x->rc = rc (1 stopped, -1 failed). */
void xlsx_stop(void *ud, struct xlsx *x, int rc);

#endif
