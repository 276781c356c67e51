/* upload.h — a request body on its way in (the server's side of it).
 *
 * Every body is bounded by its route (http.h, route_body_limit): JSON
 * bodies by max_body_bytes, kept in memory; an upload route's
 * (ROUTE_RAW_BODY) by max_upload_bytes or the route's own max_body, and
 * its body, once past UPLOAD_SPOOL_BYTES, is written as it arrives to an
 * unlinked temporary file (O_TMPFILE, mode 0600, in $TMPDIR or /tmp)
 * instead of memory. When the body is complete the file is mapped
 * read-only, and the handler reads it as r->raw_body / r->raw_body_len
 * like a small one; the descriptor closes (and the file is gone) when the
 * request ends, whichever way it ends.
 *
 * An upload route also takes a browser form post (multipart/form-data):
 * libmicrohttpd's post processor splits it; the one file part (named
 * "file") is kept like a raw body, with its own Content-Type and file
 * name, and the text fields the route declares (route->form) reach the
 * handler as query parameters. A form without a file part, with two, or
 * with a field the route does not declare is refused naming the field.
 */
#ifndef ATR_UPLOAD_H
#define ATR_UPLOAD_H

#include "atrium.h"

#include "core/buf.h"

/* Beyond this many bytes an upload body goes to a temporary file. */
#define UPLOAD_SPOOL_BYTES (64 * 1024)
/* A form's envelope (boundaries, part headers, text fields) on top of the
 * file's own bound. */
#define UPLOAD_FORM_SLACK (64 * 1024)
#define UPLOAD_FIELDS_MAX 8
#define UPLOAD_FIELD_MAX 1024 /* bytes of one text field's value */
#define UPLOAD_NAME_MAX 255   /* bytes of the file part's name and type */

struct upload_field {
	char name[64];
	struct buf value;
};

struct upload {
	size_t limit;     /* bytes of the body (of the file part in a form) */
	uint64_t bound;   /* bytes of the body as sent (limit + a form's
			   * UPLOAD_FORM_SLACK) */
	bool spool;       /* may go to a temporary file (an upload route) */
	/* Read, counted and dropped, never kept: a request that cannot be
	 * authenticated (no credential at all) is answered 401 once read,
	 * and must not fill the temporary disk meanwhile. */
	bool discard;
	bool too_large;   /* past limit: the rest is read and dropped */
	int64_t received; /* bytes of the body read so far */
	struct buf mem;   /* the body (the file part) while small */
	int fd;           /* the temporary file, or -1 */
	uint64_t len;     /* bytes of the body (the file part) kept */
	void *map;        /* the file mapped read-only, after upload_finish */
	/* Set when the body cannot be taken: a form refused (ATR_E_INVALID,
	 * naming the field), the temporary disk full (ATR_E_STORAGE), a
	 * write that failed (ATR_E_INTERNAL). The rest is read and dropped. */
	struct atr_err err;

	/* A multipart/form-data post. */
	bool is_form;
	void *pp;          /* struct MHD_PostProcessor */
	const char *form;  /* the route's text fields, "a,b" */
	int nfiles;        /* file parts seen */
	char part_key[64]; /* the current file part's field name */
	char *file_name, *file_type; /* the file part's */
	struct upload_field fields[UPLOAD_FIELDS_MAX];
	int nfields;
	int field; /* the text field being read, or -1 */
};

/* A body bounded by limit; spool: an upload route's. */
void upload_init(struct upload *u, size_t limit, bool spool);
/* Whether content_type is multipart/form-data. */
bool upload_is_form(const char *content_type);
/* Reads the body as a form (con: the struct MHD_Connection, whose
 * Content-Type names the boundary), with the route's text fields (a
 * comma-separated list, or NULL for none). */
void upload_begin_form(struct upload *u, void *con, const char *fields);
/* What upload_begin_form does besides making the post processor: the
 * body is a form with the route's fields. */
void upload_form_start(struct upload *u, const char *fields);
/* One piece of a form part, as the post processor hands it over (a file
 * part has a filename; off is where the piece starts in its part): kept,
 * or refused (false; u->err names the field, or u->too_large). Called by
 * the post processor; tests/fuzz/fuzz_upload.c calls it directly. */
bool upload_form_piece(struct upload *u, const char *key,
		       const char *filename, const char *content_type,
		       const char *data, uint64_t off, size_t size);
/* n more bytes of the body, as they arrive. */
void upload_add(struct upload *u, const char *data, size_t n);
/* The body is complete: ends the form (a missing file part is an error)
 * and maps the temporary file. Afterwards upload_body gives the bytes. */
void upload_finish(struct upload *u);
/* The body (the file part of a form) and its length; "" when empty. */
const char *upload_body(const struct upload *u, size_t *len);
/* Frees everything: the post processor, the mapping, the file. */
void upload_free(struct upload *u);
/* Whether a comma-separated list names name. */
bool upload_declares(const char *list, const char *name);

#endif
