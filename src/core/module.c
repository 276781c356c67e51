/* module.c — the loops over the module table that belong to no layer in
 * particular: lifecycle hooks and housekeeping. */
#include "atrium.h"

#include "core/app.h"
#include "core/module.h"
#include "db/db.h"

static int count(const struct app *app)
{
	int n = 0;
	while (app->modules[n])
		n++;
	return n;
}

int modules_init(struct app *app, struct atr_err *err)
{
	int n = count(app);
	for (int i = 0; i < n; i++) {
		const struct module *m = app->modules[i];
		if (!m->init || m->init(app, err) == 0)
			continue;
		atr_fail(err, ATR_E_INTERNAL, "module %s failed to start",
			 m->name);
		while (--i >= 0)
			if (app->modules[i]->fini)
				app->modules[i]->fini(app);
		return -1;
	}
	return 0;
}

int modules_start(struct app *app, struct atr_err *err)
{
	int n = count(app);
	for (int i = 0; i < n; i++) {
		const struct module *m = app->modules[i];
		if (!m->start || m->start(app, err) == 0)
			continue;
		atr_fail(err, ATR_E_INTERNAL, "module %s: workers failed to "
					      "start",
			 m->name);
		while (--i >= 0)
			if (app->modules[i]->stop)
				app->modules[i]->stop(app);
		return -1;
	}
	return 0;
}

void modules_stop(struct app *app)
{
	for (int i = count(app) - 1; i >= 0; i--)
		if (app->modules[i]->stop)
			app->modules[i]->stop(app);
}

void modules_fini(struct app *app)
{
	if (!app->modules)
		return;
	for (int i = count(app) - 1; i >= 0; i--)
		if (app->modules[i]->fini)
			app->modules[i]->fini(app);
}

int64_t modules_housekeeping(struct app *app, struct db_conn *c,
			     int64_t now_ms)
{
	int64_t now = now_ms, removed = 0;
	bool pg = db_conn_dialect(c) == DB_PG;
	for (int i = 0; app->modules[i]; i++) {
		const struct housekeeping *h = app->modules[i]->housekeeping;
		for (; h && h->sql; h++) {
			struct db_stmt *st =
				db_prepare(c, pg && h->sql_pg ? h->sql_pg
							      : h->sql);
			if (!st)
				return -1;
			for (int k = 0; k < h->nbinds; k++) {
				char t[ATR_TIME_LEN];
				atr_time_iso(now - h->ages_ms[k], t);
				db_bind_text(st, k + 1, t);
			}
			int rc;
			while ((rc = db_step(st)) == 1)
				removed++;
			db_reset(st);
			if (rc < 0)
				return -1;
		}
	}
	return removed;
}

void modules_observe(struct app *app, const struct req *r, double ms)
{
	for (int i = 0; app->modules[i]; i++)
		if (app->modules[i]->observe)
			app->modules[i]->observe(app, r, ms);
}
