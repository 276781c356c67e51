/* org_act.h — acting in another organisation (auth/org_act.c). */
#ifndef ATR_ORG_ACT_H
#define ATR_ORG_ACT_H

#include <jansson.h>

#include "http/http.h"

/* The acting part of a session's "me": {mode, org_id, org_name,
 * home_org_id, home_org_name, until}, or null when r's session acts
 * nowhere. Caller owns it; NULL on a database error. */
json_t *org_act_json(struct req *r);

#endif
