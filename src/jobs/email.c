/* email.c — templates, message building, SMTP through libcurl, the queue
 * worker and the email-queue routes.
 *
 * The worker ticks every second. A tick claims at most EMAIL_BATCH due
 * rows in one statement — PostgreSQL:
 *   UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING
 * so nodes sharing a database never claim the same row; SQLite the same
 * without the locking clause (its writers are serialised). A claimed row
 * is 'sending' with a lease (locked_until); a row whose lease passed was
 * claimed by a node that died mid-send, and is claimed again. Delivery is
 * therefore at least once: receivers de-duplicate on the Message-ID, which
 * is stable across retries.
 */
#include "atrium.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <time.h>

#include "admin/settings.h"
#include "core/activity.h"
#include "core/app.h"
#include "core/buf.h"
#include "core/secret.h"
#include "db/db.h"
#include "http/http.h"
#include "jobs/email.h"
#include "jobs/housekeeping.h"

#define EMAIL_BATCH 10
/* A claim's lease: a whole batch at the worst case of every send (10 s to
 * connect, 60 s in all), and a minute to spare. */
#define EMAIL_LEASE_MS ((int64_t)EMAIL_BATCH * 70 * 1000 + 60 * 1000)
#define EMAIL_BACKOFF_CAP_MS ((int64_t)3600 * 1000)
#define EMAIL_COUNTS_EVERY_MS 5000
#define EMAIL_ADDR_MAX 254
#define EMAIL_SUBJECT_MAX 998
#define EMAIL_BODY_MAX (256 * 1024)
#define LIST_DEFAULT 50
#define LIST_MAX 200

static const char *const status_names[EMAIL_NSTATUS] = {
	[EMAIL_QUEUED] = "queued",
	[EMAIL_SENDING] = "sending",
	[EMAIL_SENT] = "sent",
	[EMAIL_BLOCKED] = "blocked",
};

const char *email_status_name(int status)
{
	return status >= 0 && status < EMAIL_NSTATUS ? status_names[status]
						     : "?";
}

/* ---- templates ------------------------------------------------------------ */

struct email_template {
	const char *name;
	const char *subject;
	const char *body; /* plain text; lines of at most 78 characters */
};

static const struct email_template templates[] = {
	{"invitation", "You are invited to {{company_name}}",
	 "Hello {{name}},\n"
	 "\n"
	 "You have been invited to {{company_name}}. Open this link to choose\n"
	 "your password and sign in:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The link works once and expires in {{expires_hours}} hours. If you did\n"
	 "not expect this invitation, you can ignore this email.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"password_reset", "Reset your {{company_name}} password",
	 "Hello {{name}},\n"
	 "\n"
	 "Someone asked to reset the password of your {{company_name}}\n"
	 "account. Open this link to choose a new one:\n"
	 "\n"
	 "{{link}}\n"
	 "\n"
	 "The link works once and expires in {{expires_hours}} hour(s). If you\n"
	 "did not ask for it, ignore this email: your password stays as it is.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"security_notice", "Security notice from {{company_name}}",
	 "Hello {{name}},\n"
	 "\n"
	 "For your information: {{what}}.\n"
	 "\n"
	 "When: {{when}}\n"
	 "From address: {{ip}}\n"
	 "\n"
	 "If this was not you, tell your administrator at once.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
	{"test", "Test email from {{company_name}}",
	 "This is a test email from {{company_name}}.\n"
	 "\n"
	 "It was sent with the SMTP settings of Atrium. If you can read it,\n"
	 "those settings work and Atrium can send email.\n"
	 "\n"
	 "-- \n"
	 "{{company_name}}\n"},
};

static const struct email_template *template_find(const char *name)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(templates); i++)
		if (strcmp(templates[i].name, name) == 0)
			return &templates[i];
	return NULL;
}

/* Substitutes {{var}} in t from vars (strings and integers). Returns the
 * text, malloc'd; NULL with err when a var is missing or not a string or
 * an integer. Values are not expanded again. */
static char *substitute(const char *t, const json_t *vars, const char *tname,
			struct atr_err *err)
{
	struct buf b = BUF_INIT;
	const char *p = t;
	while (*p) {
		const char *open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		if (!open || !close) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(open - p));
		char name[64];
		size_t n = (size_t)(close - open - 2);
		if (n == 0 || n >= sizeof name) {
			buf_add(&b, open, 2);
			p = open + 2;
			continue;
		}
		memcpy(name, open + 2, n);
		name[n] = 0;
		json_t *v = json_object_get(vars, name);
		if (json_is_string(v)) {
			buf_adds(&b, json_string_value(v));
		} else if (json_is_integer(v)) {
			buf_printf(&b, "%lld", (long long)json_integer_value(v));
		} else {
			atr_fail(err, ATR_E_INTERNAL,
				 "email template '%s' needs {{%s}} (a string or "
				 "an integer)",
				 tname, name);
			sodium_memzero(b.p, b.cap);
			buf_free(&b);
			return NULL;
		}
		p = close + 2;
	}
	return buf_detach(&b);
}

/* Wipes and frees a body (it may carry a one-time link). */
static void body_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

int email_render(struct db_conn *c, int64_t org, const char *template_name,
		 const json_t *vars, char **subject, char **body,
		 struct atr_err *err)
{
	*subject = *body = NULL;
	const struct email_template *t = template_find(template_name);
	if (!t)
		return atr_fail(err, ATR_E_INTERNAL,
				"no email template '%s'", template_name);
	char company[256];
	if (settings_get(c, org, "company_name", company, sizeof company) < 0)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot read the company name: %s",
				db_errmsg(c));
	json_t *v = json_is_object(vars) ? json_deep_copy(vars) : json_object();
	json_object_set_new(v, "company_name", json_string(company));
	*subject = substitute(t->subject, v, t->name, err);
	*body = *subject ? substitute(t->body, v, t->name, err) : NULL;
	json_decref(v);
	if (!*body) {
		free(*subject);
		*subject = NULL;
		return -1;
	}
	return 0;
}

/* ---- the message ------------------------------------------------------- */

/* True when s may be a header value: no CR or LF, no other control
 * character but tab. */
static bool header_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

static bool ascii_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

/* Appends s as RFC 2047 encoded-words (UTF-8, base64), each at most 60
 * characters and cut between characters, folded with CRLF SP. */
static void encoded_words(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	bool first = true;
	while (n) {
		size_t take = n < 36 ? n : 36;
		/* Do not cut a UTF-8 sequence: back off continuation bytes. */
		while (take < n && take > 0 && (p[take] & 0xc0) == 0x80)
			take--;
		if (take == 0)
			take = n < 36 ? n : 36;
		char b64[64];
		sodium_bin2base64(b64, sizeof b64, p, take,
				  sodium_base64_VARIANT_ORIGINAL);
		buf_printf(b, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
		first = false;
		p += take;
		n -= take;
	}
}

/* "Tue, 24 Nov 2026 23:45:21 +0000" for an ISO 8601 UTC time. */
static void rfc5322_date(const char *iso, char out[40])
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
					   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec"};
	struct tm tm = {0};
	int y, mo, d, h, mi, s;
	time_t t;
	if (iso && sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi,
			  &s) == 6) {
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = s;
		t = timegm(&tm);
	} else {
		t = time(NULL);
	}
	gmtime_r(&t, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* One body line as quoted-printable, soft-broken at 76 characters. */
static void qp_line(struct buf *b, const unsigned char *s, size_t n)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = s[i];
		char enc[4];
		size_t el = 1;
		bool last = i + 1 == n;
		if ((ch >= 33 && ch <= 126 && ch != '=') ||
		    ((ch == ' ' || ch == '\t') && !last)) {
			enc[0] = (char)ch;
		} else {
			snprintf(enc, sizeof enc, "=%02X", ch);
			el = 3;
		}
		if (col + el > 75) {
			buf_adds(b, "=\r\n");
			col = 0;
		}
		buf_add(b, enc, el);
		col += el;
	}
	buf_adds(b, "\r\n");
}

/* Appends the body with CRLF line ends, as 7bit when it is ASCII with
 * lines of at most 78 characters, else quoted-printable. */
static void body_append(struct buf *b, const char *body)
{
	bool plain = true;
	size_t col = 0;
	for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
		if (*p == '\n') {
			col = 0;
			continue;
		}
		if (*p == '\r')
			continue;
		if (*p > 0x7e || (*p < 0x20 && *p != '\t') || ++col > 78)
			plain = false;
	}
	buf_printf(b, "Content-Transfer-Encoding: %s\r\n\r\n",
		   plain ? "7bit" : "quoted-printable");
	const char *p = body;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		size_t m = n;
		while (m && p[m - 1] == '\r')
			m--;
		if (plain) {
			buf_add(b, p, m);
			buf_adds(b, "\r\n");
		} else {
			qp_line(b, (const unsigned char *)p, m);
		}
		p += n;
		if (*p == '\n')
			p++;
	}
}

char *email_build_message(const char *from_addr, const char *from_name,
			  const struct email_msg *m, size_t *len,
			  struct atr_err *err)
{
	static const struct {
		const char *header;
		size_t off;
	} checks[] = {
		{"To", offsetof(struct email_msg, to)},
		{"Subject", offsetof(struct email_msg, subject)},
		{"Message-ID", offsetof(struct email_msg, message_id)},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(checks); i++) {
		const char *v = *(const char *const *)((const char *)m +
						       checks[i].off);
		if (v && !header_safe(v)) {
			atr_fail(err, ATR_E_INVALID,
				 "refusing a line break or control character "
				 "in the %s header",
				 checks[i].header);
			return NULL;
		}
	}
	if (!header_safe(from_addr) || (from_name && !header_safe(from_name))) {
		atr_fail(err, ATR_E_INVALID,
			 "refusing a line break or control character in the "
			 "From header");
		return NULL;
	}
	if (!m->to || !valid_email(m->to) || !valid_email(from_addr)) {
		atr_fail(err, ATR_E_INVALID, "invalid sender or recipient "
					     "address");
		return NULL;
	}
	char date[40];
	rfc5322_date(m->date, date);
	const char *domain = strchr(from_addr, '@') + 1;
	char mid[160];
	if (m->message_id) {
		atr_strlcpy(mid, m->message_id, sizeof mid);
	} else {
		unsigned char rnd[12];
		char hex[25];
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
		snprintf(mid, sizeof mid, "<atrium.%s@%.100s>", hex, domain);
	}

	struct buf b = BUF_INIT;
	buf_printf(&b, "Date: %s\r\nFrom: ", date);
	if (from_name && *from_name) {
		if (ascii_printable(from_name) && strlen(from_name) < 60) {
			buf_addc(&b, '"');
			for (const char *p = from_name; *p; p++) {
				if (*p == '"' || *p == '\\')
					buf_addc(&b, '\\');
				buf_addc(&b, *p);
			}
			buf_addc(&b, '"');
		} else {
			encoded_words(&b, from_name);
		}
		buf_printf(&b, " <%s>\r\n", from_addr);
	} else {
		buf_printf(&b, "%s\r\n", from_addr);
	}
	buf_printf(&b, "To: %s\r\nSubject: ", m->to);
	const char *subject = m->subject ? m->subject : "";
	if (ascii_printable(subject) && strlen(subject) <= 69)
		buf_adds(&b, subject);
	else
		encoded_words(&b, subject);
	buf_printf(&b,
		   "\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Auto-Submitted: auto-generated\r\n",
		   mid);
	body_append(&b, m->body ? m->body : "");
	*len = b.len;
	return buf_detach(&b);
}

/* ---- SMTP through libcurl ----------------------------------------------- */

static atomic_bool stopping; /* set by email_worker_stop: abort sends */

struct smtp_conf {
	char host[256];
	int64_t port;
	char security[16];
	char email[EMAIL_ADDR_MAX + 1];
	char from_name[256];
	char username[260];
	char password[520]; /* wiped by smtp_conf_wipe */
};

static void smtp_conf_wipe(struct smtp_conf *s)
{
	sodium_memzero(s->password, sizeof s->password);
}

/* Loads org's SMTP settings. 0, -1 (database or key error), -2 (not
 * configured); res->error says why. */
static int smtp_conf_load(struct db_conn *c, int64_t org, struct smtp_conf *s,
			  struct email_result *res)
{
	memset(s, 0, sizeof *s);
	char name[256];
	if (settings_get(c, org, "smtp_host", s->host, sizeof s->host) < 0 ||
	    settings_get_int(c, org, "smtp_port", &s->port) < 0 ||
	    settings_get(c, org, "smtp_security", s->security,
			 sizeof s->security) < 0 ||
	    settings_get(c, org, "smtp_email", s->email, sizeof s->email) < 0 ||
	    settings_get(c, org, "smtp_from_name", s->from_name,
			 sizeof s->from_name) < 0 ||
	    settings_get(c, org, "company_name", name, sizeof name) < 0 ||
	    settings_get(c, org, "smtp_username", s->username,
			 sizeof s->username) < 0 ||
	    settings_get(c, org, "smtp_password", s->password,
			 sizeof s->password) < 0) {
		smtp_conf_wipe(s);
		snprintf(res->error, sizeof res->error,
			 "cannot read the SMTP settings (database or master "
			 "key error)");
		return -1;
	}
	if (!s->from_name[0])
		atr_strlcpy(s->from_name, name, sizeof s->from_name);
	if (!s->host[0] || !s->email[0]) {
		smtp_conf_wipe(s);
		snprintf(res->error, sizeof res->error,
			 "SMTP is not configured: set smtp_host and smtp_email "
			 "in the smtp settings");
		return -2;
	}
	return 0;
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t upload_read(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t room = size * nmemb, left = u->len - u->off;
	size_t n = left < room ? left : room;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

struct server_lines {
	char last[256]; /* the server's last response line */
};

/* Keeps the last line the server sent. Only server lines (HEADER_IN) are
 * looked at: what we send (AUTH carries the password) is never kept. */
static int smtp_debug(CURL *h, curl_infotype type, char *data, size_t size,
		      void *ud)
{
	struct server_lines *sl = ud;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	size_t start = 0, end = size;
	/* The last non-empty line of this chunk. */
	while (end && (data[end - 1] == '\n' || data[end - 1] == '\r'))
		end--;
	for (size_t i = end; i > 0; i--)
		if (data[i - 1] == '\n') {
			start = i;
			break;
		}
	if (end <= start)
		return 0;
	size_t n = end - start;
	if (n >= sizeof sl->last)
		n = sizeof sl->last - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)data[start + i];
		sl->last[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	sl->last[n] = 0;
	return 0;
}

static int smtp_progress(void *ud, curl_off_t dt, curl_off_t dn,
			 curl_off_t ut, curl_off_t un)
{
	return atomic_load(&stopping) ? 1 : 0;
}

/* Sends msg to `to` through s. 0 sent, -1 failed, -3 aborted (stopping). */
static int smtp_send(const struct smtp_conf *s, const char *to,
		     const char *msg, size_t len, struct email_result *res)
{
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(res->error, sizeof res->error,
			 "cannot start libcurl");
		return -1;
	}
	bool v6 = strchr(s->host, ':') != NULL;
	bool tls = strcmp(s->security, "tls") == 0;
	char url[300], from[EMAIL_ADDR_MAX + 3], rcpt[EMAIL_ADDR_MAX + 3];
	char errbuf[CURL_ERROR_SIZE] = "";
	snprintf(url, sizeof url, "%s://%s%s%s:%lld", tls ? "smtps" : "smtp",
		 v6 ? "[" : "", s->host, v6 ? "]" : "", (long long)s->port);
	snprintf(from, sizeof from, "<%s>", s->email);
	snprintf(rcpt, sizeof rcpt, "<%s>", to);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	struct upload up = {msg, len, 0};
	struct server_lines sl = {""};

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (strcmp(s->security, "starttls") == 0)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	if (s->username[0]) {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
	}
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L); /* feeds smtp_debug only */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, smtp_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &sl);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, smtp_progress);

	CURLcode rc = curl_easy_perform(h);
	/* Stop listening before cleanup sends QUIT: we want the answer to
	 * the message, not to QUIT. */
	char last[sizeof sl.last];
	atr_strlcpy(last, sl.last, sizeof last);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpts);
	if (rc == CURLE_OK) {
		atr_strlcpy(res->response, last, sizeof res->response);
		return 0;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(res->error, sizeof res->error,
			 "interrupted: the server is shutting down");
		return -3;
	}
	const char *what = curl_easy_strerror(rc);
	struct buf e = BUF_INIT;
	buf_adds(&e, what);
	if (errbuf[0] && strcmp(errbuf, what))
		buf_printf(&e, ": %s", errbuf);
	if (last[0])
		buf_printf(&e, "; server said: %s", last);
	atr_strlcpy(res->error, buf_str(&e), sizeof res->error);
	buf_free(&e);
	atr_strlcpy(res->response, last, sizeof res->response);
	return -1;
}

/* Decrypts a stored body ("v1:...") or copies a plain one (rows written by
 * hand). NULL with err. */
static char *body_open(const char *stored, struct atr_err *err)
{
	if (secret_is_stored(stored))
		return secret_decrypt(stored, err);
	return xstrdup(stored);
}

int email_send_now(struct db_conn *c, int64_t org, const struct email_msg *m,
		   struct email_result *res)
{
	memset(res, 0, sizeof *res);
	struct smtp_conf s;
	int rc = smtp_conf_load(c, org, &s, res);
	if (rc < 0)
		return rc;
	struct atr_err err = {0};
	size_t len = 0;
	char *msg = email_build_message(s.email, s.from_name, m, &len, &err);
	if (!msg) {
		atr_strlcpy(res->error, err.msg, sizeof res->error);
		smtp_conf_wipe(&s);
		return -1;
	}
	rc = smtp_send(&s, m->to, msg, len, res);
	smtp_conf_wipe(&s);
	sodium_memzero(msg, len);
	free(msg);
	return rc == -3 ? -1 : rc;
}

/* ---- the queue ------------------------------------------------------------ */

int email_enqueue_ex(struct db_conn *c, int64_t org, const char *to,
		     const char *template_name, const json_t *vars,
		     int64_t *id, struct atr_err *err)
{
	ATR_ASSERT(db_in_tx(c));
	if (!to || strlen(to) > EMAIL_ADDR_MAX || !valid_email(to) ||
	    !header_safe(to))
		return atr_fail(err, ATR_E_INVALID,
				"cannot queue an email: '%s' is not an email "
				"address",
				to ? to : "");
	char *subject, *body;
	if (email_render(c, org, template_name, vars, &subject, &body, err) <
	    0)
		return -1;
	int rc = -1;
	char *sealed = NULL;
	if (!header_safe(subject) || strlen(subject) > EMAIL_SUBJECT_MAX) {
		atr_fail(err, ATR_E_INVALID,
			 "cannot queue an email: the subject has a line break "
			 "or is too long");
		goto out;
	}
	if (strlen(body) > EMAIL_BODY_MAX) {
		atr_fail(err, ATR_E_INVALID,
			 "cannot queue an email: the body is too long");
		goto out;
	}
	sealed = secret_encrypt(body);
	if (!sealed) {
		atr_fail(err, ATR_E_INTERNAL,
			 "cannot queue an email: no master key is loaded");
		goto out;
	}
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	struct db_stmt *st = db_prepare(
		c, "INSERT INTO email_queue (org_id, to_addr, subject, "
		   "body_text, template, status, attempts, next_attempt_at, "
		   "created_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?) "
		   "RETURNING id");
	if (!st) {
		atr_fail(err, ATR_E_INTERNAL, "cannot queue an email: %s",
			 db_errmsg(c));
		goto out;
	}
	db_bind_int(st, 1, org);
	db_bind_text(st, 2, to);
	db_bind_text(st, 3, subject);
	db_bind_text(st, 4, sealed);
	db_bind_text(st, 5, template_name);
	db_bind_text(st, 6, now);
	db_bind_text(st, 7, now);
	int s = db_step(st);
	if (s == 1 && id)
		*id = db_col_int(st, 0);
	db_reset(st);
	if (s != 1) {
		atr_fail(err, ATR_E_INTERNAL, "cannot queue an email: %s",
			 db_errmsg(c));
		goto out;
	}
	rc = 0;
out:
	free(subject);
	body_free(body);
	free(sealed);
	return rc;
}

int email_enqueue(struct db_conn *c, int64_t org, const char *to,
		  const char *template_name, const json_t *vars)
{
	struct atr_err err = {0};
	if (email_enqueue_ex(c, org, to, template_name, vars, NULL, &err) < 0) {
		fprintf(stderr, "email: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int email_queue_counts(struct db_conn *c, int64_t org,
		       int64_t counts[EMAIL_NSTATUS])
{
	for (int i = 0; i < EMAIL_NSTATUS; i++)
		counts[i] = 0;
	struct db_stmt *st =
		org ? db_prepare(c, "SELECT status, COUNT(*) FROM email_queue "
				    "WHERE org_id = ? GROUP BY status")
		    : db_prepare(c, "SELECT status, COUNT(*) FROM email_queue "
				    "GROUP BY status");
	if (!st)
		return -1;
	if (org)
		db_bind_int(st, 1, org);
	int rc;
	while ((rc = db_step(st)) == 1) {
		const char *s = db_col_text(st, 0);
		for (int i = 0; i < EMAIL_NSTATUS; i++)
			if (s && strcmp(s, status_names[i]) == 0)
				counts[i] = db_col_int(st, 1);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* ---- the worker ----------------------------------------------------------- */

struct claimed {
	int64_t id, org, attempts;
	char *to, *subject, *body, *created_at;
};

static struct {
	struct app *app;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running, stop, wake;
	atomic_bool counts_valid;
	_Atomic int64_t counts[EMAIL_NSTATUS];
	char last_log[256];
} worker = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void claimed_free(struct claimed *e)
{
	free(e->to);
	free(e->subject);
	body_free(e->body);
	free(e->created_at);
	memset(e, 0, sizeof *e);
}

/* Logs a worker problem once until it changes (a database down for an
 * hour is one line, not 3600). */
static void worker_log(const char *fmt, ...) ATR_PRINTF(1, 2);
static void worker_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (strcmp(line, worker.last_log) == 0)
		return;
	atr_strlcpy(worker.last_log, line, sizeof worker.last_log);
	fprintf(stderr, "email: %s\n", line);
}

/* Claims up to EMAIL_BATCH due rows (see the top of this file). Returns
 * how many, -1 on a database error. */
static int claim(struct db_conn *c, struct claimed *out)
{
	static const char *const sql[] = {
		[DB_SQLITE] =
			"UPDATE email_queue SET status = 'sending', "
			"locked_until = ? WHERE id IN (SELECT id FROM "
			"email_queue WHERE (status = 'queued' AND "
			"next_attempt_at <= ?) OR (status = 'sending' AND "
			"locked_until <= ?) ORDER BY id LIMIT 10) "
			"RETURNING id, org_id, attempts, to_addr, subject, "
			"body_text, created_at",
		[DB_PG] =
			"UPDATE email_queue SET status = 'sending', "
			"locked_until = ? WHERE id IN (SELECT id FROM "
			"email_queue WHERE (status = 'queued' AND "
			"next_attempt_at <= ?) OR (status = 'sending' AND "
			"locked_until <= ?) ORDER BY id LIMIT 10 "
			"FOR UPDATE SKIP LOCKED) "
			"RETURNING id, org_id, attempts, to_addr, subject, "
			"body_text, created_at",
	};
	char now[ATR_TIME_LEN], lease[ATR_TIME_LEN];
	int64_t t = atr_now_ms();
	atr_time_iso(t, now);
	atr_time_iso(t + EMAIL_LEASE_MS, lease);
	if (db_begin(c) < 0)
		return -1;
	struct db_stmt *st = db_prepare(c, sql[db_conn_dialect(c)]);
	if (!st) {
		db_rollback(c);
		return -1;
	}
	db_bind_text(st, 1, lease);
	db_bind_text(st, 2, now);
	db_bind_text(st, 3, now);
	int n = 0, rc;
	while ((rc = db_step(st)) == 1 && n < EMAIL_BATCH) {
		struct claimed *e = &out[n++];
		e->id = db_col_int(st, 0);
		e->org = db_col_int(st, 1);
		e->attempts = db_col_int(st, 2);
		e->to = xstrdup(db_col_text(st, 3));
		e->subject = xstrdup(db_col_text(st, 4));
		e->body = xstrdup(db_col_text(st, 5));
		e->created_at = xstrdup(db_col_text(st, 6));
	}
	db_reset(st);
	if (rc < 0 || db_commit(c) < 0) {
		db_rollback(c);
		for (int i = 0; i < n; i++)
			claimed_free(&out[i]);
		return -1;
	}
	return n;
}

/* A random delay in [0, min(cap, base * 2^(attempt-1))] ms: exponential
 * backoff with full jitter. */
static int64_t backoff_ms(int64_t base, int64_t attempt)
{
	int64_t ceil = base;
	for (int64_t i = 1; i < attempt && ceil < EMAIL_BACKOFF_CAP_MS; i++)
		ceil *= 2;
	if (ceil > EMAIL_BACKOFF_CAP_MS)
		ceil = EMAIL_BACKOFF_CAP_MS;
	return (int64_t)randombytes_uniform((uint32_t)ceil + 1);
}

/* Writes the outcome of one claimed row. rc: 0 sent, -3 interrupted (put
 * back untouched), else failed. */
static void finish(struct db_conn *c, const struct claimed *e, int rc,
		   const struct email_result *res)
{
	char now[ATR_TIME_LEN];
	int64_t t = atr_now_ms();
	atr_now_iso(now);
	struct db_stmt *st;
	if (db_begin(c) < 0)
		goto dberr;
	if (rc == 0) {
		st = db_prepare(c, "UPDATE email_queue SET status = 'sent', "
				   "sent_at = ?, attempts = attempts + 1, "
				   "last_error = NULL, locked_until = NULL "
				   "WHERE id = ? AND status = 'sending'");
		if (!st)
			goto dberr;
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, e->id);
	} else if (rc == -3) {
		st = db_prepare(c, "UPDATE email_queue SET status = 'queued', "
				   "locked_until = NULL WHERE id = ? AND "
				   "status = 'sending'");
		if (!st)
			goto dberr;
		db_bind_int(st, 1, e->id);
	} else {
		int64_t max = 5, attempts = e->attempts + 1;
		settings_get_int(c, e->org, "max_attempts", &max);
		bool blocked = attempts >= max;
		char next[ATR_TIME_LEN];
		atr_time_iso(blocked ? t
				     : t + backoff_ms(worker.app->cfg
							      .email_retry_base_ms,
						      attempts),
			     next);
		st = db_prepare(c, "UPDATE email_queue SET status = ?, "
				   "attempts = ?, last_error = ?, "
				   "next_attempt_at = ?, locked_until = NULL "
				   "WHERE id = ? AND status = 'sending'");
		if (!st)
			goto dberr;
		db_bind_text(st, 1, blocked ? "blocked" : "queued");
		db_bind_int(st, 2, attempts);
		db_bind_text(st, 3, res->error);
		db_bind_text(st, 4, next);
		db_bind_int(st, 5, e->id);
		if (blocked)
			fprintf(stderr,
				"email: message %lld blocked after %lld "
				"attempts: %s\n",
				(long long)e->id, (long long)attempts,
				res->error);
	}
	int s = db_step(st);
	db_reset(st);
	if (s < 0 || db_commit(c) < 0)
		goto dberr;
	return;
dberr:
	worker_log("cannot record the outcome of message %lld: %s",
		   (long long)e->id, db_errmsg(c));
	db_rollback(c);
}

/* Sends one claimed row and records the outcome. */
static void deliver(struct db_conn *c, struct claimed *e)
{
	struct email_result res = {0};
	int rc;
	if (atomic_load(&stopping)) {
		finish(c, e, -3, &res);
		return;
	}
	struct atr_err err = {0};
	char *body = body_open(e->body, &err);
	if (!body) {
		snprintf(res.error, sizeof res.error, "%s", err.msg);
		finish(c, e, -1, &res);
		return;
	}
	char mid[200];
	const char *dom = "atrium.invalid";
	struct smtp_conf s;
	rc = smtp_conf_load(c, e->org, &s, &res);
	if (rc == 0) {
		const char *at = strchr(s.email, '@');
		dom = at ? at + 1 : dom;
		/* Stable across retries, unique per row: receivers
		 * de-duplicate on it. */
		char stamp[ATR_TIME_LEN] = "";
		size_t k = 0;
		for (const char *p = e->created_at; *p && k + 1 < sizeof stamp;
		     p++)
			if (*p >= '0' && *p <= '9')
				stamp[k++] = *p;
		stamp[k] = 0;
		snprintf(mid, sizeof mid, "<atrium.%lld.%lld.%s@%.100s>",
			 (long long)e->org, (long long)e->id, stamp, dom);
		struct email_msg m = {e->to, e->subject, body, mid,
				      e->created_at};
		size_t len = 0;
		char *msg = email_build_message(s.email, s.from_name, &m, &len,
						&err);
		if (!msg) {
			snprintf(res.error, sizeof res.error, "%s", err.msg);
			rc = -1;
		} else {
			rc = smtp_send(&s, e->to, msg, len, &res);
			sodium_memzero(msg, len);
			free(msg);
		}
		smtp_conf_wipe(&s);
	}
	body_free(body);
	if (rc == -1 || rc == -2)
		fprintf(stderr, "email: message %lld not sent (attempt %lld): "
				"%s\n",
			(long long)e->id, (long long)e->attempts + 1, res.error);
	finish(c, e, rc == -2 ? -1 : rc, &res);
}

/* One tick: claim and deliver. Returns the number of rows claimed. */
static int tick(int64_t *counts_at)
{
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(worker.app->db, &err);
	if (!c) {
		worker_log("%s", err.msg);
		return 0;
	}
	int64_t now = atr_now_ms();
	if (now >= *counts_at) {
		int64_t counts[EMAIL_NSTATUS];
		if (email_queue_counts(c, 0, counts) == 0) {
			for (int i = 0; i < EMAIL_NSTATUS; i++)
				atomic_store(&worker.counts[i], counts[i]);
			atomic_store(&worker.counts_valid, true);
		}
		*counts_at = now + EMAIL_COUNTS_EVERY_MS;
	}
	struct claimed batch[EMAIL_BATCH];
	memset(batch, 0, sizeof batch);
	int n = claim(c, batch);
	if (n < 0)
		worker_log("cannot claim queued email: %s", db_errmsg(c));
	else if (n > 0)
		worker.last_log[0] = 0;
	for (int i = 0; i < n; i++) {
		deliver(c, &batch[i]);
		claimed_free(&batch[i]);
	}
	db_release(c);
	return n < 0 ? 0 : n;
}

#define HOUSEKEEPING_EVERY_MS (5 * 60 * 1000)

/* Every few minutes the worker also clears expired rows (see
 * jobs/housekeeping.h). */
static void housekeeping_tick(int64_t *last)
{
	int64_t now = atr_now_ms();
	if (now - *last < HOUSEKEEPING_EVERY_MS)
		return;
	*last = now;
	struct atr_err err = {0};
	struct db_conn *c = db_acquire(worker.app->db, &err);
	if (!c)
		return;
	if (housekeeping_run(c) < 0)
		fprintf(stderr, "housekeeping: %s\n", db_errmsg(c));
	db_release(c);
}

static void *worker_main(void *arg)
{
	int64_t counts_at = 0, housekept_at = 0;
	for (;;) {
		pthread_mutex_lock(&worker.mu);
		bool stop = worker.stop;
		worker.wake = false;
		pthread_mutex_unlock(&worker.mu);
		if (stop)
			break;
		housekeeping_tick(&housekept_at);
		int n = tick(&counts_at);
		pthread_mutex_lock(&worker.mu);
		if (n < EMAIL_BATCH && !worker.stop && !worker.wake) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&worker.cv, &worker.mu, &ts);
		}
		pthread_mutex_unlock(&worker.mu);
	}
	return NULL;
}

int email_worker_start(struct app *app, struct atr_err *err)
{
	ATR_ASSERT(!worker.running);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot initialise libcurl");
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&worker.cv, &ca);
	pthread_condattr_destroy(&ca);
	worker.app = app;
	worker.stop = worker.wake = false;
	atomic_store(&stopping, false);
	if (pthread_create(&worker.thread, NULL, worker_main, NULL) != 0) {
		pthread_cond_destroy(&worker.cv);
		curl_global_cleanup();
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot start the email worker thread");
	}
	worker.running = true;
	return 0;
}

void email_worker_stop(void)
{
	if (!worker.running)
		return;
	atomic_store(&stopping, true);
	pthread_mutex_lock(&worker.mu);
	worker.stop = true;
	pthread_cond_signal(&worker.cv);
	pthread_mutex_unlock(&worker.mu);
	pthread_join(worker.thread, NULL);
	pthread_cond_destroy(&worker.cv);
	atomic_store(&worker.counts_valid, false);
	worker.running = false;
	curl_global_cleanup();
}

void email_worker_wake(void)
{
	if (!worker.running)
		return;
	pthread_mutex_lock(&worker.mu);
	worker.wake = true;
	pthread_cond_signal(&worker.cv);
	pthread_mutex_unlock(&worker.mu);
}

bool email_queue_counts_cached(int64_t counts[EMAIL_NSTATUS])
{
	if (!atomic_load(&worker.counts_valid))
		return false;
	for (int i = 0; i < EMAIL_NSTATUS; i++)
		counts[i] = atomic_load(&worker.counts[i]);
	return true;
}

/* ---- routes --------------------------------------------------------------- */

static json_t *counts_json(const int64_t counts[EMAIL_NSTATUS])
{
	json_t *o = json_object();
	for (int i = 0; i < EMAIL_NSTATUS; i++)
		json_object_set_new(o, status_names[i],
				    json_integer(counts[i]));
	return o;
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int email_h_list(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	int64_t limit = LIST_DEFAULT, offset = 0;
	const char *status = NULL;
	for (int i = 0; i < r->nquery; i++) {
		const char *k = r->query[i].key, *v = r->query[i].value;
		int pg = req_page_param(r, k, v, &limit, &offset, LIST_MAX);
		if (pg < 0)
			return -1;
		if (pg)
			continue;
		if (!strcmp(k, "status")) {
			status = NULL;
			for (int s = 0; s < EMAIL_NSTATUS; s++)
				if (!strcmp(v, status_names[s]))
					status = status_names[s];
			if (!status)
				return atr_fail(&r->err, ATR_E_BAD_REQUEST,
						"status must be one of queued, "
						"sending, sent, blocked");
		} else {
			return atr_fail(&r->err, ATR_E_BAD_REQUEST,
					"unknown query parameter '%s'", k);
		}
	}
	struct db_stmt *st =
		status ? db_prepare(c, "SELECT id, to_addr, subject, template, "
				       "status, attempts, next_attempt_at, "
				       "last_error, created_at, sent_at FROM "
				       "email_queue WHERE org_id = ? AND "
				       "status = ? ORDER BY id DESC LIMIT ? "
				       "OFFSET ?")
		       : db_prepare(c, "SELECT id, to_addr, subject, template, "
				       "status, attempts, next_attempt_at, "
				       "last_error, created_at, sent_at FROM "
				       "email_queue WHERE org_id = ? ORDER BY "
				       "id DESC LIMIT ? OFFSET ?");
	if (!st)
		return req_db_error(r);
	int p = 1;
	db_bind_int(st, p++, r->who.org_id);
	if (status)
		db_bind_text(st, p++, status);
	db_bind_int(st, p++, limit);
	db_bind_int(st, p++, offset);
	json_t *data = json_array();
	int rc;
	while ((rc = db_step(st)) == 1) {
		json_t *o = json_pack(
			"{s:I,s:s,s:s,s:s,s:s,s:I}", "id",
			(json_int_t)db_col_int(st, 0), "to", db_col_text(st, 1),
			"subject", db_col_text(st, 2), "template",
			db_col_text(st, 3), "status", db_col_text(st, 4),
			"attempts", (json_int_t)db_col_int(st, 5));
		json_object_set_new(o, "next_attempt_at",
				    text_or_null(db_col_text(st, 6)));
		json_object_set_new(o, "last_error",
				    text_or_null(db_col_text(st, 7)));
		json_object_set_new(o, "created_at",
				    text_or_null(db_col_text(st, 8)));
		json_object_set_new(o, "sent_at",
				    text_or_null(db_col_text(st, 9)));
		json_array_append_new(data, o);
	}
	db_reset(st);
	if (rc < 0) {
		json_decref(data);
		return req_db_error(r);
	}
	int64_t counts[EMAIL_NSTATUS];
	if (email_queue_counts(c, r->who.org_id, counts) < 0) {
		json_decref(data);
		return req_db_error(r);
	}
	int64_t total = 0;
	for (int i = 0; i < EMAIL_NSTATUS; i++)
		if (!status || !strcmp(status, status_names[i]))
			total += counts[i];
	req_json(r, 200,
		 json_pack("{s:o,s:I,s:I,s:I,s:o}", "data", data, "total",
			   (json_int_t)total, "limit", (json_int_t)limit,
			   "offset", (json_int_t)offset, "counts",
			   counts_json(counts)));
	return 0;
}

static const struct field retry_fields[] = {
	{"ids", FT_IDS, 0, LIST_MAX, NULL, NULL},
};
static const struct schema retry_schema = SCHEMA(retry_fields);

static void retry_check(struct req *r)
{
	json_t *ids = json_object_get(r->body, "ids");
	if (json_is_array(ids) && json_array_size(ids) == 0)
		atr_field(&r->err, "ids", "invalid",
			  "must list at least one id (send {} to retry every "
			  "blocked email)");
}

/* Requeues blocked rows of the org: all, or those of ids. */
static int email_h_retry(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	json_t *ids = json_object_get(r->body, "ids");
	bool by_id = json_is_array(ids); /* else: every blocked email */
	char now[ATR_TIME_LEN];
	atr_now_iso(now);
	if (db_begin(c) < 0)
		return req_db_error(r);
	json_t *done = json_array();
	size_t rounds = by_id ? json_array_size(ids) : 1;
	for (size_t i = 0; i < rounds; i++) {
		struct db_stmt *st =
			by_id ? db_prepare(c, "UPDATE email_queue SET status = "
					    "'queued', attempts = 0, "
					    "next_attempt_at = ?, locked_until "
					    "= NULL WHERE org_id = ? AND "
					    "status = 'blocked' AND id = ? "
					    "RETURNING id")
			    : db_prepare(c, "UPDATE email_queue SET status = "
					    "'queued', attempts = 0, "
					    "next_attempt_at = ?, locked_until "
					    "= NULL WHERE org_id = ? AND "
					    "status = 'blocked' RETURNING id");
		if (!st) {
			json_decref(done);
			return req_db_error(r);
		}
		db_bind_text(st, 1, now);
		db_bind_int(st, 2, r->who.org_id);
		if (by_id)
			db_bind_int(st, 3,
				    json_integer_value(json_array_get(ids, i)));
		int rc;
		while ((rc = db_step(st)) == 1)
			json_array_append_new(done,
					      json_integer(db_col_int(st, 0)));
		db_reset(st);
		if (rc < 0) {
			json_decref(done);
			return req_db_error(r);
		}
	}
	size_t n = json_array_size(done);
	if (n == 0) {
		db_rollback(c);
	} else {
		json_t *diff = json_pack("{s:{s:s,s:s},s:{s:O}}", "status",
					 "from", "blocked", "to", "queued",
					 "ids", "to", done);
		int rc = activity_from_req(r, "retry", "email_queue", 0, diff);
		json_decref(diff);
		if (rc < 0 || db_commit(c) < 0) {
			json_decref(done);
			return r->err.kind ? -1 : req_db_error(r);
		}
		email_worker_wake();
	}
	req_json(r, 200,
		 json_pack("{s:I,s:o}", "requeued", (json_int_t)n, "ids", done));
	return 0;
}

static const struct field smtp_test_fields[] = {
	{"to", FT_EMAIL, F_REQUIRED, EMAIL_ADDR_MAX, NULL, NULL},
};
static const struct schema smtp_test_schema = SCHEMA(smtp_test_fields);

/* Sends the `test` template now, not through the queue, and reports the
 * server's answer: 200, 502 when the server refused or could not be
 * reached, 409 when SMTP is not configured. */
static int email_h_smtp_test(struct req *r)
{
	struct db_conn *c = req_db(r);
	if (!c)
		return -1;
	const char *to = json_string_value(json_object_get(r->body, "to"));
	char *subject, *body;
	if (email_render(c, r->who.org_id, "test", NULL, &subject, &body,
			 &r->err) < 0)
		return -1;
	struct email_msg m = {to, subject, body, NULL, NULL};
	struct email_result res;
	int rc = email_send_now(c, r->who.org_id, &m, &res);
	free(subject);
	body_free(body);
	if (rc == -2)
		return atr_fail(&r->err, ATR_E_CONFLICT, "%s", res.error);

	json_t *diff = json_pack("{s:{s:s},s:{s:b},s:{s:s}}", "to", "to", to,
				 "ok", "to", rc == 0, "response", "to",
				 rc == 0 ? res.response : res.error);
	int a = db_begin(c) < 0 ? -1
				: activity_from_req(r, "smtp_test", "settings",
						    0, diff);
	json_decref(diff);
	if (a < 0 || db_commit(c) < 0)
		return r->err.kind ? -1 : req_db_error(r);
	if (rc == 0) {
		req_json(r, 200,
			 json_pack("{s:b,s:s}", "ok", 1, "response",
				   res.response));
		return 0;
	}
	/* 502 has no error kind of its own: the problem is written here,
	 * with a fixed title for its type and the reason in the detail. */
	json_t *p = json_pack(
		"{s:s,s:s,s:i,s:s,s:s,s:s}", "type",
		"https://atrium.dev/problems/smtp-failed", "title",
		"the SMTP server refused the test email", "status", 502,
		"detail", res.error, "instance", r->path, "request_id",
		r->request_id);
	req_json(r, 502, p);
	r->ctype = "application/problem+json";
	return 0;
}

const struct route email_routes[] = {
	{HTTP_GET, "/api/v1/email-queue", email_h_list, ACCESS_PERM,
	 "email_queue", CAP_VIEW, NULL, NULL, NULL, 0},
	{HTTP_POST, "/api/v1/email-queue/retry", email_h_retry, ACCESS_PERM,
	 "email_queue", CAP_EDIT, &retry_schema, NULL, retry_check, 0},
	{HTTP_POST, "/api/v1/settings/smtp/test", email_h_smtp_test,
	 ACCESS_PERM, "settings", CAP_EDIT, &smtp_test_schema, NULL, NULL, 0},
	{0},
};
