/* app.h — the process-wide state of `atrium serve` (and of CLI commands
 * that need the database). One instance, owned by the command that made it.
 */
#ifndef ATR_APP_H
#define ATR_APP_H

#include "atrium.h"

#include <stdatomic.h>

#include "core/config.h"

struct db;
struct module;
struct route;
struct metrics;
struct health;

#define APP_AUTH_MAX 8

struct req;

struct app {
	struct config cfg;
	struct db *db;
	/* The modules of the binary (atrium_modules, NULL-terminated). */
	const struct module *const *modules;
	struct route *routes; /* the route table, built once at start */
	int nroutes;
	/* The modules' authenticate hooks in table order (routes_build). */
	int (*authenticate[APP_AUTH_MAX])(struct req *r);
	int nauthenticate;
	/* The same for the contacts' realm (authenticate_contact). */
	int (*authenticate_contact[APP_AUTH_MAX])(struct req *r);
	int nauthenticate_contact;
	struct metrics *metrics;
	struct health *health; /* the readiness probe (serve only) */
	atomic_int inflight; /* requests being handled */
	atomic_bool draining; /* SIGTERM came: /readyz fails, answers close */
};

#endif
