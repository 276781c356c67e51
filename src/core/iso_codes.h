/* iso_codes.h — the ISO 3166-1 alpha-2 country codes and ISO 4217
 * currency codes Atrium accepts, with their English names (for pickers).
 * The tables (iso_codes.c) are generated from Debian's iso-codes package
 * by tools/iso_codes.py. */
#ifndef ATR_ISO_CODES_H
#define ATR_ISO_CODES_H

#include "atrium.h"

struct iso_code {
	const char *code; /* "RO", "EUR" */
	const char *name; /* "Romania", "Euro" */
};

/* The entry of an upper-case code, or NULL when it is not one. */
const struct iso_code *iso_country(const char *alpha2);
const struct iso_code *iso_currency(const char *alpha3);
/* Every entry, in code order: 0 <= i < count. */
int iso_country_count(void);
const struct iso_code *iso_country_at(int i);
int iso_currency_count(void);
const struct iso_code *iso_currency_at(int i);

#endif
