/* field_set.c — an organisation's effective field set of an entity: the
 * compiled-in fields plus the ones its modules define at run time (custom
 * fields), from a cache.
 *
 * A set is built from the module descriptors' custom_fields hooks and kept
 * per (organisation, entity). Each set records the generation it was built
 * at; the generation lives in the database (field_gen), bumped by
 * entity_fields_changed in the transaction that changes a definition, so
 * every node notices: a set is checked against the database at most once
 * a second (monotonic clock) and rebuilt when its generation is old. The
 * node that made the change drops its set at once.
 *
 * Requests hold a reference to the set they use until they end
 * (req_defer), so a rebuild never frees a set in use.
 *
 * A change is uncommitted while its request runs: a request that rebuilds
 * the set meanwhile reads the old generation and the old definitions. So
 * such a set must not be cached as fresh, or it would serve the old
 * definitions for up to a second after the change committed (a create
 * right after adding a field refused with unknown_field). `changing`
 * counts changes in flight on this node and `epoch` moves at each start
 * and end of one; a rebuild that saw either is cached stale, and every
 * set is marked stale again when a change's request ends (after its
 * commit or rollback).
 */
#include "atrium.h"

#include <pthread.h>
#include <stdatomic.h>

#include "core/app.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/module.h"
#include "db/db.h"
#include "entity/entity_int.h"
#include "core/ftype.h"

/* How often a cached set is checked against the database's generation:
 * a second, so other nodes see a change within one. */
static _Atomic int64_t recheck_ns = 1000LL * 1000 * 1000;

struct field_set_priv {
	struct field_set pub;
	struct arena *arena; /* every string and array of the set */
	int64_t org, gen;
	_Atomic int64_t checked_ns;
	atomic_bool stale;
	atomic_int refs; /* the cache's own, plus one per request */
	struct field_set_priv *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct field_set_priv *sets;
static atomic_int changing;
static _Atomic int64_t epoch;

static void unref(struct field_set_priv *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1) {
		arena_free(s->arena);
		free(s);
	}
}

static void release(void *arg)
{
	unref(arg);
}

/* The generation of (org, entity) in the database; 0 when none yet. */
static int read_gen(struct db_conn *c, int64_t org, const struct entity *e,
		    int64_t *gen)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT gen FROM field_gen WHERE org_id = ? AND entity = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, e->name);
	int rc = db_step(st);
	*gen = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static void mark_stale(int64_t org, const struct entity *e)
{
	pthread_mutex_lock(&mu);
	for (struct field_set_priv *s = sets; s; s = s->next)
		if (s->org == org && s->pub.e == e)
			atomic_store(&s->stale, true);
	pthread_mutex_unlock(&mu);
}

struct change_end {
	int64_t org;
	const struct entity *e;
};

/* At the end of the changing request (its transaction is over). */
static void change_ended(void *arg)
{
	struct change_end *ce = arg;
	atomic_fetch_add(&epoch, 1);
	mark_stale(ce->org, ce->e);
	atomic_fetch_sub(&changing, 1);
	free(ce);
}

int entity_fields_changed(struct req *r, const struct entity *e)
{
	struct db_conn *c = r->db;
	int64_t org = r->who.org_id;
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO field_gen (org_id, entity, gen) VALUES (?, ?, 1) "
		   "ON CONFLICT (org_id, entity) DO UPDATE SET gen = "
		   "field_gen.gen + 1");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, e->name);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	struct change_end *ce = xmalloc(sizeof *ce);
	*ce = (struct change_end){org, e};
	atomic_fetch_add(&changing, 1);
	atomic_fetch_add(&epoch, 1);
	req_defer(r, change_ended, ce);
	mark_stale(org, e);
	return 0;
}

/* ---- building ---------------------------------------------------------------- */

static const char *str(struct arena *a, const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? arena_strdup(a, s) : NULL;
}

static bool flag(const json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

bool entity_field_parse(struct arena *a, const struct entity *e,
			const json_t *d, struct field *f)
{
	const char *name = json_string_value(json_object_get(d, "name"));
	const char *tn = json_string_value(json_object_get(d, "type"));
	enum ftype t = tn ? ftype_by_name(tn) : 0;
	bool ok = name && *name && strlen(name) <= 60 && t && t != FT_SECRET &&
		  t != FT_IDS && t != FT_OBJECT && t != FT_STAFF_LIST;
	for (const char *p = name; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		     *p == '_';
	if (!ok) {
		atr_log("custom fields: %s: a malformed definition is ignored",
			e->name);
		return false;
	}
	*f = (struct field){.name = arena_strdup(a, name), .type = t};
	f->label = str(a, d, "label");
	f->hint = str(a, d, "hint");
	f->ref = str(a, d, "ref");
	f->def = str(a, d, "default");
	f->max = (int)json_integer_value(json_object_get(d, "max"));
	f->scale = (int)json_integer_value(json_object_get(d, "scale"));
	f->flags = F_RUNTIME | (flag(d, "required") ? F_REQUIRED : 0u) |
		   (flag(d, "filterable") ? F_FILTER : 0u) |
		   (flag(d, "sortable") ? F_SORT : 0u) |
		   (flag(d, "list") ? F_LIST : 0u) |
		   (flag(d, "wide") ? F_WIDE : 0u) |
		   (flag(d, "multiline") ? F_MULTILINE : 0u) |
		   (flag(d, "admin_only") ? F_ADMIN_ONLY : 0u) |
		   (flag(d, "portal") ? F_PORTAL : 0u) |
		   (flag(d, "searchable") &&
				    (t == FT_TEXT || t == FT_EMAIL ||
				     t == FT_PHONE || t == FT_URL || t == FT_ENUM)
			    ? F_SEARCH
			    : 0u);
	f->width = (int)json_integer_value(json_object_get(d, "width"));
	if (f->width < 0 || f->width > 12)
		f->width = 0;
	const json_t *ch = json_object_get(d, "choices");
	if (json_is_array(ch) && json_array_size(ch)) {
		const char **c = arena_alloc(a, (json_array_size(ch) + 1) *
						     sizeof *c);
		size_t i, n = 0;
		json_t *v;
		json_array_foreach(ch, i, v)
			if (json_is_string(v))
				c[n++] = arena_strdup(a, json_string_value(v));
		f->choices = c;
	}
	return true;
}

const char *entity_cf_expr(struct arena *a, enum db_dialect d,
			   const struct field *f)
{
	const struct ftype_ops *t = ftype_of(f->type);
	if (d != DB_PG)
		return arena_printf(a, "json_extract(cf, '$.\"%s\"')", f->name);
	if (t->array)
		return arena_printf(a, "(cf::jsonb -> '%s')::text", f->name);
	/* Never an error, whatever a document holds: an index build also
	 * reads the versions of rows a transaction has just rewritten (a
	 * value before its type changed). */
	if (t->sql == FSQL_INT)
		return arena_printf(a,
				    "CASE WHEN jsonb_typeof(cf::jsonb -> '%s') "
				    "= 'number' THEN (cf::jsonb ->> '%s')::bigint "
				    "END",
				    f->name, f->name);
	return arena_printf(a, "(cf::jsonb ->> '%s')", f->name);
}

static struct field_set_priv *build(struct app *app, struct db_conn *c,
				    int64_t org, const struct entity *e,
				    int64_t gen)
{
	struct field_set_priv *s = xcalloc(1, sizeof *s);
	struct arena *a = arena_new();
	s->arena = a;
	s->org = org;
	s->gen = gen;
	atomic_store(&s->refs, 1);
	struct field *custom = arena_alloc(a, ENTITY_CUSTOM_MAX * sizeof *custom);
	int n = 0;
	for (int m = 0; app->modules[m]; m++) {
		const struct module *mod = app->modules[m];
		json_t *defs = NULL;
		if (!mod->custom_fields)
			continue;
		if (mod->custom_fields(c, org, e, &defs) < 0) {
			json_decref(defs);
			arena_free(a);
			free(s);
			return NULL;
		}
		size_t i;
		json_t *d;
		json_array_foreach(defs, i, d)
			if (n < ENTITY_CUSTOM_MAX && entity_field_parse(a, e, d, &custom[n]))
				n++;
		json_decref(defs);
	}
	const struct entity_sql *q = entity_sql_of(e);
	struct field_set *fs = &s->pub;
	fs->e = e;
	fs->custom = custom;
	fs->ncustom = n;
	/* The body: the compiled-in fields, and custom_fields (an object the
	 * route check judges key by key). */
	struct field *body = arena_alloc(a, ((size_t)e->schema.nfields + 1) *
						    sizeof *body);
	memcpy(body, e->schema.fields,
	       (size_t)e->schema.nfields * sizeof *body);
	body[e->schema.nfields] = (struct field){.name = "custom_fields",
						 .type = FT_OBJECT};
	struct schema *sch = arena_alloc(a, sizeof *sch);
	*sch = (struct schema){body, e->schema.nfields + 1};
	fs->body = sch;
	/* The list: the entity's columns, then custom_fields.<name>. */
	struct list_col *cols = arena_alloc(
		a, ((size_t)q->list.ncolumns + (size_t)n) * sizeof *cols);
	memcpy(cols, q->list.columns, (size_t)q->list.ncolumns * sizeof *cols);
	int k = q->list.ncolumns;
	for (int i = 0; i < n; i++) {
		struct field *pf = arena_alloc(a, sizeof *pf);
		*pf = custom[i];
		pf->name = arena_printf(a, "custom_fields.%s", custom[i].name);
		cols[k++] = (struct list_col){
			pf, entity_cf_expr(a, db_conn_dialect(c), &custom[i]),
			((custom[i].flags & F_FILTER) ? LIST_FILTER : 0u) |
				((custom[i].flags & F_SORT) ? LIST_SORT : 0u)};
	}
	fs->columns = cols;
	fs->ncolumns = k;
	return s;
}

/* ---- the cache --------------------------------------------------------------- */

const struct field_set *entity_fields(struct req *r, const struct entity *e)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return NULL;
	/* Once per request: the set this request already holds. */
	for (int i = 0; i < r->ndefer; i++)
		if (r->defer[i].fn == release &&
		    ((struct field_set_priv *)r->defer[i].arg)->pub.e == e)
			return &((struct field_set_priv *)r->defer[i].arg)->pub;
	int64_t org = r->who.org_id ? r->who.org_id : 1, now = atr_mono_ns();
	pthread_mutex_lock(&mu);
	struct field_set_priv *s = sets;
	while (s && !(s->org == org && s->pub.e == e))
		s = s->next;
	if (s)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&mu);
	if (s && !atomic_load(&s->stale) &&
	    now - atomic_load(&s->checked_ns) < atomic_load(&recheck_ns)) {
		req_defer(r, release, s);
		return &s->pub;
	}
	int64_t gen, epoch0 = atomic_load(&epoch);
	if (read_gen(c, org, e, &gen) < 0) {
		if (s)
			unref(s);
		req_db_error(r);
		return NULL;
	}
	if (s && s->gen == gen && !atomic_load(&s->stale)) {
		atomic_store(&s->checked_ns, now);
		req_defer(r, release, s);
		return &s->pub;
	}
	if (s)
		unref(s);
	struct field_set_priv *fresh = build(r->app, c, org, e, gen);
	if (!fresh) {
		req_db_error(r);
		return NULL;
	}
	atomic_store(&fresh->checked_ns, now);
	/* Built while a change was in flight: good for this request only. */
	if (atomic_load(&changing) > 0 || atomic_load(&epoch) != epoch0)
		atomic_store(&fresh->stale, true);
	/* Swap it in: the old set goes when its last request ends. */
	pthread_mutex_lock(&mu);
	struct field_set_priv **pp = &sets;
	while (*pp && !((*pp)->org == org && (*pp)->pub.e == e))
		pp = &(*pp)->next;
	if (*pp) {
		struct field_set_priv *old = *pp;
		fresh->next = old->next;
		*pp = fresh;
		unref(old);
	} else {
		fresh->next = sets;
		sets = fresh;
	}
	atomic_fetch_add(&fresh->refs, 1);
	pthread_mutex_unlock(&mu);
	req_defer(r, release, fresh);
	return &fresh->pub;
}

void entity_fields_fini(void)
{
	pthread_mutex_lock(&mu);
	while (sets) {
		struct field_set_priv *s = sets;
		sets = s->next;
		unref(s);
	}
	pthread_mutex_unlock(&mu);
}

const struct field *entity_custom_field(const struct field_set *fs,
					const char *name)
{
	for (int i = 0; i < fs->ncustom; i++)
		if (!strcmp(fs->custom[i].name, name))
			return &fs->custom[i];
	return NULL;
}

void entity_fields_recheck(int64_t ns)
{
	atomic_store(&recheck_ns, ns);
}

char *entity_cf_search(const struct field_set *fs, const json_t *cf)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < fs->ncustom; i++) {
		const struct field *f = &fs->custom[i];
		const char *v = json_string_value(json_object_get(cf, f->name));
		if (!(f->flags & F_SEARCH) || (f->flags & F_ADMIN_ONLY) || !v ||
		    !*v)
			continue;
		if (b.len)
			buf_addc(&b, '\n');
		buf_adds(&b, v);
	}
	if (b.len)
		return buf_detach(&b);
	buf_free(&b);
	return NULL;
}

const char *entity_cf_search_sql(struct arena *a, enum db_dialect d,
				 const struct field *custom, int n)
{
	struct buf b = BUF_INIT;
	const char *nl = d == DB_PG ? "E'\\n'" : "char(10)";
	for (int i = 0; i < n; i++) {
		const struct field *f = &custom[i];
		if (!(f->flags & F_SEARCH) || (f->flags & F_ADMIN_ONLY))
			continue;
		buf_printf(&b, "%scoalesce(%s || %s, '')", b.len ? " || " : "",
			   nl, entity_cf_expr(a, d, f));
	}
	const char *out = b.len ? arena_printf(a, "NULLIF(ltrim(%s, %s), '')",
					       buf_str(&b), nl)
				: "NULL";
	buf_free(&b);
	return out;
}

/* ---- what only administrators see ------------------------------------------ */

/* Whether a member who is not an administrator may see custom value k:
 * a field of the set not reserved to administrators. A value the set does
 * not know (a field deactivated or deleted since) is not shown: when
 * unsure, nothing. */
static bool custom_visible(const struct field_set *fs, const char *k)
{
	const struct field *f = fs ? entity_custom_field(fs, k) : NULL;
	return f && !(f->flags & F_ADMIN_ONLY);
}

static bool builtin_admin_only(const struct entity *e, const char *k)
{
	const struct field *f = schema_find(&e->schema, k);
	return f && (f->flags & F_ADMIN_ONLY);
}

void entity_redact(struct req *r, const struct entity *e, json_t *rec)
{
	if (!json_is_object(rec) || r->who.admin)
		return;
	for (int i = 0; i < e->schema.nfields; i++)
		if (e->schema.fields[i].flags & F_ADMIN_ONLY)
			json_object_del(rec, e->schema.fields[i].name);
	json_t *cf = json_object_get(rec, "custom_fields");
	if (!cf)
		return;
	const struct field_set *fs = entity_fields(r, e);
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(cf, tmp, k, v)
		if (!custom_visible(fs, k))
			json_object_del(cf, k);
}

void entity_redact_diff(struct req *r, const struct entity *e, json_t *diff)
{
	if (!json_is_object(diff) || r->who.admin)
		return;
	const struct field_set *fs = NULL;
	bool loaded = false;
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(diff, tmp, k, v)
	{
		if (builtin_admin_only(e, k)) {
			json_object_del(diff, k);
			continue;
		}
		if (strncmp(k, "custom_fields", 13))
			continue;
		if (!loaded) {
			fs = entity_fields(r, e);
			loaded = true;
		}
		if (k[13] == '.') {
			if (!custom_visible(fs, k + 14))
				json_object_del(diff, k);
			continue;
		}
		if (k[13] != '\0')
			continue;
		/* {"custom_fields": {"from": {...}, "to": {...}}} */
		static const char *const sides[] = {"from", "to"};
		for (size_t i = 0; i < 2; i++) {
			json_t *o = json_object_get(v, sides[i]);
			const char *k2;
			json_t *v2;
			void *tmp2;
			json_object_foreach_safe(o, tmp2, k2, v2)
				if (!custom_visible(fs, k2))
					json_object_del(o, k2);
		}
	}
}
