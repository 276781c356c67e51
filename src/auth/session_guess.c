/* session_guess.c — a session's principal guessed from this node's cache
 * and verified in the request's first round trip (session_guess.h). */
#include "atrium.h"

#include <pthread.h>

#include "auth/perm.h"
#include "auth/session_guess.h"
#include "auth/session_touch.h"
#include "auth/token.h"
#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"

#define GUESS_SLOTS 512
#define GUESS_LOCKS 16

struct guess {
	char hash[TOKEN_HASH_LEN + 1]; /* "" when empty */
	struct principal who;
};

static struct {
	pthread_mutex_t mu[GUESS_LOCKS];
	struct guess slot[GUESS_SLOTS];
} cache = {.mu = {[0 ... GUESS_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER}};

/* Guesses that held and that did not, for /metrics. */
static _Atomic uint64_t held, missed;

/* The slot of a hash: its first hex digits (the hash is uniform). */
static unsigned slot_of(const char *hash)
{
	unsigned v = 0;
	for (int i = 0; i < 8 && hash[i]; i++) {
		char ch = hash[i];
		v = v * 16 +
		    (unsigned)(ch <= '9' ? ch - '0' : (ch | 32) - 'a' + 10);
	}
	return v % GUESS_SLOTS;
}

int session_row_read(struct db_stmt *st, int rc, struct db_stmt *grants,
		     int grc, struct principal *w, bool *suspended)
{
	if (rc != 1)
		return rc;
	*suspended = !strcmp(db_col_text(st, 12), "suspended");
	w->operator_org = !strcmp(db_col_text(st, 14), "operator");
	w->session_id = db_col_int(st, 0);
	w->staff_id = db_col_int(st, 1);
	w->org_id = db_col_int(st, 2);
	atr_strlcpy(w->name, db_col_text(st, 4), sizeof w->name);
	atr_strlcpy(w->email, db_col_text(st, 5), sizeof w->email);
	w->admin = db_col_int(st, 6) != 0;
	w->must_change_password = db_col_int(st, 7) != 0;
	const char *stage = db_col_text(st, 8);
	w->stage = !strcmp(stage, "mfa")     ? STAGE_MFA
		   : !strcmp(stage, "enrol") ? STAGE_ENROL
					     : STAGE_FULL;
	w->idle_ms = db_col_int(st, 9) * 60000;
	const char *ra = db_col_text(st, 10);
	w->reauth_ms = ra ? atr_iso_ms(ra) : 0;
	w->seen_ms = atr_iso_ms(db_col_text(st, 3));
	w->expires_ms = atr_iso_ms(db_col_text(st, 11));
	w->person_id = db_col_int(st, 13);
	const char *acting = db_col_text(st, 15);
	w->acting = !acting			  ? ACT_NONE
		    : !strcmp(acting, "operator") ? ACT_OPERATOR
						  : ACT_PARENT;
	w->home_org_id = w->acting ? db_col_int(st, 16) : 0;
	/* Operator mode is an administrator's: a member who stopped being
	 * one has no such session any more. */
	if (w->acting == ACT_OPERATOR && !w->admin) {
		memset(w, 0, sizeof *w);
		return 0;
	}
	/* Without the grants (a guess of an administrator, whose grants
	 * nothing reads) a member's stay empty: not the guess, whose admin
	 * flag was set. */
	if (!w->admin && grants &&
	    perm_grants_read(grants, grc, w->staff_id, &w->perms) < 0)
		return -1;
	if (w->acting == ACT_PARENT)
		perm_parent_scope(w);
	return 1;
}

bool session_guess_allowed(const struct req *r, struct db_conn *c)
{
	return !r->no_guess && db_conn_dialect(c) == DB_PG &&
	       (r->method == HTTP_GET || r->method == HTTP_HEAD);
}

bool session_guess_get(const char *hash, struct principal *out)
{
	unsigned i = slot_of(hash);
	pthread_mutex_t *mu = &cache.mu[i % GUESS_LOCKS];
	bool hit = false;
	pthread_mutex_lock(mu);
	if (!strcmp(cache.slot[i].hash, hash) &&
	    cache.slot[i].who.expires_ms > atr_now_ms()) {
		*out = cache.slot[i].who;
		hit = true;
	}
	pthread_mutex_unlock(mu);
	return hit;
}

void session_guess_put(const char *hash, const struct principal *who)
{
	unsigned i = slot_of(hash);
	pthread_mutex_t *mu = &cache.mu[i % GUESS_LOCKS];
	pthread_mutex_lock(mu);
	atr_strlcpy(cache.slot[i].hash, hash, sizeof cache.slot[i].hash);
	cache.slot[i].who = *who;
	memset(cache.slot[i].who.csrf, 0, sizeof cache.slot[i].who.csrf);
	pthread_mutex_unlock(mu);
}

static void guess_drop(const char *hash)
{
	unsigned i = slot_of(hash);
	pthread_mutex_t *mu = &cache.mu[i % GUESS_LOCKS];
	pthread_mutex_lock(mu);
	if (!strcmp(cache.slot[i].hash, hash))
		cache.slot[i].hash[0] = 0;
	pthread_mutex_unlock(mu);
}

/* Whether the fresh lookup says what the guess said (the session's clock
 * aside, which the check judges itself). */
static bool same(const struct principal *a, const struct principal *b)
{
	return a->session_id == b->session_id && a->staff_id == b->staff_id &&
	       a->person_id == b->person_id && a->org_id == b->org_id &&
	       a->admin == b->admin && a->operator_org == b->operator_org &&
	       a->acting == b->acting && a->home_org_id == b->home_org_id &&
	       a->must_change_password == b->must_change_password &&
	       a->stage == b->stage && a->idle_ms == b->idle_ms &&
	       a->reauth_ms == b->reauth_ms && a->expires_ms == b->expires_ms &&
	       !strcmp(a->name, b->name) && !strcmp(a->email, b->email) &&
	       (a->admin || !memcmp(&a->perms, &b->perms, sizeof a->perms));
}

struct guess_ctx {
	struct req *r;
	char hash[TOKEN_HASH_LEN + 1];
};

static int guess_check(void *arg, struct db_stmt **st, const int *rcs)
{
	struct guess_ctx *g = arg;
	struct req *r = g->r;
	struct principal fresh_who;
	struct principal *fresh = &fresh_who;
	memset(fresh, 0, sizeof *fresh);
	int64_t now = atr_now_ms();
	bool ok = false;
	bool suspended = false;
	if (session_row_read(st[0], rcs[0], st[1], st[1] ? rcs[1] : 0, fresh,
			     &suspended) == 1 &&
	    !suspended && same(fresh, &r->who)) {
		/* The session's clock as the lookup judges it (a touch of
		 * this node may wait in the batcher). */
		int64_t seen = fresh->seen_ms;
		int64_t pending = session_touch_pending(fresh->session_id);
		if (pending > seen)
			seen = pending;
		ok = seen + fresh->idle_ms > now;
		bool touch = !(r->route && (r->route->flags & ROUTE_NO_TOUCH));
		/* A touch that the batcher cannot take now waits for the
		 * next request that looks the session up for real. */
		if (ok && touch && seen < now - 60000 &&
		    session_touch_record(fresh->session_id, now))
			seen = now;
		r->who.seen_ms = seen;
	}
	if (ok) {
		held++;
		return 0;
	}
	missed++;
	guess_drop(g->hash);
	r->guess_failed = true;
	return -1;
}

void session_guess_guard(struct req *r, struct db_conn *c, const char *hash,
			 struct db_stmt *st, struct db_stmt *grants)
{
	struct guess_ctx *g = arena_alloc(r->arena, sizeof *g);
	g->r = r;
	atr_strlcpy(g->hash, hash, sizeof g->hash);
	/* An administrator's grants are never read: the session alone is
	 * checked (a member since would differ in the admin flag). */
	struct db_guard guard = {
	    .st = {st, grants}, .n = 2, .check = guess_check, .arg = g};
	if (r->who.admin) {
		db_reset(grants);
		guard.st[1] = NULL;
		guard.n = 1;
	}
	db_guard_set(c, &guard);
}

void session_guess_metrics(struct app *app, struct buf *out)
{
	(void)app;
	buf_printf(out,
		   "# HELP atrium_session_guesses_total Reads run on a "
		   "session's cached principal, checked in the same round "
		   "trip: held, or not (run again with a full lookup).\n"
		   "# TYPE atrium_session_guesses_total counter\n"
		   "atrium_session_guesses_total{result=\"held\"} %llu\n"
		   "atrium_session_guesses_total{result=\"missed\"} %llu\n",
		   (unsigned long long)held, (unsigned long long)missed);
}
