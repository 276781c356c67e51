/* vault_write.c — adding, changing and deleting team passwords (the
 * routes are vault_entry.c's): what a write changes, through the one write
 * path (write.h). A new entry gets a key of its own (vault_crypto.c); a
 * changed password is compared with the stored one (opened under the
 * entry key: the same again is no change) and the old one goes to the
 * history; the activity diff says a secret changed, never what it is.
 */
#include "atrium.h"

#include <sodium.h>

#include "admin/vault_int.h"
#include "core/arena.h"
#include "core/secret.h"
#include "db/db.h"
#include "http/http.h"
#include "http/write.h"

#define NAME_MAX_CHARS 200
#define URL_MAX 2000
#define USERNAME_MAX 200
#define PASSWORD_MAX 4096 /* bytes: long API keys fit */
#define NOTES_MAX 20000   /* bytes */

/* ---- validation ------------------------------------------------------------------- */

#define ENTRY_FIELDS                                                           \
	{"name", FT_TEXT, F_REQUIRED, NAME_MAX_CHARS},                         \
		{"category_id", FT_INT, 0, 0}, {"url", FT_URL, 0, URL_MAX},    \
		{"username", FT_TEXT, 0, USERNAME_MAX},                        \
		{"password", FT_SECRET, 0, PASSWORD_MAX},                      \
		{"notes", FT_SECRET, 0, NOTES_MAX},                            \
		{"custom_fields", FT_ITEMS, 0, VAULT_FIELDS_MAX}

static const struct field create_fields[] = {
	ENTRY_FIELDS,
	{"access", FT_ITEMS, 0, VAULT_ACCESS_MAX},
};
const struct schema vault_create_schema = SCHEMA(create_fields);
static const struct field patch_fields[] = {ENTRY_FIELDS};
const struct schema vault_patch_schema = SCHEMA(patch_fields);

static bool has_error(const struct atr_err *e, const char *field)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].field, field))
			return true;
	return false;
}

/* 1 when category id is the organisation's, 0 not, -1 error. */
static int category_exists(struct req *r, int64_t id)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT 1 FROM vault_category WHERE id = ? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

/* Rules beyond the schema, on every request body: a blank name, a
 * category that is not the organisation's, the access list. */
void vault_entry_check(struct req *r)
{
	const json_t *b = r->body;
	if (!json_is_object(b))
		return;
	const char *name = json_string_value(json_object_get(b, "name"));
	if (name && !has_error(&r->err, "name") && !name[strspn(name, " ")])
		atr_field(&r->err, "name", "required", "must not be blank");
	const json_t *cat = json_object_get(b, "category_id");
	if (json_is_integer(cat) && !has_error(&r->err, "category_id")) {
		int rc = json_integer_value(cat) > 0 && req_db(r)
				 ? category_exists(r, json_integer_value(cat))
				 : 0;
		if (rc < 0) {
			req_db_error(r);
			return;
		}
		if (rc == 0)
			atr_field(&r->err, "category_id", "not_found",
				  "no category %lld",
				  (long long)json_integer_value(cat));
	}
	const json_t *access = json_object_get(b, "access");
	if (access && !has_error(&r->err, "access"))
		vault_access_check(r, access, "access", NULL, true);
	if (!has_error(&r->err, "custom_fields"))
		vault_fields_check(r, json_object_get(b, "custom_fields"));
}

/* ---- writing ---------------------------------------------------------------------- */

/* What a write changed that its records do not show. */
struct entry_ctx {
	bool password, notes, fields; /* fields: a secret custom value */
};

void vault_entry_diff(struct req *r, const struct write_op *op, json_t *diff)
{
	const struct entry_ctx *x = op->ctx;
	static const char *const own[] = {"updated_by", "password_set",
					  "notes_set", "rotated_at"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(own); i++)
		json_object_del(diff, own[i]);
	if (x && x->password)
		json_object_set_new(diff, "password",
				    json_pack("{s:b}", "changed", 1));
	if (x && x->notes)
		json_object_set_new(diff, "notes",
				    json_pack("{s:b}", "changed", 1));
	/* Plain custom fields diff as the record shows them; a hidden
	 * one's value changing shows only that it did. */
	if (x && x->fields)
		json_object_set_new(diff, "custom_fields.hidden",
				    json_pack("{s:b}", "changed", 1));
}

static int load(struct req *r, const struct write_op *op, json_t **rec)
{
	return vault_entry_need(r, r->id, true, rec, VAULT_MANAGE);
}

/* The value of key: the body's when sent, else before's. */
static const json_t *pick(const json_t *b, const json_t *before,
			  const char *key)
{
	const json_t *v = json_object_get(b, key);
	return v ? v : json_object_get(before, key);
}

/* A sent secret as the text to store: NULL for null or "". */
static const char *secret_text(const json_t *v)
{
	const char *s = json_string_value(v);
	return s && *s ? s : NULL;
}

static void bind_text_or_null(struct db_stmt *st, int i, const char *s)
{
	if (s && *s)
		db_bind_text(st, i, s);
	else
		db_bind_null(st, i);
}

/* The access list a new entry starts with: the body's, else its
 * category's defaults; then the creator (who is not an administrator)
 * manages it. New reference, or NULL with r->err. */
static json_t *initial_access(struct req *r)
{
	const json_t *b = r->body;
	json_t *list = NULL;
	if (json_object_get(b, "access")) {
		list = vault_access_norm(json_object_get(b, "access"));
	} else if (json_is_integer(json_object_get(b, "category_id"))) {
		struct db_stmt *st = db_prepare(
			r->db, "SELECT default_access FROM vault_category "
			       "WHERE id = ? AND org_id = ?");
		if (!st)
			return NULL;
		db_bind_int(st, 1,
			    json_integer_value(json_object_get(b, "category_id")));
		db_bind_int(st, 2, r->who.org_id);
		int rc = db_step(st);
		json_t *d = rc == 1 ? json_loads(db_col_text(st, 0), 0, NULL)
				    : NULL;
		db_reset(st);
		if (rc < 0)
			return NULL;
		if (rc == 0) {
			atr_field(&r->err, "category_id", "not_found",
				  "the category was deleted meanwhile");
			return NULL;
		}
		list = vault_access_norm(json_is_array(d) ? d : NULL);
		json_decref(d);
	} else {
		list = json_array();
	}
	if (r->who.admin)
		return list;
	size_t k;
	json_t *g;
	json_array_foreach(list, k, g)
	{
		const char *s = json_string_value(json_object_get(g, "subject"));
		if (!strcmp(s, "staff") &&
		    json_integer_value(json_object_get(g, "id")) ==
			    r->who.staff_id) {
			json_array_remove(list, k);
			break;
		}
	}
	json_array_append_new(list, json_pack("{s:s,s:I,s:s}", "subject",
					      "staff", "id",
					      (json_int_t)r->who.staff_id,
					      "level", "manage"));
	json_t *norm = vault_access_norm(list);
	json_decref(list);
	return norm;
}

static int create_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	struct entry_ctx *x = op->ctx;
	const json_t *b = r->body;
	json_t *access = initial_access(r);
	if (!access)
		return -1;
	unsigned char key[VAULT_KEY_BYTES];
	char *wrapped = vault_key_new(key);
	if (!wrapped) {
		json_decref(access);
		return atr_fail(&r->err, ATR_E_UNAVAILABLE,
				"no master key is loaded");
	}
	const char *pw = secret_text(json_object_get(b, "password"));
	const char *notes = secret_text(json_object_get(b, "notes"));
	char *pw_enc = pw ? vault_seal(key, "password", pw) : NULL;
	char *notes_enc = notes ? vault_seal(key, "notes", notes) : NULL;
	char *fields = NULL;
	const json_t *cf = json_object_get(b, "custom_fields");
	int frc = json_is_array(cf) ? vault_fields_store(r, key, cf, NULL,
							 &fields, &x->fields)
				    : 0;
	sodium_memzero(key, sizeof key);
	if (frc < 0) {
		free(wrapped);
		free(pw_enc);
		free(notes_enc);
		json_decref(access);
		return -1;
	}
	x->password = pw != NULL;
	x->notes = notes != NULL;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		r->db, "INSERT INTO vault_entry (org_id, category_id, name, url, "
		       "username, entry_key, password_enc, notes_enc, "
		       "rotated_at, created_by, created_at, "
		       "updated_by, updated_at, custom_fields) VALUES (?, ?, ?, "
		       "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	int rc = -1;
	int64_t id = 0;
	if (st) {
		const json_t *cat = json_object_get(b, "category_id");
		db_bind_int(st, 1, r->who.org_id);
		if (json_is_integer(cat))
			db_bind_int(st, 2, json_integer_value(cat));
		else
			db_bind_null(st, 2);
		db_bind_text(st, 3, json_string_value(json_object_get(b, "name")));
		bind_text_or_null(st, 4,
				  json_string_value(json_object_get(b, "url")));
		bind_text_or_null(st, 5, json_string_value(
						 json_object_get(b, "username")));
		db_bind_text(st, 6, wrapped);
		bind_text_or_null(st, 7, pw_enc);
		bind_text_or_null(st, 8, notes_enc);
		bind_text_or_null(st, 9, pw ? now : NULL);
		db_bind_int(st, 10, r->who.staff_id);
		db_bind_text(st, 11, now);
		db_bind_int(st, 12, r->who.staff_id);
		db_bind_text(st, 13, now);
		bind_text_or_null(st, 14, fields);
		rc = db_step(st);
		if (rc == 1)
			id = db_col_int(st, 0);
		db_reset(st);
	}
	free(wrapped);
	free(pw_enc);
	free(notes_enc);
	free(fields);
	if (rc == 1 && vault_access_store(r->db, r->who.org_id, id, access) < 0)
		rc = -1;
	json_decref(access);
	if (rc != 1)
		return -1;
	int level;
	return vault_entry_load(r, id, false, after, &level);
}

/* The stored key and secrets of entry id (in the caller's transaction). */
struct stored {
	char *key, *password, *notes, *changed_at, *fields; /* in the arena */
};

static int stored_load(struct req *r, int64_t id, struct stored *s)
{
	struct db_stmt *st = db_prepare(
		r->db, "SELECT entry_key, password_enc, notes_enc, "
		       "rotated_at, custom_fields FROM vault_entry WHERE id = "
		       "? AND org_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, r->who.org_id);
	int rc = db_step(st);
	if (rc == 1) {
		char **v[] = {&s->key, &s->password, &s->notes, &s->changed_at,
			      &s->fields};
		for (int i = 0; i < 5; i++)
			*v[i] = db_col_null(st, i)
					? NULL
					: arena_strdup(r->arena,
						       db_col_text(st, i));
	}
	db_reset(st);
	return rc;
}

/* The new stored form of a secret field the body sends: *out the value to
 * store (malloc'd, or NULL to clear), *changed whether it differs from
 * the stored one (opened under key to compare). 0 or -1 (r->err). */
static int secret_change(struct req *r, const unsigned char *key,
			 const char *field, const char *stored, char **out,
			 bool *changed)
{
	const char *want = secret_text(json_object_get(r->body, field));
	*out = NULL;
	*changed = false;
	char *old = NULL;
	if (stored) {
		old = vault_open(key, field, stored, &r->err);
		if (!old)
			return -1;
	}
	*changed = !old != !want || (old && want && strcmp(old, want));
	secret_free(old);
	if (!*changed)
		*out = stored ? xstrdup(stored) : NULL;
	else if (want)
		*out = vault_seal(key, field, want);
	return 0;
}

/* Keeps the replaced password in the history. */
static int history_add(struct req *r, const struct stored *s, const char *now)
{
	struct db_stmt *st = db_prepare(
		r->db, "INSERT INTO vault_history (org_id, entry_id, "
		       "password_enc, set_at, replaced_at, replaced_by) VALUES "
		       "(?, ?, ?, ?, ?, ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, r->who.org_id);
	db_bind_int(st, 2, r->id);
	db_bind_text(st, 3, s->password);
	bind_text_or_null(st, 4, s->changed_at);
	db_bind_text(st, 5, now);
	db_bind_int(st, 6, r->who.staff_id);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : vault_history_trim(r->db, r->id);
}

/* The record without what every write moves, for "did anything change?". */
static json_t *comparable(const json_t *rec)
{
	json_t *c = json_deep_copy(rec);
	static const char *const skip[] = {"version", "updated_at",
					   "updated_by"};
	for (size_t i = 0; i < ATR_ARRAY_LEN(skip); i++)
		json_object_del(c, skip[i]);
	return c;
}

static int update_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	struct entry_ctx *x = op->ctx;
	const json_t *b = r->body;
	struct stored s = {0};
	int rc = stored_load(r, r->id, &s);
	if (rc <= 0)
		return rc;
	char *pw_enc = s.password ? xstrdup(s.password) : NULL;
	char *notes_enc = s.notes ? xstrdup(s.notes) : NULL;
	char *fields = s.fields ? xstrdup(s.fields) : NULL;
	const json_t *cf = json_object_get(b, "custom_fields");
	bool sends_secret = json_object_get(b, "password") ||
			    json_object_get(b, "notes") || cf;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (sends_secret) {
		unsigned char key[VAULT_KEY_BYTES];
		if (vault_key_open(s.key, key, &r->err) < 0)
			goto fail;
		int bad = 0;
		if (json_object_get(b, "password")) {
			free(pw_enc);
			bad = secret_change(r, key, "password", s.password,
					    &pw_enc, &x->password);
		}
		if (!bad && json_object_get(b, "notes")) {
			free(notes_enc);
			bad = secret_change(r, key, "notes", s.notes,
					    &notes_enc, &x->notes);
		}
		if (!bad && cf) { /* the list replaces the stored one */
			free(fields);
			bad = vault_fields_store(r, key,
						 json_is_array(cf) ? cf : NULL,
						 s.fields, &fields, &x->fields);
		}
		sodium_memzero(key, sizeof key);
		if (bad < 0)
			goto fail;
		if (x->password && s.password && history_add(r, &s, now) < 0)
			goto fail;
	}
	struct db_stmt *st = db_prepare(
		r->db, "UPDATE vault_entry SET name = ?, category_id = ?, url = "
		       "?, username = ?, password_enc = ?, notes_enc = ?, "
		       "rotated_at = ?, updated_by = ?, updated_at = "
		       "?, custom_fields = ?, version = version + 1 WHERE id = "
		       "? AND org_id = ?");
	if (!st)
		goto fail;
	const json_t *cat = pick(b, before, "category_id");
	db_bind_text(st, 1, json_string_value(pick(b, before, "name")));
	if (json_is_integer(cat))
		db_bind_int(st, 2, json_integer_value(cat));
	else
		db_bind_null(st, 2);
	bind_text_or_null(st, 3, json_string_value(pick(b, before, "url")));
	bind_text_or_null(st, 4, json_string_value(pick(b, before, "username")));
	bind_text_or_null(st, 5, pw_enc);
	bind_text_or_null(st, 6, notes_enc);
	bind_text_or_null(st, 7, x->password ? now : s.changed_at);
	db_bind_int(st, 8, r->who.staff_id);
	db_bind_text(st, 9, now);
	bind_text_or_null(st, 10, fields);
	db_bind_int(st, 11, r->id);
	db_bind_int(st, 12, r->who.org_id);
	rc = db_step(st);
	db_reset(st);
	free(pw_enc);
	free(notes_enc);
	free(fields);
	if (rc < 0)
		return -1;
	int level;
	rc = vault_entry_load(r, r->id, false, after, &level);
	if (rc != 1)
		return rc;
	json_t *a = comparable(*after), *o = comparable(before);
	bool same = json_equal(a, o) && !x->password && !x->notes &&
		    !x->fields;
	json_decref(a);
	json_decref(o);
	if (same) { /* write_run rolls the version back */
		json_decref(*after);
		*after = NULL;
	}
	return 1;
fail:
	free(pw_enc);
	free(notes_enc);
	free(fields);
	return -1;
}

static int delete_apply(struct req *r, const struct write_op *op,
			const json_t *before, json_t **after)
{
	static const char *const sql[] = {
		"DELETE FROM vault_access WHERE entry_id = ? AND org_id = ?",
		"DELETE FROM vault_history WHERE entry_id = ? AND org_id = ?",
		"DELETE FROM vault_entry WHERE id = ? AND org_id = ?",
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(sql); i++) {
		struct db_stmt *st = db_prepare(r->db, sql[i]);
		if (!st)
			return -1;
		db_bind_int(st, 1, r->id);
		db_bind_int(st, 2, r->who.org_id);
		int rc = db_step(st);
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	return 1;
}

static int run(struct req *r, enum write_kind kind,
	       int (*apply)(struct req *, const struct write_op *,
			    const json_t *, json_t **))
{
	struct entry_ctx x = {0};
	struct write_op op = {kind,  "vault_entry", "/api/v1/vault/entries",
			      false, false,	    load,
			      apply, &x};
	op.diff_edit = vault_entry_diff;
	return write_run(r, &op);
}

int vault_h_create(struct req *r)
{
	return run(r, WRITE_CREATE, create_apply);
}

int vault_h_update(struct req *r)
{
	return run(r, WRITE_UPDATE, update_apply);
}

int vault_h_delete(struct req *r)
{
	return run(r, WRITE_DELETE, delete_apply);
}

/* The access list's own rules beyond its schema (PUT .../access): its
 * shape and subjects, before the handler knows the entry (not strict:
 * whether a deactivated member may stay is judged in the write). */
void vault_access_put_check(struct req *r)
{
	const json_t *list = json_object_get(r->body, "access");
	if (list && !has_error(&r->err, "access"))
		vault_access_check(r, list, "access", NULL, false);
}
