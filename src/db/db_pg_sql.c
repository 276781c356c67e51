/* db_pg_sql.c — the PostgreSQL driver's SQL rewriting: the facade's `?`
 * placeholders become $1..$n, skipping string literals, quoted
 * identifiers, dollar-quoted bodies and comments (db_pg.c prepares the
 * result). A pure function of the text, apart from the connection code. */
#include "atrium.h"

#include <ctype.h>

#include "db/db_driver.h"

static bool db_pg_ident_char(char ch)
{
	unsigned char u = (unsigned char)ch;

	return isalnum(u) || u == '_' || u == '$' || u >= 0x80;
}

/* Length of a dollar-quote tag ($$ or $tag$) starting at s, 0 if s does
 * not start one. */
static size_t db_pg_dollar_tag(const char *s)
{
	size_t n = 1;

	if (s[n] != '$' && !(isalpha((unsigned char)s[n]) || s[n] == '_' ||
			     (unsigned char)s[n] >= 0x80))
		return 0;
	while (s[n] && s[n] != '$') {
		unsigned char u = (unsigned char)s[n];
		if (!(isalnum(u) || u == '_' || u >= 0x80))
			return 0;
		n++;
	}
	return s[n] == '$' ? n + 1 : 0;
}

/* Index of the end (exclusive) of the quoted, commented or dollar-quoted
 * run starting at sql[i], or i when none starts there. Unterminated runs
 * end at the end of the text; the server then reports the syntax error. */
static size_t db_pg_skip(const char *sql, size_t i)
{
	size_t n = strlen(sql), tag;
	char q = sql[i];

	if (q == '\'' || q == '"') {
		/* E'...' strings take backslash escapes; plain ones do not
		 * (standard_conforming_strings is on since 9.1). */
		bool esc = q == '\'' && i > 0 &&
			   (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
			   (i < 2 || !db_pg_ident_char(sql[i - 2]));
		for (i++; i < n; i++) {
			if (esc && sql[i] == '\\' && i + 1 < n) {
				i++;
			} else if (sql[i] == q) {
				if (sql[i + 1] != q)
					return i + 1;
				i++; /* '' or "" is an escaped quote */
			}
		}
		return n;
	}
	if (q == '-' && sql[i + 1] == '-') {
		while (i < n && sql[i] != '\n')
			i++;
		return i;
	}
	if (q == '/' && sql[i + 1] == '*') {
		int depth = 0; /* PostgreSQL block comments nest */
		while (i < n) {
			if (sql[i] == '/' && sql[i + 1] == '*') {
				depth++;
				i += 2;
			} else if (sql[i] == '*' && sql[i + 1] == '/') {
				i += 2;
				if (--depth == 0)
					return i;
			} else {
				i++;
			}
		}
		return n;
	}
	if (q == '$' && (i == 0 || !db_pg_ident_char(sql[i - 1])) &&
	    (tag = db_pg_dollar_tag(sql + i)) > 0) {
		for (const char *end = sql + i + tag; *end; end++)
			if (!strncmp(end, sql + i, tag))
				return (size_t)(end - sql) + tag;
		return n;
	}
	return i;
}

/* Rewrites `?` placeholders outside literals, identifiers and comments to
 * $1..$n. Writes into out when it is not NULL (it must hold the returned
 * length plus one); returns the rewritten length and sets *nparams. */
size_t db_pg_rewrite(const char *sql, char *out, int *nparams)
{
	size_t i = 0, o = 0, n = strlen(sql);
	int np = 0;

	while (i < n) {
		size_t end = db_pg_skip(sql, i);
		if (end > i) {
			if (out)
				memcpy(out + o, sql + i, end - i);
			o += end - i;
			i = end;
		} else if (sql[i] == '?') {
			char num[16];
			int len = snprintf(num, sizeof(num), "$%d", ++np);
			if (out)
				memcpy(out + o, num, (size_t)len);
			o += (size_t)len;
			i++;
		} else {
			if (out)
				out[o] = sql[i];
			o++;
			i++;
		}
	}
	if (out)
		out[o] = 0;
	*nparams = np;
	return o;
}

/* Prepares sql on the server; returns the statement (freed by finalize)
 * or NULL with the error recorded on the connection. */
