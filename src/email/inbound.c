/* inbound.c — reading an inbound email with GMime (see inbound.h).
 *
 * GMime does the MIME work (parts, transfer encodings, charsets, RFC 2047
 * words); this file only picks what Atrium keeps. The body is the first
 * text/plain part that is not an attachment; without one, the first
 * text/html part turned into text. Everything kept is valid UTF-8 (GMime
 * converts from the part's charset).
 */
#include "atrium.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>

#include "core/buf.h"
#include "email/inbound.h"

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* Adds the mailboxes of list (groups opened) to m's recipients. */
static void add_rcpts(struct inbound_msg *m, InternetAddressList *list)
{
	int n = list ? internet_address_list_length(list) : 0;
	for (int i = 0; i < n && m->nrcpts < INBOUND_MAX_RCPTS; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			add_rcpts(m, internet_address_group_get_members(
					     INTERNET_ADDRESS_GROUP(ia)));
			continue;
		}
		const char *a = internet_address_mailbox_get_addr(
			INTERNET_ADDRESS_MAILBOX(ia));
		if (a && *a)
			m->rcpts[m->nrcpts++] = lower_dup(a);
	}
}

/* A header holding one address (Delivered-To, X-Original-To). */
static void add_rcpt_header(struct inbound_msg *m, GMimeObject *o,
			    const char *name)
{
	const char *v = g_mime_object_get_header(o, name);
	if (!v)
		return;
	InternetAddressList *l = internet_address_list_parse(NULL, v);
	add_rcpts(m, l);
	if (l)
		g_object_unref(l);
}

static void add_refs(struct inbound_msg *m, const char *header)
{
	if (!header)
		return;
	GMimeReferences *r = g_mime_references_parse(NULL, header);
	int n = r ? g_mime_references_length(r) : 0;
	for (int i = 0; i < n && m->nrefs < INBOUND_MAX_IDS; i++)
		m->refs[m->nrefs++] = xstrdup(g_mime_references_get_message_id(r, i));
	if (r)
		g_mime_references_free(r);
}

struct walk {
	struct inbound_msg *m;
	char *plain, *html;
};

static void each_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct walk *w = data;
	if (!GMIME_IS_PART(part))
		return;
	if (g_mime_part_is_attachment(GMIME_PART(part))) {
		struct inbound_msg *m = w->m;
		m->nattach++;
		GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(part));
		GMimeStream *s = dw ? g_mime_data_wrapper_get_stream(dw) : NULL;
		gint64 len = s ? g_mime_stream_length(s) : 0;
		m->attach_bytes += len > 0 ? (size_t)len : 0;
		if (!dw || m->nfiles == INBOUND_MAX_FILES)
			return;
		/* The decoded bytes (base64, quoted-printable undone). */
		GMimeStream *mem = g_mime_stream_mem_new();
		g_mime_data_wrapper_write_to_stream(dw, mem);
		GByteArray *ba =
			g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		const char *fn = g_mime_part_get_filename(GMIME_PART(part));
		struct inbound_file *f = &m->files[m->nfiles++];
		f->name = xstrdup(fn && *fn ? fn : "attachment");
		f->len = ba ? ba->len : 0;
		f->data = xmalloc(f->len ? f->len : 1);
		if (f->len)
			memcpy(f->data, ba->data, f->len);
		g_object_unref(mem);
		return;
	}
	if (!GMIME_IS_TEXT_PART(part))
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	bool plain = g_mime_content_type_is_type(ct, "text", "plain");
	bool html = g_mime_content_type_is_type(ct, "text", "html");
	if ((plain && w->plain) || (html && w->html) || (!plain && !html))
		return;
	char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
	if (!t)
		return;
	if (plain)
		w->plain = xstrdup(t);
	else
		w->html = xstrdup(t);
	g_free(t);
}

/* ---- HTML to text ------------------------------------------------------------ */

static bool block(const xmlChar *name)
{
	static const char *const blocks[] = {"p",  "div", "br", "li", "tr",
					     "h1", "h2",  "h3", "h4", "h5",
					     "h6", "table", "blockquote", NULL};
	for (const char *const *b = blocks; *b; b++)
		if (!xmlStrcasecmp(name, (const xmlChar *)*b))
			return true;
	return false;
}

static void html_walk(xmlNode *n, struct buf *b, int depth)
{
	for (; n && depth < 200; n = n->next) {
		if (n->type == XML_TEXT_NODE && n->content) {
			buf_adds(b, (const char *)n->content);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!xmlStrcasecmp(n->name, (const xmlChar *)"script") ||
		    !xmlStrcasecmp(n->name, (const xmlChar *)"style") ||
		    !xmlStrcasecmp(n->name, (const xmlChar *)"head"))
			continue;
		bool blk = block(n->name);
		if (blk && b->len && b->p[b->len - 1] != '\n')
			buf_addc(b, '\n');
		html_walk(n->children, b, depth + 1);
		if (blk && b->len && b->p[b->len - 1] != '\n')
			buf_addc(b, '\n');
	}
}

char *inbound_html_text(const char *html, size_t n)
{
	htmlDocPtr doc = htmlReadMemory(
		html, (int)(n > INT32_MAX ? INT32_MAX : n), NULL, "UTF-8",
		HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
			HTML_PARSE_NOBLANKS);
	struct buf b = BUF_INIT;
	if (doc)
		html_walk(xmlDocGetRootElement(doc), &b, 0);
	xmlFreeDoc(doc);
	buf_addc(&b, '\0');
	b.len--;
	return buf_detach(&b);
}

/* ---- the message --------------------------------------------------------------- */

static bool header_is(GMimeObject *o, const char *name, const char *const *vals)
{
	const char *v = g_mime_object_get_header(o, name);
	if (!v)
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *vals; vals++)
		if (!strncasecmp(v, *vals, strlen(*vals)))
			return true;
	return false;
}

/* The UTF-8 prefix of s of at most max bytes, whole characters. */
static void cut_utf8(char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	s[max] = '\0';
}

int inbound_parse(const char *raw, size_t n, struct inbound_msg *m,
		  struct atr_err *err)
{
	static bool ready;
	if (!ready) {
		g_mime_init();
		ready = true;
	}
	memset(m, 0, sizeof *m);
	GMimeStream *stream =
		g_mime_stream_mem_new_with_buffer(raw, (size_t)n);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	int rc = -1;
	if (!msg) {
		atr_fail(err, ATR_E_INVALID, "not an email message");
		goto out;
	}
	GMimeObject *o = GMIME_OBJECT(msg);
	InternetAddressList *from = g_mime_message_get_from(msg);
	InternetAddress *ia = from && internet_address_list_length(from)
				      ? internet_address_list_get_address(from, 0)
				      : NULL;
	if (ia && INTERNET_ADDRESS_IS_MAILBOX(ia)) {
		const char *a = internet_address_mailbox_get_addr(
			INTERNET_ADDRESS_MAILBOX(ia));
		const char *nm = internet_address_get_name(ia);
		m->from_addr = a && *a ? lower_dup(a) : NULL;
		m->from_name = nm && *nm ? xstrdup(nm) : NULL;
	}
	const char *subj = g_mime_message_get_subject(msg);
	m->subject = xstrdup(subj ? subj : "");
	const char *mid = g_mime_message_get_message_id(msg);
	m->message_id = mid && *mid ? xstrdup(mid) : NULL;
	add_refs(m, g_mime_object_get_header(o, "In-Reply-To"));
	add_refs(m, g_mime_object_get_header(o, "References"));
	add_rcpt_header(m, o, "Delivered-To");
	add_rcpt_header(m, o, "X-Original-To");
	add_rcpts(m, g_mime_message_get_to(msg));
	add_rcpts(m, g_mime_message_get_cc(msg));
	static const char *const bulk[] = {"bulk", "junk", "list", NULL};
	static const char *const any[] = {"", NULL};
	const char *as = g_mime_object_get_header(o, "Auto-Submitted");
	while (as && (*as == ' ' || *as == '\t'))
		as++;
	m->automatic = (as && strncasecmp(as, "no", 2)) ||
		       header_is(o, "Precedence", bulk) ||
		       header_is(o, "X-Autoreply", any) ||
		       header_is(o, "X-Autorespond", any);
	const char *rp = g_mime_object_get_header(o, "Return-Path");
	GMimeContentType *ct = g_mime_object_get_content_type(
		g_mime_message_get_mime_part(msg));
	m->bounce = (rp && strstr(rp, "<>")) ||
		    (ct && g_mime_content_type_is_type(ct, "multipart",
						       "report"));
	struct walk w = {m, NULL, NULL};
	g_mime_message_foreach(msg, each_part, &w);
	if (w.plain)
		m->text = w.plain;
	else if (w.html)
		m->text = inbound_html_text(w.html, strlen(w.html));
	else
		m->text = xstrdup("");
	if (w.plain)
		w.plain = NULL;
	free(w.html);
	cut_utf8(m->text, INBOUND_MAX_TEXT);
	rc = 0;
out:
	if (msg)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
	return rc;
}

void inbound_free(struct inbound_msg *m)
{
	free(m->from_addr);
	free(m->from_name);
	free(m->subject);
	free(m->message_id);
	for (int i = 0; i < m->nrefs; i++)
		free(m->refs[i]);
	for (int i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	free(m->text);
	for (int i = 0; i < m->nfiles; i++) {
		free(m->files[i].name);
		free(m->files[i].data);
	}
	memset(m, 0, sizeof *m);
}
