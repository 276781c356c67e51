/* auto_cond.c — conditions evaluated against a record (auto_check.c
 * states their shape), with a trace of every comparison for the run
 * history and test mode.
 *
 * Values compare as numbers when both sides read as numbers (money and
 * decimals are strings in the API: "1250.00"), else as text (dates and
 * times are ISO 8601, so text order is time order; eq on text ignores
 * nothing). Arrays (tags, staff lists, department_ids) are compared by
 * membership: eq/in/contains hold when an item matches. A related
 * record's field is read with one query on the record it names, in the
 * record's organisation.
 */
#include "atrium.h"

#include <math.h>
#include <errno.h>

#include "automation/automation_int.h"
#include "core/buf.h"
#include "db/db.h"
#include "entity/entity.h"

/* The text of a scalar for comparison into buf; NULL for null. */
static const char *text_of(const json_t *v, char *buf, size_t n)
{
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, n, "%.17g", json_real_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

static bool number_of(const char *s, double *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (*end || errno || !isfinite(d))
		return false;
	*out = d;
	return true;
}

/* <0, 0, >0 like strcmp; numbers numerically. */
static int compare(const json_t *a, const json_t *b)
{
	char ba[64], bb[64];
	const char *sa = text_of(a, ba, sizeof ba);
	const char *sb = text_of(b, bb, sizeof bb);
	if (!sa || !sb)
		return sa ? 1 : sb ? -1 : 0;
	double da, db;
	if (number_of(sa, &da) && number_of(sb, &db))
		return da < db ? -1 : da > db;
	return strcmp(sa, sb);
}

static bool empty(const json_t *v)
{
	return !v || json_is_null(v) ||
	       (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && !json_array_size(v));
}

/* Case-insensitive substring (ASCII folding; UTF-8 bytes compare as
 * they are). */
static bool has_text(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return true;
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

static bool eq_any(const json_t *actual, const json_t *v)
{
	if (json_is_array(actual)) {
		size_t i;
		json_t *it;
		json_array_foreach(actual, i, it) if (compare(it, v) == 0) return true;
		return false;
	}
	if (json_is_boolean(actual) && json_is_boolean(v))
		return json_equal(actual, v);
	return !empty(actual) && compare(actual, v) == 0;
}

static bool in_list(const json_t *actual, const json_t *list)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) if (eq_any(actual, v)) return true;
	return false;
}

/* ---- reading a path ------------------------------------------------------- */

static json_t *staff_value(const struct auto_subject *s, int64_t id,
			   const char *name)
{
	const char *sql;
	bool list = false;
	if (!strcmp(name, "department_ids")) {
		sql = "SELECT sd.department_id FROM staff_department sd JOIN "
		      "staff s ON s.id = sd.staff_id WHERE sd.staff_id = ? AND "
		      "s.org_id = ? ORDER BY 1";
		list = true;
	} else if (!strcmp(name, "team_ids")) {
		sql = "SELECT st.team_id FROM staff_team st JOIN staff s ON "
		      "s.id = st.staff_id WHERE st.staff_id = ? AND s.org_id = "
		      "? ORDER BY 1";
		list = true;
	} else if (!strcmp(name, "name")) {
		sql = "SELECT name FROM staff WHERE id = ? AND org_id = ?";
	} else if (!strcmp(name, "email")) {
		sql = "SELECT email FROM staff WHERE id = ? AND org_id = ?";
	} else if (!strcmp(name, "role_id")) {
		sql = "SELECT role_id FROM staff WHERE id = ? AND org_id = ?";
	} else if (!strcmp(name, "admin")) {
		sql = "SELECT admin FROM staff WHERE id = ? AND org_id = ?";
	} else if (!strcmp(name, "active")) {
		sql = "SELECT active FROM staff WHERE id = ? AND org_id = ?";
	} else {
		return json_null();
	}
	struct db_stmt *st = db_prepare(s->c, sql);
	if (!st)
		return NULL;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, s->org);
	json_t *out = list ? json_array() : json_null();
	int rc;
	while ((rc = db_step(st)) == 1) {
		if (list) {
			json_array_append_new(out, json_integer(db_col_int(st, 0)));
			continue;
		}
		json_decref(out);
		if (db_col_null(st, 0))
			out = json_null();
		else if (!strcmp(name, "admin") || !strcmp(name, "active"))
			out = json_boolean(db_col_int(st, 0) != 0);
		else if (!strcmp(name, "role_id"))
			out = json_integer(db_col_int(st, 0));
		else
			out = json_string(db_col_text(st, 0));
		break;
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Field name of record id of entity ent (a plain column), as the API
 * writes it. */
static json_t *ref_value(const struct auto_subject *s, const char *ent,
			 int64_t id, const char *name)
{
	const struct entity *e = entity_find(ent);
	const struct field *f = auto_field(ent, name);
	if (!e || !f || ftype_of(f->type)->joined)
		return json_null();
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ? AND org_id = ?",
		 f->name, e->name);
	struct db_stmt *st = db_prepare(s->c, sql);
	if (!st)
		return NULL;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, s->org);
	int rc = db_step(st);
	json_t *out = json_null();
	if (rc == 1 && !db_col_null(st, 0)) {
		struct buf b = BUF_INIT;
		field_write(&b, f, st, 0);
		json_decref(out);
		out = json_loads(buf_str(&b), JSON_DECODE_ANY, NULL);
		buf_free(&b);
		if (!out)
			out = json_null();
	}
	db_reset(st);
	return rc < 0 ? (json_decref(out), NULL) : out;
}

json_t *auto_value(const struct auto_subject *s, const json_t *rec,
		   const char *path)
{
	if (!rec || json_is_null(rec))
		return json_null();
	if (!strncmp(path, "custom_fields.", 14)) {
		json_t *v = json_object_get(json_object_get(rec, "custom_fields"),
					    path + 14);
		return v ? json_incref(v) : json_null();
	}
	const char *dot = strchr(path, '.');
	if (!dot) {
		json_t *v = json_object_get(rec, path);
		return v ? json_incref(v) : json_null();
	}
	char head[64];
	size_t n = (size_t)(dot - path);
	if (n >= sizeof head)
		return json_null();
	memcpy(head, path, n);
	head[n] = 0;
	const struct field *f = auto_field(s->entity, head);
	json_t *idv = json_object_get(rec, head);
	/* A reference is written as its id, or {id, name} in some answers. */
	if (json_is_object(idv))
		idv = json_object_get(idv, "id");
	if (!f || !json_is_integer(idv) || !s->c)
		return json_null();
	int64_t id = json_integer_value(idv);
	if (f->type == FT_STAFF)
		return staff_value(s, id, dot + 1);
	if (f->type == FT_REF && f->ref)
		return ref_value(s, f->ref, id, dot + 1);
	return json_null();
}

/* ---- evaluation -------------------------------------------------------------- */

static int leaf(const struct auto_subject *s, const json_t *c, json_t *trace)
{
	const char *field = json_string_value(json_object_get(c, "field"));
	const char *op = json_string_value(json_object_get(c, "op"));
	const json_t *v = json_object_get(c, "value");
	if (!field || !op)
		return 0;
	json_t *actual = auto_value(s, s->after, field);
	if (!actual)
		return -1;
	json_t *prev = NULL;
	bool changed_op = !strncmp(op, "changed", 7);
	if (changed_op) {
		prev = s->before ? auto_value(s, s->before, field) : json_null();
		if (!prev) {
			json_decref(actual);
			return -1;
		}
	}
	bool ok = false;
	if (!strcmp(op, "eq"))
		ok = eq_any(actual, v);
	else if (!strcmp(op, "ne"))
		ok = !eq_any(actual, v);
	else if (!strcmp(op, "in"))
		ok = in_list(actual, v);
	else if (!strcmp(op, "not_in"))
		ok = !in_list(actual, v);
	else if (!strcmp(op, "contains") || !strcmp(op, "not_contains")) {
		char b1[64], b2[64];
		const char *hay = text_of(actual, b1, sizeof b1);
		const char *nd = text_of(v, b2, sizeof b2);
		bool has = json_is_array(actual) ? eq_any(actual, v)
			   : hay && nd	       ? has_text(hay, nd)
					       : false;
		ok = !strcmp(op, "contains") ? has : !has;
	} else if (!strcmp(op, "gt"))
		ok = !empty(actual) && compare(actual, v) > 0;
	else if (!strcmp(op, "gte"))
		ok = !empty(actual) && compare(actual, v) >= 0;
	else if (!strcmp(op, "lt"))
		ok = !empty(actual) && compare(actual, v) < 0;
	else if (!strcmp(op, "lte"))
		ok = !empty(actual) && compare(actual, v) <= 0;
	else if (!strcmp(op, "empty"))
		ok = empty(actual);
	else if (!strcmp(op, "not_empty"))
		ok = !empty(actual);
	else if (!strcmp(op, "changed"))
		ok = s->before && !json_equal(prev, actual);
	else if (!strcmp(op, "changed_from"))
		ok = s->before && !json_equal(prev, actual) && eq_any(prev, v);
	else if (!strcmp(op, "changed_to"))
		ok = s->before && !json_equal(prev, actual) && eq_any(actual, v);
	if (trace) {
		json_t *t = json_pack("{s:s,s:s,s:O,s:b}", "field", field, "op",
				      op, "actual", actual, "result", ok);
		if (v)
			json_object_set(t, "value", (json_t *)v);
		if (prev)
			json_object_set(t, "before", prev);
		json_array_append_new(trace, t);
	}
	json_decref(actual);
	json_decref(prev);
	return ok;
}

/* A group: all (every item) or any (one item); items short-circuit, and
 * the trace shows the ones evaluated. */
static int group(const struct auto_subject *s, const json_t *g, json_t *trace)
{
	const json_t *all = json_object_get(g, "all");
	const json_t *items = all ? all : json_object_get(g, "any");
	json_t *sub = trace ? json_array() : NULL;
	int result = all ? 1 : 0;
	size_t i;
	const json_t *it;
	json_array_foreach(items, i, it)
	{
		int r = json_object_get(it, "all") || json_object_get(it, "any")
				? group(s, it, sub)
				: leaf(s, it, sub);
		if (r < 0) {
			json_decref(sub);
			return -1;
		}
		if (all && !r) {
			result = 0;
			break;
		}
		if (!all && r) {
			result = 1;
			break;
		}
	}
	if (trace)
		json_array_append_new(trace,
				      json_pack("{s:s,s:o,s:b}", "group",
						all ? "all" : "any", "items",
						sub, "result", result));
	return result;
}

int auto_cond_eval(const struct auto_subject *s, const json_t *conditions,
		   json_t **trace)
{
	json_t *t = trace ? json_array() : NULL;
	int rc = 1;
	if (json_object_size(conditions))
		rc = group(s, conditions, t);
	if (trace) {
		if (rc < 0) {
			json_decref(t);
			t = NULL;
		}
		*trace = t;
	}
	return rc;
}
