/* validate.h — field tables and the one body validator.
 *
 * A schema is an array of fields. The same `struct field` describes a route
 * body (login: email, password) and an entity (lead: name, status, ...), so
 * validation, JSON encoding, SQL and the UI descriptors all drive from one
 * table. What each type does (validate, normalise, bind, write JSON,
 * filter, sort, the UI's hint) is one row of the field-type table
 * (core/ftype.h). validate_body reports every invalid field at once and
 * rejects unknown fields (no mass assignment).
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
	FT_DECIMAL,  /* exact decimal with `scale` places; integer at rest */
	FT_MULTI,    /* array of distinct choices (multi-select) */
	FT_DATE,     /* calendar date, YYYY-MM-DD */
	FT_DATETIME, /* instant, stored as ISO 8601 UTC with milliseconds */
	FT_REF,      /* id of a record of entity `ref` the caller may see */
	FT_STAFF_LIST, /* array of distinct ids of staff members of the
			* organisation; kept in a table of its own, not a
			* column (ftype.h, "joined") */
	FT_ITEMS,    /* array of at most `max` objects (a document's lines),
		      * stored as JSON text, checked further by the entity's
		      * check hook */
	FT__COUNT
};

enum field_flag {
	F_REQUIRED = 1 << 0,
	F_PERSONAL = 1 << 1,   /* personal data (GDPR export / erasure) */
	F_SEARCH = 1 << 2,     /* matched by ?q= */
	F_FILTER = 1 << 3,     /* usable as ?field=value */
	F_SORT = 1 << 4,       /* usable in ?sort= */
	F_OWNER = 1 << 5,      /* the record's owner (view_own, reassignment) */
	F_ASSIGNEE = 1 << 6,   /* the record's assignee, or for a staff list
				* each member on it (view_own, reassignment) */
	F_UNIQUE = 1 << 7,     /* unique in the organisation (case as given) */
	F_DEPARTMENT = 1 << 8, /* the record's department (view_own) */
	F_TEAM = 1 << 9,       /* the record's team (view_own) */
	F_LIST = 1 << 10,      /* UI: a column of the list by default */
	F_WIDE = 1 << 11,      /* UI: the whole width of the form */
	F_RUNTIME = 1 << 12,   /* defined at run time (custom field): stored
				* in the record's `cf` JSON column */
	/* Text of several lines (notes, an address, a description): line
	 * breaks and tabs are accepted, and the UI shows a text area.
	 * Without it text is one line, and every control character is
	 * refused. */
	F_MULTILINE = 1 << 13,
	F_ADMIN_ONLY = 1 << 14, /* seen and set by administrators only */
	/* Shown to the record's client's contacts in their portal (custom
	 * fields marked show_on_client_portal). */
	F_PORTAL = 1 << 15,
	/* Set by the server, never by a request (a document's number): a
	 * body that names it is refused (read_only); inserts store NULL, and
	 * the entity's on_write hook fills it. */
	F_READONLY = 1 << 16,
	/* FT_INT: a count or a number of places, where 0 is a value; without
	 * it an FT_INT is an id, 1 or more. */
	F_ZERO = 1 << 17,
};

/* The members after `def` are for entities: presentation for the UI (which
 * reads them from GET /api/v1/meta/entities) and type parameters. */
struct field {
	const char *name;
	enum ftype type;
	unsigned flags;
	int max;                    /* text: characters (secret, email:
				     * bytes); tags, multi, staff lists:
				     * items */
	const char *const *choices; /* FT_ENUM, FT_MULTI: NULL-terminated */
	const char *def;            /* default on create, or NULL */
	const char *label;          /* "Assigned to"; NULL: from the name */
	const char *hint;           /* help under the input, or NULL */
	const char *ref;            /* FT_REF: the entity ("client") */
	int scale;                  /* FT_DECIMAL: places after the point */
	int width; /* UI: columns of a 12-column form grid; 0: the default */
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

/* Decimals: parses "1250", "1250.5", "-3.25" into an integer of units of
 * 10^-scale (scale 0..6). 0 on success; -1 when malformed, with more
 * places than scale, or out of range. */
int decimal_parse(const char *s, int scale, int64_t *out);
/* The same for a JSON string, integer or real (a real is judged by its
 * shortest round-trip text, so 0.1 is 0.10 and 12.345 is refused at
 * scale 2). */
bool decimal_from_json(const json_t *v, int scale, int64_t *out);
/* Formats v (units of 10^-scale) as "1250.50" into buf (40 bytes). */
void decimal_format(int64_t v, int scale, char buf[40]);

/* Money is a decimal with two places, stored as cents. */
int money_parse(const char *s, int64_t *cents);
bool money_from_json(const json_t *v, int64_t *cents);
void money_format(int64_t cents, char buf[32]);

bool valid_email(const char *s);
/* A calendar date YYYY-MM-DD (years 1..9999). */
bool valid_date(const char *s);
/* Parses an RFC 3339 instant ("2026-12-05T10:00:00Z", "...+02:00", with
 * optional fraction) into our stored form (atr_time_iso). 0 or -1. */
int datetime_normalise(const char *s, char out[ATR_TIME_LEN]);

#endif
