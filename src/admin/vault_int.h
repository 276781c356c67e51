/* vault_int.h — the parts of the team password vault (/admin/team_password;
 * docs/internals/vault.md has the model).
 *
 *   vault_crypto.c    the per-entry key, wrapped by the master key, and the
 *                     sealing of each secret under it
 *   vault_access.c    THE access check (one SQL text: the grants that
 *                     reach a member), access lists, the subjects picker
 *   vault_entry.c     entries: the record, list, get; the module
 *                     descriptor (team_password) and its routes
 *   vault_write.c     entries: create, update, delete
 *   vault_reveal.c    reveal, the password history, an entry's activity
 *   vault_category.c  categories (team_password_categories)
 *
 * Nothing outside these files includes this header.
 */
#ifndef ATR_VAULT_INT_H
#define ATR_VAULT_INT_H

#include "atrium.h"

#include <jansson.h>

struct buf;
struct db_conn;
struct list_query;
struct req;
struct schema;
struct write_op;

/* ---- levels ----------------------------------------------------------------
 * What a grant gives, each level including the ones below it. */
enum vault_level {
	VAULT_NONE = 0,
	VAULT_VIEW = 1,   /* the entry exists; its non-secret fields */
	VAULT_USE = 2,    /* also reveal (and copy) its secrets */
	VAULT_MANAGE = 3, /* also change it, delete it, change its access */
};

/* "view", "use", "manage" ("" for none). */
const char *vault_level_name(int level);
/* The level named s, or VAULT_NONE. */
int vault_level_parse(const char *s);

/* The most grants an entry (or a category's defaults) holds. */
#define VAULT_ACCESS_MAX 100
/* Previous passwords kept per entry. */
#define VAULT_HISTORY_MAX 10

/* ---- crypto (vault_crypto.c) ------------------------------------------------ */

#define VAULT_KEY_BYTES 32

/* A new random entry key in key; returns its stored form, wrapped by the
 * master key (malloc'd, no secret in it), or NULL when no master key is
 * loaded. The caller wipes key after use. */
char *vault_key_new(unsigned char key[VAULT_KEY_BYTES]);
/* Unwraps a stored entry key into key. 0, or -1 with err (503 naming the
 * master key: a different key, or an altered value). */
int vault_key_open(const char *wrapped, unsigned char key[VAULT_KEY_BYTES],
		   struct atr_err *err);
/* Seals plain under key, bound to field ("password", "notes"): "vk1:" +
 * base64(nonce || XChaCha20-Poly1305). malloc'd; the caller frees. */
char *vault_seal(const unsigned char key[VAULT_KEY_BYTES], const char *field,
		 const char *plain);
/* Opens a sealed value of field. The plaintext (malloc'd; release it with
 * secret_free, which wipes it), or NULL with err (503: it does not open
 * under this key). */
char *vault_open(const unsigned char key[VAULT_KEY_BYTES], const char *field,
		 const char *stored, struct atr_err *err);

/* ---- access (vault_access.c) ------------------------------------------------ */

/* The caller's level on entry id of their organisation (administrators:
 * VAULT_MANAGE). 0, or -1 on a database error. The entry's existence is
 * the caller's to check. */
int vault_level_of(struct req *r, int64_t entry_id, int *level);
/* Narrows a list of vault_entry e to the entries that reach member
 * staff_id (any level). */
void vault_scope(struct list_query *q, int64_t org, int64_t staff_id);
/* The list's rows_done hook: adds "level" (the caller's) to each row of
 * the page, from one query. */
int vault_page_levels(struct req *r, struct buf *out, const void *arg);

/* Checks an access list ([{subject, id, level}]) sent in member field
 * ("access", "default_access") and adds field errors ("access[2].id"):
 * its shape, each subject named once and existing in the organisation.
 * strict: a member must also be active, unless on current (the list as it
 * is, or NULL: a member deactivated since they were granted may stay).
 * Route checks, which run before the handler knows whether the caller may
 * see the record, pass strict false; the write's apply judges strictly. */
void vault_access_check(struct req *r, const json_t *list, const char *field,
			const json_t *current, bool strict);
/* The list in its stored order (subject, id), each {subject, id, level}
 * with level a name; a new reference. */
json_t *vault_access_norm(const json_t *list);
/* The grants of entry id; NULL on a database error. */
json_t *vault_access_load(struct db_conn *c, int64_t org, int64_t entry_id);
/* Replaces the grants of entry id with list (normalised). 0 or -1. */
int vault_access_store(struct db_conn *c, int64_t org, int64_t entry_id,
		       const json_t *list);
/* A copy of list with each grant's "name" (the role, department, team or
 * member), from one query per kind; NULL on a database error. */
json_t *vault_access_named(struct req *r, const json_t *list);

int vault_h_access_get(struct req *r);
int vault_h_access_put(struct req *r);
int vault_h_subjects(struct req *r);
extern const struct schema vault_access_schema;

/* ---- entries (vault_entry.c) ------------------------------------------------ */

/* Entry id of the caller's organisation as its record (no secret), locked
 * for update on PostgreSQL when lock, with the caller's level in *level:
 * 1 found and visible, 0 absent or not visible (404), -1 error (r->err,
 * or a database error). */
int vault_entry_load(struct req *r, int64_t id, bool lock, json_t **rec,
		     int *level);
/* The same, and fails with 403 naming what is missing when the caller's
 * level is below need (write_op load callbacks use it). */
int vault_entry_need(struct req *r, int64_t id, bool lock, json_t **rec,
		     int need);

/* ---- writes (vault_write.c) -------------------------------------------------------- */

/* The write path's diff edit for entries (write.h): a secret that changed
 * is {"changed": true}; bookkeeping of the vault's own leaves. */
void vault_entry_diff(struct req *r, const struct write_op *op, json_t *diff);
int vault_h_create(struct req *r);
int vault_h_update(struct req *r);
int vault_h_delete(struct req *r);
extern const struct schema vault_create_schema, vault_patch_schema;
/* Route checks: an entry's body (name, category, access), and the access
 * list of PUT .../access before the entry is known. */
void vault_entry_check(struct req *r);
void vault_access_put_check(struct req *r);

/* ---- reveal, history, activity (vault_reveal.c) ------------------------------ */

int vault_h_reveal(struct req *r);
int vault_h_history(struct req *r);
int vault_h_activity(struct req *r);
extern const struct schema vault_reveal_schema;

/* ---- custom fields (vault_fields.c) ---------------------------------------- */

#define VAULT_FIELDS_MAX 20
#define VAULT_FIELD_NAME_MAX 100   /* characters */
#define VAULT_FIELD_VALUE_MAX 2000 /* bytes */

/* The body's custom_fields beyond the schema: a list of at most
 * VAULT_FIELDS_MAX {name, value?, hidden?}, names unique in any case;
 * each problem named custom_fields[i].member. */
void vault_fields_check(struct req *r, const json_t *list);
/* The stored form of the list given (a hidden value sealed under key; a
 * hidden field sent without a value keeps the one stored under its name):
 * *out (malloc'd JSON, NULL for none), *secret_changed whether a hidden
 * value was set, changed or removed. 0, or -1 with r->err. */
int vault_fields_store(struct req *r, const unsigned char *key,
		       const json_t *given, const char *stored, char **out,
		       bool *secret_changed);
/* The list as records show it: hidden values replaced by "set": true. */
json_t *vault_fields_public(const char *stored);
/* Opens hidden field name of the stored list into out's "custom_fields"
 * object. 0, or -1 with r->err (a field error when there is no such
 * hidden field, 503 when it does not open). */
int vault_fields_reveal(struct req *r, const unsigned char *key,
			const char *stored, const char *name, json_t *out);
/* Drops the oldest history rows of entry id beyond VAULT_HISTORY_MAX. */
int vault_history_trim(struct db_conn *c, int64_t id);

#endif
