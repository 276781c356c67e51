/* test_arena.c — core/arena.c: alignment, zeroing, big blocks, strings. */
#include "atrium.h"

#include <stdalign.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "unit.h"

TEST(arena_alignment)
{
	struct arena *a = arena_new();
	/* Odd sizes in a row must still each come back aligned for any type. */
	size_t sizes[] = {1, 3, 7, 8, 13, 16, 17, 31, 100, 1};
	for (size_t i = 0; i < ATR_ARRAY_LEN(sizes); i++) {
		void *p = arena_alloc(a, sizes[i]);
		CHECK_EQ_INT((uintptr_t)p % alignof(max_align_t), 0);
		CHECK_EQ_INT((uintptr_t)p % 16, 0);
	}
	arena_free(a);
}

TEST(arena_zeroed_and_distinct)
{
	struct arena *a = arena_new();
	unsigned char *p = arena_alloc(a, 64);
	unsigned char *q = arena_alloc(a, 64);
	bool zero = true;
	for (int i = 0; i < 64; i++)
		zero = zero && p[i] == 0 && q[i] == 0;
	CHECK(zero);
	/* Writing one must not touch the other. */
	memset(p, 0xAB, 64);
	CHECK_EQ_INT(q[0], 0);
	CHECK_EQ_INT(q[63], 0);
	CHECK(p + 64 <= q || q + 64 <= p);
	arena_free(a);
}

TEST(arena_large_allocations)
{
	struct arena *a = arena_new();
	char *small = arena_strdup(a, "before");
	/* Far larger than one block (8 KiB): gets a block of its own. */
	size_t big = 1 << 20;
	unsigned char *p = arena_alloc(a, big);
	CHECK_EQ_INT((uintptr_t)p % 16, 0);
	bool zero = true;
	for (size_t i = 0; i < big; i++)
		zero = zero && p[i] == 0;
	CHECK(zero);
	memset(p, 0x5A, big); /* ASan catches a short block */
	/* Exactly one block size, then small ones after it. */
	unsigned char *q = arena_alloc(a, 8192);
	memset(q, 1, 8192);
	char *after = arena_strdup(a, "after");
	CHECK_STR(small, "before");
	CHECK_STR(after, "after");
	CHECK_EQ_INT(p[big - 1], 0x5A);
	/* Many allocations across many blocks stay intact. */
	char *s[500];
	for (int i = 0; i < 500; i++)
		s[i] = arena_printf(a, "item-%d", i);
	bool intact = true;
	for (int i = 0; i < 500; i++) {
		char want[32];
		snprintf(want, sizeof want, "item-%d", i);
		intact = intact && strcmp(s[i], want) == 0;
	}
	CHECK(intact);
	arena_free(a);
}

TEST(arena_strings)
{
	struct arena *a = arena_new();
	CHECK_STR(arena_strdup(a, ""), "");
	CHECK_STR(arena_strdup(a, "hello"), "hello");
	CHECK_STR(arena_strndup(a, "hello world", 5), "hello");
	CHECK_STR(arena_strndup(a, "abc", 0), "");
	/* strndup copies exactly n bytes, even past a NUL-less buffer end. */
	char raw[3] = {'x', 'y', 'z'};
	CHECK_STR(arena_strndup(a, raw, 3), "xyz");
	CHECK_STR(arena_printf(a, "%s=%d", "n", 42), "n=42");
	CHECK_STR(arena_printf(a, "%s", ""), "");
	/* Longer than a block. */
	char *big = arena_printf(a, "%09000d", 7);
	CHECK_EQ_INT(strlen(big), 9000);
	CHECK_EQ_INT(big[8999], '7');
	CHECK_EQ_INT(big[0], '0');
	arena_free(a);
}

TEST(arena_used)
{
	struct arena *a = arena_new();
	CHECK_EQ_INT(arena_used(a), 0);
	arena_alloc(a, 10);
	size_t u1 = arena_used(a);
	CHECK(u1 >= 10);
	arena_alloc(a, 100);
	size_t u2 = arena_used(a);
	CHECK(u2 >= u1 + 100);
	arena_alloc(a, 50000);
	size_t u3 = arena_used(a);
	CHECK(u3 >= u2 + 50000);
	/* Rounding up to the alignment may add, but never more than 15 a
	 * call. */
	CHECK(u3 <= 10 + 100 + 50000 + 3 * 15);
	arena_strdup(a, "abc");
	CHECK(arena_used(a) >= u3 + 4);
	arena_free(a);
	arena_free(NULL); /* accepted */
}

/* Runs fn in a child; returns true when the child ended in failure (abort,
 * sanitizer report, non-zero exit), false when it returned normally. */
static bool dies(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* The expected abort message would only be noise. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		fn();
		_exit(0);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return false;
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void alloc_huge(void)
{
	struct arena *a = arena_new();
	/* Rounding this up to 16 wraps to 0 unless checked. */
	volatile size_t n = SIZE_MAX - 7;
	char *p = arena_alloc(a, n);
	p[0] = 1;
	p[4096] = 1;
	arena_free(a);
}

/* Like xmalloc, an impossible size must abort, not hand out a short
 * block. */
TEST(arena_huge_allocation_aborts)
{
	CHECK(dies(alloc_huge));
}
