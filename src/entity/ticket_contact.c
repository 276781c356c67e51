/* ticket_contact.c — tickets opened and answered by a contact (see
 * ticket_contact.h): the email pipe and the client portal write them the
 * same way. */
#include "atrium.h"

#include "core/activity.h"
#include "core/arena.h"
#include "db/db.h"
#include "entity/entity.h"
#include "entity/ticket_contact.h"
#include "http/http.h"
#include "http/pipeline.h"
#include "http/write.h"

extern const struct entity entity_ticket;

/* The ticket as the API shows it, for the event (a request context of
 * our own, as an administrator of org). New reference, or NULL. */
static json_t *ticket_json(struct app *app, struct db_conn *c, int64_t org,
			   int64_t id)
{
	struct req fr = {0};
	fr.app = app;
	fr.arena = arena_new();
	fr.db = c;
	fr.who.org_id = org;
	fr.who.admin = true;
	fr.id = id;
	json_t *rec = NULL;
	if (entity_record_load(&fr, &entity_ticket, false, &rec) != 1)
		rec = NULL;
	fr.db = NULL; /* ours, not the request's to release */
	req_free(&fr);
	return rec;
}

/* The activity row; takes diff. */
static int audit(struct db_conn *c, const struct ticket_post *p,
		 const char *action, int64_t ticket, json_t *diff)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)p->extra, k, v)
		json_object_set(diff, k, v);
	struct activity a = {.org_id = p->org,
			     .actor_name = p->actor,
			     .action = action,
			     .entity = "ticket",
			     .entity_id = ticket,
			     .diff = diff,
			     .ip = p->ip ? p->ip : "",
			     .request_id = p->request_id ? p->request_id : ""};
	int rc = activity_record(c, &a);
	json_decref(diff);
	return rc;
}

int ticket_contact_open(struct app *app, struct db_conn *c,
			const struct ticket_post *p, int64_t *id)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO ticket (org_id, subject, department_id, "
		   "contact_id, client_id, priority, status, message, "
		   "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, "
		   "?, 'open', ?, ?, ?, 1) RETURNING id");
	if (!st)
		return -1;
	/* 200 characters at most, as the API takes. */
	char subject[801];
	const char *s = p->subject;
	size_t k = 0, chars = 0;
	while (s[k] && chars < 200) {
		k++;
		while (((unsigned char)s[k] & 0xC0) == 0x80)
			k++;
		chars++;
	}
	snprintf(subject, sizeof subject, "%.*s", (int)k, s);
	db_bind_int(st, 1, p->org);
	db_bind_text(st, 2, subject);
	db_bind_opt_int(st, 3, p->dept > 0, p->dept);
	db_bind_opt_int(st, 4, p->contact > 0, p->contact);
	db_bind_opt_int(st, 5, p->client > 0, p->client);
	db_bind_text(st, 6, p->priority ? p->priority : "medium");
	db_bind_text(st, 7, p->text);
	db_bind_text(st, 8, now);
	db_bind_text(st, 9, now);
	int rc = db_step(st);
	*id = rc == 1 ? db_col_int(st, 0) : 0;
	db_reset(st);
	if (rc != 1 || write_count_add(c, p->org, "ticket", 1) < 0)
		return -1;
	json_t *after = ticket_json(app, c, p->org, *id);
	if (!after)
		return -1;
	int ok = audit(c, p, "create", *id, write_diff(NULL, after)) == 0 &&
		 outbox_emit(c, p->org, "ticket", *id, "created", NULL,
			     after) == 0;
	json_decref(after);
	return ok ? 0 : -1;
}

int ticket_contact_reply(struct app *app, struct db_conn *c,
			 const struct ticket_post *p, int64_t id,
			 int64_t *reply_id)
{
	json_t *before = ticket_json(app, c, p->org, id);
	if (!before)
		return -1;
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO ticket_reply (org_id, ticket_id, internal, body, "
		   "author_name, contact_id, source, created_at) VALUES (?, ?, "
		   "0, ?, ?, ?, ?, ?) RETURNING id");
	int rc = st ? 0 : -1;
	int64_t reply = 0;
	if (st) {
		db_bind_int(st, 1, p->org);
		db_bind_int(st, 2, id);
		db_bind_text(st, 3, p->text);
		db_bind_text(st, 4, p->author);
		db_bind_opt_int(st, 5, p->contact > 0, p->contact);
		db_bind_text(st, 6, p->source);
		db_bind_text(st, 7, now);
		rc = db_step(st);
		reply = rc == 1 ? db_col_int(st, 0) : 0;
		*reply_id = reply;
		db_reset(st);
	}
	if (rc == 1) {
		st = db_prepare(c, "UPDATE ticket SET status = 'open', version "
				   "= version + 1, updated_at = ? WHERE id = ? "
				   "AND org_id = ?");
		rc = st ? 0 : -1;
		if (st) {
			db_bind_text(st, 1, now);
			db_bind_int(st, 2, id);
			db_bind_int(st, 3, p->org);
			rc = db_step(st);
			db_reset(st);
		}
	}
	json_t *after = rc >= 0 ? ticket_json(app, c, p->org, id) : NULL;
	int ret = -1;
	if (after) {
		json_t *diff = write_diff(before, after);
		json_object_set_new(diff, "reply",
				    json_pack("{s:I}", "to", (json_int_t)reply));
		if (audit(c, p, "reply", id, diff) == 0 &&
		    outbox_emit(c, p->org, "ticket", id, "updated", before,
				after) == 0)
			ret = 0;
	}
	json_decref(before);
	json_decref(after);
	return ret;
}
