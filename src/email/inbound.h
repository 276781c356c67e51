/* inbound.h — an inbound email (RFC 5322, MIME) read with GMime into what
 * Atrium needs of it: sender, recipients, subject, message ids for
 * threading, the markers of automatic mail, the text of the body (an
 * HTML-only body turned into text with libxml2's HTML parser: no markup
 * reaches a page) and the attachments' count and size.
 */
#ifndef ATR_INBOUND_H
#define ATR_INBOUND_H

#include "atrium.h"

#define INBOUND_MAX_BYTES (10 * 1024 * 1024) /* a message as received */
#define INBOUND_MAX_TEXT 20000               /* characters of body kept */
#define INBOUND_MAX_IDS 32                   /* In-Reply-To + References */
#define INBOUND_MAX_RCPTS 32
#define INBOUND_MAX_FILES 10                 /* attachments kept */

struct inbound_file {
	char *name; /* as the sender named it (decoded), or "attachment" */
	char *data; /* decoded bytes */
	size_t len;
};

struct inbound_msg {
	char *from_addr;  /* lower case; NULL when the message has none */
	char *from_name;  /* as written, or NULL */
	char *subject;    /* decoded (RFC 2047), "" when none */
	char *message_id; /* without <>, or NULL */
	char *refs[INBOUND_MAX_IDS]; /* In-Reply-To first, then References */
	int nrefs;
	char *rcpts[INBOUND_MAX_RCPTS]; /* To, Cc, Delivered-To, X-Original-To,
					 * lower case */
	int nrcpts;
	char *text;      /* the body as text (cut at INBOUND_MAX_TEXT) */
	bool automatic;  /* Auto-Submitted other than "no", or a bulk,
			  * junk or list Precedence, or X-Autoreply */
	bool bounce;     /* a delivery report, or an empty Return-Path */
	int nattach;     /* attachments, and their bytes (encoded) */
	size_t attach_bytes;
	struct inbound_file files[INBOUND_MAX_FILES]; /* the first ones */
	int nfiles;
};

/* Reads raw (n bytes) into m. 0, or -1 with err (not a message). m is
 * the caller's to inbound_free, either way. */
int inbound_parse(const char *raw, size_t n, struct inbound_msg *m,
		  struct atr_err *err);
void inbound_free(struct inbound_msg *m);

/* The text of an HTML document (script and style left out, blocks on
 * lines of their own); caller frees. */
char *inbound_html_text(const char *html, size_t n);

#endif
