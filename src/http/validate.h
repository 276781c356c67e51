/* validate.h — field tables and the one body validator.
 *
 * A schema is an array of fields. The same `struct field` describes a route
 * body (login: email, password) and an entity (lead: name, status, ...), so
 * validation, JSON encoding, SQL and the UI descriptors all drive from one
 * table. validate_body reports every invalid field at once and rejects
 * unknown fields (no mass assignment).
 */
#ifndef ATR_VALIDATE_H
#define ATR_VALIDATE_H

#include "atrium.h"

#include <jansson.h>

enum ftype {
	FT_TEXT = 1,
	FT_SECRET,   /* text that is never logged or echoed (passwords) */
	FT_EMAIL,
	FT_PHONE,
	FT_URL,      /* http or https */
	FT_ENUM,     /* one of choices */
	FT_MONEY,    /* decimal, 2 places; stored as integer minor units */
	FT_CURRENCY, /* ISO 4217 code */
	FT_COUNTRY,  /* ISO 3166-1 alpha-2 */
	FT_STAFF,    /* id of a staff member of the organisation */
	FT_TAGS,     /* array of short strings */
	FT_INT,
	FT_BOOL,
	FT_IDS,    /* array of distinct positive integer ids */
	FT_OBJECT, /* a JSON object, checked further by the route's check */
};

enum field_flag {
	F_REQUIRED = 1 << 0,
	F_PERSONAL = 1 << 1, /* personal data (GDPR export / erasure) */
	F_SEARCH = 1 << 2,   /* matched by ?q= */
	F_FILTER = 1 << 3,   /* usable as ?field=value */
	F_SORT = 1 << 4,     /* usable in ?sort= */
	F_OWNER = 1 << 5,    /* the record's owner (view_own, reassignment) */
	F_ASSIGNEE = 1 << 6, /* the record's assignee (view_own, reassignment) */
	F_UNIQUE = 1 << 7,   /* unique in the organisation (case as given) */
	F_DEPARTMENT = 1 << 8, /* the record's department (view_own) */
	F_TEAM = 1 << 9,       /* the record's team (view_own) */
	/* Text of several lines (notes, an address, a description): line
	 * breaks and tabs are accepted. Without it text is one line, and
	 * every control character is refused. */
	F_MULTILINE = 1 << 10,
};

struct field {
	const char *name;
	enum ftype type;
	unsigned flags;
	int max;                    /* text: characters (secret, email:
				     * bytes); tags: items */
	const char *const *choices; /* FT_ENUM: NULL-terminated */
	const char *def;            /* default on create, or NULL */
};

struct schema {
	const struct field *fields;
	int nfields;
};

#define SCHEMA(arr) {arr, (int)ATR_ARRAY_LEN(arr)}

/* The body of an action that takes no fields: {} or no body at all. */
extern const struct schema schema_empty;

enum vmode { V_CREATE, V_PATCH };

/* Checks body against s; every problem is added to err. 0 when valid.
 * A body that is not a JSON object is one error on field "". */
int validate_body(const json_t *body, const struct schema *s, enum vmode mode,
		  struct atr_err *err);
/* Checks one value of field f; 0 or -1 with a field error in err. */
int validate_value(const struct field *f, const json_t *v,
		   struct atr_err *err);
const struct field *schema_find(const struct schema *s, const char *name);

/* Money: parses "1250", "1250.5", "-3.25" or a JSON number's text into
 * minor units (cents). 0 on success. */
int money_parse(const char *s, int64_t *cents);
/* The same for a JSON string, integer or real (judged by its shortest
 * round-trip text, so 0.1 is 0.10 and 12.345 is refused). */
bool money_from_json(const json_t *v, int64_t *cents);
/* Formats cents as "1250.50" into buf (32 bytes). */
void money_format(int64_t cents, char buf[32]);

bool valid_email(const char *s);

#endif
