/* sheet.h — reading the rows of an uploaded spreadsheet (CSV or xlsx),
 * bounded and safe.
 *
 * One call streams a file held in memory (the upload, at most
 * SHEET_MAX_FILE bytes) row by row into a callback, each cell as UTF-8
 * text: CSV through libcsv (RFC 4180: quoted fields with the delimiter,
 * doubled quotes and line breaks inside; UTF-8 with or without a BOM; `;`
 * or `,` detected from the first record), xlsx through libzip and expat
 * (the workbook's relationships, its first sheet, shared and inline
 * strings, numbers, booleans, dates in the 1900 and 1904 systems known by
 * their number format in styles.xml, numbers stored as text, empty cells,
 * merged ranges filled from their top-left cell).
 *
 * What is refused, before or while reading, with one message in err
 * (ATR_E_INVALID, field "file"): a file past SHEET_MAX_FILE; text that is
 * not UTF-8; a malformed CSV (an unterminated quote, a stray quote in an
 * unquoted field); for xlsx an archive that is not a zip, more than
 * SHEET_MAX_ENTRIES entries, a part whose declared or actual uncompressed
 * size passes its limit or whose compression ratio passes
 * SHEET_MAX_RATIO (zip bombs: the reader stops at the limit, whatever the
 * header declared), any DTD or entity declaration (XML entity expansion:
 * nothing in an xlsx needs one), malformed XML; and for both more than
 * lim->max_rows data rows, a cell past lim->max_cols columns or longer
 * than SHEET_MAX_CELL bytes. Memory stays bounded by the file, the shared
 * strings limit and one row.
 */
#ifndef ATR_SHEET_H
#define ATR_SHEET_H

#include "atrium.h"

#define SHEET_MAX_FILE (20u << 20)   /* an upload: 20 MiB */
#define SHEET_MAX_CELL 32767         /* bytes in a cell (Excel's limit) */
#define SHEET_MAX_COLS 200           /* columns of a row */
#define SHEET_MAX_ROWS 100000        /* data rows of an import */
#define SHEET_MAX_ENTRIES 2000       /* entries of an xlsx archive */
#define SHEET_MAX_SHEET (512u << 20) /* the sheet's XML, uncompressed */
#define SHEET_MAX_PART (64u << 20)   /* shared strings, styles, workbook */
#define SHEET_MAX_RATIO 250          /* uncompressed / compressed, per part
				      * past 1 MiB */
#define SHEET_MAX_MERGES 1000        /* merged ranges of the sheet */
#define SHEET_MAX_STRINGS 4000000    /* shared strings of the workbook */

enum sheet_format { SHEET_CSV = 1, SHEET_XLSX };

struct sheet_limits {
	int64_t max_rows; /* rows after the first (the header); 0: default */
	int max_cols;     /* 0: SHEET_MAX_COLS */
};

/* One row: ncells cells (trailing empty ones dropped; a row with none is
 * not reported), cells[i] NUL-terminated UTF-8 of lens[i] bytes ("" when
 * empty). rowno is the row's number as a spreadsheet shows it (1 the
 * first; CSV: the record's number). Valid during the call. Return 0 to go
 * on, 1 to stop reading (sheet_read returns 0), -1 to fail (sheet_read
 * returns -1; the callback fills err). */
typedef int (*sheet_row_fn)(void *arg, int64_t rowno, const char *const *cells,
			    const size_t *lens, int ncells);

/* Reads data (len bytes) as fmt, calling fn for each non-empty row in
 * order. 0, or -1 with err. */
int sheet_read(const void *data, size_t len, enum sheet_format fmt,
	       const struct sheet_limits *lim, sheet_row_fn fn, void *arg,
	       struct atr_err *err);

/* The format a file's first bytes show: SHEET_XLSX for a zip ("PK\3\4"),
 * else SHEET_CSV. */
enum sheet_format sheet_sniff(const void *data, size_t len);

/* ---- what the readers share (sheet_csv.c, sheet_xlsx.c) ---- */

/* A row being assembled, bounded by the limits. */
struct sheet_row {
	char **cells; /* malloc'd, NULL when empty */
	size_t *lens;
	int n;        /* cells set: index of the last non-empty + 1 */
	int cap;
	const struct sheet_limits *lim;
	int64_t rows; /* data rows reported so far (after the header) */
	int64_t reported; /* rows reported including the header */
};

/* Sets cell col (0-based) to s (len bytes, copied); -1 with err past the
 * limits or when s is not UTF-8. */
int sheet_row_set(struct sheet_row *row, int col, const char *s, size_t len,
		  int64_t rowno, struct atr_err *err);
/* Hands the row to fn (when it has a cell) and empties it: fn's answer,
 * or -1 past max_rows. */
int sheet_row_emit(struct sheet_row *row, int64_t rowno, sheet_row_fn fn,
		   void *arg, struct atr_err *err);
void sheet_row_free(struct sheet_row *row);
/* Whether s (len bytes) is valid UTF-8 (no overlongs, no surrogates). */
bool sheet_utf8(const char *s, size_t len);

int sheet_read_csv(const void *data, size_t len, struct sheet_row *row,
		   sheet_row_fn fn, void *arg, struct atr_err *err);
int sheet_read_xlsx(const void *data, size_t len, struct sheet_row *row,
		    sheet_row_fn fn, void *arg, struct atr_err *err);

#endif
