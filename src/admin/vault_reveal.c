/* vault_reveal.c — reading a team password: reveal, the previous
 * passwords, and who did what with an entry.
 *
 * POST /api/v1/vault/entries/{id}/reveal   {fields?, history_id?, purpose?}
 *      the secrets asked for (default: the password), to a member whose
 *      level is use or manage, after a recent re-authentication
 *      (ROUTE_REAUTH: the password, and a code with 2FA, within
 *      REAUTH_MINUTES). The activity row (who, which entry and field,
 *      show or copy, from which address and browser) is written in the
 *      transaction that reads the secret: no row, no secret.
 * GET  /api/v1/vault/entries/{id}/history  the previous passwords (when
 *      set, when replaced and by whom; never the value: reveal it with
 *      history_id), for use or manage
 * GET  /api/v1/vault/entries/{id}/activity the entry's activity rows, for
 *      its managers (administrators also read them in the activity log)
 */
#include "atrium.h"

#include <sodium.h>

#include "admin/vault_int.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json_out.h"
#include "core/secret.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"

static const char *const field_choices[] = {"password", "notes", NULL};
static const char *const purpose_choices[] = {"show", "copy", NULL};

static const struct field reveal_fields[] = {
	{"fields", FT_MULTI, 0, 2, field_choices},
	{"custom_field", FT_TEXT, 0, VAULT_FIELD_NAME_MAX},
	{"history_id", FT_INT, 0, 0},
	{"purpose", FT_ENUM, 0, 0, purpose_choices},
};
const struct schema vault_reveal_schema = SCHEMA(reveal_fields);

static bool wants(const json_t *fields, const char *name)
{
	size_t i;
	const json_t *v;
	json_array_foreach(fields, i, v)
	{
		if (!strcmp(json_string_value(v), name))
			return true;
	}
	return false;
}

/* The body's rules beyond the schema: at least one field; a previous
 * password is a password. 0, or -1 with field errors. */
static int reveal_rules(struct req *r, const json_t *fields, int64_t hist)
{
	if (fields && !json_array_size(fields))
		atr_field(&r->err, "fields", "invalid",
			  "name at least one of password, notes");
	if (json_object_get(r->body, "history_id") && hist <= 0)
		atr_field(&r->err, "history_id", "not_found",
			  "no previous password %lld", (long long)hist);
	if (hist > 0 && fields && wants(fields, "notes"))
		atr_field(&r->err, "fields", "not_allowed",
			  "a previous value is a password only");
	if (hist > 0 && json_object_get(r->body, "custom_field"))
		atr_field(&r->err, "custom_field", "not_allowed",
			  "a previous value is a password only");
	return r->err.kind ? -1 : 0;
}

/* The stored key and the sealed values asked for, read in the reveal's
 * transaction: *pw is the entry's password, or history row hist's. */
static int sealed(struct req *r, int64_t hist, char **key, char **pw,
		  char **notes, char **fields)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT entry_key, password_enc, notes_enc, "
		       "custom_fields FROM vault_entry WHERE id = ? AND "
		       "org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		*key = xstrdup(db_col_text(st, 0));
		*pw = db_col_null(st, 1) ? NULL : xstrdup(db_col_text(st, 1));
		*notes = db_col_null(st, 2) ? NULL : xstrdup(db_col_text(st, 2));
		*fields = db_col_null(st, 3) ? NULL
					     : xstrdup(db_col_text(st, 3));
	}
	db_reset(st);
	if (rc != 1 || hist <= 0)
		return rc;
	free(*pw);
	*pw = NULL;
	st = db_prepare(r->db, "SELECT password_enc FROM vault_history WHERE "
			       "id = ? AND entry_id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, hist);
	db_bind_int(st, 2, r->id);
	db_bind_int(st, 3, r->who.org_id);
	rc = db_step(st);
	if (rc == 1)
		*pw = xstrdup(db_col_text(st, 0));
	db_reset(st);
	if (rc == 0) {
		atr_field(&r->err, "history_id", "not_found",
			  "no previous password %lld of this entry",
			  (long long)hist);
		return -1;
	}
	return rc;
}

/* Opens the sealed value of field into out (null when none). 0 or -1. */
static int open_into(struct req *r, const unsigned char *key,
		     const char *field, const char *stored, json_t *out)
{
	if (!stored) {
		json_object_set_new(out, field, json_null());
		return 0;
	}
	char *plain = vault_open(key, field, stored, &r->err);
	if (!plain)
		return -1;
	json_object_set_new(out, field, json_string(plain));
	secret_free(plain);
	return 0;
}

int vault_h_reveal(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	const json_t *fields = json_object_get(r->body, "fields");
	int64_t hist = json_integer_value(json_object_get(r->body, "history_id"));
	const char *purpose = json_string_value(json_object_get(r->body, "purpose"));
	if (reveal_rules(r, fields, hist) < 0)
		return -1;
	const char *custom =
		json_string_value(json_object_get(r->body, "custom_field"));
	bool pw_too = fields ? wants(fields, "password") : !custom;
	bool notes_too = fields && wants(fields, "notes");
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *rec = NULL, *out = NULL, *diff = NULL;
	char *key_w = NULL, *pw = NULL, *notes = NULL, *cfs = NULL;
	int ret = -1;
	int rc = vault_entry_need(r, r->id, false, &rec, VAULT_USE);
	if (rc == 0)
		atr_fail(&r->err, ATR_E_NOT_FOUND, "entry %lld not found",
			 (long long)r->id);
	if (rc <= 0)
		goto out;
	rc = sealed(r, hist, &key_w, &pw, &notes, &cfs);
	if (rc == 0) /* deleted since it was read above */
		atr_fail(&r->err, ATR_E_NOT_FOUND, "entry %lld not found",
			 (long long)r->id);
	if (rc != 1)
		goto out;
	unsigned char key[VAULT_KEY_BYTES];
	if (vault_key_open(key_w, key, &r->err) < 0)
		goto out;
	out = json_object();
	int bad = pw_too ? open_into(r, key, "password", pw, out) : 0;
	if (!bad && notes_too)
		bad = open_into(r, key, "notes", notes, out);
	if (!bad && custom)
		bad = vault_fields_reveal(r, key, cfs, custom, out);
	sodium_memzero(key, sizeof key);
	if (bad < 0)
		goto out;
	/* The log says what was read, never the value. */
	json_t *names = json_array();
	const char *ck;
	json_t *cv;
	if (pw_too)
		json_array_append_new(names, json_string("password"));
	if (notes_too)
		json_array_append_new(names, json_string("notes"));
	if (custom) /* the stored spelling of the name */
		json_object_foreach(json_object_get(out, "custom_fields"), ck, cv)
			json_array_append_new(
				names, json_string(arena_printf(
					       r->arena, "custom_fields.%s", ck)));
	char ua[256];
	atr_strlcpy(ua, r->user_agent ? r->user_agent : "", sizeof ua);
	diff = json_pack("{s:{s:o},s:{s:s}}", "fields", "to", names, "purpose",
			 "to", purpose ? purpose : "show");
	json_t *agent = json_pack("{s:s}", "to", ua);
	if (agent)
		json_object_set_new(diff, "user_agent", agent);
	if (hist > 0) {
		json_object_set_new(diff, "history_id",
				    json_pack("{s:I}", "to", (json_int_t)hist));
		json_object_set_new(out, "history_id", json_integer(hist));
	}
	if (activity_from_req(r, "reveal", "vault_entry", r->id, diff) < 0)
		goto out;
	if (db_commit(c) < 0) {
		req_db_error(r);
		goto out;
	}
	req_json(r, 200, out);
	out = NULL;
	ret = 0;
out:
	if (ret < 0) {
		if (db_in_tx(c))
			db_rollback(c);
		if (!r->err.kind)
			req_db_error(r);
	}
	json_decref(out);
	json_decref(rec);
	json_decref(diff);
	free(key_w);
	free(pw);
	free(notes);
	free(cfs);
	return ret;
}

/* ---- history ----------------------------------------------------------------------- */

int vault_history_trim(struct db_conn *c, int64_t id)
{
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM vault_history WHERE entry_id = ? AND id NOT IN "
		   "(SELECT id FROM vault_history WHERE entry_id = ? ORDER BY "
		   "id DESC LIMIT ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, id);
	db_bind_int(st, 3, VAULT_HISTORY_MAX);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Loads entry r->id for a read that needs level need: 0, or -1 with
 * r->err (404 for an entry the caller cannot see). */
static int need(struct req *r, int level)
{
	if (!req_db(r))
		return -1;
	json_t *rec = NULL;
	int rc = vault_entry_need(r, r->id, false, &rec, level);
	json_decref(rec);
	if (rc < 0)
		return r->err.kind ? -1 : req_db_error(r);
	if (rc == 0)
		return atr_fail(&r->err, ATR_E_NOT_FOUND, "entry %lld not found",
				(long long)r->id);
	return 0;
}

int vault_h_history(struct req *r)
{
	if (r->nquery)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"unknown query parameter '%s'",
				r->query[0].key);
	if (need(r, VAULT_USE) < 0)
		return -1;
	struct db_stmt *st = db_prepare(
		r->db, "SELECT h.id, h.set_at, h.replaced_at, h.replaced_by, "
		       "s.name FROM vault_history h LEFT JOIN staff s ON s.id = "
		       "h.replaced_by WHERE h.entry_id = ? AND h.org_id = ? "
		       "ORDER BY h.id DESC");
	if (!st)
		return req_db_error(r);
	db_bind_int(st, 1, r->id);
	db_bind_int(st, 2, r->who.org_id);
	json_t *data = json_array();
	int rc;
	while ((rc = db_step(st)) == 1) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
		for (int i = 1; i <= 2; i++)
			json_object_set_new(o, i == 1 ? "set_at" : "replaced_at",
					    db_col_null(st, i)
						    ? json_null()
						    : json_string(db_col_text(st, i)));
		json_object_set_new(o, "replaced_by",
				    db_col_null(st, 3)
					    ? json_null()
					    : json_integer(db_col_int(st, 3)));
		json_object_set_new(o, "replaced_by_name",
				    db_col_null(st, 4)
					    ? json_null()
					    : json_string(db_col_text(st, 4)));
		json_array_append_new(data, o);
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(data);
		return req_db_error(r);
	}
	req_json(r, 200, json_pack("{s:o}", "data", data));
	return 0;
}

/* ---- an entry's activity -------------------------------------------------------------- */

static void arow(struct buf *b, struct db_stmt *st, const void *arg)
{
	buf_adds(b, "{\"id\":");
	jout_int(b, db_col_int(st, 0));
	jout_key(b, "at", false);
	jout_str(b, db_col_text(st, 1));
	jout_key(b, "actor_id", false);
	if (db_col_null(st, 2))
		buf_adds(b, "null");
	else
		jout_int(b, db_col_int(st, 2));
	jout_key(b, "actor_name", false);
	jout_str(b, db_col_text(st, 3));
	jout_key(b, "action", false);
	jout_str(b, db_col_text(st, 4));
	jout_key(b, "diff", false);
	/* Re-encoded, so a hand-edited row cannot break the answer. */
	json_t *d = db_col_text(st, 5) ? json_loads(db_col_text(st, 5), 0, NULL)
				       : NULL;
	char *enc = d ? json_dumps(d, JSON_COMPACT) : NULL;
	buf_adds(b, enc ? enc : "null");
	free(enc);
	json_decref(d);
	jout_key(b, "ip", false);
	jout_str(b, db_col_text(st, 6));
	buf_addc(b, '}');
}

static const struct field f_action = {.name = "action", .type = FT_TEXT};
static const struct field f_actor = {.name = "actor_id", .type = FT_INT};
static const struct field f_at = {.name = "at", .type = FT_DATETIME};

static const struct list_col acolumns[] = {
	{&f_action, NULL, LIST_FILTER},
	{&f_actor, NULL, LIST_FILTER},
	{&f_at, NULL, LIST_FILTER | LIST_SORT | LIST_NOTNULL},
};

static int ascope(struct req *r, struct list_query *q, const void *arg)
{
	list_where(q, "entity = 'vault_entry' AND entity_id = ?");
	list_int(q, r->id);
	return 0;
}

static const struct list_spec aspec = {
	.from = "activity_log",
	.cols = "id, at, actor_id, actor_name, action, diff, ip",
	.id = "id",
	.org = "org_id",
	.columns = acolumns,
	.ncolumns = (int)ATR_ARRAY_LEN(acolumns),
	.sort_default = "-id",
	.limit_default = 25,
	.limit_max = 100,
	.row = arow,
	.scope = ascope,
};

int vault_h_activity(struct req *r)
{
	if (need(r, VAULT_MANAGE) < 0)
		return -1;
	return list_run(r, &aspec);
}
