/* retention_file.c — log retention's archive files (admin/retention.h):
 * JSON lines, gzip (zlib), written to a temporary file, fsync'd, renamed
 * in place; read back whole to verify them.
 */
#include "atrium.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "admin/retention.h"
#include "core/activity.h"

#define LINE_MAX_BYTES (64u << 20)

struct archive_writer {
	char *dir, *tmp;
	int fd;
	gzFile gz;
	int64_t raw; /* bytes written before compression */
};

int archive_mkdirs(const char *dir, struct atr_err *err)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			rc = atr_fail(err, ATR_E_INTERNAL,
				      "cannot create the archive directory "
				      "'%s': %s",
				      p, strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

struct archive_writer *archive_create(const char *dir, struct atr_err *err)
{
	if (archive_mkdirs(dir, err) < 0)
		return NULL;
	unsigned char rnd[8];
	char hex[17];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
	struct archive_writer *w = xcalloc(1, sizeof *w);
	w->dir = xstrdup(dir);
	w->tmp = xasprintf("%s/.tmp-%s.jsonl.gz", dir, hex);
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int gzfd = w->fd < 0 ? -1 : dup(w->fd);
	if (gzfd < 0 || !(w->gz = gzdopen(gzfd, "wb6"))) {
		atr_fail(err, ATR_E_INTERNAL, "cannot create '%s': %s", w->tmp,
			 strerror(errno));
		if (gzfd >= 0)
			close(gzfd);
		archive_abort(w);
		return NULL;
	}
	return w;
}

void archive_abort(struct archive_writer *w)
{
	if (!w)
		return;
	if (w->gz)
		gzclose(w->gz);
	if (w->fd >= 0)
		close(w->fd);
	unlink(w->tmp);
	free(w->tmp);
	free(w->dir);
	free(w);
}

int archive_write(struct archive_writer *w, const json_t *row,
		  struct atr_err *err)
{
	char *line = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n = strlen(line);
	line[n] = '\n';
	int wrote = gzwrite(w->gz, line, (unsigned)(n + 1));
	w->raw += (int64_t)n + 1;
	free(line);
	if (wrote != (int)(n + 1)) {
		int e;
		const char *m = gzerror(w->gz, &e);
		return atr_fail(err, ATR_E_INTERNAL, "cannot write '%s': %s",
				w->tmp, e == Z_ERRNO ? strerror(errno) : m);
	}
	return 0;
}

int64_t archive_raw_bytes(const struct archive_writer *w)
{
	return w ? w->raw : 0;
}

/* SHA-256 and size of a file. 0 or -1 (errno). */
static int file_sha256(const char *path, char hex[65], int64_t *bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	unsigned char buf[65536];
	ssize_t n;
	*bytes = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		crypto_hash_sha256_update(&st, buf, (size_t)n);
		*bytes += n;
	}
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, 65, h, sizeof h);
	return 0;
}

int archive_commit(struct archive_writer *w, const char *name,
		   struct archive_info *info, struct atr_err *err)
{
	int zrc = gzclose(w->gz);
	w->gz = NULL;
	char *final = xasprintf("%s/%s", w->dir, name);
	int rc = -1;
	if (zrc != Z_OK) {
		atr_fail(err, ATR_E_INTERNAL, "cannot write '%s' (zlib %d)",
			 w->tmp, zrc);
		goto out;
	}
	if (fsync(w->fd) < 0 || close(w->fd) < 0) {
		w->fd = -1;
		atr_fail(err, ATR_E_INTERNAL, "cannot write '%s': %s", w->tmp,
			 strerror(errno));
		goto out;
	}
	w->fd = -1;
	if (rename(w->tmp, final) < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot rename '%s' to '%s': %s",
			 w->tmp, final, strerror(errno));
		goto out;
	}
	int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot sync '%s': %s", w->dir,
			 strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	if (file_sha256(final, info->sha256, &info->bytes) < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot read '%s': %s", final,
			 strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(final);
	archive_abort(w);
	return rc;
}

/* Reads one line (without its newline) into *buf. 1 a line, 0 the end,
 * -1 an error or a line past LINE_MAX_BYTES. */
static int read_line(gzFile gz, char **buf, size_t *cap, size_t *len)
{
	*len = 0;
	for (;;) {
		if (*cap - *len < 2) {
			if (*cap >= LINE_MAX_BYTES)
				return -1;
			*cap *= 2;
			*buf = xrealloc(*buf, *cap);
		}
		if (!gzgets(gz, *buf + *len, (int)(*cap - *len))) {
			int e;
			gzerror(gz, &e);
			if (e != Z_OK && e != Z_BUF_ERROR)
				return -1;
			return *len ? -1 : 0; /* a last line without \n */
		}
		*len += strlen(*buf + *len);
		if (*len && (*buf)[*len - 1] == '\n') {
			(*buf)[--*len] = 0;
			return 1;
		}
	}
}

static void copy_str(char *dst, size_t n, const json_t *v)
{
	const char *s = json_string_value(v);
	atr_strlcpy(dst, s ? s : "", n);
}

int archive_verify(const char *path, const char *time_col, bool chain,
		   struct archive_info *info,
		   FILE *out, struct atr_err *err)
{
	memset(info, 0, sizeof *info);
	if (file_sha256(path, info->sha256, &info->bytes) < 0) {
		fprintf(out, "broken: cannot read '%s': %s\n", path,
			strerror(errno));
		return 1;
	}
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		fprintf(out, "broken: cannot read '%s'\n", path);
		return 1;
	}
	size_t cap = 4096, len;
	char *line = xmalloc(cap);
	struct activity_stretch *s = NULL;
	int result = 0, r;
	int64_t prev_id = 0;
	while ((r = read_line(gz, &line, &cap, &len)) == 1) {
		json_error_t je;
		json_t *row = json_loadb(line, len, 0, &je);
		json_t *idv = row ? json_object_get(row, "id") : NULL;
		int64_t id = json_integer_value(idv);
		if (!row || !json_is_object(row) || !json_is_integer(idv) ||
		    id <= prev_id) {
			fprintf(out, "broken: line %lld of '%s' is not an "
				     "archived row in order\n",
				(long long)info->rows + 1, path);
			json_decref(row);
			result = 1;
			break;
		}
		prev_id = id;
		if (!info->rows) {
			info->first_id = id;
			copy_str(info->first_at, sizeof info->first_at,
				 json_object_get(row, time_col));
		}
		info->last_id = id;
		copy_str(info->last_at, sizeof info->last_at,
			 json_object_get(row, time_col));
		if (chain && !info->rows) {
			info->first_seq = json_integer_value(
				json_object_get(row, "seq"));
			copy_str(info->first_prev, sizeof info->first_prev,
				 json_object_get(row, "prev_hash"));
			s = activity_stretch_begin(
				json_integer_value(
					json_object_get(row, "org_id")),
				info->first_seq - 1, info->first_prev, err);
			if (!s) {
				json_decref(row);
				result = -1;
				break;
			}
		}
		if (s && activity_stretch_row(s, row, out))
			result = 1;
		json_decref(row);
		info->rows++;
		if (result)
			break;
	}
	if (!result && r < 0) {
		fprintf(out, "broken: '%s' is truncated or not gzip\n", path);
		result = 1;
	}
	if (s)
		activity_stretch_end(s, &info->last_seq, info->last_hash, NULL,
				     &info->erased);
	gzclose(gz);
	free(line);
	return result;
}

/* ---- reading row by row ------------------------------------------------- */

struct archive_reader {
	gzFile gz;
	char *line;
	size_t cap;
	int64_t n;
	char *path;
};

struct archive_reader *archive_open(const char *path, struct atr_err *err)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		atr_fail(err, ATR_E_INTERNAL, "cannot read '%s': %s", path,
			 strerror(errno));
		return NULL;
	}
	struct archive_reader *rd = xcalloc(1, sizeof *rd);
	rd->gz = gz;
	rd->cap = 4096;
	rd->line = xmalloc(rd->cap);
	rd->path = xstrdup(path);
	return rd;
}

int archive_next(struct archive_reader *rd, json_t **row, struct atr_err *err)
{
	size_t len;
	*row = NULL;
	int r = read_line(rd->gz, &rd->line, &rd->cap, &len);
	if (r == 0)
		return 0;
	json_error_t je;
	json_t *o = r == 1 ? json_loadb(rd->line, len, 0, &je) : NULL;
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return atr_fail(err, ATR_E_INTERNAL,
				"line %lld of '%s' is not an archived row (the "
				"file is truncated or not gzip)",
				(long long)rd->n + 1, rd->path);
	}
	rd->n++;
	*row = o;
	return 1;
}

void archive_close(struct archive_reader *rd)
{
	if (!rd)
		return;
	gzclose(rd->gz);
	free(rd->line);
	free(rd->path);
	free(rd);
}
