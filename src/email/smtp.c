/* smtp.c — sending through libcurl's SMTP with an organisation's
 * settings: the configuration, one send, and email_send_now. */
#include "atrium.h"

#include <curl/curl.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/secret.h"
#include "core/settings.h"
#include "db/db.h"
#include "email/email_int.h"
#include "jobs/jobs.h"



void smtp_conf_wipe(struct smtp_conf *s)
{
	sodium_memzero(s->password, sizeof s->password);
	free(s->logo);
	s->logo = NULL;
	s->logo_len = 0;
}

/* The organisation's light-mode logo when it is a PNG (email clients
 * do not all show SVG), into s; none is no error. */
static void load_logo(struct db_conn *c, int64_t org, struct smtp_conf *s)
{
	struct db_stmt *st = db_prepare(
		c, "SELECT data FROM branding_image WHERE org_id = ? AND kind = "
		   "'logo_light' AND content_type = 'image/png'");
	if (!st)
		return;
	db_bind_int(st, 1, org);
	if (db_step(st) == 1) {
		size_t n = 0;
		const void *p = db_col_blob(st, 0, &n);
		if (p && n) {
			s->logo = xmalloc(n);
			memcpy(s->logo, p, n);
			s->logo_len = n;
		}
	}
	db_reset(st);
}

/* Loads org's SMTP settings. 0, -1 (database or key error), -2 (not
 * configured); res->error says why. */
int smtp_conf_load(struct db_conn *c, int64_t org, struct smtp_conf *s,
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
	/* Credentials travel in clear only when someone said so (the PATCH
	 * needs smtp_plaintext_password with them; an older database may
	 * still hold none + a password without it). */
	char plain[8] = "false";
	settings_get(c, org, "smtp_plaintext_password", plain, sizeof plain);
	if (!strcmp(s->security, "none") && s->password[0] &&
	    strcmp(plain, "true") != 0) {
		smtp_conf_wipe(s);
		snprintf(res->error, sizeof res->error,
			 "refusing to send the SMTP password without TLS: "
			 "choose starttls or tls, or confirm "
			 "smtp_plaintext_password");
		return -1;
	}
	load_logo(c, org, s);
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
	bool not_smtp;  /* a line that is no SMTP reply: stop at once */
};

static void smtp_reply_code(const char *line, char out[4]);

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
	char code[4];
	smtp_reply_code(sl->last, code);
	if (!code[0])
		sl->not_smtp = true; /* an SSH banner, an HTTP server, ... */
	return 0;
}

static int smtp_progress(void *ud, curl_off_t dt, curl_off_t dn,
			 curl_off_t ut, curl_off_t un)
{
	/* The runner stops (the job is put back), or the peer is no SMTP
	 * server at all. */
	const struct server_lines *sl = ud;
	return jobs_stopping() || sl->not_smtp ? 1 : 0;
}

/* The SMTP reply code (2xx-5xx) that starts line, or "". */
static void smtp_reply_code(const char *line, char out[4])
{
	out[0] = 0;
	if (line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
	    line[1] <= '9' && line[2] >= '0' && line[2] <= '9' &&
	    (line[3] == 0 || line[3] == ' ' || line[3] == '-')) {
		memcpy(out, line, 3);
		out[3] = 0;
	}
}

/* What went wrong, as one of a few fixed categories. */
static const char *smtp_category(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return "host not found";
	case CURLE_COULDNT_CONNECT:
		return "cannot connect: connection refused or host unreachable";
	case CURLE_OPERATION_TIMEDOUT:
		return "timed out";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_USE_SSL_FAILED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return "TLS failed";
	case CURLE_LOGIN_DENIED:
		return "authentication failed";
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		return "no SMTP answer: not an SMTP server, or it closed the "
		       "connection";
	case CURLE_SEND_ERROR:
	case CURLE_UPLOAD_FAILED:
		return "the server refused the message";
	default:
		return "sending failed";
	}
}

/* Sends msg to `to` through s. 0 sent, -1 failed, -3 aborted (stopping). */
int smtp_send(const struct smtp_conf *s, const char *to,
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
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
			 (long)(s->connect_timeout_s ? s->connect_timeout_s : 10));
	curl_easy_setopt(h, CURLOPT_TIMEOUT,
			 (long)(s->timeout_s ? s->timeout_s : 60));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L); /* feeds smtp_debug only */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, smtp_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &sl);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, smtp_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &sl);

	CURLcode rc = curl_easy_perform(h);
	/* Stop listening before cleanup sends QUIT: we want the answer to
	 * the message, not to QUIT. */
	char code[4];
	smtp_reply_code(sl.last, code);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpts);
	if (rc == CURLE_OK) {
		snprintf(res->response, sizeof res->response, "%s accepted",
			 code[0] ? code : "250");
		return 0;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && sl.not_smtp)
		rc = CURLE_WEIRD_SERVER_REPLY; /* stopped by smtp_progress */
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(res->error, sizeof res->error,
			 "interrupted: the server is shutting down");
		return -3;
	}
	/* A fixed category and at most the 3-digit SMTP code: never what the
	 * remote host said, so a test email cannot read banners of arbitrary
	 * host:ports (an SSH server's, say). */
	if (code[0])
		snprintf(res->error, sizeof res->error, "%s (SMTP code %s)",
			 smtp_category(rc), code);
	else
		atr_strlcpy(res->error, smtp_category(rc), sizeof res->error);
	return -1;
}

/* Decrypts a stored body ("v1:...") or copies a plain one (rows written by
 * hand). NULL with err. */
char *email_body_open(const char *stored, struct atr_err *err)
{
	if (secret_is_stored(stored))
		return secret_decrypt(stored, err);
	return xstrdup(stored);
}

int email_send_now(struct db_conn *c, int64_t org, const struct email_msg *m,
		   int timeout_s, struct email_result *res)
{
	memset(res, 0, sizeof *res);
	struct smtp_conf s;
	int rc = smtp_conf_load(c, org, &s, res);
	if (rc < 0)
		return rc;
	s.timeout_s = timeout_s;
	s.connect_timeout_s = timeout_s < 5 ? timeout_s : 5;
	struct atr_err err = {0};
	size_t len = 0;
	struct email_msg withlogo = *m;
	withlogo.logo = s.logo;
	withlogo.logo_len = s.logo_len;
	char *msg = email_build_message(s.email, s.from_name, &withlogo, &len,
					&err);
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

