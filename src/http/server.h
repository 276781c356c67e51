/* server.h — start and stop the HTTP server of `atrium serve`. */
#ifndef ATR_SERVER_H
#define ATR_SERVER_H

#include "atrium.h"

struct app;
struct server;

/* Listens on app->cfg.listen and serves the route table. NULL + err when
 * the address cannot be used (one line; "already in use" for a taken
 * port). Port 0 takes a free port from the kernel, and updates
 * cfg.listen (and public_url when derived from it) before serving. */
struct server *server_start(struct app *app, struct atr_err *err);
/* Stops accepting, waits for in-flight requests (at most 10 s), closes. */
void server_stop(struct server *s);

#endif
