/* fuzz_upload.c — libFuzzer harness for http/upload.c's form side.
 *
 * libmicrohttpd's post processor splits a multipart/form-data body (its
 * parser, not ours); what is ours is what follows each piece it hands
 * over: which part is the file, a second file part, declared and unknown
 * text fields, values growing piece by piece, the bound, the spill to a
 * temporary file. The input is read as a script of pieces:
 *
 *   byte 0         the file's bound (1..256 KiB, so some spill to disk)
 *   per piece      an op byte (key, file or text, a file name, a fresh
 *                  offset or a continued one, a content type), a length
 *                  byte (x 1, or x 1024 with the op's top bit), the data
 *
 * Promises checked after every piece and at the end: never more than one
 * file part or UPLOAD_FIELDS_MAX fields kept, no value past
 * UPLOAD_FIELD_MAX, nothing kept past the bound, a refused piece leaves an
 * error or too_large; a form that ends without an error has exactly one
 * file part, and its body is byte for byte the file pieces accepted.
 *
 *   make build/fuzz/fuzz_upload
 *   build/fuzz/fuzz_upload tests/fuzz/corpus/upload   (mutates it!)
 */
#include "atrium.h"

#include "core/buf.h"
#include "http/upload.h"

static const char *const keys[8] = {"file",  "entity", "filename", "colour",
				    "",      "file",   "entity",   "a\x01z"};
static const char *const names[4] = {"a.csv", "b.csv", "", "a.csv"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t limit = ((size_t)data[0] + 1) * 1024;
	struct upload u;
	upload_init(&u, limit, true);
	upload_form_start(&u, "entity,filename");
	struct buf want = BUF_INIT;
	uint64_t off[8] = {0};
	size_t i = 1;
	static char big[256 * 1024];
	while (i + 2 <= size) {
		uint8_t op = data[i++];
		size_t n = data[i++];
		int k = op & 7;
		bool file = op & 8;
		const char *name = names[(op >> 4) & 3];
		bool fresh = op & 64;
		const char *piece;
		if (op & 128) { /* a large piece: spills to disk */
			n *= 1024;
			memset(big, 'a' + (int)(i % 26), n);
			piece = big;
		} else {
			if (n > size - i)
				n = size - i;
			piece = (const char *)data + i;
			i += n;
		}
		if (fresh)
			off[k] = 0;
		bool ok = upload_form_piece(&u, keys[k], file ? name : NULL,
					    file ? "text/csv" : NULL, piece,
					    off[k], n);
		off[k] += n;
		if (ok && file)
			buf_add(&want, piece, n);
		ATR_ASSERT(ok || u.err.kind || u.too_large);
		ATR_ASSERT(u.nfiles <= 1 || u.err.kind);
		ATR_ASSERT(u.nfields <= UPLOAD_FIELDS_MAX);
		for (int f = 0; f < u.nfields; f++)
			ATR_ASSERT(u.fields[f].value.len <= UPLOAD_FIELD_MAX);
		ATR_ASSERT(u.len <= u.limit);
		if (u.too_large)
			ATR_ASSERT(u.fd == -1 && u.mem.len == 0);
		if (!ok)
			break;
	}
	upload_finish(&u);
	size_t len;
	const char *body = upload_body(&u, &len);
	if (!u.err.kind && !u.too_large) {
		ATR_ASSERT(u.nfiles == 1);
		ATR_ASSERT(len == want.len);
		ATR_ASSERT(len == 0 || memcmp(body, want.p, len) == 0);
	} else {
		ATR_ASSERT(len == 0);
		if (u.err.kind == ATR_E_INVALID)
			ATR_ASSERT(u.err.nfields == 1);
	}
	upload_free(&u);
	buf_free(&want);
	return 0;
}
