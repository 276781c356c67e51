/* event_log.h — the events and API request logs (event_log.c): the
 * export line shared by GET /api/v1/events/export and `atrium events
 * export`. */
#ifndef ATR_EVENT_LOG_H
#define ATR_EVENT_LOG_H

#include "atrium.h"

struct buf;

/* One event as a line of MongoDB Extended JSON (relaxed; what mongoimport
 * reads): _id, org_id and entity_id as $numberLong (entity_id null when
 * has_entity is false), occurred_at as $date, the payload as stored
 * (re-encoded; null when it does not parse). Ends with a newline. */
void event_ejson_line(struct buf *b, int64_t id, const char *uuid,
		      int64_t org, const char *entity, bool has_entity,
		      int64_t entity_id, const char *action,
		      const char *created_at, const char *payload);

#endif
