/* test_log.c — core/log.c: one line per event, and the outage limiter. */
#include "atrium.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/log.h"
#include "unit.h"

/* Runs fn with standard error going to a file; returns what it wrote
 * (malloc'd), or NULL. */
static char *capture(void (*fn)(void *), void *arg)
{
	char *dir = unit_tmpdir();
	if (!dir)
		return NULL;
	char *path = xasprintf("%s/stderr", dir);
	fflush(stderr);
	int saved = dup(2);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char *text = xcalloc(1, 4096);
	FILE *f = fopen(path, "r");
	if (f) {
		size_t n = fread(text, 1, 4095, f);
		text[n] = 0;
		fclose(f);
	}
	free(path);
	unit_rmtree(dir);
	free(dir);
	return text;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void burst(void *arg)
{
	struct atr_log_limit *l = arg;
	for (int i = 0; i < 5; i++)
		atr_log_limited(l, "error request_id=%d: database down", i);
	/* The window passes (moved back rather than waited for). */
	l->last_ns -= l->window_ns;
	atr_log_limited(l, "error request_id=9: database down");
}

TEST(log_limited_counts_what_it_drops)
{
	struct atr_log_limit l = ATR_LOG_LIMIT_INIT(10);
	char *out = capture(burst, &l);
	if (!CHECK(out != NULL))
		return;
	CHECK_EQ_INT(count_lines(out), 2);
	CHECK_CONTAINS(out, "error request_id=0: database down\n");
	CHECK_CONTAINS(out, "error request_id=9: database down (4 similar "
			    "lines suppressed)\n");
	CHECK(strstr(out, "request_id=1") == NULL);
	free(out);
}

static void multiline(void *arg)
{
	atr_log("postgresql: %s", "FATAL:  terminating\nDETAIL:  x\n");
}

TEST(log_one_line_per_event)
{
	char *out = capture(multiline, NULL);
	if (!CHECK(out != NULL))
		return;
	CHECK_EQ_INT(count_lines(out), 1);
	CHECK_CONTAINS(out, "Z postgresql: FATAL:  terminating DETAIL:  x\n");
	free(out);
}
