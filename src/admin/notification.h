/* notification.h — in-app notifications for staff members.
 *
 * A notification is a short message to one member of an organisation,
 * shown under the bell of the web admin and at /admin/notifications, and
 * read through GET /api/v1/notifications (only by that member). Features
 * that tell members something (automations, the system itself, `atrium
 * notify`) add one inside the transaction of the change that causes it, so
 * it commits, or rolls back, with that change.
 *
 * Adding one from a feature:
 *   if (db_begin(c) < 0 || <the change> < 0 ||
 *       notification_add(c, org, staff_id, "Lead 'Acme' assigned to you",
 *                        NULL, "/admin/leads/42", "automation", &err) < 0 ||
 *       db_commit(c) < 0)
 *           ... roll back; err (or db_errmsg) says why ...
 * The text is cleaned, never refused (see notification_clean), so what a
 * record's fields put into a title cannot make the change fail.
 */
#ifndef ATR_NOTIFICATION_H
#define ATR_NOTIFICATION_H

#include "atrium.h"

#include <jansson.h>

struct db_conn;

#define NOTIFICATION_TITLE_MAX 200  /* characters */
#define NOTIFICATION_BODY_MAX 2000  /* characters */
#define NOTIFICATION_LINK_MAX 500   /* bytes */

/* Adds a notification for member staff_id of org, inside the caller's open
 * transaction (it commits with the change that causes it). title: one line,
 * at most 200 characters (longer is cut at a character boundary, control
 * characters become spaces); body: NULL or at most 2000 characters (line
 * breaks kept, other control characters removed); link: NULL or a path of the
 * web UI beginning with "/admin/" (anything else is stored as NULL); source: a
 * short word naming what made it ("automation", "system"). Inactive or absent
 * members of org get nothing (returns 0). 0, or -1 with err (database error).
 *
 * A title that is empty once cleaned (NULL, "", only spaces or control
 * characters) is a mistake of the caller: -1 with err ATR_E_INVALID, nothing
 * written. A source that is not a short word ([a-z][a-z0-9_]{0,31}) is
 * stored as "system". */
int notification_add(struct db_conn *c, int64_t org, int64_t staff_id,
		     const char *title, const char *body, const char *link,
		     const char *source, struct atr_err *err);

/* The same for every active administrator of org; returns how many were
 * notified, or -1 with err. */
int notification_admins(struct db_conn *c, int64_t org, const char *title,
			const char *body, const char *link, const char *source,
			struct atr_err *err);

/* The same two, naming the message as well: key ([a-z][a-z0-9_]{0,47})
 * and params (NULL, or a JSON object of strings and integers; borrowed),
 * so the web UI can show the notification in the reader's language
 * (web/assets/i18n: notifications.msg.<key>.title and .body, with the
 * params filled in; a param whose name ends in "_t" names a catalogue key
 * that is translated first). title and body are the English text, kept
 * for API clients and shown when the catalogue lacks the key. A key that
 * is not such a word, or params that are not such an object, store no
 * message (the English text alone). */
int notification_add_msg(struct db_conn *c, int64_t org, int64_t staff_id,
			 const char *key, const json_t *params,
			 const char *title, const char *body,
			 const char *link, const char *source,
			 struct atr_err *err);
int notification_admins_msg(struct db_conn *c, int64_t org, const char *key,
			    const json_t *params, const char *title,
			    const char *body, const char *link,
			    const char *source, struct atr_err *err);

/* The message column's text for key and params (caller frees), or NULL
 * when they do not make a message (see notification_add_msg). */
char *notification_message(const char *key, const json_t *params);

/* The cleaning of a title (multiline false) or a body (multiline true),
 * for notification_add and its unit test: at most max characters (code
 * points), cut at a character boundary; bytes that are not UTF-8 become
 * U+FFFD. One line: each run of control characters (C0, DEL, C1, U+2028,
 * U+2029) becomes one space. Multi-line: CR LF, CR, U+2028 and U+2029
 * become LF, other control characters are removed. White space at either
 * end is removed. Stops reading once the result is full.
 * Returns a malloc'd string, "" when nothing is left (caller frees). */
char *notification_clean(const char *s, int max, bool multiline);

/* Whether link may be stored: a path of the web UI beginning with
 * "/admin/", at most NOTIFICATION_LINK_MAX bytes of URL characters (no
 * white space, control characters, quotes, backslashes or angle
 * brackets), and no "." or ".." segment (nor "%2e%2e"), which a browser
 * would resolve to a path outside /admin/. */
bool notification_link_ok(const char *link);

#endif
