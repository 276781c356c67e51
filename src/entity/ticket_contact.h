/* ticket_contact.h — tickets opened and answered by a contact, from the
 * email pipe (ticket_pipe.c) or the client portal (src/portal/).
 *
 * Each call writes, inside the caller's open transaction, the ticket or
 * the reply, the ticket's new status and version, the activity row (with
 * the actor the caller names: "email pipe", "Ana Pop (client contact)")
 * and the ticket's outbox event. A contact's reply opens the ticket again
 * (status open), whatever it was.
 */
#ifndef ATR_TICKET_CONTACT_H
#define ATR_TICKET_CONTACT_H

#include "atrium.h"

#include <jansson.h>

struct app;
struct db_conn;

struct ticket_post {
	int64_t org, dept, contact, client; /* 0: none */
	const char *subject;  /* a new ticket: at most 200 characters used */
	const char *priority; /* a new ticket; NULL: medium */
	const char *text;     /* the message or the reply's body */
	const char *author;   /* the reply's author name */
	const char *source;   /* the reply's source: "email", "portal" */
	/* The activity row's actor, address and request id. */
	const char *actor, *ip, *request_id;
	const json_t *extra; /* members added to the activity diff (borrowed) */
};

/* Opens a ticket. 0 and *id, or -1 on a database error. */
int ticket_contact_open(struct app *app, struct db_conn *c,
			const struct ticket_post *p, int64_t *id);
/* Adds the contact's reply to ticket id. 0 and *reply_id, or -1. */
int ticket_contact_reply(struct app *app, struct db_conn *c,
			 const struct ticket_post *p, int64_t id,
			 int64_t *reply_id);

#endif
