/* router.h — the route table, assembled once at start-up.
 *
 * routes_build concatenates the route arrays of app->modules (entity
 * modules list their five routes with ENTITY_ROUTES, entity/entity.h), in
 * table order, and refuses a malformed or duplicate row; it also collects
 * the modules' authenticate hooks, which the pipeline asks in that order.
 * router_match then maps a method and a decoded path to a route without
 * allocating.
 */
#ifndef ATR_ROUTER_H
#define ATR_ROUTER_H

#include "http/http.h"

struct app;

/* Builds app->routes/app->nroutes and app->authenticate; aborts on a
 * malformed table. */
void routes_build(struct app *app);
void routes_free(struct app *app);

enum match_result { MATCH_OK, MATCH_NO_PATH, MATCH_NO_METHOD, MATCH_BAD_ID };

/* Finds the route for method+path. On MATCH_OK sets *index, and (r not
 * NULL) r->id / r->wildcard / r->param from the path. On MATCH_NO_METHOD, allow gets the methods
 * the path accepts ("GET, POST"). */
enum match_result router_match(const struct app *app, enum http_method m,
			       const char *path, struct req *r, int *index,
			       char *allow, size_t allow_len);

#endif
