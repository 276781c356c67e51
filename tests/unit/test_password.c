/* test_password.c — auth/password.c: argon2id, the policy, the history. */
#include "atrium.h"

#include <pthread.h>
#include <dirent.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "auth/password.h"
#include "db/db.h"
#include "db/migrate.h"
#include "unit.h"

TEST(password_hash_verify_round_trip)
{
	char h[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
	const char *pw = "correct horse battery staple";
	if (!CHECK_EQ_INT(password_hash(pw, h), 0))
		return;
	CHECK(strncmp(h, "$argon2id$", 10) == 0);
	CHECK_CONTAINS(h, "m=19456");
	CHECK_CONTAINS(h, "t=2");
	CHECK(password_verify(h, pw));
	CHECK(!password_verify(h, "correct horse battery stapl"));
	CHECK(!password_verify(h, "Correct horse battery staple"));
	CHECK(!password_verify(h, ""));
	/* Salted: the same password hashes differently, both verify. */
	CHECK_EQ_INT(password_hash(pw, h2), 0);
	CHECK(strcmp(h, h2) != 0);
	CHECK(password_verify(h2, pw));
	CHECK(!password_needs_rehash(h));
}

TEST(password_unicode)
{
	char h[PASSWORD_HASH_MAX];
	const char *pw = "pärolă-sigură-€-日本語";
	CHECK_EQ_INT(password_hash(pw, h), 0);
	CHECK(password_verify(h, pw));
	CHECK(!password_verify(h, "parola-sigura-€-日本語"));
}

TEST(password_verify_without_hash)
{
	/* No such user: the dummy check runs and the answer is no, even for
	 * the dummy's own password. */
	CHECK(!password_verify(NULL, "whatever password"));
	CHECK(!password_verify(NULL, "atrium dummy password"));
	CHECK(!password_verify("", "whatever password"));
	CHECK(!password_verify("not a hash", "whatever password"));
}

TEST(password_needs_rehash_weaker)
{
	/* A hash made with weaker parameters than today's must be redone. */
	char weak[crypto_pwhash_STRBYTES];
	CHECK_EQ_INT(crypto_pwhash_str_alg(weak, "pw", 2, 1, 8192 * 1024,
					   crypto_pwhash_ALG_ARGON2ID13),
		     0);
	CHECK(password_verify(weak, "pw"));
	CHECK(password_needs_rehash(weak));
}

/* --- the hashing pool ------------------------------------------------------ */

static atomic_int hashes_done;

static void *hash_in_background(void *arg)
{
	char h[PASSWORD_HASH_MAX];
	for (int i = 0; i < 4; i++)
		if (password_hash("background hashing password", h) == 0)
			atomic_fetch_add(&hashes_done, 1);
	return NULL;
}

TEST(password_pool_refuses_beyond_queue)
{
	/* One slot, no queue: while another thread hashes, a second hash is
	 * refused at once rather than queued. */
	password_pool_configure(1, 0);
	atomic_store(&hashes_done, 0);
	pthread_t t;
	if (!CHECK_EQ_INT(pthread_create(&t, NULL, hash_in_background, NULL), 0))
		return;
	bool refused = false;
	char h[PASSWORD_HASH_MAX];
	while (!refused && atomic_load(&hashes_done) < 4) {
		int running = 0, waiting = 0;
		password_pool_load(&running, &waiting);
		if (running == 1) {
			int rc = password_verify(NULL, "probe password");
			refused = rc == PASSWORD_BUSY;
			if (!refused)
				CHECK_EQ_INT(rc, 0);
		}
	}
	pthread_join(t, NULL);
	CHECK(refused);
	/* Free again: both kinds of work go through. */
	CHECK_EQ_INT(password_hash("after the burst password", h), 0);
	CHECK_EQ_INT(password_verify(h, "after the burst password"), 1);
	password_pool_configure(4, 4);
}

/* The nice value of every thread of this process, through /proc: the
 * count of threads at nice n. */
static int threads_at_nice(int n)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof path, "/proc/self/task/%s/stat",
			 e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = 0;
		/* Fields after the command's closing parenthesis: state is
		 * the 3rd field of the line, nice the 19th. */
		char *p = strrchr(buf, ')');
		int field = 2, nice = 0;
		for (; p && *p; p++)
			if (*p == ' ' && ++field == 19) {
				nice = (int)strtol(p + 1, NULL, 10);
				break;
			}
		count += field == 19 && nice == n;
	}
	closedir(d);
	return count;
}

TEST(password_hashes_run_below_requests)
{
	/* Hashes run on the pool's own threads at nice 5, so requests on
	 * normal threads come first on a busy machine; the caller's thread
	 * keeps its priority. */
	char h[PASSWORD_HASH_MAX];
	CHECK_EQ_INT(password_hash("priority check password", h), 0);
	CHECK_EQ_INT(password_verify(h, "priority check password"), 1);
	CHECK(threads_at_nice(5) >= 1);
	CHECK_EQ_INT(getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid)), 0);
}

TEST(password_pool_size_auto)
{
	int w, q;
	/* Explicit values win. */
	password_pool_size(16, 3, 5, &w, &q);
	CHECK_EQ_INT(w, 3);
	CHECK_EQ_INT(q, 5);
	/* Auto never takes every HTTP thread, and the queue keeps one free. */
	password_pool_size(2, 0, -1, &w, &q);
	CHECK_EQ_INT(w, 1);
	CHECK_EQ_INT(q, 0);
	password_pool_size(4, 2, -1, &w, &q);
	CHECK_EQ_INT(q, 1);
	password_pool_size(1, 0, -1, &w, &q);
	CHECK_EQ_INT(w, 1);
	CHECK_EQ_INT(q, 0);
}

/* --- policy -------------------------------------------------------------- */

static const struct pw_subject ana = {
	.org_id = 1,
	.staff_id = 0,
	.email = "ana.pop@example.com",
	.name = "Ana Pop",
	.has_2fa = false,
};

/* Runs the policy; returns the code of the single error, or "" when the
 * password passes. e keeps the details. */
static const char *policy_on(struct db_conn *c, const struct pw_subject *who,
			     const char *pw, struct atr_err *e, int line)
{
	memset(e, 0, sizeof *e);
	int rc = password_policy_check(c, who, pw, "password", e);
	if (rc == 0) {
		if (e->nfields || e->kind != ATR_E_NONE)
			unit_failf(__FILE__, line,
				   "policy passed but recorded %d errors",
				   e->nfields);
		return "";
	}
	if (rc != -1 || e->nfields != 1) {
		unit_failf(__FILE__, line, "policy rc %d with %d errors (%s)",
			   rc, e->nfields, e->msg);
		return "?";
	}
	if (strcmp(e->fields[0].field, "password"))
		unit_failf(__FILE__, line, "error on field '%s', want "
					   "'password'",
			   e->fields[0].field);
	if (e->kind != ATR_E_INVALID)
		unit_failf(__FILE__, line, "kind %d, want ATR_E_INVALID",
			   (int)e->kind);
	return e->fields[0].code;
}
#define POLICY(who, pw, e) policy_on(NULL, who, pw, e, __LINE__)

/* n copies of s. */
static char *rep(const char *s, int n)
{
	size_t l = strlen(s);
	char *p = xmalloc(l * (size_t)n + 1);
	for (int i = 0; i < n; i++)
		memcpy(p + l * (size_t)i, s, l);
	p[l * (size_t)n] = 0;
	return p;
}

/* n printable bytes that no strength estimator finds a pattern in. */
static char *noise(size_t n)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
				  "QRSTUVWXYZ0123456789!#%-_";
	char *p = xmalloc(n + 1);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = set[x % (sizeof set - 1)];
	}
	p[n] = 0;
	return p;
}

TEST(password_policy_length)
{
	struct atr_err e;
	/* Default minimum without a second factor: 15 characters. */
	CHECK_STR(POLICY(&ana, "", &e), "too_short");
	CHECK_STR(POLICY(&ana, "short", &e), "too_short");
	CHECK_STR(POLICY(&ana, "Xq7#vLp2!mRt9z", &e), "too_short"); /* 14 */
	CHECK_CONTAINS(e.fields[0].detail, "15");
	CHECK_STR(POLICY(&ana, "Xq7#vLp2!mRt9zK", &e), "");         /* 15 */

	/* With a second factor: 8, and never below the floor. */
	struct pw_subject mfa = ana;
	mfa.has_2fa = true;
	CHECK_STR(POLICY(&mfa, "Xq7#vLp2", &e), "");
	CHECK_STR(POLICY(&mfa, "Xq7#vLp", &e), "too_short");
	CHECK_CONTAINS(e.fields[0].detail, "8");
	CHECK(PASSWORD_MIN_LEN >= 8);

	/* Characters, not bytes: 14 two-byte characters are 28 bytes but
	 * still too short; 15 pass. */
	const char *greek15 = "ΩжπλßçğšđčćžŁőű";
	CHECK_EQ_INT(strlen(greek15), 30);
	CHECK_STR(POLICY(&ana, greek15, &e), "");
	char *s = xstrndup(greek15, 28);
	CHECK_STR(POLICY(&ana, s, &e), "too_short");
	free(s);
	s = rep("日", 7); /* 21 bytes, 7 characters */
	CHECK_STR(POLICY(&mfa, s, &e), "too_short");
	free(s);

	/* The maximum is in bytes and is checked first. */
	s = noise(PASSWORD_MAX_LEN);
	CHECK_STR(POLICY(&ana, s, &e), "");
	free(s);
	s = noise(PASSWORD_MAX_LEN + 1);
	CHECK_STR(POLICY(&ana, s, &e), "too_long");
	free(s);
	s = rep("日", 342); /* 1026 bytes, 342 characters */
	CHECK_STR(POLICY(&ana, s, &e), "too_long");
	CHECK_CONTAINS(e.fields[0].detail, "1024");
	free(s);
}

TEST(password_policy_strength)
{
	struct atr_err e;
	/* Long enough, but guessable. */
	CHECK_STR(POLICY(&ana, "password123456789", &e), "weak");
	CHECK(e.fields[0].detail[0] != 0);
	CHECK_STR(POLICY(&ana, "aaaaaaaaaaaaaaaa", &e), "weak");
	CHECK_STR(POLICY(&ana, "qwertyuiopasdfgh", &e), "weak");
	CHECK_STR(POLICY(&ana, "12345678901234567", &e), "weak");
	CHECK_STR(POLICY(&ana, "atriumatriumatrium", &e), "weak");
	/* Repeats outside ASCII: one emoji, one Cyrillic letter, a pair. */
	CHECK_STR(POLICY(&ana, "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", &e), "weak");
	CHECK_STR(POLICY(&ana, "ЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ", &e), "weak");
	CHECK_STR(POLICY(&ana, "😀😁😀😁😀😁😀😁😀😁😀😁😀😁😀😁", &e), "weak");
	/* A varied Unicode passphrase is still strong. */
	CHECK_STR(POLICY(&ana, "ceai-verde-pădure-舟-ziar-🐙-lună", &e), "");
	/* Strong on its own, weak for the member it names. */
	CHECK_STR(POLICY(&ana, "ana.pop@example.com1", &e), "weak");
	CHECK_CONTAINS(e.fields[0].detail, "name, email");
	struct pw_subject bob = ana;
	bob.email = "bob@example.org";
	bob.name = "Bob Ionescu";
	CHECK_STR(POLICY(&bob, "ana.pop@example.com1", &e), "");
	/* No subject details at all is fine. */
	struct pw_subject anon = {.org_id = 1};
	CHECK_STR(POLICY(&anon, "correct horse battery", &e), "");
}

/* --- with a database: settings and the history ---------------------------- */

static void case_policy_db(const char *url)
{
	struct db *db = NULL;
	struct atr_err err = {0};
	if (db_open(url, 1, &db, &err) != 0) {
		FAILF("db_open: %s", err.msg);
		return;
	}
	int applied;
	struct db_conn *c = NULL;
	if (migrate_run(db, &applied, &err) != 0) {
		FAILF("migrate_run: %s", err.msg);
		goto out;
	}
	c = db_acquire(db, &err);
	if (!c || db_exec(c, "INSERT INTO staff (id, org_id, email, email_norm, "
			     "name, created_at, updated_at) VALUES (5, 1, "
			     "'ana.pop@example.com', 'ana.pop@example.com', "
			     "'Ana Pop', '2026-01-01T00:00:00.000Z', "
			     "'2026-01-01T00:00:00.000Z')") != 0) {
		FAILF("setup: %s", c ? db_errmsg(c) : err.msg);
		goto out;
	}
	struct pw_subject who = ana;
	who.staff_id = 5;
	struct atr_err e;
	const char *pw1 = "Xq7#vLp2!mRt9zK", *pw2 = "Kz9tRm!2pLv#7qXy";

	/* Defaults from the settings table: as without a database. */
	CHECK_STR(policy_on(c, &who, pw1, &e, __LINE__), "");
	CHECK_STR(policy_on(c, &who, "Xq7#vLp2!mRt9z", &e, __LINE__),
		  "too_short");

	/* The organisation's own settings apply. */
	CHECK(db_exec(c, "INSERT INTO setting (org_id, key, value) VALUES "
			 "(1, 'password_min_length', '20'), "
			 "(1, 'password_min_score', '0')") == 0);
	CHECK_STR(policy_on(c, &who, pw1, &e, __LINE__), "too_short");
	CHECK_CONTAINS(e.fields[0].detail, "20");
	CHECK_STR(policy_on(c, &who, "aaaaaaaaaaaaaaaaaaaaa", &e, __LINE__),
		  "");
	/* Another organisation keeps the defaults. */
	struct pw_subject other = who;
	other.org_id = 2;
	other.staff_id = 0;
	CHECK_STR(policy_on(c, &other, pw1, &e, __LINE__), "");
	CHECK(db_exec(c, "DELETE FROM setting WHERE key LIKE 'password_%'") ==
	      0);

	/* The history: a recent password may not come back. */
	char h[PASSWORD_HASH_MAX];
	CHECK_EQ_INT(password_hash(pw1, h), 0);
	CHECK_EQ_INT(db_begin(c), 0);
	CHECK_EQ_INT(password_history_push(c, 1, 5, h), 0);
	CHECK_EQ_INT(db_commit(c), 0);
	CHECK_STR(policy_on(c, &who, pw1, &e, __LINE__), "reused");
	CHECK_STR(policy_on(c, &who, pw2, &e, __LINE__), "");
	/* Not a member yet: no history to hold against them. */
	struct pw_subject fresh = who;
	fresh.staff_id = 0;
	CHECK_STR(policy_on(c, &fresh, pw1, &e, __LINE__), "");

	/* Only the last five are kept (the default). */
	for (int i = 0; i < 6; i++) {
		char *pw = noise(16 + (size_t)i);
		CHECK_EQ_INT(password_hash(pw, h), 0);
		CHECK_EQ_INT(password_history_push(c, 1, 5, h), 0);
		free(pw);
	}
	struct db_stmt *st = db_prepare(
		c, "SELECT COUNT(*) FROM password_history WHERE staff_id = 5");
	if (CHECK(st != NULL)) {
		CHECK_EQ_INT(db_step(st), 1);
		CHECK_EQ_INT(db_col_int(st, 0), 5);
		db_reset(st);
	}
	/* pw1 has dropped out of the window. */
	CHECK_STR(policy_on(c, &who, pw1, &e, __LINE__), "");
	st = db_prepare(c, "SELECT COUNT(*) FROM staff WHERE id = 5 AND "
			   "password_changed_at IS NOT NULL");
	if (CHECK(st != NULL)) {
		CHECK_EQ_INT(db_step(st), 1);
		CHECK_EQ_INT(db_col_int(st, 0), 1);
		db_reset(st);
	}
out:
	db_release(c);
	db_close(db);
}

TEST(password_policy_sqlite) { unit_with_sqlite(case_policy_db); }
TEST(password_policy_pg) { unit_with_pg(case_policy_db); }
