/* registry.c — the job kinds of a module table, and the claim statements
 * built from them (kind names are checked here, so they can be written
 * into SQL as literals). */
#include "atrium.h"

#include "core/buf.h"
#include "core/module.h"
#include "jobs/jobs_int.h"

static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 60)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.' || *s == ':' || *s == '-'))
			return false;
	return true;
}

static void fill_defaults(struct job_kind *k)
{
	if (k->max_attempts <= 0)
		k->max_attempts = JOB_DEFAULT_ATTEMPTS;
	if (k->lease_ms <= 0)
		k->lease_ms = JOB_DEFAULT_LEASE_MS;
	if (k->backoff_base_ms <= 0)
		k->backoff_base_ms = JOB_DEFAULT_BACKOFF_MS;
}

/* "'a', 'b'": the kind names as SQL literals (checked by name_ok). */
static void kind_list(const struct jobs_registry *reg, struct buf *b)
{
	for (int i = 0; i < reg->n; i++)
		buf_printf(b, "%s'%s'", i ? ", " : "", reg->kinds[i].name);
}

/* The UPDATE that claims the rows `cond` selects, with each kind's lease:
 * binds owner, one lease_until per kind, started_at, then cond's binds,
 * then the limit. */
static char *claim_sql(const struct jobs_registry *reg, const char *cond,
		       bool pg)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "UPDATE job SET status = 'running', attempts = "
		     "attempts + 1, lease_owner = ?, lease_until = CASE kind");
	for (int i = 0; i < reg->n; i++)
		buf_printf(&b, " WHEN '%s' THEN ?", reg->kinds[i].name);
	buf_adds(&b, " END, started_at = ? WHERE id IN (SELECT j.id FROM "
		     "job j WHERE j.kind IN (");
	kind_list(reg, &b);
	/* A suspended organisation's jobs wait, queued, until it is
	 * resumed (one primary-key read per candidate row). */
	buf_printf(&b, ") AND (%s) AND NOT EXISTS (SELECT 1 FROM org o WHERE "
		       "o.id = j.org_id AND o.status = 'suspended') AND "
		       "(j.order_key IS NULL OR NOT EXISTS "
		       "(SELECT 1 FROM job p WHERE p.order_key = j.order_key "
		       "AND p.order_seq < j.order_seq AND p.status <> 'done')) "
		       "ORDER BY j.run_at, j.id LIMIT ?%s) RETURNING id, kind, "
		       "org_id, attempts, payload, created_at",
		   cond, pg ? " FOR UPDATE SKIP LOCKED" : "");
	char *s = xstrdup(buf_str(&b));
	buf_free(&b);
	return s;
}

/* Appends a copy of k (defaults filled) to reg; 0 or -1 with err. */
static int add_kind(struct jobs_registry *reg, int *cap,
		    const struct job_kind *k, const struct event_sub *sub,
		    char *owned, struct atr_err *err)
{
	if (!name_ok(k->name) || !k->run)
		return atr_fail(err, ATR_E_INTERNAL,
				"job kind '%s': bad name or no handler",
				k->name ? k->name : "");
	if (jobs_kind_index(reg, k->name) >= 0)
		return atr_fail(err, ATR_E_INTERNAL,
				"job kind '%s' is declared twice", k->name);
	if (reg->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		reg->kinds = xrealloc(reg->kinds, sizeof *reg->kinds * *cap);
		reg->subs = xrealloc(reg->subs, sizeof *reg->subs * *cap);
		reg->owned = xrealloc(reg->owned, sizeof *reg->owned * *cap);
	}
	reg->kinds[reg->n] = *k;
	fill_defaults(&reg->kinds[reg->n]);
	reg->subs[reg->n] = sub;
	reg->owned[reg->n] = owned;
	reg->n++;
	return 0;
}

/* Builds reg from mods (see jobs_int.h); freed by jobs_registry_free. */
int jobs_registry_build(const struct module *const *mods,
			struct jobs_registry *reg, struct atr_err *err)
{
	memset(reg, 0, sizeof *reg);
	int cap = 0;
	for (int m = 0; mods[m]; m++)
		for (const struct job_kind *k = mods[m]->job_kinds; k && k->name;
		     k++)
			if (add_kind(reg, &cap, k, NULL, NULL, err) < 0)
				goto fail;
	for (int m = 0; mods[m]; m++)
		for (const struct event_sub *s = mods[m]->subscribers;
		     s && s->name; s++) {
			if (!s->handle) {
				atr_fail(err, ATR_E_INTERNAL,
					 "subscriber '%s' has no handler",
					 s->name);
				goto fail;
			}
			char *name = xasprintf("event:%s", s->name);
			struct job_kind k = {
				.name = name,
				.run = dispatch_run,
				.max_attempts = s->max_attempts,
				.lease_ms = s->lease_ms,
				.backoff_base_ms = s->backoff_base_ms,
				.arg = s,
			};
			if (add_kind(reg, &cap, &k, s, name, err) < 0) {
				free(name);
				goto fail;
			}
		}
	reg->ok = xcalloc((size_t)reg->n + 1, sizeof *reg->ok);
	reg->failed = xcalloc((size_t)reg->n + 1, sizeof *reg->failed);
	/* The dialects differ only by the locking clause. The rescue
	 * statement reads more rows; the runner runs it every few seconds,
	 * the due one (an index range in run_at order) whenever it claims. */
	for (int pg = 0; reg->n && pg < 2; pg++) {
		reg->claim_sql[0][pg] = claim_sql(
			reg, "j.status = 'queued' AND j.run_at <= ?", pg);
		reg->claim_sql[1][pg] = claim_sql(
			reg,
			"(j.status = 'running' AND j.lease_until <= ? AND "
			"j.lease_owner <> ?) OR (j.status = 'queued' AND "
			"j.scheduled_at > ?)",
			pg);
	}
	return 0;
fail:
	jobs_registry_free(reg);
	return -1;
}

void jobs_registry_free(struct jobs_registry *reg)
{
	for (int i = 0; i < reg->n; i++)
		free(reg->owned[i]);
	free(reg->owned);
	free(reg->kinds);
	free(reg->subs);
	free((void *)reg->ok);
	free((void *)reg->failed);
	for (int r = 0; r < 2; r++)
		for (int pg = 0; pg < 2; pg++)
			free(reg->claim_sql[r][pg]);
	memset(reg, 0, sizeof *reg);
}

int jobs_kind_index(const struct jobs_registry *reg, const char *name)
{
	for (int i = 0; i < reg->n; i++)
		if (!strcmp(reg->kinds[i].name, name))
			return i;
	return -1;
}
