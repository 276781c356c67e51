/* fuzz_sheet.c — libFuzzer harness for the spreadsheet readers
 * (sheet_read, src/admin/sheet_csv.c and sheet_xlsx.c).
 *
 * The first byte picks the reader (even: CSV; odd: xlsx), the rest is the
 * file, read with small limits (50 rows, 20 columns). Whatever the input,
 * the reader returns 0 or -1 with a message, every row it reports has at
 * most 20 cells of valid UTF-8 no longer than SHEET_MAX_CELL, and no more
 * than 51 rows (the header and 50) are reported.
 *
 *   make build/fuzz/fuzz_sheet
 */
#include "atrium.h"

#include "admin/sheet.h"

static int check_row(void *arg, int64_t rowno, const char *const *cells,
		     const size_t *lens, int n)
{
	int *rows = arg;
	ATR_ASSERT(n >= 1 && n <= 20);
	ATR_ASSERT(rowno >= 1);
	for (int i = 0; i < n; i++) {
		ATR_ASSERT(lens[i] <= SHEET_MAX_CELL);
		ATR_ASSERT(strlen(cells[i]) == lens[i]);
		ATR_ASSERT(sheet_utf8(cells[i], lens[i]));
	}
	(*rows)++;
	ATR_ASSERT(*rows <= 51);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct sheet_limits lim = {.max_rows = 50, .max_cols = 20};
	struct atr_err err = {0};
	int rows = 0;
	int rc = sheet_read(data + 1, size - 1,
			    data[0] & 1 ? SHEET_XLSX : SHEET_CSV, &lim,
			    check_row, &rows, &err);
	ATR_ASSERT(rc == 0 || (rc == -1 && err.msg[0]));
	return 0;
}
