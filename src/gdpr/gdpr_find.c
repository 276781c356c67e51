/* gdpr_find.c — what holds a data subject's data, found by their email.
 *
 * The one list the export and the erasure walk (gdpr_int.h). The person
 * is found where an email names them: leads and contacts with that
 * address (case-insensitive), a staff member with it, and emails queued
 * to it. From those follow: the clients their contacts belong to, the
 * tickets of those contacts and every reply on them, the tasks linked to
 * the leads and contacts, the activity entries about all of these, and
 * for a staff member their notifications and the activity entries they
 * made. Each section is one statement (no query per record) and at most
 * GDPR_SECTION_MAX rows; a section cut short says so ("truncated").
 */
#include "atrium.h"

#include "db/db.h"
#include "gdpr/gdpr_int.h"

#define GDPR_SECTION_MAX 20000

/* The sets a section's statement refers to. A placeholder inside lower()
 * is bound to the email, every other one to the organisation
 * (run_section). The sets that follow from others (tickets, tasks) filter
 * by organisation through the lead, contact or staff set they start from
 * (ids are unique across organisations). */
#define S_LEAD "(SELECT id FROM lead WHERE org_id = ? AND lower(email) = lower(?))"
#define S_CONTACT                                                              \
	"(SELECT id FROM contact WHERE org_id = ? AND lower(email) = "         \
	"lower(?))"
#define S_TICKET "(SELECT id FROM ticket WHERE contact_id IN " S_CONTACT ")"
#define S_TASK                                                                 \
	"(SELECT id FROM task WHERE (rel_type = 'lead' AND rel_id IN " S_LEAD \
	") OR (rel_type = 'contact' AND rel_id IN " S_CONTACT "))"
#define S_STAFF "(SELECT id FROM staff WHERE org_id = ? AND lower(email) = lower(?))"

struct section {
	const char *key;
	const char *sql;
};

static const struct section sections[] = {
	{"leads", "SELECT * FROM lead WHERE id IN " S_LEAD " ORDER BY id"},
	{"contacts", "SELECT * FROM contact WHERE id IN " S_CONTACT
		     " ORDER BY id"},
	{"clients", "SELECT * FROM client WHERE id IN (SELECT client_id FROM "
		    "contact WHERE id IN " S_CONTACT ") ORDER BY id"},
	{"tickets", "SELECT * FROM ticket WHERE id IN " S_TICKET " ORDER BY id"},
	{"ticket_replies", "SELECT * FROM ticket_reply WHERE ticket_id IN "
			   S_TICKET " ORDER BY id"},
	{"tasks", "SELECT * FROM task WHERE id IN " S_TASK " ORDER BY id"},
	{"activity",
	 "SELECT id, seq, at, actor_id, actor_name, action, entity, "
	 "entity_id, diff, ip FROM activity_log WHERE org_id = ? AND "
	 "((entity = 'lead' AND "
	 "entity_id IN " S_LEAD ") OR (entity = 'contact' AND entity_id IN "
	 S_CONTACT ") OR (entity = 'ticket' AND entity_id IN " S_TICKET
	 ") OR (entity = 'task' AND entity_id IN " S_TASK
	 ") OR (entity = 'staff' AND entity_id IN " S_STAFF
	 ") OR actor_id IN " S_STAFF ") ORDER BY seq"},
	{"emails", "SELECT id, to_addr, reply_to, subject, body_text, template, "
		   "created_at, sent_at FROM email_queue WHERE id IN (SELECT "
		   "id FROM email_queue WHERE org_id = ? AND lower(to_addr) = "
		   "lower(?)) ORDER BY id"},
	{"staff", "SELECT id, email, name, admin, active, role_id, created_at, "
		  "updated_at, last_login_at, l10n_language, l10n_timezone, "
		  "l10n_date_format FROM staff WHERE id IN " S_STAFF
		  " ORDER BY id"},
	{"notifications", "SELECT id, title, body, link, source, created_at, "
			  "read_at FROM notification WHERE staff_id IN "
			  S_STAFF " ORDER BY id"},
};

/* Columns never exported (secrets, derived search text). */
static bool hidden(const char *col)
{
	return !strcmp(col, "password_hash") || !strcmp(col, "cf_search") ||
	       !strcmp(col, "org_id");
}

static bool is_int_col(const char *col)
{
	size_t n = strlen(col);
	return !strcmp(col, "id") || !strcmp(col, "seq") ||
	       !strcmp(col, "version") || !strcmp(col, "created_by") ||
	       (n > 3 && !strcmp(col + n - 3, "_id"));
}

static int run_section(struct db_conn *c, const struct section *s,
		       int64_t org, const char *email, json_t *out)
{
	struct db_stmt *st = db_prepare(c, s->sql);
	if (!st)
		return -1;
	/* A placeholder inside lower() is the email, any other the
	 * organisation. */
	int n = 0;
	for (const char *p = s->sql; *p; p++) {
		if (*p != '?')
			continue;
		n++;
		if (p - s->sql >= 6 && !strncmp(p - 6, "lower(", 6))
			db_bind_text(st, n, email);
		else
			db_bind_int(st, n, org);
	}
	json_t *rows = json_array();
	int rc, count = 0;
	while ((rc = db_step(st)) == 1) {
		if (count++ == GDPR_SECTION_MAX) {
			json_object_set_new(out, "truncated", json_true());
			break;
		}
		json_t *o = json_object();
		int nc = db_col_count(st);
		for (int i = 0; i < nc; i++) {
			const char *name = db_col_name(st, i);
			if (hidden(name))
				continue;
			json_t *v = db_col_null(st, i) ? json_null()
				    : is_int_col(name)
					    ? json_integer(db_col_int(st, i))
					    : json_string(db_col_text(st, i));
			json_object_set_new(o, name, v ? v : json_null());
		}
		json_array_append_new(rows, o);
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(rows);
		return -1;
	}
	json_object_set_new(out, s->key, rows);
	return 0;
}

json_t *gdpr_find(struct db_conn *c, int64_t org, const char *email)
{
	json_t *out = json_object();
	for (size_t i = 0; i < ATR_ARRAY_LEN(sections); i++)
		if (run_section(c, &sections[i], org, email, out) < 0) {
			json_decref(out);
			return NULL;
		}
	return out;
}
