/* health_int.h — what the health module's files share (health.c,
 * health_setup.c). */
#ifndef ATR_HEALTH_INT_H
#define ATR_HEALTH_INT_H

struct req;

/* GET /api/v1/health/setup: the initial-setup checklist. */
int health_setup_h_get(struct req *r);

#endif
