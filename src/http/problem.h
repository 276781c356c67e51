/* problem.h — RFC 9457 problem+json responses and the error-kind table. */
#ifndef ATR_PROBLEM_H
#define ATR_PROBLEM_H

#include "atrium.h"

#include <jansson.h>

/* The HTTP status of an error kind. */
int problem_status(enum atr_ekind kind);
/* Builds the problem document for err; the caller owns the result. */
json_t *problem_json(const struct atr_err *err, const char *instance,
		     const char *request_id);

#endif
