/* settings.h — the settings store: the settings of an organisation, as
 * data.
 *
 * Every setting is one row of a module's `settings` array (core/module.h;
 * the redis `static_configs[]` idea): group, key, type, default and
 * limits. settings_init collects the rows of every module once at
 * start-up. Values live per organisation in the table
 * `setting(org_id, key, value)`; a key without a row has its default.
 * Keys are unique across groups (settings_init dies otherwise).
 *
 * Adding a setting: one row in its module's array, a line in
 * docs/admin-guide.md and docs/openapi.yaml (SettingsValues). Adding a
 * group: its rows, and the group name in the openapi `group` enum.
 *
 * Stored forms: text as is, int as decimal, bool as "true"/"false", secret
 * as secret_encrypt()'s "v1:..." (never the plaintext, never returned by
 * the API: GET shows "<key>_set": true/false instead).
 *
 * The HTTP routes (GET and PATCH /api/v1/settings/{group}, permission
 * module `settings`) are the settings module's, src/admin/settings.c; the
 * operator's command is `atrium settings` (src/cmd/settings.c). Both
 * change a group through settings_judge and settings_apply below (one
 * validator, one write), and log the diff settings_apply returns.
 *
 * Each group of an organisation has a version (table setting_version; 1
 * until the first change), the group's ETag: settings_apply adds one per
 * change and refuses a stale If-Match with ATR_E_PRECONDITION.
 */
#ifndef ATR_SETTINGS_H
#define ATR_SETTINGS_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;
struct module;
struct schema;

enum setting_type {
	SET_TEXT = 1,
	SET_INT,
	SET_BOOL,
	SET_ENUM,
	SET_EMAIL,
	SET_SECRET,
};

enum setting_flag {
	SETF_MULTILINE = 1 << 0, /* text may hold line breaks (an address) */
	SETF_HOST = 1 << 1,      /* a host name or IP address */
	/* Says where (or how) the group's stored secrets are sent: host, port,
	 * user name, transport security. Changing it clears every secret of
	 * the group unless the same request sends it again, so a secret
	 * never follows a change of destination (nobody with settings.edit
	 * can point the SMTP password at a server of their own). */
	SETF_CREDENTIAL_TARGET = 1 << 2,
};

struct setting_def {
	const char *group;
	const char *key;
	enum setting_type type;
	const char *def;            /* default as stored text; NULL: "" */
	int64_t min, max;           /* int: range; text/secret: length in bytes */
	const char *const *choices; /* enum: NULL-terminated */
	unsigned flags;             /* SETF_* */
	/* Optional rule across the rows of the group, judged on the values a
	 * PATCH leaves (read with settings_get inside its transaction, before
	 * the commit): adds field errors to err, and the PATCH writes
	 * nothing. Run once per PATCH of the group. */
	void (*rule)(struct db_conn *c, int64_t org, struct atr_err *err);
	/* Optional check of one text value beyond length and control
	 * characters (a time zone of the tz database, a currency code):
	 * adds a field error named field to err when s is bad. Judged with
	 * the other values, so one 422 names every bad key. */
	void (*check)(const char *s, const char *field, struct atr_err *err);
	/* Optional: the value lives elsewhere (a column its module owns)
	 * and this reads it, as stored text (malloc'd; *out NULL: the
	 * default), for org; 0 or -1. Such a row is shown, never written
	 * here: set read_only too. */
	int (*read)(struct db_conn *c, int64_t org, const char *key,
		    char **out);
	/* Optional: the row is shown but not changed through the settings
	 * (PATCH, `atrium settings set`): every attempt is a field error
	 * "read_only" with these words, which say who changes it and how.
	 * GET marks the field "read_only": true. */
	const char *read_only;
};

/* Collects every module's rows (NULL-terminated table); dies on a
 * duplicate key. Once, before any other call; settings_fini frees. */
void settings_init(const struct module *const *mods);
void settings_fini(void);

/* The modules' settings_changed hooks (struct module), NULL-terminated;
 * settings_apply calls them. */
typedef int (*settings_hook)(struct db_conn *c, int64_t org, const char *group,
			     const json_t *diff, struct atr_err *err);
settings_hook const *settings_hooks(void);

/* The row of key, or NULL. */
const struct setting_def *settings_find(const char *key);
/* True when group names a settings group. */
bool settings_group_exists(const char *group);
/* Every row, in module-table order: 0 <= i < settings_count(). */
int settings_count(void);
const struct setting_def *settings_at(int i);
/* A body schema naming every key (types as struct field can say them;
 * int ranges and text rules are judged by settings_check_value). */
const struct schema *settings_schema(void);
/* "text", "int", "bool", "enum", "email" or "secret". */
const char *settings_type_name(enum setting_type t);
/* Judges one non-null value of d; adds a field error to err when bad. */
void settings_check_value(const struct setting_def *d, const json_t *v,
			  struct atr_err *err);

/* The value of key for org as stored text (see above), or its default when
 * unset; secrets come back decrypted. out gets at most n-1 bytes and is
 * NUL-terminated. Returns 0; -1 for an unknown key, a database or
 * decryption error, or a value that does not fit in n. When the value is
 * a secret, the caller wipes out (sodium_memzero) after use. Safe inside
 * and outside a transaction. */
int settings_get(struct db_conn *c, int64_t org, const char *key, char *out,
		 size_t n);
/* The same for an int setting. 0 or -1. */
int settings_get_int(struct db_conn *c, int64_t org, const char *key,
		     int64_t *out);

/* The stored text of key for org (malloc'd; secrets still encrypted), or
 * NULL when unset (a row with a read hook: what the hook reads). 0 or -1 on a
 * database error. Free with settings_stored_free. */
int settings_load_stored(struct db_conn *c, int64_t org, const char *key,
			 char **out);
void settings_stored_free(char *s);
/* Writes the stored text of key (NULL: back to its default), inside the
 * caller's transaction. 0 or -1. */
int settings_store(struct db_conn *c, int64_t org, const char *key,
		   const char *stored);
/* The default of d as stored text ("" when none). */
const char *settings_default(const struct setting_def *d);
/* The API value of a stored (or default) text of d. Caller owns it. */
json_t *settings_value_json(const struct setting_def *d, const char *v);
/* The stored text of a validated, non-null JSON value of d; malloc'd.
 * Secrets are encrypted (NULL when no master key is loaded). */
char *settings_value_stored(const struct setting_def *d, const json_t *v);

/* ---- changing a group (settings_change.c) -------------------------------- */

/* Judges a change of group, body = {key: value or null}, whole: the body
 * schema (types, unknown keys), keys of group only, each value
 * (settings_check_value). Every problem goes into err: field errors
 * (ATR_E_INVALID), or ATR_E_NOT_FOUND for a group that does not exist.
 * 0, or -1. */
int settings_judge(const char *group, const json_t *body, struct atr_err *err);
/* The same after the schema step, for a caller that already ran body
 * through settings_schema() with validate_body (the HTTP pipeline does):
 * adjusts and adds to the errors in err. */
void settings_judge_more(const char *group, const json_t *body,
			 struct atr_err *err);

struct settings_change {
	int64_t if_version; /* in: the version the change was made on
			     * (If-Match), or -1 for none */
	int64_t version;    /* out: the group's version after the change */
	json_t *diff;       /* out: {key: {from, to}} (a secret as
			     * "[secret]" or null), empty when nothing
			     * changed; the caller frees it, even after -1 */
};

/* Applies a judged body (settings_judge) to group of org, inside the
 * caller's open transaction: locks and checks the group's version, writes
 * each value that changes, clears the group's stored secrets when a
 * setting that says where they are sent changed and body does not send
 * them again (SETF_CREDENTIAL_TARGET), runs the group's rules, then the
 * modules' settings_changed hooks when anything changed. 0: the
 * caller writes its activity row from ch->diff and commits, or rolls back
 * when ch->diff is empty (nothing changed, the version stays). -1 with err
 * (ATR_E_PRECONDITION: a stale if_version; field errors: a rule;
 * ATR_E_INTERNAL: the database, or no master key for a secret): the
 * caller rolls back. */
int settings_apply(struct db_conn *c, int64_t org, const char *group,
		   const json_t *body, struct settings_change *ch,
		   struct atr_err *err);
/* The version of group for org (1 when never changed). Read it before the
 * values (settings_values_json) outside a transaction: values newer than
 * their version only cost a 412, older ones would lose an update. 0 or
 * -1. */
int settings_version(struct db_conn *c, int64_t org, const char *group,
		     int64_t *out);
/* The values of group for org as the API shows them: {key: value}, a
 * secret as "<key>_set": true/false. Caller owns it; NULL on a database
 * error. */
json_t *settings_values_json(struct db_conn *c, int64_t org,
			     const char *group);

#endif
