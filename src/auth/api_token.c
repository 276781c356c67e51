/* api_token.c — API token format, authentication, usage batches and the
 * rate limit (see api_token.h). */
#include "atrium.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <strings.h>

#include "auth/api_token.h"
#include "auth/perm.h"
#include "auth/token.h"
#include "core/app.h"
#include "core/log.h"
#include "db/db.h"
#include "http/http.h"

#define RANDOM_LEN 36
#define CHECK_LEN 6
#define FLUSH_MS 60000
#define WINDOW_MS 60000
/* A node adds its count to the cluster's each time it has used this
 * part of what the minute had left (api_token_window, below). */
#define SHARE_PARTS 8

static const char b62[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* CRC-32 (IEEE, reflected), bitwise: the token's checksum. */
static uint32_t crc32_of(const char *s, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= (unsigned char)s[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static void checksum(const char *s, size_t n, char out[CHECK_LEN])
{
	uint32_t v = crc32_of(s, n);
	for (int i = CHECK_LEN - 1; i >= 0; i--) {
		out[i] = b62[v % 62];
		v /= 62;
	}
}

void api_token_new(char out[API_TOKEN_LEN + 1])
{
	size_t p = strlen(API_TOKEN_PREFIX);
	memcpy(out, API_TOKEN_PREFIX, p);
	for (int i = 0; i < RANDOM_LEN; i++)
		out[p + (size_t)i] = b62[randombytes_uniform(62)];
	checksum(out, p + RANDOM_LEN, out + p + RANDOM_LEN);
	out[API_TOKEN_LEN] = 0;
}

bool api_token_well_formed(const char *s)
{
	size_t p = strlen(API_TOKEN_PREFIX);
	if (!s || strlen(s) != API_TOKEN_LEN ||
	    strncmp(s, API_TOKEN_PREFIX, p) != 0)
		return false;
	for (size_t i = p; i < API_TOKEN_LEN; i++)
		if (!strchr(b62, s[i]) || !s[i])
			return false;
	char c[CHECK_LEN];
	checksum(s, p + RANDOM_LEN, c);
	return memcmp(c, s + p + RANDOM_LEN, CHECK_LEN) == 0;
}

const char *api_token_from_header(const char *authz)
{
	if (!authz || strncasecmp(authz, "Bearer ", 7) != 0)
		return NULL;
	const char *t = authz + 7;
	while (*t == ' ')
		t++;
	return t;
}

/* ---- addresses ----------------------------------------------------------- */

/* Parses "addr" or "addr/bits" into family, 16 bytes and a prefix length. */
static bool parse_cidr(const char *s, int *fam, unsigned char a[16],
		       int *bits)
{
	char buf[64];
	if (!s || strlen(s) >= sizeof buf)
		return false;
	atr_strlcpy(buf, s, sizeof buf);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	memset(a, 0, 16);
	if (inet_pton(AF_INET, buf, a) == 1)
		*fam = AF_INET;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		*fam = AF_INET6;
	else
		return false;
	int max = *fam == AF_INET ? 32 : 128;
	*bits = max;
	if (slash) {
		int64_t b;
		if (atr_parse_i64(slash + 1, &b) < 0 || b < 0 || b > max)
			return false;
		*bits = (int)b;
	}
	return true;
}

bool api_token_cidr_valid(const char *s)
{
	int fam, bits;
	unsigned char a[16];
	return parse_cidr(s, &fam, a, &bits);
}

bool api_token_ip_in(const char *ip, const char *cidr)
{
	int f1, f2, b1, bits;
	unsigned char a[16], n[16];
	if (!parse_cidr(ip, &f1, a, &b1) || !parse_cidr(cidr, &f2, n, &bits))
		return false;
	/* An IPv4 client seen as ::ffff:a.b.c.d matches IPv4 blocks. */
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
						 0, 0, 0, 0, 0xff, 0xff};
	if (f1 == AF_INET6 && f2 == AF_INET && !memcmp(a, mapped, 12)) {
		memmove(a, a + 12, 4);
		f1 = AF_INET;
	}
	if (f1 != f2)
		return false;
	for (int i = 0; i < bits / 8; i++)
		if (a[i] != n[i])
			return false;
	if (bits % 8) {
		unsigned char m = (unsigned char)(0xFF << (8 - bits % 8));
		if ((a[bits / 8] & m) != (n[bits / 8] & m))
			return false;
	}
	return true;
}

void api_token_narrow(uint8_t *bits, const json_t *key_role)
{
	uint8_t mask[PERM_MODULES_MAX] = {0};
	const char *mod;
	json_t *caps;
	json_object_foreach((json_t *)key_role, mod, caps)
	{
		int m = perm_module_index(mod);
		if (m < 0)
			continue;
		size_t i;
		json_t *c;
		json_array_foreach(caps, i, c)
		{
			unsigned b = perm_bit_parse(json_string_value(c));
			mask[m] |= (uint8_t)b;
			if (b == PB_VIEW)
				mask[m] |= PB_VIEW_OWN;
		}
	}
	for (int m = 0; m < PERM_MODULES_MAX; m++)
		bits[m] &= mask[m];
}

/* ---- usage and rate limit (this process's memory) ------------------------ */

#define SLOTS 1024
#define PROBE 16

/* The rate limit's minute is shared by the nodes: a calendar minute of
 * the wall clock (the nodes' clocks are kept by NTP; a second apart only
 * moves where a minute's count starts), counted in api_token_window. A
 * node adds what it counted there in batches and reads the cluster's
 * total back in the same statement: at its first request of the minute,
 * then whenever it has used 1/SHARE_PARTS of what it knew the minute had
 * left, and no more once the limit is reached. So with up to SHARE_PARTS
 * nodes the cluster admits the limit and at most a few requests in
 * flight more, without a write per request: a token far below its
 * limit costs a few statements a minute, and one refused at its limit
 * none. On SQLite (one node) the count stays in memory. */
struct slot {
	int64_t id;          /* 0: free */
	int64_t window;	     /* the minute counted (wall clock) */
	int64_t shared;	     /* the cluster's requests in it, as last read,
				plus what this node added since */
	int64_t unsynced;    /* this node's requests in it not yet added */
	bool synced;	     /* shared was read in this window */
	int64_t pending;     /* requests not yet written */
	int64_t flushed_mono;
	int64_t used_ms;     /* wall clock of the last request */
	char ip[64];
};

static struct slot slots[SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;

struct pending {
	int64_t id, n, used_ms;
	char ip[64];
};

/* A count to add to the cluster's minute. */
struct share {
	int64_t id, window, n;
};

/* Adds sh->n to the cluster's count of the minute; *total gets the
 * cluster's count after it. 0 or -1. */
static int write_share(struct db_conn *c, const struct share *sh,
		       int64_t *total)
{
	char start[ATR_TIME_LEN];
	atr_time_iso(sh->window * WINDOW_MS, start);
	struct db_stmt *st = db_prepare(
	    c, "INSERT INTO api_token_window (token_id, window_start, "
	       "requests) VALUES (?, ?, ?) ON CONFLICT (token_id, "
	       "window_start) DO UPDATE SET requests = "
	       "api_token_window.requests + excluded.requests RETURNING "
	       "requests");
	if (!st)
		return -1;
	db_bind_int(st, 1, sh->id);
	db_bind_text(st, 2, start);
	db_bind_int(st, 3, sh->n);
	int rc = db_step(st);
	if (rc == 1)
		*total = db_col_int(st, 0);
	db_reset(st);
	return rc == 1 ? 0 : -1;
}

static int write_usage(struct db_conn *c, const struct pending *p)
{
	char at[ATR_TIME_LEN], day[11];
	atr_time_iso(p->used_ms, at);
	memcpy(day, at, 10);
	day[10] = 0;
	struct db_stmt *st = db_prepare(
		c, "UPDATE api_token SET last_used_at = ?, last_used_ip = ? "
		   "WHERE id = ?");
	if (!st)
		return -1;
	db_bind_text(st, 1, at);
	db_bind_text(st, 2, p->ip);
	db_bind_int(st, 3, p->id);
	int rc = db_step(st);
	db_reset(st);
	if (rc < 0 || p->n == 0)
		return rc < 0 ? -1 : 0;
	st = db_prepare(c, "INSERT INTO api_token_usage (token_id, day, "
			   "requests) VALUES (?, ?, ?) ON CONFLICT (token_id, "
			   "day) DO UPDATE SET requests = "
			   "api_token_usage.requests + excluded.requests");
	if (!st)
		return -1;
	db_bind_int(st, 1, p->id);
	db_bind_text(st, 2, day);
	db_bind_int(st, 3, p->n);
	rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* The slot of token id, or NULL. Under slots_mu. */
static struct slot *slot_of(int64_t id)
{
	for (int i = 0; i < PROBE; i++) {
		struct slot *x = &slots[(uint64_t)(id + i) % SLOTS];
		if (x->id == id)
			return x;
	}
	return NULL;
}

/* The cluster's count of token id's minute, read back by write_share. */
static void share_read(int64_t id, int64_t window, int64_t total)
{
	pthread_mutex_lock(&slots_mu);
	struct slot *s = slot_of(id);
	if (s && s->window == window && total > s->shared)
		s->shared = total;
	pthread_mutex_unlock(&slots_mu);
}

/* Counts one request of token id, whose limit is limit: the minute's
 * count (the cluster's, as this node knows it) in *count, the seconds
 * left in the minute in *reset; fills *flush (n > 0 or a first sight)
 * when this node's usage of the token is due to be written, and *share
 * (n > 0) when its count is due to be added to the cluster's. */
static void count_request(int64_t id, const char *ip, int64_t limit,
			  int64_t *count, int64_t *reset, struct pending *flush,
			  struct pending *evicted, struct share *share)
{
	int64_t mono = atr_mono_ms(), now = atr_now_ms();
	int64_t window = now / WINDOW_MS;
	memset(flush, 0, sizeof *flush);
	memset(evicted, 0, sizeof *evicted);
	memset(share, 0, sizeof *share);
	pthread_mutex_lock(&slots_mu);
	struct slot *s = NULL, *oldest = NULL;
	for (int i = 0; i < PROBE; i++) {
		struct slot *x = &slots[(uint64_t)(id + i) % SLOTS];
		if (x->id == id) {
			s = x;
			break;
		}
		if (!oldest || x->id == 0 ||
		    (oldest->id && x->flushed_mono < oldest->flushed_mono))
			oldest = x;
	}
	if (!s) {
		s = oldest;
		if (s->id && s->pending) {
			evicted->id = s->id;
			evicted->n = s->pending;
			evicted->used_ms = s->used_ms;
			atr_strlcpy(evicted->ip, s->ip, sizeof evicted->ip);
		}
		memset(s, 0, sizeof *s);
		s->id = id;
		s->flushed_mono = mono - FLUSH_MS; /* written at first sight */
	}
	if (s->window != window) {
		s->window = window;
		s->shared = s->unsynced = 0;
		s->synced = false;
	}
	s->unsynced++;
	s->pending++;
	s->used_ms = now;
	atr_strlcpy(s->ip, ip, sizeof s->ip);
	*count = s->shared + s->unsynced;
	*reset = ((window + 1) * WINDOW_MS - now + 999) / 1000;
	if (s->shared < limit &&
	    (!s->synced || s->unsynced * SHARE_PARTS >= limit - s->shared)) {
		share->id = id;
		share->window = window;
		share->n = s->unsynced;
		/* Counted here until the total comes back (share_read). */
		s->shared += s->unsynced;
		s->unsynced = 0;
		s->synced = true;
	}
	if (mono - s->flushed_mono >= FLUSH_MS) {
		flush->id = id;
		flush->n = s->pending;
		flush->used_ms = s->used_ms;
		atr_strlcpy(flush->ip, s->ip, sizeof flush->ip);
		s->pending = 0;
		s->flushed_mono = mono;
	}
	pthread_mutex_unlock(&slots_mu);
}

void api_token_flush(struct db_conn *c)
{
	for (int i = 0; i < SLOTS; i++) {
		struct pending p = {0};
		pthread_mutex_lock(&slots_mu);
		if (slots[i].id && slots[i].pending) {
			p.id = slots[i].id;
			p.n = slots[i].pending;
			p.used_ms = slots[i].used_ms;
			atr_strlcpy(p.ip, slots[i].ip, sizeof p.ip);
			slots[i].pending = 0;
		}
		pthread_mutex_unlock(&slots_mu);
		if (p.id && write_usage(c, &p) < 0)
			atr_log("api tokens: cannot record the usage of token "
				"%lld: %s",
				(long long)p.id, db_errmsg(c));
	}
}

/* ---- authentication -------------------------------------------------------- */

/* The token's allowed networks (JSON array text, NULL: any) admit ip. */
static bool network_allowed(const char *nets, const char *ip)
{
	if (!nets)
		return true;
	json_t *a = json_loads(nets, 0, NULL);
	if (!json_is_array(a) || json_array_size(a) == 0) {
		json_decref(a);
		return true;
	}
	bool ok = false;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (api_token_ip_in(ip, json_string_value(v)))
			ok = true;
	}
	json_decref(a);
	return ok;
}

int api_token_authenticate(struct req *r)
{
	const char *tok = api_token_from_header(req_header(r, "Authorization"));
	if (!tok)
		return 0; /* not a bearer request: the session's, if any */
	if (!api_token_well_formed(tok))
		return 0;
	char h[TOKEN_HASH_LEN + 1];
	token_hash(tok, h);
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	struct db_stmt *st = db_prepare(
	    c, "SELECT t.id, t.staff_id, t.org_id, t.permissions, "
	       "t.allowed_networks, t.rate_limit, t.expires_at, st.name, "
	       "st.email, st.admin, o.status, o.kind FROM api_token t JOIN "
	       "staff st ON st.id = t.staff_id JOIN org o ON o.id = "
	       "t.org_id "
	       "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND "
	       "st.active = 1");
	if (!st)
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	db_bind_text(st, 1, h);
	/* The member's grants travel with the token's lookup: one round
	 * trip on PostgreSQL (unused for an administrator without a key
	 * role). */
	struct db_stmt *two[2] = {st, perm_grants_stmt(c, PERM_BY_TOKEN, 0, h)};
	if (!two[1]) {
		db_reset(st);
		return atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
	}
	int rcs[2];
	db_step_all(two, 2, rcs);
	int rc = rcs[0];
	bool suspended = false;
	char *perms = NULL, *nets = NULL;
	int64_t limit = API_TOKEN_RATE_DEFAULT;
	char expires[ATR_TIME_LEN] = "";
	if (rc == 1) {
		r->who.token_id = db_col_int(st, 0);
		r->who.staff_id = db_col_int(st, 1);
		r->who.org_id = db_col_int(st, 2);
		perms = db_col_null(st, 3) ? NULL : xstrdup(db_col_text(st, 3));
		nets = db_col_null(st, 4) ? NULL : xstrdup(db_col_text(st, 4));
		limit = db_col_int(st, 5);
		if (!db_col_null(st, 6))
			atr_strlcpy(expires, db_col_text(st, 6), sizeof expires);
		atr_strlcpy(r->who.name, db_col_text(st, 7),
			    sizeof r->who.name);
		atr_strlcpy(r->who.email, db_col_text(st, 8),
			    sizeof r->who.email);
		r->who.admin = db_col_int(st, 9) != 0;
		suspended = !strcmp(db_col_text(st, 10), "suspended");
		/* A token of a member of the operator reaches the
		 * installation's routes its permissions allow
		 * (ROUTE_OPERATOR_ORG), as the member's session would. */
		r->who.operator_org = !strcmp(db_col_text(st, 11), "operator");
	}
	db_reset(st);
	int ret = 0;
	if (rc < 0) {
		ret = atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		goto out;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (rc == 0 || (*expires && strcmp(expires, now) <= 0))
		goto out; /* unknown, revoked, expired or owner inactive */
	if (suspended) {
		/* Kept, and valid again once the organisation is resumed. */
		ret = atr_fail(&r->err, ATR_E_SUSPENDED,
			       "the organisation of this API token is "
			       "suspended; ask the operator of this "
			       "installation");
		goto out;
	}
	if (r->who.admin && !r->app->cfg.api_tokens_for_admins) {
		ret = atr_fail(&r->err, ATR_E_FORBIDDEN,
			       "API tokens of administrators are turned off "
			       "on this server (api_tokens_for_admins)");
		goto out;
	}
	if (!network_allowed(nets, r->ip)) {
		ret = atr_fail(&r->err, ATR_E_FORBIDDEN,
			       "this API token may not be used from %s",
			       r->ip);
		goto out;
	}
	/* Grants as a session loads them (an administrator's are not
	 * needed unless a key role narrows them). */
	if ((!r->who.admin || perms) &&
	    perm_grants_read(two[1], rcs[1], r->who.staff_id, &r->who.perms) <
		0) {
		ret = atr_fail(&r->err, ATR_E_INTERNAL, "%s", db_errmsg(c));
		goto out;
	}
	if (perms) {
		json_t *kr = json_loads(perms, 0, NULL);
		if (r->who.admin) {
			/* An administrator's token with a key role is held
			 * to the key role alone. */
			r->who.admin = false;
			memset(r->who.perms.bits, 0xFF,
			       sizeof r->who.perms.bits);
		}
		api_token_narrow(r->who.perms.bits, kr ? kr : json_object());
		json_decref(kr);
	}
	r->who.stage = STAGE_FULL;
	r->who.session_id = 0;
	r->who.reauth_ms = 0;
	r->who.must_change_password = false;
	r->who.bearer = true;
	r->authed = true;
	if (r->precheck) { /* counted once, when the request runs */
		ret = 1;
		goto out;
	}

	int64_t count, reset, total;
	struct pending flush, evicted;
	struct share share;
	count_request(r->who.token_id, r->ip, limit, &count, &reset, &flush,
		      &evicted, &share);
	/* One SQLite file has one serving node: its own count is the
	 * cluster's (share stays in memory). */
	if (share.n && db_conn_dialect(c) == DB_PG) {
		if (write_share(c, &share, &total) == 0) {
			share_read(share.id, share.window, total);
			if (total > count)
				count = total;
		} else {
			atr_log("api tokens: cannot share the rate count of "
				"token %lld: %s",
				(long long)share.id, db_errmsg(c));
		}
	}
	if (evicted.id)
		write_usage(c, &evicted);
	if (flush.id && write_usage(c, &flush) < 0)
		atr_log("api tokens: cannot record the usage of token %lld: %s",
			(long long)flush.id, db_errmsg(c));
	int64_t left = limit - count > 0 ? limit - count : 0;
	req_add_header(r, "RateLimit-Policy",
		       arena_printf(r->arena, "\"token\";q=%lld;w=60",
				    (long long)limit));
	req_add_header(r, "RateLimit",
		       arena_printf(r->arena, "\"token\";r=%lld;t=%lld",
				    (long long)left, (long long)reset));
	if (count > limit) {
		r->err.retry_after = (int)reset;
		ret = atr_fail(&r->err, ATR_E_RATE_LIMITED,
			       "this API token's limit of %lld requests a "
			       "minute is reached; retry in %lld s",
			       (long long)limit, (long long)reset);
		goto out;
	}
	ret = 1;
out:
	db_reset(two[1]);
	if (ret != 1 && ret != -1)
		memset(&r->who, 0, sizeof r->who);
	if (ret == -1 && r->err.kind != ATR_E_RATE_LIMITED)
		memset(&r->who, 0, sizeof r->who);
	free(perms);
	free(nets);
	return ret;
}

int64_t api_token_live(struct db_conn *c, int64_t staff_id)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT COUNT(*) FROM api_token WHERE staff_id = ? AND "
		   "revoked_at IS NULL");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc = db_step(st);
	int64_t n = rc == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

int64_t api_token_owner_gone(struct db_conn *c, int64_t staff_id, int64_t to,
			     enum token_fate fate)
{
	int64_t n = 0;
	if (fate == TOKENS_MOVE) {
		struct db_stmt *st = db_prepare(
			c, "UPDATE api_token SET staff_id = ?, version = version "
			   "+ 1 WHERE staff_id = ? AND revoked_at IS NULL "
			   "RETURNING id");
		if (!st)
			return -1;
		db_bind_int(st, 1, to);
		db_bind_int(st, 2, staff_id);
		int rc;
		while ((rc = db_step(st)) == 1)
			n++;
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	struct db_stmt *st = db_prepare(
		c, "DELETE FROM api_token WHERE staff_id = ? RETURNING id");
	if (!st)
		return -1;
	db_bind_int(st, 1, staff_id);
	int rc;
	while ((rc = db_step(st)) == 1)
		if (fate == TOKENS_REVOKE)
			n++;
	db_reset(st);
	return rc < 0 ? -1 : n;
}
