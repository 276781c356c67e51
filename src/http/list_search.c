/* list_search.c — the ?q= search of the list-query engine (list.h).
 *
 * A trigram index answers a phrase by reading the posting list of every
 * trigram of it, and a trigram found in most rows ("com" of "Company ...")
 * has a list as long as the table: at a million rows such a phrase costs
 * tens of milliseconds whatever it finally matches. So on SQLite (FTS5),
 * as pg_trgm's planner does with its statistics, the plan first asks which trigrams of
 * the text are rare: each probe reads at most SEARCH_RARE rows of one
 * list (a common trigram costs a fraction of a millisecond, a rare one
 * less), the likeliest rare ones first (digits, punctuation, uncommon
 * letters), until two are found. The rows holding both rare trigrams are
 * the candidates, and the exact condition (the substring, in one of the
 * searchable fields) is checked on those only. When none of the probed
 * trigrams is rare, the text is common: the rows are read in the list's
 * order and the first page of matches comes soon, where asking the index
 * would list most of the table first. Text outside ASCII keeps the
 * phrase: the index folds Unicode case, SQL's lower() only ASCII.
 *
 * On PostgreSQL the index is asked for the text's rarest-looking window
 * only (search_pg).
 *
 * NEEDSWORK: a text made only of common trigrams that is itself rare
 * ("any com") reads the whole list in the fallback; trigram statistics
 * kept with the index would let the plan see it. */
#include "atrium.h"

#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"
#include "http/http.h"
#include "http/list.h"
#include "http/list_int.h"

#define SEARCH_RARE 16000
#define SEARCH_PROBES 4
#define SEARCH_TRIGRAMS 64

/* How likely a trigram is rare: characters outside the common letters
 * of the languages we serve, and outside the space, weigh. */
static int rarity(const char *t)
{
	int n = 0;
	for (int i = 0; i < 3; i++) {
		char c = (char)((t[i] >= 'A' && t[i] <= 'Z') ? t[i] + 32 : t[i]);
		if (!strchr("etaoinsrhlcdmu ", c))
			n += (c >= 'a' && c <= 'z') ? 1 : 2;
	}
	return n;
}

/* A phrase for the index: "..." with quotes doubled, in the arena. */
static char *fts_phrase(struct arena *a, const char *text, size_t n)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '"');
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '"')
			buf_addc(&b, '"');
		buf_addc(&b, text[i]);
	}
	buf_addc(&b, '"');
	char *s = arena_strdup(a, buf_str(&b));
	buf_free(&b);
	return s;
}

/* Rows of the index holding trigram t, counted up to SEARCH_RARE; -1 on
 * a database error. */
static int64_t probe_trigram(struct req *r, const char *fts, const char *t)
{
	char sql[160];
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM (SELECT rowid FROM %s WHERE %s MATCH ? "
		 "LIMIT %d)",
		 fts, fts, SEARCH_RARE);
	struct db_stmt *st = db_prepare(r->db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, fts_phrase(r->arena, t, 3));
	int64_t n = db_step(st) == 1 ? db_col_int(st, 0) : -1;
	db_reset(st);
	return n;
}

/* The text as a case-insensitive substring of any searchable field. */
static int search_like(struct req *r, struct list_query *q,
		       const struct list_spec *s, const char *text)
{
	struct arena *a = r->arena;
	const char *pat = list_like_pattern(a, text);
	struct buf b = BUF_INIT;
	for (const char *const *e = s->search; *e; e++)
		buf_printf(&b, "%slower(%s) LIKE ? ESCAPE '\\'",
			   e == s->search ? "" : " OR ", *e);
	list_where(q, arena_strdup(a, buf_str(&b)));
	buf_free(&b);
	for (const char *const *e = s->search; *e; e++)
		list_text(q, pat);
	return 0;
}

/* The index condition for text on SQLite (see above): 0, or -1 with
 * r->err. */
static int search_fts(struct req *r, struct list_query *q,
		      const struct list_spec *s, const char *text)
{
	struct arena *a = r->arena;
	size_t len = strlen(text);
	bool ascii = true;
	for (size_t i = 0; i < len; i++)
		ascii = ascii && (unsigned char)text[i] < 0x80;
	const char *rare[2];
	int nrare = 0;
	if (ascii && len > 3) {
		/* The distinct trigrams, the likeliest rare first. */
		const char *tri[SEARCH_TRIGRAMS];
		int ntri = 0;
		for (size_t i = 0; i + 3 <= len && ntri < SEARCH_TRIGRAMS; i++) {
			bool seen = false;
			for (int j = 0; j < ntri && !seen; j++)
				seen = !strncasecmp(tri[j], text + i, 3);
			if (!seen)
				tri[ntri++] = text + i;
		}
		for (int i = 1; i < ntri; i++)
			for (int j = i; j > 0 && rarity(tri[j]) >
						     rarity(tri[j - 1]); j--) {
				const char *x = tri[j];
				tri[j] = tri[j - 1];
				tri[j - 1] = x;
			}
		for (int i = 0; i < ntri && i < SEARCH_PROBES && nrare < 2;
		     i++) {
			int64_t n = probe_trigram(r, s->search_fts, tri[i]);
			if (n < 0)
				return req_db_error(r);
			if (n < SEARCH_RARE)
				rare[nrare++] = tri[i];
		}
	}
	if (nrare == 0 && !ascii) {
		list_where(q, arena_printf(a,
					   "%s IN (SELECT rowid FROM %s WHERE "
					   "%s MATCH ?)",
					   s->id, s->search_fts, s->search_fts));
		list_text(q, fts_phrase(a, text, len));
		return 0;
	}
	if (nrare == 0)
		return search_like(r, q, s, text);
	/* Candidates from the rare trigrams, then the exact substring. */
	list_where(q, arena_printf(a, "%s IN (SELECT rowid FROM %s WHERE %s "
				      "MATCH ?)",
				   s->id, s->search_fts, s->search_fts));
	list_text(q, nrare == 1 ? fts_phrase(a, rare[0], 3)
				: arena_printf(a, "%s AND %s",
					       fts_phrase(a, rare[0], 3),
					       fts_phrase(a, rare[1], 3)));
	return search_like(r, q, s, text);
}

/* The index condition for text on PostgreSQL. pg_trgm answers a LIKE by
 * intersecting the posting lists of every trigram of the pattern, and a
 * common one ("com", "any") lists most of the table: "Company 4321" took
 * 23 ms at a million leads, 1 ms when only its rarest four characters
 * ("4321") ask the index. So the index gets the four-character window
 * whose trigrams look rarest (rarity(), as for SQLite) and the whole text
 * is checked on those rows only, through an expression the index does not
 * match (`|| ''`). A text of common letters only, short or not ASCII,
 * asks with the whole pattern. */
static int search_pg(struct list_query *q, const struct list_spec *s,
		       struct arena *a, const char *text)
{
	size_t len = strlen(text);
	bool ascii = true;
	for (size_t i = 0; i < len; i++)
		ascii = ascii && (unsigned char)text[i] < 0x80;
	size_t best = 0;
	int score = 0;
	for (size_t i = 0; ascii && len > 4 && i + 4 <= len; i++) {
		int sc = rarity(text + i) + rarity(text + i + 1);
		if (sc > score) {
			score = sc;
			best = i;
		}
	}
	if (score < 2) {
		list_where(q, arena_printf(a, "%s LIKE ? ESCAPE '\\'",
					   s->search_trgm));
		list_text(q, list_like_pattern(a, text));
		return 0;
	}
	list_where(q, arena_printf(a,
				   "%s LIKE ? ESCAPE '\\' AND (%s || '') LIKE ? "
				   "ESCAPE '\\'",
				   s->search_trgm, s->search_trgm));
	list_text(q, list_like_pattern(a, arena_strndup(a, text + best, 4)));
	list_text(q, list_like_pattern(a, text));
	return 0;
}

/* The ?q= search: an index when the spec has one and the text is long
 * enough for trigrams, else LIKE over the searchable expressions. */
int list_add_search(struct req *r, struct list_query *q,
		      const struct list_spec *s, const char *text)
{
	if (!s->search)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"this list has no search (q)");
	if (strlen(text) > LIST_SEARCH_MAX)
		return atr_fail(&r->err, ATR_E_BAD_REQUEST,
				"q must be at most %d bytes", LIST_SEARCH_MAX);
	if (!*text)
		return 0;
	struct arena *a = r->arena;
	size_t chars = 0;
	for (const char *p = text; *p; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	bool pg = db_conn_dialect(r->db) == DB_PG;
	if (!pg && s->search_fts && chars >= 3)
		return search_fts(r, q, s, text);
	if (pg && s->search_trgm)
		return search_pg(q, s, a, text);
	return search_like(r, q, s, text);
}

