/* write_bulk.h — the write path's bookkeeping for a batch of creates.
 *
 * write.h writes one record per transaction; an import writes 100,000.
 * The bulk form keeps every guarantee of the one write path (the record's
 * activity row with its diff, its `<entity>.created` event, the
 * maintained count, all in the caller's transaction) and changes only
 * how many statements carry them: for n records made together (by one
 * multi-row INSERT: entity_bulk_flush, entity.h), write_bulk_created
 * writes the n activity rows with one statement (activity_record_many:
 * each row is its own link of the keyed chain, exactly as n calls of
 * activity_from_req would write), the n events with one
 * (outbox_emit_many) and the count once (+n). The record's history, the
 * activity log's view scope, webhooks and automations see the same rows
 * as for n single creates. docs/internals/write-bulk.md.
 */
#ifndef ATR_WRITE_BULK_H
#define ATR_WRITE_BULK_H

#include "atrium.h"

#include <jansson.h>

struct req;

/* The activity rows ("create", each record's diff from nothing), the
 * `<entity>.created` events and, when counted, the entity count of n
 * records just inserted in r's open transaction: ids[i], after[i] the
 * record as the API shows it and diff[i] its create diff, both as JSON
 * text (write_created_text / write_created_diff, http/write.h: what
 * write_diff and the event's json_dumps would write, with no tree built
 * only to be serialised again). 0, or -1 with r->err (the caller rolls
 * back). */
int write_bulk_created(struct req *r, const char *entity, bool counted,
		       const int64_t *ids, const char *const *after,
		       const char *const *diff, int n);

#endif
