/* password.c — argon2id via libsodium, bounded in concurrency. */
#include "atrium.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <zxcvbn.h>

#include "auth/password.h"
#include "core/log.h"
#include "core/settings.h"
#include "core/tz.h"
#include "db/db.h"

#define OPSLIMIT 2ULL
#define MEMLIMIT (19ULL * 1024 * 1024)

/* The hashing pool: a counter of running hashes and of waiters, under one
 * mutex. Admission never blocks past the queue: a caller beyond it gets
 * PASSWORD_BUSY at once, which costs nothing. An admitted hash runs on one
 * of the pool's own threads, which run at a lower priority (nice
 * HASH_NICE): on a busy machine the scheduler gives the cores to requests
 * first and the leftover to argon2, so a burst of sign-ins does not stall
 * the requests around it; on an idle one the hashes get the whole cores.
 * The caller waits for its hash (its request cannot go on without it). */
#define HASH_NICE 5

struct hash_job {
	const char *pw, *hash; /* verify: hash (NULL: the dummy) */
	char *out;	       /* hash: PASSWORD_HASH_MAX bytes */
	int rc;
	bool done;
	struct hash_job *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* a slot was given back */
	pthread_cond_t work; /* a job was queued */
	pthread_cond_t done; /* a job was finished */
	int workers, queue, running, waiting;
	int threads; /* hashing threads started (they never exit) */
	struct hash_job *head, *tail;
} pool = {PTHREAD_MUTEX_INITIALIZER,
	  PTHREAD_COND_INITIALIZER,
	  PTHREAD_COND_INITIALIZER,
	  PTHREAD_COND_INITIALIZER,
	  4,
	  4,
	  0,
	  0,
	  0,
	  NULL,
	  NULL};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char dummy_hash[PASSWORD_HASH_MAX];

static void init(void)
{
	if (crypto_pwhash_str_alg(dummy_hash, "atrium dummy password", 21,
				  OPSLIMIT, MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		die("cannot compute argon2id (out of memory?)");
}

void password_pool_configure(int workers, int queue)
{
	pthread_mutex_lock(&pool.mu);
	pool.workers = workers < 1 ? 1 : workers;
	pool.queue = queue < 0 ? 0 : queue;
	pthread_cond_broadcast(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
}

void password_pool_size(int threads, int cfg_workers, int cfg_queue,
			int *workers, int *queue)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int w = cfg_workers;
	if (w <= 0) {
		/* One per core, but never every HTTP thread: the one left over
		 * answers everything else while a sign-in burst is hashed. */
		w = cores > 0 ? (int)cores : 1;
		if (w > threads - 1)
			w = threads - 1;
		if (w < 1)
			w = 1;
	}
	int q = cfg_queue;
	if (q < 0) {
		/* Waiters block their HTTP thread too: keep one thread free. */
		q = threads - w - 1;
		if (q < 0)
			q = 0;
	}
	*workers = w;
	*queue = q;
}

void password_pool_load(int *running, int *waiting)
{
	pthread_mutex_lock(&pool.mu);
	*running = pool.running;
	*waiting = pool.waiting;
	pthread_mutex_unlock(&pool.mu);
}

/* Takes a hashing slot: 0, or PASSWORD_BUSY when the slots and the queue
 * are full. */
static int slot_take(void)
{
	int rc = 0;
	pthread_mutex_lock(&pool.mu);
	if (pool.running >= pool.workers) {
		if (pool.waiting >= pool.queue) {
			rc = PASSWORD_BUSY;
			goto out;
		}
		pool.waiting++;
		while (pool.running >= pool.workers)
			pthread_cond_wait(&pool.cv, &pool.mu);
		pool.waiting--;
	}
	pool.running++;
out:
	pthread_mutex_unlock(&pool.mu);
	return rc;
}

static void slot_give(void)
{
	pthread_mutex_lock(&pool.mu);
	pool.running--;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
}

static void job_run(struct hash_job *j)
{
	if (j->out) {
		j->rc = crypto_pwhash_str_alg(j->out, j->pw, strlen(j->pw),
					      OPSLIMIT, MEMLIMIT,
					      crypto_pwhash_ALG_ARGON2ID13) == 0
			    ? 0
			    : -1;
	} else if (j->hash && *j->hash) {
		j->rc = crypto_pwhash_str_verify(j->hash, j->pw,
						 strlen(j->pw)) == 0;
	} else {
		/* Same work as a real check; the answer is no regardless. */
		int spent =
		    crypto_pwhash_str_verify(dummy_hash, j->pw, strlen(j->pw));
		(void)spent;
		j->rc = 0;
	}
}

static void *hash_thread(void *arg)
{
	(void)arg;
	/* Lower this thread's own priority (Linux: nice is per thread). A
	 * failure leaves it at the process's: hashing still works. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), HASH_NICE) < 0)
		atr_log("password: cannot lower the hashing thread's priority: "
			"%s",
			strerror(errno));
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		while (!pool.head)
			pthread_cond_wait(&pool.work, &pool.mu);
		struct hash_job *j = pool.head;
		pool.head = j->next;
		if (!pool.head)
			pool.tail = NULL;
		pthread_mutex_unlock(&pool.mu);
		job_run(j);
		pthread_mutex_lock(&pool.mu);
		j->done = true;
		pthread_cond_broadcast(&pool.done);
	}
	return NULL;
}

/* Runs j on a hashing thread (the caller holds a slot) and waits for it;
 * on the caller's thread when no hashing thread can be started. */
static void job_submit(struct hash_job *j)
{
	pthread_mutex_lock(&pool.mu);
	while (pool.threads < pool.workers) {
		pthread_t t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		int e = pthread_create(&t, &a, hash_thread, NULL);
		pthread_attr_destroy(&a);
		if (e) {
			atr_log("password: cannot start a hashing thread: %s",
				strerror(e));
			break;
		}
		pool.threads++;
	}
	if (pool.threads == 0) {
		pthread_mutex_unlock(&pool.mu);
		job_run(j);
		return;
	}
	j->next = NULL;
	if (pool.tail)
		pool.tail->next = j;
	else
		pool.head = j;
	pool.tail = j;
	pthread_cond_signal(&pool.work);
	while (!j->done)
		pthread_cond_wait(&pool.done, &pool.mu);
	pthread_mutex_unlock(&pool.mu);
}

int password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
	if (slot_take() < 0)
		return PASSWORD_BUSY;
	struct hash_job j = {.pw = pw, .out = out};
	job_submit(&j);
	slot_give();
	return j.rc;
}

int password_verify(const char *hash, const char *pw)
{
	pthread_once(&once, init);
	if (slot_take() < 0)
		return PASSWORD_BUSY;
	struct hash_job j = {.pw = pw, .hash = hash};
	job_submit(&j);
	slot_give();
	return j.rc;
}

bool password_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, OPSLIMIT, MEMLIMIT) != 0;
}

/* zxcvbn's score from its entropy (guesses = 2^bits), as the reference
 * implementation bands it: < 1e3, < 1e6, < 1e8, < 1e10, more. */
static int strength_score(double bits)
{
	static const double band[] = {9.97, 19.93, 26.58, 33.22};
	int s = 0;
	while (s < 4 && bits >= band[s])
		s++;
	return s;
}

/* Why zxcvbn found it weak, in words, from its longest weak match. */
static const char *weakness(ZxcMatch_t *info)
{
	const char *why = "it is too easy to guess";
	int best = 0;
	for (ZxcMatch_t *m = info; m; m = m->Next) {
		const char *w = NULL;
		switch ((int)m->Type & ~MULTIPLE_MATCH) {
		case DICTIONARY_MATCH:
		case DICT_LEET_MATCH:
			w = "it is built on a common word or password";
			break;
		case USER_MATCH:
		case USER_LEET_MATCH:
			w = "it contains your name, email or the company name";
			break;
		case SPATIAL_MATCH:
			w = "it is a keyboard pattern";
			break;
		case REPEATS_MATCH:
			w = "it repeats characters";
			break;
		case SEQUENCE_MATCH:
			w = "it is a sequence like abcd or 1234";
			break;
		case DATE_MATCH:
		case YEAR_MATCH:
			w = "it contains a date or a year";
			break;
		default:
			break;
		}
		if (w && m->Length > best) {
			best = m->Length;
			why = w;
		}
	}
	return why;
}

static int64_t setting_int(struct db_conn *c, int64_t org, const char *key,
			   int64_t def)
{
	int64_t v = def;
	if (c && settings_get_int(c, org, key, &v) < 0)
		v = def;
	return v;
}

/* The password with each distinct non-ASCII character (code point)
 * replaced by one ASCII letter or digit it does not use: "😀😀😀" becomes
 * "aaa", "пароль" six letters. NULL when the password is all ASCII.
 * Caller wipes and frees. */
static char *ascii_shape(const char *pw)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
				      "NOPQRSTUVWXYZ0123456789";
	size_t n = strlen(pw);
	bool ascii = true;
	for (size_t i = 0; i < n; i++)
		ascii = ascii && !((unsigned char)pw[i] & 0x80);
	if (ascii)
		return NULL;
	/* Taken with a stride of 7 (coprime to 62), so distinct characters
	 * never become a sequence like "abcd" that would look weaker than
	 * they are. */
	char free_chars[sizeof letters];
	size_t nfree = 0;
	for (size_t k = 0; k < sizeof letters - 1; k++) {
		char ch = letters[(k * 7) % (sizeof letters - 1)];
		if (!strchr(pw, ch))
			free_chars[nfree++] = ch;
	}
	if (nfree == 0)
		free_chars[nfree++] = '~';
	/* Up to 64 distinct characters get their own letter; more cycle. */
	uint32_t seen[64];
	size_t nseen = 0;
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char b = (unsigned char)pw[i];
		if (!(b & 0x80)) {
			out[o++] = (char)b;
			i++;
			continue;
		}
		size_t len = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3
			     : (b & 0xF8) == 0xF0 ? 4 : 1;
		uint32_t cp = 0;
		for (size_t k = 0; k < len && i + k < n; k++)
			cp = cp << 8 | (unsigned char)pw[i + k];
		size_t idx = 0;
		while (idx < nseen && seen[idx] != cp)
			idx++;
		if (idx == nseen && nseen < ATR_ARRAY_LEN(seen))
			seen[nseen++] = cp;
		out[o++] = free_chars[idx % nfree];
		i += len;
	}
	out[o] = 0;
	return out;
}

int password_busy(struct atr_err *err)
{
	err->retry_after = 1;
	return atr_fail(err, ATR_E_UNAVAILABLE,
			"too many passwords are being checked at once; try "
			"again in a moment");
}

int password_policy_check(struct db_conn *c, const struct pw_subject *who,
			  const char *pw, const char *field,
			  struct atr_err *err)
{
	size_t n = strlen(pw);
	if (n > PASSWORD_MAX_LEN) {
		atr_field(err, field, "too_long", "must be at most %d bytes",
			  PASSWORD_MAX_LEN);
		return -1;
	}
	/* Count characters, not bytes: any Unicode is welcome. */
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++)
		if ((*p & 0xC0) != 0x80)
			chars++;
	int64_t min = who->has_2fa
			      ? setting_int(c, who->org_id,
					    "password_min_length_2fa", 8)
			      : setting_int(c, who->org_id,
					    "password_min_length", 15);
	if (min < PASSWORD_MIN_LEN)
		min = PASSWORD_MIN_LEN;
	if ((int64_t)chars < min) {
		atr_field(err, field, "too_short",
			  "must be at least %lld characters", (long long)min);
		return -1;
	}

	/* Strength, judged with the words an attacker would try first. */
	char company[256] = "";
	if (c)
		settings_get(c, who->org_id, "company_name", company,
			     sizeof company);
	char local[256] = "";
	if (who->email) {
		atr_strlcpy(local, who->email, sizeof local);
		char *at = strchr(local, '@');
		if (at)
			*at = 0;
	}
	/* The name counts whole and word by word ("Ada Lovelace" gives
	 * "ada lovelace", "ada" and "lovelace"). */
	char name[256] = "";
	if (who->name)
		atr_strlcpy(name, who->name, sizeof name);
	char parts[256];
	atr_strlcpy(parts, name, sizeof parts);
	const char *words[16];
	int nw = 0;
	words[nw++] = "atrium";
	if (company[0])
		words[nw++] = company;
	if (who->email)
		words[nw++] = who->email;
	if (local[0])
		words[nw++] = local;
	if (name[0])
		words[nw++] = name;
	for (char *p = parts; *p && nw < 15;) {
		while (*p == ' ' || *p == '-' || *p == '.')
			*p++ = 0;
		char *start = p;
		while (*p && *p != ' ' && *p != '-' && *p != '.')
			p++;
		if (p - start >= 3)
			words[nw++] = start;
	}
	words[nw] = NULL;
	ZxcMatch_t *info = NULL;
	double bits = ZxcvbnMatch(pw, words, &info);
	/* zxcvbn reads bytes: a repeated emoji or Cyrillic letter looks like
	 * varied multi-byte noise to it. Judge the shape too, with every
	 * distinct non-ASCII character as one ASCII letter, and keep the
	 * lower estimate. */
	char *shape = ascii_shape(pw);
	if (shape) {
		ZxcMatch_t *sinfo = NULL;
		double sbits = ZxcvbnMatch(shape, words, &sinfo);
		if (sbits < bits) {
			bits = sbits;
			ZxcvbnFreeInfo(info);
			info = sinfo;
		} else {
			ZxcvbnFreeInfo(sinfo);
		}
		sodium_memzero(shape, strlen(shape));
		free(shape);
	}
	int64_t floor = setting_int(c, who->org_id, "password_min_score", 3);
	int score = strength_score(bits);
	if (score < floor) {
		atr_field(err, field, "weak",
			  "is too weak (strength %d of 4, %lld needed): %s", score,
			  (long long)floor, weakness(info));
		ZxcvbnFreeInfo(info);
		return -1;
	}
	ZxcvbnFreeInfo(info);

	/* History: none of the last N passwords. */
	int64_t keep = setting_int(c, who->org_id, "password_history", 5);
	if (!c || (!who->staff_id && !who->contact_id) || keep <= 0)
		return 0;
	struct db_stmt *st = db_prepare(
		c, who->contact_id
			   ? "SELECT password_hash FROM portal_password_history "
			     "WHERE contact_id = ? ORDER BY id DESC LIMIT ?"
			   : "SELECT password_hash FROM password_history WHERE "
			     "staff_id = ? ORDER BY id DESC LIMIT ?");
	if (!st)
		return atr_fail(err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_int(st, 1, who->contact_id ? who->contact_id : who->staff_id);
	db_bind_int(st, 2, keep);
	int rc, reused = 0;
	while (!reused && (rc = db_step(st)) == 1)
		reused = password_verify(db_col_text(st, 0), pw);
	db_reset(st);
	if (reused == PASSWORD_BUSY)
		return password_busy(err);
	if (reused) {
		atr_field(err, field, "reused",
			  "was used recently; choose one you have not used in "
			  "your last %lld passwords",
			  (long long)keep);
		return -1;
	}
	return 0;
}

int password_history_push(struct db_conn *c, int64_t org_id,
			  int64_t staff_id, const char *hash)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO password_history (staff_id, password_hash, "
		   "created_at) VALUES (?, ?, ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	db_bind_text(st, 2, hash);
	db_bind_text(st, 3, now);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0)
		return -1;
	int64_t keep = setting_int(c, org_id, "password_history", 5);
	if (keep < 1)
		keep = 1;
	st = db_prepare(c, "DELETE FROM password_history WHERE staff_id = ? "
			   "AND id NOT IN (SELECT id FROM password_history "
			   "WHERE staff_id = ? ORDER BY id DESC LIMIT ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	db_bind_int(st, 2, staff_id);
	db_bind_int(st, 3, keep);
	rc = db_step(st);
	db_reset(st);
	/* The member's password changed now (for the optional maximum age). */
	st = db_prepare(c, "UPDATE staff SET password_changed_at = ? "
			   "WHERE id = ?");
	if (!st || rc < 0)
		return -1;
	db_bind_text(st, 1, now);
	db_bind_int(st, 2, staff_id);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

bool password_expired(const char *zone, int64_t changed_ms, int64_t days,
		      int64_t now_ms)
{
	int64_t n;
	if (tz_days_between(zone, changed_ms, now_ms, &n) < 0 &&
	    tz_days_between("UTC", changed_ms, now_ms, &n) < 0)
		return false;
	return n >= days;
}
