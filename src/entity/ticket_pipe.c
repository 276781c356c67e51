/* ticket_pipe.c — inbound email into tickets (`atrium pipe`; spec, Step 6
 * "Email Pipe (for tickets)").
 *
 * The recipient picks the department (its `email`, any case; the first by
 * id when two share one) and so the organisation. Then, in order:
 *   - automatic mail (Auto-Submitted, bulk/list Precedence, auto-replies),
 *     bounces and our own messages are ignored (no loops);
 *   - a reply threads onto its ticket — "[Ticket #N]" in the subject, or
 *     In-Reply-To/References naming a message the pipe took — when the
 *     sender is a contact of that ticket's client (anyone else who knows
 *     a ticket number opens a ticket of their own instead);
 *   - otherwise a new ticket, linked to the sender when they are a known
 *     contact; from an unknown sender only when the department takes
 *     them (unknown_senders), else it is rejected;
 *   - a Message-ID is taken once per place: once per department address
 *     it came to (a new ticket: a message sent to two departments opens
 *     one in each) and once per ticket (a reply sent to two addresses is
 *     added once). Another copy — a mail server's retry, or a copy
 *     delivered at the same moment by a second process — is ignored: the
 *     unique keys of pipe_message decide, so two concurrent copies never
 *     both write, and the loser is not an error (that would be exit 75
 *     and the message deferred for minutes).
 * Each message is one transaction: the ticket or reply, the Message-ID,
 * the activity row (actor "email pipe"), the ticket's event and the pipe
 * log row; a refused one writes its log row only.
 */
#include "atrium.h"

#include "core/app.h"
#include "core/arena.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/inbound.h"
#include "entity/entity.h"
#include "entity/ticket_attach.h"
#include "entity/ticket_contact.h"
#include "entity/ticket_pipe.h"
#include "http/http.h"

extern const struct entity entity_ticket;

struct route_to {
	int64_t org, dept;
	bool take_unknown;
	const char *addr;
};

/* The department one of the recipients names: 1, 0 none, -1 error. */
static int find_department(struct db_conn *c, const char *const *rcpts,
			   int n, struct route_to *to)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT org_id, id, unknown_senders FROM department WHERE "
		   "lower(email) = ? ORDER BY org_id, id LIMIT 1");
	if (!st)
		return -1;
	for (int i = 0; i < n; i++) {
		db_bind_text(st, 1, rcpts[i]);
		int rc = db_step(st);
		if (rc == 1) {
			to->org = db_col_int(st, 0);
			to->dept = db_col_int(st, 1);
			to->take_unknown =
				db_col_null(st, 2) ||
				strcmp(db_col_text(st, 2), "reject") != 0;
			to->addr = rcpts[i];
		}
		db_reset(st);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Whether addr is one Atrium sends from (the SMTP sender of org, or a
 * department's address): mail from it is our own, looping back. */
static int our_address(struct db_conn *c, int64_t org, const char *addr)
{
	char from[320];
	if (settings_get(c, org, "smtp_email", from, sizeof from) < 0)
		return -1;
	if (*from && !strcasecmp(from, addr))
		return 1;
	struct db_stmt *st = db_prepare(
		c, "SELECT 1 FROM department WHERE lower(email) = ? LIMIT 1");
	if (!st)
		return -1;
	db_bind_text(st, 1, addr);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

/* The contact with sign-in email addr: 1 (*id, *client), 0, -1. */
static int find_contact(struct db_conn *c, int64_t org, const char *addr,
			int64_t *id, int64_t *client)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT id, client_id FROM contact WHERE org_id = ? AND "
		   "lower(email) = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, addr);
	int rc = db_step(st);
	if (rc == 1) {
		*id = db_col_int(st, 0);
		*client = db_col_int(st, 1);
	}
	db_reset(st);
	return rc;
}

/* "[Ticket #123]" anywhere in the subject: 123, or 0. */
static int64_t subject_ticket(const char *s)
{
	const char *p = s ? strstr(s, "[Ticket #") : NULL;
	if (!p)
		return 0;
	char *end;
	long long v = strtoll(p + 9, &end, 10);
	return *end == ']' && v > 0 ? (int64_t)v : 0;
}

/* The key an email we sent is remembered by: "atrium.ORG.ID", the part
 * of its Message-ID (<atrium.ORG.ID.TIME@domain>, email/deliver.c) that
 * does not depend on the sending domain or the send time. */
static void sent_key(int64_t org, int64_t email_id, char out[64])
{
	snprintf(out, 64, "atrium.%lld.%lld", (long long)org,
		 (long long)email_id);
}

/* A reference of ours (atrium.ORG.ID.TIME@domain) as its sent_key; any
 * other as it is. */
static const char *ref_key(const char *ref, char out[64])
{
	long long org, id;
	int end = 0;
	if (sscanf(ref, "atrium.%lld.%lld.%*[0-9]@%n", &org, &id, &end) == 2 &&
	    end > 0) {
		sent_key(org, id, out);
		return out;
	}
	return ref;
}

/* The ticket a reply belongs to, when its sender may add to it: its id, 0
 * none, -1 error. A message the pipe took for several departments names
 * several tickets: the one of dept (the address this copy came to) first. */
static int64_t thread_of(struct db_conn *c, int64_t org, int64_t dept,
			 const struct inbound_msg *m, int64_t contact_client)
{
	int64_t id = subject_ticket(m->subject);
	struct db_stmt *st;
	for (int i = 0; !id && i < m->nrefs; i++) {
		st = db_prepare(c, "SELECT ticket_id FROM pipe_message WHERE "
				   "org_id = ? AND message_id = ? ORDER BY CASE "
				   "WHEN department_id = ? THEN 0 ELSE 1 END, "
				   "ticket_id LIMIT 1");
		if (!st)
			return -1;
		char key[64];
		db_bind_int(st, 1, org);
		db_bind_text(st, 2, ref_key(m->refs[i], key));
		db_bind_int(st, 3, dept);
		int rc = db_step(st);
		id = rc == 1 ? db_col_int(st, 0) : 0;
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	if (!id || !contact_client)
		return 0;
	/* Only a contact of the ticket's client (or of its contact's). */
	st = db_prepare(c, "SELECT 1 FROM ticket t LEFT JOIN contact ct ON "
			   "ct.id = t.contact_id WHERE t.id = ? AND t.org_id = "
			   "? AND (t.client_id = ? OR ct.client_id = ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, org);
	db_bind_int(st, 3, contact_client);
	db_bind_int(st, 4, contact_client);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : rc == 1 ? id : 0;
}

/* Whether mid was taken already for this place: on ticket (a reply, when
 * > 0), or else at department dept. 1, 0, -1 error. */
static int seen_message(struct db_conn *c, int64_t org, const char *mid,
			int64_t dept, int64_t ticket)
{
	if (!mid)
		return 0;
	struct db_stmt *st = db_prepare(
		c, ticket > 0 ? "SELECT 1 FROM pipe_message WHERE org_id = ? "
				"AND message_id = ? AND ticket_id = ?"
			      : "SELECT 1 FROM pipe_message WHERE org_id = ? "
				"AND message_id = ? AND department_id = ?");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, mid);
	db_bind_int(st, 3, ticket > 0 ? ticket : dept);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

static int log_row(struct db_conn *c, int64_t org, const struct inbound_msg *m,
		   const char *to, size_t size, struct pipe_outcome *o)
{
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO pipe_log (org_id, received_at, message_id, "
		   "from_addr, to_addr, subject, result, detail, ticket_id, "
		   "bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, now);
	db_bind_text(st, 3, m ? m->message_id : NULL);
	db_bind_text(st, 4, m ? m->from_addr : NULL);
	db_bind_text(st, 5, to);
	db_bind_text(st, 6, m ? m->subject : NULL);
	db_bind_text(st, 7, pipe_result_name(o->result));
	db_bind_text(st, 8, o->detail);
	db_bind_opt_int(st, 9, o->ticket_id > 0, o->ticket_id);
	db_bind_int(st, 10, (int64_t)size);
	int rc = db_step(st);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Records mid as taken at department dept onto ticket: 1 done, 0 another
 * copy holds the place (committed meanwhile: PostgreSQL waits for it at
 * the unique key instead of failing), -1 error. */
static int remember(struct db_conn *c, int64_t org, const char *mid,
		    int64_t dept, int64_t ticket)
{
	if (!mid)
		return 1;
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO pipe_message (org_id, message_id, department_id, "
		   "ticket_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING "
		   "RETURNING ticket_id");
	if (!st)
		return -1;
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, mid);
	db_bind_int(st, 3, dept);
	db_bind_int(st, 4, ticket);
	int rc = db_step(st);
	db_reset(st);
	return rc;
}

int ticket_pipe_sent(struct db_conn *c, int64_t org, int64_t email_id,
		     int64_t dept, int64_t ticket)
{
	char key[64];
	sent_key(org, email_id, key);
	return remember(c, org, key, dept, ticket) < 0 ? -1 : 0;
}

/* A new ticket from m. */
static int open_ticket(struct app *app, struct db_conn *c,
		       const struct route_to *to, const struct inbound_msg *m,
		       int64_t contact, int64_t client, int64_t *id)
{
	json_t *extra = json_pack("{s:{s:s}}", "from", "to", m->from_addr);
	struct ticket_post p = {
		.org = to->org, .dept = to->dept, .contact = contact,
		.client = client,
		.subject = *m->subject ? m->subject : "(no subject)",
		.text = m->text, .actor = "email pipe", .ip = "",
		.request_id = "", .extra = extra};
	int rc = ticket_contact_open(app, c, &p, id);
	json_decref(extra);
	return rc;
}

/* m as a reply on ticket id (the contact's: the ticket opens again). */
static int add_reply(struct app *app, struct db_conn *c, int64_t org,
		     int64_t id, const struct inbound_msg *m, int64_t contact,
		     int64_t *reply_id)
{
	struct ticket_post p = {
		.org = org, .contact = contact,
		.text = *m->text ? m->text : "(empty message)",
		.author = m->from_name ? m->from_name : m->from_addr,
		.source = "email", .actor = "email pipe", .ip = "",
		.request_id = ""};
	return ticket_contact_reply(app, c, &p, id, reply_id);
}

/* Keeps m's attachments on ticket (reply when > 0); a refused one is
 * named in o's detail (the message is taken all the same). -1 on a
 * database error. */
static int keep_files(struct db_conn *c, int64_t org, int64_t ticket,
		      int64_t reply, int64_t contact,
		      const struct inbound_msg *m, struct pipe_outcome *o)
{
	for (int i = 0; i < m->nfiles; i++) {
		const struct inbound_file *f = &m->files[i];
		int64_t id;
		const char *why = NULL;
		int rc = ticket_attach_store(c, org, ticket, reply, f->name,
					     f->data, f->len, 0, contact, &id,
					     &why);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		size_t used = strlen(o->detail);
		snprintf(o->detail + used, sizeof o->detail - used,
			 "; attachment '%.60s' refused: %s", f->name, why);
	}
	if (m->nattach > m->nfiles) {
		size_t used = strlen(o->detail);
		snprintf(o->detail + used, sizeof o->detail - used,
			 "; %d attachments past the first %d not kept",
			 m->nattach - m->nfiles, INBOUND_MAX_FILES);
	}
	return 0;
}

/* Another copy of the message holds its place (see the top): ignored,
 * and what this copy wrote is rolled back by the caller. */
static int taken_already(struct pipe_outcome *o)
{
	o->result = PIPE_IGNORED;
	o->ticket_id = 0;
	o->reply_id = 0;
	snprintf(o->detail, sizeof o->detail, "a Message-ID already received");
	return 0;
}

/* Decides and writes (see the top); o filled. -1 on a database error. */
static int deliver(struct app *app, struct db_conn *c,
		   const struct route_to *to, const struct inbound_msg *m,
		   struct pipe_outcome *o)
{
	if (m->automatic || m->bounce) {
		o->result = PIPE_IGNORED;
		snprintf(o->detail, sizeof o->detail, "%s",
			 m->bounce ? "a bounce (delivery report)"
				   : "an automatic message (auto-reply, list)");
		return 0;
	}
	if (!m->from_addr) {
		o->result = PIPE_REJECTED;
		snprintf(o->detail, sizeof o->detail, "no sender address");
		return 0;
	}
	int own = our_address(c, to->org, m->from_addr);
	if (own < 0)
		return -1;
	if (own) {
		o->result = PIPE_IGNORED;
		snprintf(o->detail, sizeof o->detail,
			 "sent from one of our own addresses (a loop)");
		return 0;
	}
	int64_t contact = 0, client = 0;
	if (find_contact(c, to->org, m->from_addr, &contact, &client) < 0)
		return -1;
	int64_t thread = thread_of(c, to->org, to->dept, m, client);
	if (thread < 0)
		return -1;
	int seen = seen_message(c, to->org, m->message_id, to->dept, thread);
	if (seen < 0)
		return -1;
	if (seen)
		return taken_already(o);
	if (thread) {
		if (add_reply(app, c, to->org, thread, m, contact,
			      &o->reply_id) < 0)
			return -1;
		int rc = remember(c, to->org, m->message_id, to->dept, thread);
		if (rc <= 0)
			return rc < 0 ? -1 : taken_already(o);
		o->result = PIPE_REPLY;
		o->ticket_id = thread;
		snprintf(o->detail, sizeof o->detail, "reply added to ticket "
						      "#%lld",
			 (long long)thread);
		return keep_files(c, to->org, thread, o->reply_id, contact, m,
				  o);
	}
	if (!contact && !to->take_unknown) {
		o->result = PIPE_REJECTED;
		snprintf(o->detail, sizeof o->detail,
			 "the sender is not a contact, and the department "
			 "takes mail from contacts only");
		return 0;
	}
	int64_t id = 0;
	if (open_ticket(app, c, to, m, contact, client, &id) < 0)
		return -1;
	int rc = remember(c, to->org, m->message_id, to->dept, id);
	if (rc <= 0)
		return rc < 0 ? -1 : taken_already(o);
	o->result = PIPE_TICKET;
	o->ticket_id = id;
	snprintf(o->detail, sizeof o->detail, "ticket #%lld opened%s",
		 (long long)id, contact ? "" : " (unknown sender)");
	return keep_files(c, to->org, id, 0, contact, m, o);
}

int ticket_pipe(struct app *app, const char *raw, size_t n,
		const char *recipient, struct pipe_outcome *o)
{
	memset(o, 0, sizeof *o);
	struct atr_err err = {0};
	struct inbound_msg m = {0};
	bool parsed = n <= INBOUND_MAX_BYTES &&
		      inbound_parse(raw, n, &m, &err) == 0;
	struct db_conn *c = db_acquire(app->db, &err);
	if (!c) {
		o->result = PIPE_TEMPFAIL;
		snprintf(o->detail, sizeof o->detail, "%s", err.msg);
		inbound_free(&m);
		return 0;
	}
	const char *rc[INBOUND_MAX_RCPTS + 1];
	int nrc = 0;
	char *rlow = recipient ? xstrdup(recipient) : NULL;
	for (char *p = rlow; p && *p; p++)
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	if (rlow)
		rc[nrc++] = rlow;
	for (int i = 0; parsed && i < m.nrcpts; i++)
		rc[nrc++] = m.rcpts[i];
	struct route_to to = {1, 0, false, rlow};
	int ret = -1;
	if (db_begin(c) < 0)
		goto out;
	int found = find_department(c, rc, nrc, &to);
	if (found < 0)
		goto out;
	if (!parsed) {
		o->result = PIPE_REJECTED;
		snprintf(o->detail, sizeof o->detail, "%s",
			 n > INBOUND_MAX_BYTES ? "larger than 10 MiB"
					       : "not an email message");
	} else if (!found) {
		o->result = PIPE_NO_RECIPIENT;
		snprintf(o->detail, sizeof o->detail,
			 "no department has the address it was sent to");
	} else if (deliver(app, c, &to, &m, o) < 0) {
		goto out;
	}
	if (o->result != PIPE_TICKET && o->result != PIPE_REPLY) {
		/* Nothing but the log row of a refused or ignored message. */
		db_rollback(c);
		if (db_begin(c) < 0)
			goto out;
	}
	if (log_row(c, to.org, parsed ? &m : NULL, to.addr, n, o) < 0 ||
	    db_commit(c) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		if (db_in_tx(c))
			db_rollback(c);
		o->result = PIPE_TEMPFAIL;
		snprintf(o->detail, sizeof o->detail, "database: %s",
			 db_errmsg(c));
	}
	db_release(c);
	free(rlow);
	inbound_free(&m);
	return 0;
}

const char *pipe_result_name(enum pipe_result r)
{
	static const char *const names[] = {
		[PIPE_TICKET] = "ticket_created", [PIPE_REPLY] = "reply_added",
		[PIPE_IGNORED] = "ignored",	    [PIPE_REJECTED] = "rejected",
		[PIPE_NO_RECIPIENT] = "no_recipient",
		[PIPE_TEMPFAIL] = "temporary_failure",
	};
	return r >= 0 && r < (int)ATR_ARRAY_LEN(names) && names[r] ? names[r]
								  : "?";
}
