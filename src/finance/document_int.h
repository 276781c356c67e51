/* document_int.h — between document.c (the arithmetic and the body
 * check) and document_store.c (what a write stores). */
#ifndef ATR_DOCUMENT_INT_H
#define ATR_DOCUMENT_INT_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;

/* v (units of 10^-scale) as decimal text, trailing zeros dropped but at
 * least min places ("2.5", "2.50"). New reference. */
json_t *doc_decimal_text(int64_t v, int scale, int min);
/* Cents as "1234.50". New reference. */
json_t *doc_money_text(int64_t cents);
/* The decimal places of the organisation's currency code (its own row,
 * else ISO 4217's); -1 on a database error. */
int doc_currency_places(struct db_conn *c, int64_t org, const char *code);

#endif
