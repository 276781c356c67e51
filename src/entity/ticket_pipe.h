/* ticket_pipe.h — inbound email into tickets (ticket_pipe.c), for
 * `atrium pipe`. */
#ifndef ATR_TICKET_PIPE_H
#define ATR_TICKET_PIPE_H

#include "atrium.h"

struct app;

enum pipe_result {
	PIPE_TICKET = 1,   /* a ticket was opened */
	PIPE_REPLY,        /* a reply was added to a ticket */
	PIPE_IGNORED,      /* automatic mail, a bounce, a loop, a retry */
	PIPE_REJECTED,     /* refused: unreadable, too large, sender refused */
	PIPE_NO_RECIPIENT, /* no department has the address */
	PIPE_TEMPFAIL,     /* the database could not be reached: try later */
};

struct pipe_outcome {
	enum pipe_result result;
	int64_t ticket_id; /* PIPE_TICKET, PIPE_REPLY */
	int64_t reply_id;  /* PIPE_REPLY */
	char detail[256];  /* one line for the log and the sender's bounce */
};

/* Takes the message raw (n bytes) sent to recipient (the envelope
 * recipient the mail server passes, or NULL: the message's To, Cc,
 * Delivered-To and X-Original-To are tried). Writes what it did (and a
 * pipe_log row, but for PIPE_TEMPFAIL) and fills o. 0. */
int ticket_pipe(struct app *app, const char *raw, size_t n,
		const char *recipient, struct pipe_outcome *o);

/* Records that email email_id (of the queue) told ticket's contact about
 * it, so that an answer naming it in In-Reply-To or References threads
 * onto the ticket even without "[Ticket #N]" in its subject. In the
 * caller's transaction. 0 or -1. */
struct db_conn;
int ticket_pipe_sent(struct db_conn *c, int64_t org, int64_t email_id,
		     int64_t dept, int64_t ticket);

/* "ticket_created", "reply_added", "ignored", ... */
const char *pipe_result_name(enum pipe_result r);

#endif
