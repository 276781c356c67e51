/* util.c — allocation wrappers, the error record, clocks. */
#include "atrium.h"

#include <errno.h>
#include <stdatomic.h>
#include <time.h>

void atr_assert_fail(const char *expr, const char *file, int line)
{
	fprintf(stderr, "atrium: assertion failed: %s (%s:%d)\n", expr, file,
		line);
	abort();
}

static _Noreturn void oom(size_t n)
{
	fprintf(stderr, "atrium: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return s;
}

static int die_code = 1;

void die_status(int code)
{
	die_code = code;
}

void die(const char *fmt, ...)
{
	va_list ap;
	fputs("atrium: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(die_code);
}

int atr_fail(struct atr_err *err, enum atr_ekind kind, const char *fmt, ...)
{
	if (!err || err->kind != ATR_E_NONE)
		return -1;
	err->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

void atr_field(struct atr_err *err, const char *field, const char *code,
	       const char *fmt, ...)
{
	if (!err)
		return;
	if (err->kind == ATR_E_NONE) {
		err->kind = ATR_E_INVALID;
		atr_strlcpy(err->msg, "invalid request fields",
			    sizeof err->msg);
	}
	if (err->nfields >= ATR_MAX_FIELD_ERRORS)
		return;
	struct atr_field_err *f = &err->fields[err->nfields++];
	atr_strlcpy(f->field, field, sizeof f->field);
	atr_strlcpy(f->code, code, sizeof f->code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof f->detail, fmt, ap);
	va_end(ap);
}

void atr_err_clear(struct atr_err *err)
{
	err->kind = ATR_E_NONE;
	err->msg[0] = 0;
	err->nfields = 0;
	err->retry_after = 0;
}

size_t atr_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = 0;
	}
	return n;
}

int atr_parse_i64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

/* Shifts set by tests (atr_clock_shift); 0 in production. */
static _Atomic int64_t wall_shift_ms, mono_shift_ms;

void atr_clock_shift(int64_t wall_ms, int64_t mono_ms)
{
	atomic_fetch_add(&wall_shift_ms, wall_ms);
	atomic_fetch_add(&mono_shift_ms, mono_ms);
}

int64_t atr_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	       atomic_load(&wall_shift_ms);
}

int64_t atr_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t atr_mono_ms(void)
{
	return atr_mono_ns() / 1000000 + atomic_load(&mono_shift_ms);
}

void atr_time_iso(int64_t ms, char buf[ATR_TIME_LEN])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	/* The compiler cannot see that tm's fields are in range, so format
	 * into a roomy buffer and copy the fixed-width result. */
	char tmp[96];
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	atr_strlcpy(buf, tmp, ATR_TIME_LEN);
}

void atr_now_iso(char buf[ATR_TIME_LEN])
{
	atr_time_iso(atr_now_ms(), buf);
}

int64_t atr_iso_ms(const char *s)
{
	struct tm tm = {0};
	int ms = 0;
	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon,
			 &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
			 &ms) < 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}
