/* conntrack.h — the server's open connections, so that slow clients
 * cannot hold every connection slot.
 *
 * libmicrohttpd times out only connections that send nothing at all: a
 * client that trickles its request a byte at a time keeps its slot for as
 * long as it likes, and a few hundred of them (under the per-address
 * limit) used to lock everyone out until they gave up. So the server
 * degrades on purpose once it is under pressure, that is once three
 * quarters of conn_limit are open:
 *   - each new connection closes the oldest idle one (idle: not being
 *     answered right now, i.e. between requests or still sending one)
 *     that has been so for a second or more;
 *   - every second, idle connections older than slow_client_timeout are
 *     closed, oldest first, until the pressure is gone.
 * A connection being answered is never closed. Closing is shutdown() of
 * the socket: libmicrohttpd sees the end of the stream in its own thread
 * and cleans up as for any client that went away.
 *
 * Threads: the notify functions run on libmicrohttpd's threads, the sweep
 * on the tracker's own; everything is under one mutex.
 */
#ifndef ATR_CONNTRACK_H
#define ATR_CONNTRACK_H

#include "atrium.h"

struct conntrack;
struct conntrack_entry;

/* Starts tracking for a server allowing limit connections; the sweep
 * closes idle connections older than slow_s under pressure. */
struct conntrack *conntrack_start(int limit, int slow_s);
void conntrack_stop(struct conntrack *t);

/* A connection opened (its socket fd); returns its entry. */
struct conntrack_entry *conntrack_opened(struct conntrack *t, int fd);
/* It closed: the entry is freed; fd is no longer touched. */
void conntrack_closed(struct conntrack *t, struct conntrack_entry *e);
/* Its request is being answered (busy) or it is idle again. */
void conntrack_busy(struct conntrack *t, struct conntrack_entry *e,
		    bool busy);
/* Connections closed by the policy since start (for the log and tests). */
uint64_t conntrack_shed_count(struct conntrack *t);

#endif
