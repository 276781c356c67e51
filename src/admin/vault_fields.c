/* vault_fields.c — a team password's custom fields: name/value pairs of
 * the entry's own (a PIN, a security answer, an account number, a
 * recovery code), each plain or hidden, as password managers keep them
 * (1Password's custom fields, Bitwarden's hidden fields).
 *
 * Stored as one JSON array in vault_entry.custom_fields, in the order
 * given: [{"name", "hidden": false, "value"}, {"name", "hidden": true,
 * "value": "vk1:..."}]. A hidden value is a secret: sealed under the
 * entry's key with "custom_fields.<name>" as associated data
 * (vault_crypto.c), so it opens under no other name and in no other
 * entry. A record shows a hidden field as {"name", "hidden": true, "set":
 * true}: its value leaves the server only through reveal
 * ({"custom_field": "<name>"}), logged as the password is.
 *
 * A write sends the whole list (it replaces the stored one). A hidden
 * field sent without a value keeps the value stored under the same name
 * (the form edits the others without revealing it); a new hidden field
 * needs one.
 */
#include "atrium.h"

#include <strings.h>

#include "admin/vault_int.h"
#include "core/arena.h"
#include "core/validate.h"
#include "core/secret.h"
#include "http/http.h"

/* The associated data a hidden field's value is sealed with. */
static void ad_of(const char *name, char *out, size_t n)
{
	snprintf(out, n, "custom_fields.%s", name);
}

static json_t *stored_list(const char *stored)
{
	json_t *l = stored ? json_loads(stored, 0, NULL) : NULL;
	if (!json_is_array(l)) {
		json_decref(l);
		l = json_array();
	}
	return l;
}

/* The stored field named name (case-insensitive), or NULL. */
static const json_t *find(const json_t *list, const char *name)
{
	size_t i;
	const json_t *f;
	json_array_foreach(list, i, f)
	{
		const char *n = json_string_value(json_object_get(f, "name"));
		if (n && !strcasecmp(n, name))
			return f;
	}
	return NULL;
}

void vault_fields_check(struct req *r, const json_t *list)
{
	if (!list || json_is_null(list))
		return;
	if (!json_is_array(list)) {
		atr_field(&r->err, "custom_fields", "invalid",
			  "must be a list of {name, value, hidden}");
		return;
	}
	if (json_array_size(list) > VAULT_FIELDS_MAX) {
		atr_field(&r->err, "custom_fields", "too_long",
			  "at most %d custom fields", VAULT_FIELDS_MAX);
		return;
	}
	size_t i;
	const json_t *f;
	json_array_foreach(list, i, f)
	{
		char at[64];
		snprintf(at, sizeof at, "custom_fields[%zu]", i);
		if (!json_is_object(f)) {
			atr_field(&r->err, at, "invalid",
				  "must be {name, value, hidden}");
			continue;
		}
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)f, k, v)
		{
			if (strcmp(k, "name") && strcmp(k, "value") &&
			    strcmp(k, "hidden"))
				atr_field(&r->err,
					  arena_printf(r->arena, "%s.%s", at, k),
					  "unknown", "not a member of a field");
		}
		const json_t *name = json_object_get(f, "name");
		const char *n = json_string_value(name);
		const char *np = arena_printf(r->arena, "%s.name", at);
		/* The name is text as every other field's (one line, a length
		 * in characters), checked by the one validator. */
		const struct field nf = {np, FT_TEXT, F_REQUIRED,
					 VAULT_FIELD_NAME_MAX};
		if (!name || json_is_null(name) || (n && !n[strspn(n, " ")]))
			atr_field(&r->err, np, "required",
				  "a custom field needs a name");
		else if (validate_value(&nf, name, &r->err) < 0)
			;
		else
			for (size_t j = 0; j < i; j++) {
				const char *o = json_string_value(json_object_get(
					json_array_get(list, j), "name"));
				if (o && !strcasecmp(o, n)) {
					atr_field(&r->err, np, "duplicate",
						  "another field is named '%s'",
						  n);
					break;
				}
			}
		const json_t *secret = json_object_get(f, "hidden");
		if (secret && !json_is_boolean(secret))
			atr_field(&r->err,
				  arena_printf(r->arena, "%s.hidden", at),
				  "invalid", "must be true or false");
		const json_t *value = json_object_get(f, "value");
		const char *vp = arena_printf(r->arena, "%s.value", at);
		if (value && !json_is_null(value) && !json_is_string(value))
			atr_field(&r->err, vp, "invalid", "must be text");
		else if (json_is_string(value) &&
			 json_string_length(value) > VAULT_FIELD_VALUE_MAX)
			atr_field(&r->err, vp, "too_long", "at most %d bytes",
				  VAULT_FIELD_VALUE_MAX);
	}
}

int vault_fields_store(struct req *r, const unsigned char *key,
		       const json_t *given, const char *stored, char **out,
		       bool *secret_changed)
{
	*out = NULL;
	*secret_changed = false;
	json_t *old = stored_list(stored), *next = json_array();
	int rc = 0;
	size_t i;
	const json_t *f;
	json_array_foreach(given, i, f)
	{
		const char *name = json_string_value(json_object_get(f, "name"));
		bool secret = json_is_true(json_object_get(f, "hidden"));
		const char *value =
			json_string_value(json_object_get(f, "value"));
		if (!secret) {
			json_array_append_new(
				next, json_pack("{s:s,s:b,s:s?}", "name", name,
						"hidden", 0, "value",
						value && *value ? value : NULL));
			continue;
		}
		char ad[160];
		ad_of(name, ad, sizeof ad);
		const json_t *was = find(old, name);
		const char *was_sealed =
			was && json_is_true(json_object_get(was, "hidden"))
				? json_string_value(json_object_get(was, "value"))
				: NULL;
		/* The name may have changed case: the seal is bound to it. */
		char was_ad[160];
		if (was_sealed)
			ad_of(json_string_value(json_object_get(was, "name")),
			      was_ad, sizeof was_ad);
		char *sealed = NULL;
		if (value && *value) {
			char *prev = was_sealed ? vault_open(key, was_ad,
							     was_sealed, &r->err)
						: NULL;
			if (was_sealed && !prev) {
				rc = -1;
				break;
			}
			if (!prev || strcmp(prev, value) ||
			    strcmp(was_ad, ad))
				*secret_changed = true;
			secret_free(prev);
			sealed = vault_seal(key, ad, value);
		} else if (was_sealed) {
			if (strcmp(was_ad, ad)) { /* renamed: seal it again */
				char *prev = vault_open(key, was_ad, was_sealed,
							&r->err);
				if (!prev) {
					rc = -1;
					break;
				}
				sealed = vault_seal(key, ad, prev);
				secret_free(prev);
			} else {
				sealed = xstrdup(was_sealed);
			}
		} else {
			atr_field(&r->err,
				  arena_printf(r->arena, "custom_fields[%zu].value",
					       i),
				  "required", "a new hidden field needs its value");
			rc = -1;
			break;
		}
		json_array_append_new(next, json_pack("{s:s,s:b,s:s}", "name",
						      name, "hidden", 1,
						      "value", sealed));
		free(sealed);
	}
	/* A secret field removed is a secret changed. */
	json_array_foreach(old, i, f)
	{
		if (json_is_true(json_object_get(f, "hidden")) &&
		    !find(given, json_string_value(json_object_get(f, "name"))))
			*secret_changed = true;
	}
	if (rc == 0 && json_array_size(next))
		*out = json_dumps(next, JSON_COMPACT);
	json_decref(old);
	json_decref(next);
	return rc;
}

json_t *vault_fields_public(const char *stored)
{
	json_t *list = stored_list(stored), *out = json_array();
	size_t i;
	const json_t *f;
	json_array_foreach(list, i, f)
	{
		const char *name = json_string_value(json_object_get(f, "name"));
		if (!name)
			continue;
		if (json_is_true(json_object_get(f, "hidden")))
			json_array_append_new(out, json_pack("{s:s,s:b,s:b}",
							     "name", name,
							     "hidden", 1, "set",
							     1));
		else
			json_array_append_new(
				out, json_pack("{s:s,s:b,s:O}", "name", name,
					       "hidden", 0, "value",
					       json_object_get(f, "value")
						       ? json_object_get(f, "value")
						       : json_null()));
	}
	json_decref(list);
	return out;
}

int vault_fields_reveal(struct req *r, const unsigned char *key,
			const char *stored, const char *name, json_t *out)
{
	json_t *list = stored_list(stored);
	const json_t *f = find(list, name);
	if (!f || !json_is_true(json_object_get(f, "hidden"))) {
		json_decref(list);
		atr_field(&r->err, "custom_field", "not_found",
			  "this entry has no hidden field named '%s'", name);
		return -1;
	}
	const char *real = json_string_value(json_object_get(f, "name"));
	char ad[160];
	ad_of(real, ad, sizeof ad);
	char *plain = vault_open(key, ad,
				 json_string_value(json_object_get(f, "value")),
				 &r->err);
	if (!plain) {
		json_decref(list);
		return -1;
	}
	json_object_set_new(out, "custom_fields",
			    json_pack("{s:s}", real, plain));
	secret_free(plain);
	json_decref(list);
	return 0;
}
