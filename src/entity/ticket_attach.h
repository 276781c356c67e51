/* ticket_attach.h — files on tickets (ticket_attach.c), for the routes
 * and for the email pipe, which keeps the attachments of inbound mail. */
#ifndef ATR_TICKET_ATTACH_H
#define ATR_TICKET_ATTACH_H

#include "atrium.h"

struct db_conn;

#define ATTACH_MAX (10 * 1024 * 1024) /* bytes of one file */
#define ATTACH_NAME_MAX 200

/* NULL when a file called name holding data (n bytes) may be kept (*ctype:
 * the type it is served with), else why not ("is empty", "is a program or
 * a script, ..."). */
const char *ticket_attach_check(const char *name, const void *data, size_t n,
				const char **ctype);

/* Keeps a file on ticket (and reply, when > 0) of org, from staff or
 * contact (0: neither), in the caller's transaction: 0 (*id), 1 refused
 * (*why), -1 database error. */
int ticket_attach_store(struct db_conn *c, int64_t org, int64_t ticket,
			int64_t reply, const char *name, const void *data,
			size_t n, int64_t staff, int64_t contact, int64_t *id,
			const char **why);

struct req;
/* Answers r with attachment id of r's organisation as a download called
 * name (sandboxed, never cached), once the caller has decided the
 * attachment is visible. 0 or -1 (r->err). */
int ticket_attach_send(struct req *r, int64_t id, const char *name);

#endif
