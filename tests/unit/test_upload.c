/* test_upload.c — http/upload.c without a connection: a raw body kept in
 * memory while small, spooled to an unlinked temporary file beyond
 * UPLOAD_SPOOL_BYTES and mapped back whole; the bound; a temporary
 * directory that cannot be written; a route's declared form fields. (Form
 * posts need libmicrohttpd's connection: tests/http/uploads.test.mjs.) */
#include "atrium.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/upload.h"
#include "unit.h"

/* Entries in dir besides . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Runs with TMPDIR set to a fresh directory; restores it. */
static char *with_tmpdir(char *tmpl, char **old)
{
	const char *o = getenv("TMPDIR");
	*old = o ? xstrdup(o) : NULL;
	char *d = mkdtemp(tmpl);
	setenv("TMPDIR", d, 1);
	return d;
}

static void restore_tmpdir(char *dir, char *old)
{
	rmdir(dir);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
}

TEST(upload_small_body_stays_in_memory)
{
	struct upload u;
	upload_init(&u, 1 << 20, true);
	upload_add(&u, "name\n", 5);
	upload_add(&u, "x\n", 2);
	upload_finish(&u);
	size_t n;
	const char *b = upload_body(&u, &n);
	CHECK_EQ_INT(n, 7);
	CHECK(memcmp(b, "name\nx\n", 7) == 0);
	CHECK_EQ_INT(u.fd, -1);
	CHECK(u.err.kind == ATR_E_NONE);
	upload_free(&u);
}

TEST(upload_large_body_spooled_and_mapped)
{
	char tmpl[] = "/tmp/atrium-unit-upload-XXXXXX";
	char *old;
	char *dir = with_tmpdir(tmpl, &old);
	struct upload u;
	upload_init(&u, 4 << 20, true);
	char chunk[7000];
	size_t total = 0;
	for (int i = 0; total < 3 * UPLOAD_SPOOL_BYTES; i++) {
		memset(chunk, 'a' + i % 26, sizeof chunk);
		upload_add(&u, chunk, sizeof chunk);
		total += sizeof chunk;
	}
	CHECK(u.fd >= 0);
	CHECK_EQ_INT(u.mem.len, 0); /* not in memory */
	CHECK_EQ_INT(entries(dir), 0); /* a file with no name */
	upload_finish(&u);
	size_t n;
	const char *b = upload_body(&u, &n);
	CHECK_EQ_INT(n, total);
	CHECK(u.map != NULL);
	bool same = true;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 'a' + (int)(i / sizeof chunk) % 26)
			same = false;
	CHECK(same);
	upload_free(&u);
	CHECK_EQ_INT(u.fd, -1);
	restore_tmpdir(dir, old);
}

TEST(upload_past_its_bound_is_dropped)
{
	struct upload u;
	upload_init(&u, 100 * 1024, true);
	char chunk[60 * 1024];
	memset(chunk, 'z', sizeof chunk);
	upload_add(&u, chunk, sizeof chunk);
	CHECK(!u.too_large);
	upload_add(&u, chunk, sizeof chunk);
	CHECK(u.too_large);
	CHECK_EQ_INT(u.fd, -1); /* let go of at once */
	CHECK_EQ_INT(u.mem.len, 0);
	upload_add(&u, chunk, sizeof chunk); /* still counted, not kept */
	CHECK_EQ_INT(u.received, 3 * (int64_t)sizeof chunk);
	upload_finish(&u);
	size_t n;
	upload_body(&u, &n);
	CHECK_EQ_INT(n, 0);
	upload_free(&u);
	/* a JSON route's body never goes to disk, only to its bound */
	upload_init(&u, 1 << 20, false);
	for (int i = 0; i < 4; i++)
		upload_add(&u, chunk, sizeof chunk);
	CHECK_EQ_INT(u.fd, -1);
	CHECK_EQ_INT(u.mem.len, 4 * sizeof chunk);
	upload_free(&u);
}

TEST(upload_unwritable_tmpdir_is_an_error)
{
	char *old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", "/nonexistent/atrium-unit", 1);
	struct upload u;
	upload_init(&u, 4 << 20, true);
	char chunk[UPLOAD_SPOOL_BYTES + 1];
	memset(chunk, 'q', sizeof chunk);
	upload_add(&u, chunk, sizeof chunk);
	CHECK(u.err.kind == ATR_E_INTERNAL);
	CHECK_CONTAINS(u.err.msg, "/nonexistent/atrium-unit");
	upload_finish(&u);
	size_t n;
	upload_body(&u, &n);
	CHECK_EQ_INT(n, 0);
	upload_free(&u);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
}

TEST(upload_declared_fields)
{
	CHECK(upload_declares("entity,filename", "entity"));
	CHECK(upload_declares("entity,filename", "filename"));
	CHECK(!upload_declares("entity,filename", "file"));
	CHECK(!upload_declares("entity,filename", "entit"));
	CHECK(!upload_declares("entity,filename", ""));
	CHECK(!upload_declares(NULL, "entity"));
	CHECK(upload_is_form("multipart/form-data; boundary=abc"));
	CHECK(upload_is_form("Multipart/Form-Data;boundary=abc"));
	CHECK(!upload_is_form("text/csv"));
	CHECK(!upload_is_form(NULL));
}

TEST(upload_discarded_body_is_never_kept)
{
	char tmpl[] = "/tmp/atrium-unit-upload-XXXXXX";
	char *old;
	char *dir = with_tmpdir(tmpl, &old);
	struct upload u;
	upload_init(&u, 1 << 20, true);
	u.discard = true;
	char chunk[100 * 1024];
	memset(chunk, 'd', sizeof chunk);
	for (int i = 0; i < 5; i++)
		upload_add(&u, chunk, sizeof chunk);
	CHECK_EQ_INT(u.fd, -1); /* no temporary file */
	CHECK_EQ_INT(u.mem.len, 0);
	CHECK_EQ_INT(u.received, 5 * (int64_t)sizeof chunk);
	CHECK(!u.too_large);
	for (int i = 0; i < 6; i++) /* the bound still holds */
		upload_add(&u, chunk, sizeof chunk);
	CHECK(u.too_large);
	upload_finish(&u);
	size_t n;
	upload_body(&u, &n);
	CHECK_EQ_INT(n, 0);
	upload_free(&u);
	restore_tmpdir(dir, old);
}
