/* log.c — time-stamped, single-line, rate-limited log lines. */
#include "atrium.h"

#include "core/log.h"

#define LOG_LINE_MAX 1024

/* Formats into line as one line (control characters become spaces,
 * trailing white space dropped). */
ATR_PRINTF(3, 0)
static void format_line(char *line, size_t size, const char *fmt, va_list ap)
{
	vsnprintf(line, size, fmt, ap);
	size_t n = strlen(line);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	while (n && line[n - 1] == ' ')
		line[--n] = 0;
}

static _Atomic(atr_log_sink) sink;
static _Thread_local const char *request_now;

void atr_log_set_sink(atr_log_sink fn)
{
	sink = fn;
}

void atr_log_request(const char *request_id)
{
	request_now = request_id;
}

static void emit(const char *line, uint64_t suppressed)
{
	atr_log_sink fn = sink;
	if (fn)
		fn(request_now, line);
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (suppressed)
		fprintf(stderr, "%s %s (%llu similar line%s suppressed)\n", now,
			line, (unsigned long long)suppressed,
			suppressed == 1 ? "" : "s");
	else
		fprintf(stderr, "%s %s\n", now, line);
}

void atr_log(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	format_line(line, sizeof line, fmt, ap);
	va_end(ap);
	emit(line, 0);
}

bool atr_log_limited(struct atr_log_limit *l, const char *fmt, ...)
{
	int64_t now = atr_mono_ns();
	uint64_t dropped;
	pthread_mutex_lock(&l->mu);
	if (l->last_ns && now - l->last_ns < l->window_ns) {
		l->suppressed++;
		pthread_mutex_unlock(&l->mu);
		return false;
	}
	l->last_ns = now;
	dropped = l->suppressed;
	l->suppressed = 0;
	pthread_mutex_unlock(&l->mu);

	char line[LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	format_line(line, sizeof line, fmt, ap);
	va_end(ap);
	emit(line, dropped);
	return true;
}
