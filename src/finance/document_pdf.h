/* document_pdf.h — a finance document (invoice, credit note, proposal) or
 * a contract as the PDF its client receives: the record, its client and
 * the organisation's details (company settings, logo at the branding's
 * pdf_logo_width, payment modes shown on documents, custom fields marked
 * show_on_pdf) in the organisation's language and formats, laid out by
 * finance/pdf.h.
 *
 * Adding a document kind: a row in kinds[] (document_pdf.c) naming its
 * entity, its title in each language and what its meta rows are; its
 * routes use doc_pdf_h_get (GET /api/v1/<plural>/{id}/pdf, the view
 * permission, the record within the caller's view scope).
 */
#ifndef ATR_DOCUMENT_PDF_H
#define ATR_DOCUMENT_PDF_H

#include "atrium.h"

#include <jansson.h>

struct buf;
struct entity;
struct req;

/* Renders record rec of entity e (as the API shows it) into out (the
 * caller's; appended). 0, or -1 with r->err (or a database error). */
int doc_pdf(struct req *r, const struct entity *e, const json_t *rec,
	    struct buf *out);

/* The file name a document's PDF is given: "<number>.pdf", or
 * "<entity>-<id>-draft.pdf" before it has a number (in r's arena). */
const char *doc_pdf_name(struct req *r, const struct entity *e,
			 const json_t *rec);

/* GET /api/v1/<plural>/{id}/pdf: the route's arg is the entity. */
int doc_pdf_h_get(struct req *r);

/* POST /api/v1/<plural>/{id}/send with body doc_send_schema ({to,
 * message}): emails an issued document to its contact (or `to`) with its
 * PDF attached, and records sent_at and sent_to (document_send.c). The
 * route's arg is the entity; the template is "<entity>_sent". */
int doc_send_h(struct req *r);
extern const struct schema doc_send_schema;

#endif
