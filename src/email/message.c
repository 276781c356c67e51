/* message.c — building an RFC 5322 message: encoded headers, a stable
 * Message-ID, 7bit or quoted-printable text. */
#include "atrium.h"

#include <sodium.h>
#include <time.h>

#include "core/buf.h"
#include "email/email_int.h"
#include "core/validate.h"

/* True when s may be a header value: no CR or LF, no other control
 * character but tab. */
bool email_header_safe(const char *s)
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

/* s with &, <, >, " and ' as HTML entities. */
static void html_escape(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, *s);
		}
	}
}

/* Base64 of n bytes at p in lines of 76. */
static void base64_lines(struct buf *b, const void *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = xmalloc(cap);
	sodium_bin2base64(b64, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
	for (size_t i = 0, len = strlen(b64); i < len; i += 76) {
		buf_add(b, b64 + i, len - i < 76 ? len - i : 76);
		buf_adds(b, "\r\n");
	}
	free(b64);
}

/* The body as multipart/alternative: the text, then an HTML part (the
 * logo above the same text, escaped) with the logo inline. */
static void with_logo(struct buf *b, const struct email_msg *m,
		      const char *company)
{
	unsigned char rnd[8];
	char tag[17];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(tag, sizeof tag, rnd, sizeof rnd);
	buf_printf(b, "Content-Type: multipart/alternative; "
		      "boundary=\"atrium-alt-%s\"\r\n\r\n",
		   tag);
	buf_printf(b, "--atrium-alt-%s\r\nContent-Type: text/plain; "
		      "charset=utf-8\r\n",
		   tag);
	body_append(b, m->body ? m->body : "");
	buf_printf(b, "--atrium-alt-%s\r\nContent-Type: multipart/related; "
		      "boundary=\"atrium-rel-%s\"\r\n\r\n",
		   tag, tag);
	struct buf html = BUF_INIT;
	buf_adds(&html, "<!DOCTYPE html>\n<html><body style=\"font-family: "
			"sans-serif\">\n<p><img src=\"cid:logo@atrium\" alt=\"");
	html_escape(&html, company);
	buf_adds(&html, "\" style=\"max-width: 300px; height: auto\"></p>\n"
			"<pre style=\"font-family: inherit; white-space: "
			"pre-wrap\">");
	html_escape(&html, m->body);
	buf_adds(&html, "</pre>\n</body></html>\n");
	buf_printf(b, "--atrium-rel-%s\r\nContent-Type: text/html; "
		      "charset=utf-8\r\n",
		   tag);
	body_append(b, buf_str(&html));
	sodium_memzero(html.p, html.cap);
	buf_free(&html);
	buf_printf(b, "--atrium-rel-%s\r\nContent-Type: image/png\r\n"
		      "Content-Transfer-Encoding: base64\r\n"
		      "Content-ID: <logo@atrium>\r\n"
		      "Content-Disposition: inline; filename=\"logo.png\"\r\n\r\n",
		   tag);
	base64_lines(b, m->logo, m->logo_len);
	buf_printf(b, "--atrium-rel-%s--\r\n--atrium-alt-%s--\r\n", tag,
		   tag);
}

/* filename="..." for a plain ASCII name, else RFC 2231's
 * filename*=utf-8''<percent-encoded>. Quotes, backslashes and control
 * characters never reach the header. */
static void file_name_param(struct buf *b, const char *name)
{
	bool plain = ascii_printable(name) && strlen(name) < 60 &&
		     !strpbrk(name, "\"\\");
	if (plain) {
		buf_printf(b, "filename=\"%s\"", name);
		return;
	}
	buf_adds(b, "filename*=utf-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf_addc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* The body part: the text alone, or with the logo (with_logo). */
static void body_part(struct buf *b, const struct email_msg *m,
		      const char *company)
{
	if (m->logo && m->logo_len) {
		with_logo(b, m, company);
	} else {
		buf_adds(b, "Content-Type: text/plain; charset=utf-8\r\n");
		body_append(b, m->body ? m->body : "");
	}
}

/* multipart/mixed: the body part, then each file. */
static void with_files(struct buf *b, const struct email_msg *m,
		       const char *company)
{
	unsigned char rnd[8];
	char tag[17];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(tag, sizeof tag, rnd, sizeof rnd);
	buf_printf(b, "Content-Type: multipart/mixed; "
		      "boundary=\"atrium-mix-%s\"\r\n\r\n",
		   tag);
	buf_printf(b, "--atrium-mix-%s\r\n", tag);
	body_part(b, m, company);
	for (int i = 0; i < m->nfiles; i++) {
		const struct email_file *f = &m->files[i];
		buf_printf(b, "--atrium-mix-%s\r\nContent-Type: %s\r\n"
			      "Content-Transfer-Encoding: base64\r\n"
			      "Content-Disposition: attachment; ",
			   tag, f->type);
		file_name_param(b, f->name);
		buf_adds(b, "\r\n\r\n");
		base64_lines(b, f->data, f->len);
	}
	buf_printf(b, "--atrium-mix-%s--\r\n", tag);
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
		{"Reply-To", offsetof(struct email_msg, reply_to)},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(checks); i++) {
		const char *v = *(const char *const *)((const char *)m +
						       checks[i].off);
		if (v && !email_header_safe(v)) {
			atr_fail(err, ATR_E_INVALID,
				 "refusing a line break or control character "
				 "in the %s header",
				 checks[i].header);
			return NULL;
		}
	}
	if (!email_header_safe(from_addr) || (from_name && !email_header_safe(from_name))) {
		atr_fail(err, ATR_E_INVALID,
			 "refusing a line break or control character in the "
			 "From header");
		return NULL;
	}
	if (!m->to || !valid_email(m->to) || !valid_email(from_addr) ||
	    (m->reply_to && !valid_email(m->reply_to))) {
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
	buf_printf(&b, "To: %s\r\n", m->to);
	if (m->reply_to)
		buf_printf(&b, "Reply-To: %s\r\n", m->reply_to);
	buf_adds(&b, "Subject: ");
	const char *subject = m->subject ? m->subject : "";
	if (ascii_printable(subject) && strlen(subject) <= 69)
		buf_adds(&b, subject);
	else
		encoded_words(&b, subject);
	buf_printf(&b,
		   "\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
		   "Auto-Submitted: auto-generated\r\n",
		   mid);
	for (int i = 0; i < m->nfiles; i++)
		if (!email_header_safe(m->files[i].name) ||
		    !email_header_safe(m->files[i].type) ||
		    strpbrk(m->files[i].type, "\";")) {
			buf_free(&b);
			atr_fail(err, ATR_E_INVALID,
				 "refusing a control character in an "
				 "attachment's name or type");
			return NULL;
		}
	if (m->nfiles > 0)
		with_files(&b, m, from_name);
	else
		body_part(&b, m, from_name);
	*len = b.len;
	return buf_detach(&b);
}

