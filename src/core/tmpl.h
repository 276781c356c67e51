/* tmpl.h — Mustache templates (kainjow/Mustache) for text that users write:
 * merge fields, sections over lists and objects, inverted sections, comments.
 * Escaping is by default and cannot be turned off: raw tags ({{{x}}}, {{&x}})
 * and partials ({{>x}}) and delimiter changes ({{=<% %>=}}) are refused by
 * tmpl_check, so every value goes through the context's escape.
 *
 * The engine is kainjow/Mustache 4.1 (Debian's libkainjow-mustache-dev)
 * behind a thin C++ file, tmpl.cc; docs/internals/templates.md says what it
 * does with each kind of value and why things are refused.
 *
 * Values: invalid UTF-8 in a string becomes U+FFFD (one per maximal invalid
 * sequence), so every output is valid UTF-8; the template itself must be
 * valid UTF-8 (tmpl_check refuses it otherwise). An empty string is false in
 * a section, like null; numbers, even 0, are true. A boolean, object or array
 * used as a merge field prints nothing. */
#ifndef ATR_TMPL_H
#define ATR_TMPL_H

#include <stddef.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tmpl_ctx {
	TMPL_TEXT = 1, /* plain text (an email body): control characters except \n and \t removed */
	TMPL_LINE,     /* one line (a subject, a title): every control character, \r and \n included, becomes a space */
	TMPL_HTML,     /* HTML text: & < > " ' escaped */
	TMPL_JSON,     /* inside a JSON string literal: escaped as JSON (quotes, backslash, control characters \uXXXX) */
};

#define TMPL_SRC_MAX 20000 /* bytes of a template */

/* Checks a template's syntax and the rules above. 0, or -1 with a short
 * lower-case message in msg (n bytes), e.g. "unclosed section 'record.tags'
 * (line 1, column 1)", "raw output ({{{ }}}) is not allowed (line 2,
 * column 7)". Also refused: more than TMPL_SRC_MAX bytes, invalid UTF-8,
 * sections nested more than 16 deep. msg may be NULL. */
int tmpl_check(const char *src, char *msg, size_t n);

/* Renders src with data (a JSON object; NULL is an empty one; names resolve
 * with dots, "record.client.name"; strings as given, integers and reals as
 * JSON writes them, true/false for sections, null and absent as
 * empty/false; arrays are lists for sections, objects are contexts). *out is
 * malloc'd (caller frees), NUL-terminated, at most max bytes before the NUL
 * (past it: -1 "the result is longer than N bytes"). In TMPL_TEXT and
 * TMPL_LINE the context's rule applies to the template's own text too (a
 * subject stays one line); in TMPL_HTML and TMPL_JSON the template's text is
 * markup and is left as written. 0, or -1 with msg (and *out NULL).
 * Thread-safe (no global state). */
int tmpl_render(const char *src, const json_t *data, enum tmpl_ctx ctx,
		size_t max, char **out, char *msg, size_t n);

#ifdef __cplusplus
}
#endif

#endif
