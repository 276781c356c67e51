/* org.c — organisations: the hierarchy rules, status and seats (see
 * org.h). */
#include "atrium.h"

#include "auth/org.h"
#include "db/db.h"

static const char *const kind_names[ORG_KIND_N] = {
	[ORG_OPERATOR] = "operator",
	[ORG_BUSINESS] = "business",
	[ORG_MERCHANT] = "merchant",
};

const char *org_kind_name(enum org_kind k)
{
	return k < ORG_KIND_N ? kind_names[k] : "business";
}

int org_kind_parse(const char *s)
{
	for (int i = 0; s && i < ORG_KIND_N; i++)
		if (!strcmp(s, kind_names[i]))
			return i;
	return -1;
}

int org_child_allowed(const struct org_row *parent, enum org_kind child,
		      struct atr_err *err)
{
	if (child == ORG_OPERATOR) {
		atr_field(err, "kind", "invalid",
			  "there is one operator organisation, the first; "
			  "another cannot be added");
		return -1;
	}
	if (!parent) {
		atr_field(err, "parent", "required",
			  "a %s needs a parent organisation",
			  org_kind_name(child));
		return -1;
	}
	enum org_kind want = child == ORG_BUSINESS ? ORG_OPERATOR
						   : ORG_BUSINESS;
	if (parent->kind != want) {
		atr_field(err, "parent", "invalid",
			  "a %s sits under %s, not under %s '%s' (operator > "
			  "business > merchant, nothing deeper)",
			  org_kind_name(child),
			  want == ORG_OPERATOR ? "the operator" : "a business",
			  org_kind_name(parent->kind), parent->name);
		return -1;
	}
	return 0;
}

int org_seats_check(int64_t active, int64_t included, int64_t extra,
		    struct atr_err *err)
{
	if (active < included + extra)
		return 0;
	return atr_fail(err, ATR_E_CONFLICT,
			"seat limit reached: %lld of %lld seats are in use "
			"(%lld included + %lld extra); deactivate an "
			"inactive account to free a seat, or ask the "
			"operator for more seats",
			(long long)active, (long long)(included + extra),
			(long long)included, (long long)extra);
}

#define ORG_COLS                                                               \
	"id, COALESCE(parent_id, 0), kind, status, members_included, "         \
	"extra_seats, name, created_at, suspended_at"

int org_load(struct db_conn *c, int64_t id, struct org_row *o)
{
	memset(o, 0, sizeof *o);
	struct db_stmt *st =
		db_prepare(c, "SELECT " ORG_COLS " FROM org WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	int rc = db_step(st);
	if (rc == 1) {
		o->id = db_col_int(st, 0);
		o->parent_id = db_col_int(st, 1);
		int k = org_kind_parse(db_col_text(st, 2));
		o->kind = k < 0 ? ORG_BUSINESS : (enum org_kind)k;
		o->suspended = !strcmp(db_col_text(st, 3), "suspended");
		o->members_included = db_col_int(st, 4);
		o->extra_seats = db_col_int(st, 5);
		atr_strlcpy(o->name, db_col_text(st, 6), sizeof o->name);
		atr_strlcpy(o->created_at, db_col_text(st, 7),
			    sizeof o->created_at);
		if (!db_col_null(st, 8))
			atr_strlcpy(o->suspended_at, db_col_text(st, 8),
				    sizeof o->suspended_at);
	}
	db_reset(st);
	return rc;
}

int64_t org_seats_used(struct db_conn *c, int64_t org)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT COUNT(*) FROM staff WHERE org_id = ? AND active = "
		   "1");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

int org_active(struct db_conn *c, int64_t org)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT status FROM org WHERE id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	int rc = db_step(st);
	int active = rc == 1 && !strcmp(db_col_text(st, 0), "active");
	db_reset(st);
	return rc < 0 ? -1 : active;
}

static int db_failed(struct db_conn *c, struct atr_err *err)
{
	return atr_fail(err, ATR_E_INTERNAL, "database error: %s",
			db_errmsg(c));
}

static void check_seats(const char *field, int64_t v, int64_t min,
			struct atr_err *err)
{
	if (v >= 0 && (v < min || v > ORG_SEATS_MAX))
		atr_field(err, field, "invalid", "must be between %lld and %d",
			  (long long)min, ORG_SEATS_MAX);
}

static void check_name(const char *name, struct atr_err *err)
{
	if (!name || !*name) {
		atr_field(err, "name", "required", "must not be empty");
		return;
	}
	if (strlen(name) > ORG_NAME_MAX) {
		atr_field(err, "name", "too_long", "must be at most %d bytes",
			  ORG_NAME_MAX);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			atr_field(err, "name", "invalid",
				  "must be one line without control "
				  "characters");
			return;
		}
}

int org_create(struct db_conn *c, const char *name, enum org_kind kind,
	       int64_t parent_id, int64_t members_included,
	       int64_t extra_seats, int64_t *id, struct atr_err *err)
{
	ATR_ASSERT(db_in_tx(c));
	check_name(name, err);
	check_seats("members_included", members_included, 1, err);
	check_seats("extra_seats", extra_seats, 0, err);
	struct org_row parent;
	int found = parent_id > 0 ? org_load(c, parent_id, &parent) : 0;
	if (found < 0)
		return db_failed(c, err);
	if (parent_id > 0 && !found)
		atr_field(err, "parent", "not_found",
			  "no organisation %lld", (long long)parent_id);
	else
		org_child_allowed(found ? &parent : NULL, kind, err);
	if (err->kind != ATR_E_NONE)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	/* SQLite would give a deleted organisation's id again (the
	 * highest): never, org_deleted remembers them (org_delete.c). */
	struct db_stmt *st = db_prepare(
	    c, db_conn_dialect(c) == DB_PG
		   ? "INSERT INTO org (name, created_at, parent_id, "
		     "kind, status, members_included, extra_seats) "
		     "VALUES (?, ?, ?, ?, 'active', ?, ?) RETURNING id"
		   : "INSERT INTO org (name, created_at, parent_id, "
		     "kind, status, members_included, extra_seats, "
		     "id) VALUES (?, ?, ?, ?, 'active', ?, ?, (SELECT "
		     "MAX(m) + 1 FROM (SELECT MAX(id) AS m FROM org "
		     "UNION ALL SELECT MAX(id) FROM org_deleted))) "
		     "RETURNING id");
	if (!st)
		return db_failed(c, err);
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, now);
	db_bind_int(st, 3, parent_id);
	db_bind_text(st, 4, org_kind_name(kind));
	db_bind_int(st, 5, members_included >= 0 ? members_included : 5);
	db_bind_int(st, 6, extra_seats >= 0 ? extra_seats : 0);
	int rc = db_step(st);
	if (rc == 1)
		*id = db_col_int(st, 0);
	db_reset(st);
	return rc == 1 ? 0 : db_failed(c, err);
}

int org_find(struct db_conn *c, int64_t id, struct org_row *o,
	     struct atr_err *err)
{
	int found = org_load(c, id, o);
	if (found < 0)
		return db_failed(c, err);
	if (!found)
		return atr_fail(err, ATR_E_NOT_FOUND, "no organisation %lld",
				(long long)id);
	return 0;
}

int org_set_suspended(struct db_conn *c, int64_t org, bool suspend,
		      struct atr_err *err)
{
	ATR_ASSERT(db_in_tx(c));
	struct org_row o;
	if (org_find(c, org, &o, err) < 0)
		return -1;
	if (suspend && o.kind == ORG_OPERATOR)
		return atr_fail(err, ATR_E_CONFLICT,
				"organisation %lld '%s' is the operator: it "
				"cannot be suspended",
				(long long)org, o.name);
	if (o.suspended == suspend)
		return 0;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "UPDATE org SET status = ?, suspended_at = ? WHERE id = ?");
	if (!st)
		return db_failed(c, err);
	db_bind_text(st, 1, suspend ? "suspended" : "active");
	db_bind_text(st, 2, suspend ? now : NULL);
	db_bind_int(st, 3, org);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || !suspend)
		return rc < 0 ? db_failed(c, err) : 1;
	/* Its members' sessions acting in another organisation end (those
	 * in it are refused by the lookup and kept, as every session of a
	 * suspended organisation): acting outlives no suspension. */
	st = db_prepare(c,
			"DELETE FROM session WHERE acting IS NOT NULL AND "
			"staff_id IN (SELECT id FROM staff WHERE org_id = ?)");
	if (!st)
		return db_failed(c, err);
	db_bind_int(st, 1, org);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? db_failed(c, err) : 1;
}

int org_set_seats(struct db_conn *c, int64_t org, int64_t members_included,
		  int64_t extra_seats, json_t **diff, struct atr_err *err)
{
	ATR_ASSERT(db_in_tx(c));
	*diff = json_object();
	check_seats("members_included", members_included, 1, err);
	check_seats("extra_seats", extra_seats, 0, err);
	if (err->kind != ATR_E_NONE)
		return -1;
	struct org_row o;
	if (org_find(c, org, &o, err) < 0)
		return -1;
	int64_t mi = members_included >= 0 ? members_included
					   : o.members_included;
	int64_t es = extra_seats >= 0 ? extra_seats : o.extra_seats;
	if (mi != o.members_included)
		json_object_set_new(*diff, "members_included",
				    json_pack("{s:I,s:I}", "from",
					      (json_int_t)o.members_included,
					      "to", (json_int_t)mi));
	if (es != o.extra_seats)
		json_object_set_new(*diff, "extra_seats",
				    json_pack("{s:I,s:I}", "from",
					      (json_int_t)o.extra_seats, "to",
					      (json_int_t)es));
	if (json_object_size(*diff) == 0)
		return 0;
	struct db_stmt *st = db_prepare(
		c, "UPDATE org SET members_included = ?, extra_seats = ? "
		   "WHERE id = ?");
	if (!st)
		return db_failed(c, err);
	db_bind_int(st, 1, mi);
	db_bind_int(st, 2, es);
	db_bind_int(st, 3, org);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? db_failed(c, err) : 0;
}

int org_setting_read(struct db_conn *c, int64_t org, const char *key,
		     char **out)
{
	*out = NULL;
	struct org_row o;
	int found = org_load(c, org, &o);
	if (found < 0)
		return -1;
	int64_t v = !found			       ? 0
		    : !strcmp(key, "members_included") ? o.members_included
						       : o.extra_seats;
	*out = xasprintf("%lld", (long long)v);
	return 0;
}
