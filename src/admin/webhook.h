/* webhook.h — what other modules may ask of the webhooks module. */
#ifndef ATR_WEBHOOK_H
#define ATR_WEBHOOK_H

#include "atrium.h"

struct db_conn;

/* Queues a delivery of event event_id (its payload is the message's
 * data) to endpoint hook of org, typed `type` ("automation.called"),
 * with message id msg_id (stable: receivers de-duplicate on it), in the
 * caller's open transaction: signed, logged and retried like any
 * delivery. 1 queued, 0 the endpoint is absent or inactive, -1 a
 * database error. */
int webhook_queue_event(struct db_conn *c, int64_t org, int64_t hook,
			int64_t event_id, const char *type,
			const char *msg_id);

#endif
