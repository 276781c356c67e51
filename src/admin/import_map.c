/* import_map.c — which fields an import may fill, which column is which,
 * and a cell's text as the value the entity's own validator judges
 * (import_int.h). Nothing here decides whether a value is valid: a text
 * that cannot be the type is passed on as it is, and the entity write
 * path's validator refuses it with the message the API gives. */
#include "atrium.h"

#include <ctype.h>
#include <strings.h>

#include "admin/import_int.h"
#include "core/arena.h"
#include "core/ftype.h"
#include "db/db.h"

/* The entities an import fills: the CRM records people keep in
 * spreadsheets (issue 15). Documents with lines (invoices, proposals) are
 * not imported: their lines are not one row. */
static const char *const importable[] = {
	"leads", "clients", "contacts", "tasks", "tickets", "contracts",
	"projects", NULL,
};

const struct entity *imp_entity(const char *plural)
{
	if (!plural)
		return NULL;
	for (const char *const *p = importable; *p; p++) {
		if (strcmp(*p, plural))
			continue;
		for (int i = 0; i < entity_count(); i++)
			if (!strcmp(entity_at(i)->plural, plural))
				return entity_at(i);
	}
	return NULL;
}

static bool importable_type(const struct field *f)
{
	switch (f->type) {
	case FT_SECRET:
	case FT_IDS:
	case FT_OBJECT:
	case FT_ITEMS:
		return false;
	default:
		return !(f->flags & F_READONLY);
	}
}

int imp_targets(struct req *r, const struct field_set *fs,
		struct imp_target **out)
{
	const struct schema *s = &fs->e->schema;
	int cap = s->nfields + fs->ncustom, n = 0;
	struct imp_target *t =
		arena_alloc(r->arena, (size_t)(cap ? cap : 1) * sizeof *t);
	for (int i = 0; i < s->nfields + fs->ncustom; i++) {
		bool custom = i >= s->nfields;
		const struct field *f = custom ? &fs->custom[i - s->nfields]
					       : &s->fields[i];
		if (!importable_type(f) ||
		    ((f->flags & F_ADMIN_ONLY) && !r->who.admin))
			continue;
		t[n].f = f;
		t[n].custom = custom;
		snprintf(t[n].name, sizeof t[n].name, "%s%s",
			 custom ? "custom_fields." : "", f->name);
		n++;
	}
	*out = t;
	return n;
}

const struct imp_target *imp_target_find(const struct imp_target *t, int n,
					 const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

/* A header or label folded for matching: lower case, the required mark
 * ("*") and surrounding space dropped, runs of spaces, '-' and '.' as one
 * '_'. */
static void fold(const char *s, char *out, size_t n)
{
	size_t j = 0;
	bool sep = false;
	for (; *s && j + 2 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '*')
			continue;
		if (c == ' ' || c == '-' || c == '.' || c == '_' || c == '\t') {
			sep = j > 0;
			continue;
		}
		if (sep)
			out[j++] = '_';
		sep = false;
		out[j++] = (char)tolower(c);
	}
	out[j] = 0;
}

const struct imp_target *imp_match_header(const struct imp_target *t, int n,
					  const char *header)
{
	char h[128], a[128], lbuf[128];
	fold(header, h, sizeof h);
	if (!h[0])
		return NULL;
	for (int i = 0; i < n; i++) {
		fold(t[i].name, a, sizeof a);
		if (!strcmp(a, h))
			return &t[i];
		fold(t[i].f->name, a, sizeof a);
		if (!strcmp(a, h))
			return &t[i];
		fold(field_label(t[i].f, lbuf, sizeof lbuf), a, sizeof a);
		if (!strcmp(a, h))
			return &t[i];
	}
	return NULL;
}

bool imp_dup_key_ok(const struct imp_target *t)
{
	if (t->custom)
		return false; /* a JSON member: no index to find it by */
	switch (t->f->type) {
	case FT_TEXT:
	case FT_EMAIL:
	case FT_PHONE:
	case FT_URL:
		return true;
	default:
		return false;
	}
}

/* ---- staff, by email or id ---------------------------------------------- */

int imp_staff_load(struct db_conn *c, int64_t org, struct imp_staff *s)
{
	memset(s, 0, sizeof *s);
	struct db_stmt *st = db_prepare(
		c, "SELECT id, email FROM staff WHERE org_id = ? AND active = 1 "
		   "ORDER BY id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int cap = 0, rc;
	while ((rc = db_step(st)) == 1) {
		if (s->n == cap) {
			cap = cap ? cap * 2 : 64;
			s->ids = xrealloc(s->ids, (size_t)cap * sizeof *s->ids);
			s->emails = xrealloc(s->emails,
					     (size_t)cap * sizeof *s->emails);
		}
		s->ids[s->n] = db_col_int(st, 0);
		char *e = xstrdup(db_col_text(st, 1));
		for (char *p = e; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		s->emails[s->n++] = e;
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

void imp_staff_free(struct imp_staff *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->emails[i]);
	free(s->emails);
	free(s->ids);
	memset(s, 0, sizeof *s);
}

/* A member named by id or email: the id as JSON, or the text as it was
 * (the validator refuses it). */
static json_t *staff_value(const char *v, const struct imp_staff *s)
{
	int64_t id;
	if (atr_parse_i64(v, &id) == 0)
		return json_integer(id);
	for (int i = 0; i < s->n; i++)
		if (!strcasecmp(s->emails[i], v))
			return json_integer(s->ids[i]);
	return json_string(v);
}

/* ---- a cell's value ------------------------------------------------------- */

/* s without the space around it, in a (at most len bytes). */
static char *trim(const char *s, char *buf, size_t n)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = 0;
	return buf;
}

/* Splits v at commas (or semicolons) into an array of trimmed items,
 * each made a value by one(). */
static json_t *split(const char *v, json_t *(*one)(const char *, const void *),
		     const void *arg)
{
	json_t *a = json_array();
	const char *p = v;
	while (*p) {
		size_t n = strcspn(p, ",;");
		char *raw = xstrndup(p, n), *item = xmalloc(n + 1);
		trim(raw, item, n + 1);
		if (item[0])
			json_array_append_new(a, one(item, arg));
		free(raw);
		free(item);
		p += n;
		if (*p)
			p++;
	}
	return a;
}

static json_t *one_text(const char *v, const void *arg)
{
	return json_string(v);
}

static json_t *one_staff(const char *v, const void *arg)
{
	return staff_value(v, arg);
}

json_t *imp_cell_value(const struct imp_target *t, const char *cell,
		       const struct imp_staff *staff)
{
	static __thread char v[SHEET_MAX_CELL + 1];
	trim(cell, v, sizeof v);
	if (!v[0])
		return NULL;
	const struct field *f = t->f;
	switch (f->type) {
	case FT_INT: {
		int64_t i;
		return atr_parse_i64(v, &i) == 0 ? json_integer(i)
						 : json_string(v);
	}
	case FT_BOOL: {
		static const char *const yes[] = {"true", "yes", "1", "da", "y",
						  NULL};
		static const char *const no[] = {"false", "no", "0", "nu", "n",
						 NULL};
		for (int i = 0; yes[i]; i++)
			if (!strcasecmp(v, yes[i]))
				return json_true();
		for (int i = 0; no[i]; i++)
			if (!strcasecmp(v, no[i]))
				return json_false();
		return json_string(v);
	}
	case FT_ENUM:
		/* The choice as the template's drop-down spells it, whatever
		 * the case the cell has. */
		for (int i = 0; f->choices && f->choices[i]; i++)
			if (!strcasecmp(v, f->choices[i]))
				return json_string(f->choices[i]);
		return json_string(v);
	case FT_MULTI:
	case FT_TAGS:
		return split(v, one_text, NULL);
	case FT_STAFF:
		return staff_value(v, staff);
	case FT_STAFF_LIST:
		return split(v, one_staff, staff);
	case FT_REF: {
		int64_t i;
		return atr_parse_i64(v, &i) == 0 ? json_integer(i)
						 : json_string(v);
	}
	case FT_CURRENCY:
	case FT_COUNTRY: {
		for (char *p = v; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		return json_string(v);
	}
	default: /* text, email, phone, url, money, decimal, dates: as text */
		return json_string(v);
	}
}
