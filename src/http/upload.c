/* upload.c — a request body on its way in: memory, then a temporary file;
 * forms through libmicrohttpd's post processor (see upload.h). */
#include "atrium.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/log.h"
#include "http/upload.h"

#define FORM_BUFFER (32 * 1024) /* the post processor's own buffer */

void upload_init(struct upload *u, size_t limit, bool spool)
{
	memset(u, 0, sizeof *u);
	u->limit = limit;
	u->bound = limit;
	u->spool = spool;
	u->fd = -1;
	u->field = -1;
}

bool upload_is_form(const char *content_type)
{
	return content_type &&
	       strncasecmp(content_type, "multipart/form-data", 19) == 0;
}

bool upload_declares(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && n && !strncmp(p, name, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Lets go of what is kept: the body will not be used (too large, or
 * refused). The descriptor closes, so the temporary file is gone now. */
static void release(struct upload *u)
{
	buf_free(&u->mem);
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	u->len = 0;
}

static void write_failed(struct upload *u, int e, const char *dir)
{
	if (e == ENOSPC || e == EDQUOT)
		atr_fail(&u->err, ATR_E_STORAGE,
			 "the server's temporary disk is full: the upload "
			 "was not kept");
	else
		atr_fail(&u->err, ATR_E_INTERNAL,
			 "cannot write the upload to a temporary file in %s: "
			 "%s",
			 dir, strerror(e));
	release(u);
}

static const char *spool_dir(void)
{
	const char *d = getenv("TMPDIR");
	return d && *d && strlen(d) < PATH_MAX - 32 ? d : "/tmp";
}

/* An unlinked file of our own: O_TMPFILE never has a name; where the file
 * system lacks it, mkstemp and unlink at once. */
static int spool_open(struct upload *u)
{
	const char *dir = spool_dir();
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR ||
		       errno == EINVAL)) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/atrium-upload-XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
	}
	if (fd < 0) {
		write_failed(u, errno, dir);
		return -1;
	}
	u->fd = fd;
	return 0;
}

static int spool_write(struct upload *u, const char *data, size_t n)
{
	while (n) {
		ssize_t w = write(u->fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			write_failed(u, w < 0 ? errno : ENOSPC, spool_dir());
			return -1;
		}
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Keeps n bytes of the file: in memory while small, then on disk. */
static void keep(struct upload *u, const char *data, size_t n)
{
	if (u->err.kind || u->too_large || u->discard)
		return;
	if (u->len + n > u->limit) {
		u->too_large = true;
		release(u);
		return;
	}
	if (u->fd < 0 && (!u->spool || u->mem.len + n <= UPLOAD_SPOOL_BYTES)) {
		buf_add(&u->mem, data, n);
		u->len += n;
		return;
	}
	if (u->fd < 0) {
		if (spool_open(u) < 0 || spool_write(u, u->mem.p, u->mem.len) < 0)
			return;
		buf_free(&u->mem);
	}
	if (spool_write(u, data, n) == 0)
		u->len += n;
}

/* A field name from the client, made safe to name in a problem. */
static const char *shown(const char *key, char *out, size_t size)
{
	size_t i = 0;
	for (; key && key[i] && i + 1 < size; i++)
		out[i] = (unsigned char)key[i] < 0x20 || key[i] == 0x7f
				 ? '?'
				 : key[i];
	out[i] = 0;
	return i ? out : "(unnamed)";
}

static bool new_file_part(struct upload *u, const char *filename,
			  uint64_t off)
{
	if (!u->nfiles)
		return true;
	/* The same part goes on at a higher offset; a second part starts
	 * again at 0, or names another file. */
	return (off == 0 && u->len > 0) ||
	       strncmp(filename, u->file_name, UPLOAD_NAME_MAX) != 0;
}

static enum MHD_Result file_part(struct upload *u, const char *key,
				 const char *filename,
				 const char *content_type, const char *data,
				 uint64_t off, size_t size)
{
	char name[64];
	if (strcmp(key, "file") != 0) {
		atr_field(&u->err, shown(key, name, sizeof name),
			  "unknown_field",
			  "a file part of this form must be named file");
		return MHD_NO;
	}
	u->field = -1;
	if (new_file_part(u, filename, off)) {
		if (u->nfiles++) {
			atr_field(&u->err, "file", "too_many",
				  "send one file part only");
			release(u);
			return MHD_NO;
		}
		u->file_name = strndup(filename, UPLOAD_NAME_MAX);
		if (content_type)
			u->file_type = strndup(content_type, UPLOAD_NAME_MAX);
	}
	keep(u, data, size);
	return u->err.kind || u->too_large ? MHD_NO : MHD_YES;
}

static enum MHD_Result text_part(struct upload *u, const char *key,
				 const char *data, uint64_t off, size_t size)
{
	char name[64];
	if (!upload_declares(u->form, key)) {
		atr_field(&u->err, shown(key, name, sizeof name),
			  "unknown_field",
			  strcmp(key, "file") == 0
				  ? "the file must be sent as a file part "
				    "(with a file name)"
				  : "this form has no such field");
		return MHD_NO;
	}
	struct upload_field *f = u->field >= 0 ? &u->fields[u->field] : NULL;
	if (!f || strcmp(f->name, key) != 0 || (off == 0 && f->value.len)) {
		for (int i = 0; i < u->nfields; i++)
			if (!strcmp(u->fields[i].name, key)) {
				atr_field(&u->err, u->fields[i].name,
					  "duplicate",
					  "the form names this field twice");
				return MHD_NO;
			}
		if (u->nfields == UPLOAD_FIELDS_MAX) { /* cannot be: declared */
			atr_field(&u->err, "form", "too_many",
				  "too many fields");
			return MHD_NO;
		}
		u->field = u->nfields++;
		f = &u->fields[u->field];
		atr_strlcpy(f->name, key, sizeof f->name);
	}
	if (f->value.len + size > UPLOAD_FIELD_MAX) {
		atr_field(&u->err, f->name, "too_long",
			  "at most %d bytes", UPLOAD_FIELD_MAX);
		return MHD_NO;
	}
	buf_add(&f->value, data ? data : "", size);
	return MHD_YES;
}

bool upload_form_piece(struct upload *u, const char *key,
		       const char *filename, const char *content_type,
		       const char *data, uint64_t off, size_t size)
{
	if (u->err.kind || u->too_large)
		return false;
	if (!key)
		key = "";
	if (filename)
		return file_part(u, key, filename, content_type, data, off,
				 size) == MHD_YES;
	return text_part(u, key, data, off, size) == MHD_YES;
}

static enum MHD_Result form_part(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *filename,
				 const char *content_type,
				 const char *transfer_encoding,
				 const char *data, uint64_t off, size_t size)
{
	(void)kind;
	(void)transfer_encoding;
	return upload_form_piece(cls, key, filename, content_type, data, off,
				 size)
		       ? MHD_YES
		       : MHD_NO;
}

void upload_form_start(struct upload *u, const char *fields)
{
	u->form = fields;
	u->is_form = true;
	u->bound = u->limit + UPLOAD_FORM_SLACK;
}

void upload_begin_form(struct upload *u, void *con, const char *fields)
{
	upload_form_start(u, fields);
	u->pp = MHD_create_post_processor(con, FORM_BUFFER, form_part, u);
	if (!u->pp)
		atr_field(&u->err, "file", "invalid",
			  "the form (multipart/form-data) has no usable "
			  "boundary");
}

void upload_add(struct upload *u, const char *data, size_t n)
{
	u->received += (int64_t)n;
	if (u->too_large)
		return;
	if ((uint64_t)u->received > u->bound) {
		u->too_large = true;
		release(u);
		return;
	}
	if (u->err.kind)
		return;
	if (!u->pp) {
		keep(u, data, n);
		return;
	}
	if (MHD_post_process(u->pp, data, n) != MHD_YES && !u->err.kind &&
	    !u->too_large)
		atr_field(&u->err, "file", "invalid",
			  "the form (multipart/form-data) is malformed");
}

void upload_finish(struct upload *u)
{
	if (u->is_form) {
		enum MHD_Result ok =
			u->pp ? MHD_destroy_post_processor(u->pp) : MHD_YES;
		u->pp = NULL;
		if (!u->err.kind && !u->too_large) {
			if (ok != MHD_YES)
				atr_field(&u->err, "file", "invalid",
					  "the form (multipart/form-data) "
					  "is malformed or cut short");
			else if (!u->nfiles)
				atr_field(&u->err, "file", "required",
					  "the form has no file part (a part "
					  "named file, with a file name)");
		}
	}
	if (u->err.kind || u->too_large) {
		release(u);
		return;
	}
	if (u->fd >= 0 && u->len > 0) {
		void *m = mmap(NULL, (size_t)u->len, PROT_READ, MAP_PRIVATE,
			       u->fd, 0);
		if (m == MAP_FAILED) {
			atr_fail(&u->err, ATR_E_INTERNAL,
				 "cannot map the uploaded file: %s",
				 strerror(errno));
			release(u);
			return;
		}
		u->map = m;
	}
}

const char *upload_body(const struct upload *u, size_t *len)
{
	if (u->map) {
		*len = (size_t)u->len;
		return u->map;
	}
	*len = u->mem.len;
	return u->mem.p ? u->mem.p : "";
}

void upload_free(struct upload *u)
{
	if (u->pp) {
		/* It may hand over what it still holds: refuse it. */
		u->too_large = true;
		MHD_destroy_post_processor(u->pp);
		u->pp = NULL;
	}
	if (u->map)
		munmap(u->map, (size_t)u->len);
	u->map = NULL;
	release(u);
	free(u->file_name);
	free(u->file_type);
	u->file_name = u->file_type = NULL;
	for (int i = 0; i < u->nfields; i++)
		buf_free(&u->fields[i].value);
	u->nfields = 0;
}
