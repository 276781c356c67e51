/* atrium.h — included first by every .c file of Atrium.
 *
 * Holds what every module needs: allocation wrappers that abort on
 * out-of-memory (so feature code carries no NULL checks), the error record
 * that collects a message plus every invalid field, and a few macros.
 */
#ifndef ATRIUM_H
#define ATRIUM_H

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATR_VERSION "0.1.0"
#define ATR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ATR_PRINTF(f, a) __attribute__((format(printf, f, a)))

#define ATR_ASSERT(c)                                                          \
	do {                                                                   \
		if (!(c))                                                      \
			atr_assert_fail(#c, __FILE__, __LINE__);               \
	} while (0)

_Noreturn void atr_assert_fail(const char *expr, const char *file, int line);

/* Allocation: these never return NULL; they abort on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a malloc'd formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) ATR_PRINTF(1, 2);

/* CLI and start-up only: print "atrium: <msg>" and exit(1). */
_Noreturn void die(const char *fmt, ...) ATR_PRINTF(1, 2);
/* The exit status die() gives from now on (default 1): `atrium pipe`
 * makes it 75, "try again later" for the mail server. */
void die_status(int code);

/* Error kinds; http/problem.c maps each to one HTTP status. */
enum atr_ekind {
	ATR_E_NONE = 0,
	ATR_E_BAD_REQUEST,   /* malformed syntax: 400 */
	ATR_E_INVALID,       /* well-formed but invalid fields: 422 */
	ATR_E_UNAUTHORIZED,  /* 401 */
	ATR_E_FORBIDDEN,     /* 403 */
	ATR_E_NOT_FOUND,     /* 404 */
	ATR_E_METHOD,        /* 405 */
	ATR_E_CONFLICT,      /* 409 */
	ATR_E_PRECONDITION,  /* If-Match mismatch: 412 */
	ATR_E_TOO_LARGE,     /* 413 */
	ATR_E_MEDIA_TYPE,    /* 415 */
	ATR_E_PRECOND_REQ,   /* If-Match missing: 428 */
	ATR_E_RATE_LIMITED,  /* 429 */
	ATR_E_INTERNAL,      /* 500 */
	ATR_E_UNAVAILABLE,   /* 503 (retry_after: seconds, when set) */
	ATR_E_STORAGE,       /* 507: the disk is full */
	ATR_E_REAUTH,        /* re-authentication required: 403 */
	ATR_E_SUSPENDED,     /* the caller's organisation is suspended: 403 */
	ATR_E__COUNT
};

#define ATR_MAX_FIELD_ERRORS 64

struct atr_field_err {
	char field[64];
	char code[32];  /* machine-readable: required, too_long, invalid, ... */
	char detail[192];
};

/* Collects the first failure's kind and message plus every field error. */
struct atr_err {
	enum atr_ekind kind;
	char msg[256];
	int retry_after;         /* seconds, for ATR_E_RATE_LIMITED and
				    ATR_E_UNAVAILABLE */
	int nfields;
	struct atr_field_err fields[ATR_MAX_FIELD_ERRORS];
};

/* Sets kind and message (if none set yet) and returns -1. err may be NULL. */
int atr_fail(struct atr_err *err, enum atr_ekind kind, const char *fmt, ...)
	ATR_PRINTF(3, 4);
/* Records one invalid field; sets kind to ATR_E_INVALID if unset. */
void atr_field(struct atr_err *err, const char *field, const char *code,
	       const char *fmt, ...) ATR_PRINTF(4, 5);
void atr_err_clear(struct atr_err *err);

/* Bounded string helpers: always NUL-terminate, return strlen(src). */
size_t atr_strlcpy(char *dst, const char *src, size_t size);

/* Parses a decimal int64 strictly (whole string, no overflow). 0 on success. */
int atr_parse_i64(const char *s, int64_t *out);

/* Wall clock as ISO 8601 UTC with milliseconds: "2026-11-24T23:45:21.123Z".
 * buf must hold ATR_TIME_LEN bytes. Fixed width, so text order = time order. */
#define ATR_TIME_LEN 25
void atr_now_iso(char buf[ATR_TIME_LEN]);
/* Same for an arbitrary epoch in milliseconds. */
void atr_time_iso(int64_t epoch_ms, char buf[ATR_TIME_LEN]);
int64_t atr_now_ms(void);
/* Parses our ISO 8601 UTC form back to epoch milliseconds; 0 if malformed. */
int64_t atr_iso_ms(const char *s);
/* Monotonic clock in nanoseconds, for durations. */
int64_t atr_mono_ns(void);
/* Monotonic clock in milliseconds, for intervals, timeouts and leases kept
 * inside the process (never stored: it means nothing to another process). */
int64_t atr_mono_ms(void);
/* Tests only (production never calls it): from now on atr_now_ms reads
 * wall_ms more (a clock jump) and atr_mono_ms mono_ms more (time passing),
 * on top of earlier shifts. */
void atr_clock_shift(int64_t wall_ms, int64_t mono_ms);

#endif
