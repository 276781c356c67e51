/* list.h — the one list-query engine.
 *
 * Every list route hands list_run a `struct list_spec`: its table, its
 * columns, which of them may be filtered and sorted (as typed fields, so
 * the field-type table says which operators apply and how a value
 * parses), how to search, how to write a row, and hooks for the caller's
 * view scope and for parameters of its own. The engine parses the query,
 * builds the SQL for both dialects and writes the page.
 *
 * The query language (docs/internals/http-api.md has the contract):
 *   field=v               equals (arrays: has the item v)
 *   field[ne]=v           differs
 *   field[in]=a,b,c       one of (at most LIST_IN_MAX values)
 *   field[gt|gte|lt|lte]=v  ranges (numbers, money, dates, times)
 *   field[contains]=v     text: case-insensitive substring; arrays: item
 *   field[empty]=true     no value (false: has one)
 *   field=me              on a staff field or staff list: the caller
 *                         (and in ne and in: assigned_to[in]=me,9)
 * A staff list (a joined type, core/ftype.h) is not a column: field=7
 * means "7 is on the list", [ne] "7 is not", [in]=a,b "a or b is",
 * [empty]=true "nobody is". field=7 alone walks the list's (staff_id,
 * org_id, record_id) index in page order (an arm of its own); under a
 * view scope's arms each filter probes the list's primary key on the
 * rows the arms read; otherwise it is `id [NOT] IN (SELECT record_id FROM
 * <table> ...)`.
 *   q=text                search (an index: SQLite FTS5 trigram, or
 *                         PostgreSQL pg_trgm, when the spec names one)
 *   sort=-value,name      up to LIST_SORT_MAX keys; the id breaks ties
 *   limit=N               1..limit_max (default limit_default)
 *   cursor=C              keyset paging: the page after the one that
 *                         returned next_cursor C (MACed; tampering is 400)
 *   offset=N              offset paging, instead of a cursor
 *   count=true            also count the matching rows (total)
 * An unknown parameter, field or operator is a 400 problem naming it.
 *
 * The answer: {"data":[...], "limit", "offset", "has_more",
 * "next_cursor" (null on the last page), "total" (when counted: on
 * count=true or for lists that always count (count_default), or for free
 * from a maintained count when nothing narrows the list), and whatever
 * the spec's extra hook adds}.
 *
 * A handler that needs per-request state in its hooks (a setting the row
 * writer reads) copies its static spec and points the copy's arg at it.
 *
 * View scopes are index-driven: a scope hook adds either one condition
 * (list_where) or disjoint arms (list_arm), one per indexed predicate
 * ("owner_id = 7", "assigned_to = 7 AND owner_id NOT IN (...)"). Arms
 * become a UNION ALL of ordered index scans that the database merges and
 * stops after one page, instead of one OR that scans the organisation.
 * An arm may also walk another table (list_arm_join): the records a member
 * is on the staff list of come from the list's table in id order, joined
 * to the records, so that arm too stops after one page.
 */
#ifndef ATR_LIST_H
#define ATR_LIST_H

#include "atrium.h"

#include "core/ftype.h"

struct buf;
struct db_stmt;
struct req;

#define LIST_SORT_MAX 4
#define LIST_IN_MAX 50
/* Arms of one view scope: the activity log takes one per log entity a
 * member may view (about 30 for the broadest role today, guarded by
 * tests/http/activity-scope.test.mjs); each arm is an index-served branch
 * of a UNION ALL, so the cost of a wide role is its seeks, not a scan. */
#define LIST_ARMS_MAX 64
#define LIST_SEARCH_MAX 200

/* What a column of a list may do, and LIST_NOTNULL: it never holds NULL,
 * so it is sorted without NULLS LAST and an index serves either
 * direction (PostgreSQL scans an ascending index backward only as DESC
 * NULLS FIRST). */
enum { LIST_FILTER = 1 << 0, LIST_SORT = 1 << 1, LIST_NOTNULL = 1 << 2 };

struct list_col {
	const struct field *f; /* name (the parameter) and type */
	const char *expr;      /* SQL expression; NULL: f->name. For a
				* joined type: the table of its values */
	unsigned flags;        /* LIST_FILTER | LIST_SORT */
};

/* The query being built; hooks add to it. Memory is the request's. */
struct list_query {
	struct req *r;
	struct buf *where;     /* " AND ..." conditions every arm shares */
	struct fvalue *params; /* their parameters, in order */
	int nparams, capparams;
	struct list_arm *arms; /* disjoint alternatives (a view scope) */
	int narms;
	bool filtered; /* something narrows the rows: no maintained total */
	bool none;     /* the scope allows nothing: an empty page */
	/* Filters on staff lists, written once the scope is known. */
	struct list_joined *joined;
	int njoined;
};

#define LIST_JOINED_MAX 8

/* A filter on a staff list (list_filter.c). */
struct list_joined {
	const char *table;   /* the list's table */
	unsigned bit;        /* FOP_EQ, FOP_IN or FOP_EMPTY */
	bool neg;            /* [ne], or [empty]=true */
	struct fvalue *vals; /* the members asked for */
	int n;
};

struct list_spec {
	const char *from;   /* "lead", or a join ("staff s LEFT JOIN ...") */
	const char *cols;   /* the SELECT list the row writer reads */
	const char *id;     /* the unique key expression ("id", "s.id") */
	const char *org;    /* the organisation column, or NULL */
	const struct list_col *columns;
	int ncolumns;
	const char *sort_default; /* "-id" */
	int limit_default, limit_max;
	/* Search: expressions matched by ?q= (case-insensitive substring),
	 * NULL-terminated; NULL: no ?q=. */
	const char *const *search;
	/* SQLite: an FTS5 trigram table whose rowid is the id; PostgreSQL:
	 * a pg_trgm-indexed expression. NULL: a plain LIKE over `search`. */
	const char *search_fts;
	const char *search_trgm;
	/* Count every request, as if count=true were sent: for lists that
	 * stay small (staff, roles), where a total is always cheap. */
	bool count_default;
	/* Writes one row (JSON object) from the SELECT list. */
	void (*row)(struct buf *b, struct db_stmt *st, const void *arg);
	const void *arg;
	/* Optional: the total when nothing narrows the list (a maintained
	 * count): a bound statement whose first column is it (no row: 0),
	 * read together with the page; NULL on error. */
	struct db_stmt *(*total)(struct req *r, const void *arg);
	/* Optional: the caller's view scope. 0 or -1 (r->err). */
	int (*scope)(struct req *r, struct list_query *q, const void *arg);
	/* Optional: a parameter of this list only. 1 consumed, 0 not this
	 * list's, -1 bad (r->err). op is NULL without [op]. */
	int (*param)(struct req *r, struct list_query *q, const char *key,
		     const char *op, const char *value, const void *arg);
	/* Optional: completes the page's rows once they are all written
	 * (out holds the answer so far): what needs the page's ids, read in
	 * one query for the page rather than one per row (a record's staff
	 * lists). May rewrite out; the rows must stay the elements of the
	 * data array. 0 or -1 (r->err). */
	int (*rows_done)(struct req *r, struct buf *out, const void *arg);
	/* Optional: more members of the answer after the page, each written
	 * as ,"name":value (counts by status, a summary the screen shows
	 * above the list). 0 or -1 (r->err). */
	int (*extra)(struct req *r, struct buf *out, const void *arg);
	/* extra describes the page's own rows (the titles of the records
	 * they refer to), so an export runs it per page to name them;
	 * otherwise it is what the screen shows above a page, which an
	 * export leaves out. */
	bool extra_names_rows;
};

/* Answers the list request r per spec (sets r's response). 0 or -1 with
 * r->err. With ?format=csv or xlsx the answer is the whole selection as
 * a file (list_export). */
int list_run(struct req *r, const struct list_spec *spec);

/* The rows one export may hold (an xlsx sheet holds 1,048,576). */
#define EXPORT_ROWS_MAX 1000000

/* list_export.c: the selection of r (filters, search, sort, the view
 * scope) as a CSV or xlsx file written page by page to a temporary file
 * and sent from it (r->raw_file), logged in the activity log. format is
 * "csv" or "xlsx" (anything else is a 400). 0 or -1 with r->err. */
int list_export(struct req *r, const struct list_spec *spec,
		const char *format);

/* Hook helpers. list_where appends " AND (cond)"; list_arm adds one
 * alternative (at most LIST_ARMS_MAX); each `?` of the text is bound, in
 * order, to the values added after it with list_int / list_text. */
void list_where(struct list_query *q, const char *cond);
int list_arm(struct list_query *q, const char *cond);
/* An arm over spec->from plus join (" JOIN (SELECT ...) AS m ON ..."),
 * in which the expression id (a column of the joined table equal to the
 * spec's id) replaces the spec's id as sort key and in the cursor's
 * condition: the arm is then ordered by, and cut along, the joined
 * table's index. The join's columns must not share a name with the
 * spec's (select them under names of their own). */
int list_arm_join(struct list_query *q, const char *join, const char *id,
		  const char *cond);
void list_int(struct list_query *q, int64_t v);
void list_text(struct list_query *q, const char *s);

#endif
