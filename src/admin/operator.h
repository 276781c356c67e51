/* operator.h — the operator console's usage figures (operator_usage.c),
 * shared by its list and its detail (operator.c). */
#ifndef ATR_OPERATOR_H
#define ATR_OPERATOR_H

#include "atrium.h"

#include <jansson.h>

struct buf;
struct db_stmt;
struct org_row;
struct req;

/* The usage columns of a row of `org o`, after members_included and
 * extra_seats: active members, all members, jobs waiting (queued or
 * running), dead jobs (blocked), bytes of ticket files. Each is one
 * indexed count on the organisation. */
#define OPERATOR_USAGE_COLS                                                    \
	"(SELECT COUNT(*) FROM staff s WHERE s.org_id = o.id AND s.active = "  \
	"1), (SELECT COUNT(*) FROM staff s WHERE s.org_id = o.id), (SELECT "   \
	"COUNT(*) FROM job j WHERE j.org_id = o.id AND j.status IN "           \
	"('queued', 'running')), (SELECT COUNT(*) FROM job j WHERE j.org_id "  \
	"= o.id AND j.status = 'blocked'), (SELECT COALESCE(SUM(a.bytes), 0) " \
	"FROM ticket_attachment a WHERE a.org_id = o.id)"

/* Writes ,"seats":{...},"usage":{...} from the row's columns from col
 * on (members_included, extra_seats, then OPERATOR_USAGE_COLS). */
void operator_usage_row(struct buf *b, struct db_stmt *st, int col);
/* Sets "seats" and "usage" of organisation o on j, the detail's figures
 * (the list's, plus its records per entity and in all, its child
 * organisations and its log archives' bytes). 0, or -1 with r->err. */
int operator_usage(struct req *r, const struct org_row *o, json_t *j);

#endif
