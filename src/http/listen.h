/* listen.h — the server's listening socket, made by Atrium rather than
 * libmicrohttpd: bind() tells a port in use apart from other failures
 * (one line naming reuse_port), SO_REUSEPORT is set only when reuse_port
 * asks for it, and port 0 takes a free port whose number the
 * configuration then names (tests start servers without a window between
 * choosing a port and binding it).
 */
#ifndef ATR_LISTEN_H
#define ATR_LISTEN_H

#include "atrium.h"

struct config;

/* Binds and listens on cfg->listen ("IPv4-address:port"; "localhost" is
 * 127.0.0.1). With port 0, cfg->listen, and cfg->public_url when it was
 * derived from it, are rewritten to the port the kernel gave. The socket
 * (non-blocking, close-on-exec), or -1 with one line in err. */
int listen_socket(struct config *cfg, struct atr_err *err);

#endif
