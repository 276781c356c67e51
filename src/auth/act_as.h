/* act_as.h — background work acting as a member (auth/act_as.c). */
#ifndef ATR_ACT_AS_H
#define ATR_ACT_AS_H

#include "http/http.h"

/* fr becomes a request context of member staff of org (active),
 * with their grants, on the caller's connection c, for work done in the
 * background on their behalf; their name in the activity log reads
 * "<name> (<as>)". 0, or -1 with err: ATR_E_FORBIDDEN "<who> (member N)
 * is deactivated|deleted", or a database error. Either way the caller
 * ends fr with req_act_as_end (c stays the caller's). */
int req_act_as(struct req *fr, struct app *app, struct db_conn *c, int64_t org,
	       int64_t staff, const char *as, const char *who,
	       struct atr_err *err);
void req_act_as_end(struct req *fr);

#endif
