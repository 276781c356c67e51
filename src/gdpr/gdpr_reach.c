/* gdpr_reach.c — erasure reaches the log archives already written
 * (admin/retention.h: retention_rewrite does the files, this file says
 * what changes in a row).
 *
 * Each archived row is changed exactly as the live table's row is by
 * gdpr_erase.c:
 *   - the activity log (keyed rows only, mac_version > 1): the "what" part
 *     (diff) of a row about an erased record or whose diff holds one of
 *     the values, and the "who" part (actor_name, ip) of a row whose actor
 *     name holds one or whose actor is a staff member with the subject's
 *     email, are erased with their salt (NULL); the seal and the MAC stay,
 *     so the archive still verifies against its signed checkpoint
 *     (`atrium logs verify FILE`);
 *   - the other logs (API requests, pipe, webhook attempts and deliveries,
 *     events): every text column holding one of the values becomes
 *     "[DELETED]" (an event's payload {"erased":true}, also for events
 *     about an erased record); an API request of a staff member with the
 *     subject's email loses its client address. Rows are never removed:
 *     the manifest's row count and ids stay true.
 */
#include "atrium.h"

#include "admin/retention.h"
#include "db/db.h"
#include "gdpr/gdpr_int.h"
#include "http/http.h"

#define ERASED_PAYLOAD "{\"erased\":true}"

struct ids {
	const char *entity;
	int64_t *v;
	size_t n;
};

struct reach {
	const char *const *values;
	int nvalues;
	struct ids about[4];
	struct ids staff;
};

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void ids_from(struct ids *s, const char *entity, const json_t *rows)
{
	s->entity = entity;
	s->n = json_array_size(rows);
	s->v = s->n ? xmalloc(s->n * sizeof *s->v) : NULL;
	for (size_t i = 0; i < s->n; i++)
		s->v[i] = json_integer_value(
			json_object_get(json_array_get(rows, i), "id"));
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, cmp64);
}

static bool has(const struct ids *s, const json_t *id)
{
	if (!json_is_integer(id) || !s->n)
		return false;
	int64_t k = json_integer_value(id);
	return bsearch(&k, s->v, s->n, sizeof k, cmp64) != NULL;
}

/* The row is about one of the erased records (entity, entity_id). */
static bool about(const struct reach *x, const json_t *row)
{
	const char *e = json_string_value(json_object_get(row, "entity"));
	for (size_t i = 0; e && i < ATR_ARRAY_LEN(x->about); i++)
		if (!strcmp(e, x->about[i].entity))
			return has(&x->about[i], json_object_get(row,
								 "entity_id"));
	return false;
}

/* s holds one of the values (which are lower case), ignoring case. */
static bool holds(const struct reach *x, const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || !*s)
		return false;
	size_t n = strlen(s);
	char *low = xmalloc(n + 1);
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a'
							      : s[i]);
	bool found = false;
	for (int i = 0; !found && i < x->nvalues; i++)
		found = strstr(low, x->values[i]) != NULL;
	free(low);
	return found;
}

static int edit_activity(const struct reach *x, json_t *row)
{
	if (json_integer_value(json_object_get(row, "mac_version")) < 2)
		return 0; /* an unkeyed row's hash covers its values */
	int changed = 0;
	json_t *diff = json_object_get(row, "diff");
	if (json_is_string(diff) &&
	    (holds(x, diff) || about(x, row))) {
		json_object_set_new(row, "diff", json_null());
		json_object_set_new(row, "what_salt", json_null());
		changed = 1;
	}
	json_t *name = json_object_get(row, "actor_name");
	if ((json_is_string(name) || json_is_string(json_object_get(row,
								     "ip"))) &&
	    (holds(x, name) || has(&x->staff, json_object_get(row,
							      "actor_id")))) {
		json_object_set_new(row, "actor_name", json_null());
		json_object_set_new(row, "ip", json_null());
		json_object_set_new(row, "who_salt", json_null());
		changed = 1;
	}
	return changed;
}

static int edit(void *arg, const struct retention_log *L, json_t *row,
		struct atr_err *err)
{
	(void)err;
	const struct reach *x = arg;
	if (L->chain)
		return edit_activity(x, row);
	bool events = !strcmp(L->name, "events");
	int changed = 0;
	for (void *it = json_object_iter(row); it;
	     it = json_object_iter_next(row, it)) {
		const char *key = json_object_iter_key(it);
		json_t *v = json_object_iter_value(it);
		if (!strcmp(key, L->time_col) || !holds(x, v))
			continue;
		json_object_iter_set_new(
			row, it,
			json_string(events && !strcmp(key, "payload")
					    ? ERASED_PAYLOAD
					    : GDPR_DELETED));
		changed = 1;
	}
	json_t *payload = json_object_get(row, "payload");
	if (events && json_is_string(payload) &&
	    strcmp(json_string_value(payload), ERASED_PAYLOAD) != 0 &&
	    about(x, row)) {
		json_object_set_new(row, "payload", json_string(ERASED_PAYLOAD));
		changed = 1;
	}
	json_t *ip = json_object_get(row, "ip");
	if (!strcmp(L->name, "api_requests") && json_is_string(ip) &&
	    strcmp(json_string_value(ip), GDPR_DELETED) != 0 &&
	    has(&x->staff, json_object_get(row, "staff_id"))) {
		json_object_set_new(row, "ip", json_string(GDPR_DELETED));
		changed = 1;
	}
	return changed;
}

int gdpr_reach_archives(struct req *r, const char *const *values,
			int nvalues, const json_t *found, json_t *rewritten)
{
	struct reach x = {.values = values, .nvalues = nvalues};
	static const char *const map[][2] = {{"leads", "lead"},
					     {"contacts", "contact"},
					     {"tickets", "ticket"},
					     {"tasks", "task"}};
	for (size_t i = 0; i < ATR_ARRAY_LEN(map); i++)
		ids_from(&x.about[i], map[i][1],
			 json_object_get(found, map[i][0]));
	ids_from(&x.staff, "staff", json_object_get(found, "staff"));
	struct archive_rewrite rw = {
	    .org = r->who.org_id,
	    .tag = "e",
	    .tag_id = r->id,
	    .note = "erasure request",
	    .edit = edit,
	    .arg = &x,
	    .actor_id = r->who.staff_id,
	    .actor_name = req_actor_name(r),
	    .ip = r->ip,
	    .request_id = r->request_id,
	    .action = "gdpr_archive_rewrite",
	};
	int rc = retention_rewrite(r->app, req_db(r), &rw, rewritten, &r->err);
	for (size_t i = 0; i < ATR_ARRAY_LEN(x.about); i++)
		free(x.about[i].v);
	free(x.staff.v);
	return rc;
}
