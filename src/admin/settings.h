/* settings.h — the settings of an organisation, as data.
 *
 * Every setting is one row of settings_table[] in settings.c (the redis
 * `static_configs[]` idea): group, key, type, default and limits. Values
 * live per organisation in the table `setting(org_id, key, value)`; a key
 * without a row has its default. Keys are unique across groups.
 *
 * Adding a setting: one row in settings_table[], a line in
 * docs/admin-guide.md and docs/openapi.yaml (SettingsValues). Adding a
 * group: its rows, and the group name in the openapi `group` enum.
 *
 * Stored forms: text as is, int as decimal, bool as "true"/"false", secret
 * as secret_encrypt()'s "v1:..." (never the plaintext, never returned by
 * the API: GET shows "<key>_set": true/false instead).
 *
 * Routes (settings_routes[]): GET and PATCH /api/v1/settings/{group},
 * permission module `settings` (view, edit).
 */
#ifndef ATR_SETTINGS_H
#define ATR_SETTINGS_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;

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
};

struct setting_def {
	const char *group;
	const char *key;
	enum setting_type type;
	const char *def;            /* default as stored text; NULL: "" */
	int64_t min, max;           /* int: range; text/secret: length in bytes */
	const char *const *choices; /* enum: NULL-terminated */
	unsigned flags;             /* SETF_* */
};

/* The row of key, or NULL. */
const struct setting_def *settings_find(const char *key);
/* True when group names a settings group. */
bool settings_group_exists(const char *group);

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

#endif
