/* tmpl.cc — tmpl.h's C interface over kainjow/Mustache 4.1.
 *
 * kainjow parses and renders. What user-written templates need on top is
 * here: the refusals (raw output, partials, delimiter changes, deep
 * nesting), an escape per output context, JSON data turned into kainjow's
 * data, and bounds on the work and the size of a render.
 *
 * The size bound. kainjow appends to a line buffer it keeps to itself and
 * hands the result over a line at a time, so a long line built by sections
 * over lists is out of sight until it is whole. But kainjow asks its
 * context for every tag it meets (get) and for every section body it
 * enters or leaves (push, pop), in document order. The context class below
 * follows that walk on our own parse of the same template (tracker), so it
 * knows the text kainjow appends between two calls and charges it, with
 * the escaped values, before it grows: the render stops once what was
 * appended passes 2 x max + 64 KiB (a bound on memory); the exact check,
 * the result against max, comes after. The step count bounds the time of
 * sections that append nothing. If the tracker ever lost its place in the
 * walk, the render fails as an internal error (the fuzzer looks for it).
 *
 * No exception crosses into C: out of memory aborts, as xmalloc does
 * (atrium.h), and everything else becomes -1 with a message. atrium.h is
 * C11 (_Noreturn) and is not included here. */
#include "tmpl.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include <kainjow/mustache.hpp>

namespace km = kainjow::mustache;
using str = std::string;
using comp = km::component<str>;

namespace {

const int DEPTH_MAX = 16;        /* sections within sections */
const size_t STEPS_MAX = 200000; /* lookups and section entries per render */
const int DATA_DEPTH_MAX = 32;   /* JSON nesting turned into data */

/* A template or data refused: msg goes to the caller. */
struct refusal {
	str msg;
};
/* The render passed its size bound, or its step count. */
struct too_long {};
struct too_much_work {};
/* The tracker lost its place in kainjow's walk: a bug of ours. */
struct lost_track {};

[[noreturn]] void oom()
{
	fputs("atrium: out of memory rendering a template\n", stderr);
	abort();
}

void set_msg(char *msg, size_t n, const char *s)
{
	if (msg && n)
		snprintf(msg, n, "%s", s);
}

/* --- UTF-8 -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when none
 * starts there; then *bad is the length of the maximal invalid prefix
 * (Unicode's "maximal subpart", at least 1), which becomes one U+FFFD. */
size_t utf8_len(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c == 0xE0) {
		len = 3;
		lo = 0xA0;
	} else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
		len = 3;
	} else if (c == 0xED) {
		len = 3;
		hi = 0x9F; /* no surrogates */
	} else if (c == 0xF0) {
		len = 4;
		lo = 0x90;
	} else if (c >= 0xF1 && c <= 0xF3) {
		len = 4;
	} else if (c == 0xF4) {
		len = 4;
		hi = 0x8F; /* nothing past U+10FFFF */
	} else {
		*bad = 1;
		return 0;
	}
	size_t i = 1;
	for (; i < len && i < n; i++) {
		unsigned char b = s[i];
		if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
			break;
	}
	if (i == len)
		return len;
	*bad = i;
	return 0;
}

uint32_t utf8_cp(const unsigned char *s, size_t len)
{
	static const unsigned char mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
	uint32_t cp = s[0] & mask[len];
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	return cp;
}

/* C0, DEL and C1. */
bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* v made valid UTF-8 and escaped for ctx (tmpl.h; the HTML context also
 * drops the control characters HTML text cannot hold). */
str escape(const str &v, enum tmpl_ctx ctx)
{
	str o;
	o.reserve(v.size() + v.size() / 8);
	const unsigned char *s = reinterpret_cast<const unsigned char *>(v.data());
	size_t n = v.size();
	char ubuf[8];
	for (size_t i = 0; i < n;) {
		size_t bad = 0, len = utf8_len(s + i, n - i, &bad);
		if (!len) {
			o += "\xEF\xBF\xBD";
			i += bad;
			continue;
		}
		uint32_t cp = utf8_cp(s + i, len);
		const char *sub = nullptr;
		switch (ctx) {
		case TMPL_TEXT:
			if (is_control(cp) && cp != '\n' && cp != '\t')
				sub = "";
			break;
		case TMPL_LINE:
			if (is_control(cp) || cp == 0x2028 || cp == 0x2029)
				sub = " ";
			break;
		case TMPL_HTML:
			if (cp == '&')
				sub = "&amp;";
			else if (cp == '<')
				sub = "&lt;";
			else if (cp == '>')
				sub = "&gt;";
			else if (cp == '"')
				sub = "&quot;";
			else if (cp == '\'')
				sub = "&#39;";
			else if (is_control(cp) && cp != '\n' && cp != '\t' &&
				 cp != '\r')
				sub = "";
			break;
		case TMPL_JSON:
			if (cp == '"')
				sub = "\\\"";
			else if (cp == '\\')
				sub = "\\\\";
			else if (cp == '\n')
				sub = "\\n";
			else if (cp == '\r')
				sub = "\\r";
			else if (cp == '\t')
				sub = "\\t";
			else if (cp < 0x20 || cp == 0x2028 || cp == 0x2029) {
				snprintf(ubuf, sizeof ubuf, "\\u%04x",
					 static_cast<unsigned>(cp));
				sub = ubuf;
			}
			break;
		}
		if (sub)
			o += sub;
		else
			o.append(v, i, len);
		i += len;
	}
	return o;
}

/* --- messages ----------------------------------------------------------- */

/* " (line L, column C)" for byte pos of src (valid UTF-8 up to pos). */
str where(const str &src, size_t pos)
{
	size_t line = 1, col = 1;
	for (size_t i = 0; i < pos && i < src.size(); i++) {
		unsigned char c = static_cast<unsigned char>(src[i]);
		if (c == '\n') {
			line++;
			col = 1;
		} else if ((c & 0xC0) != 0x80) {
			col++;
		}
	}
	char b[64];
	snprintf(b, sizeof b, " (line %zu, column %zu)", line, col);
	return b;
}

/* A tag name for a message: control characters as spaces, at most 48
 * bytes (cut on a character boundary). */
str shown(const str &name)
{
	str o;
	for (size_t i = 0; i < name.size(); i++) {
		unsigned char c = static_cast<unsigned char>(name[i]);
		if (o.size() >= 48 && (c & 0xC0) != 0x80) {
			o += "...";
			break;
		}
		o += c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c);
	}
	return o;
}

bool starts(const str &s, const char *prefix)
{
	return s.compare(0, strlen(prefix), prefix) == 0;
}

/* kainjow's parse errors ("Unclosed section \"x\" at 12") in our words. */
str parse_error(const str &err, const str &src)
{
	size_t at = err.rfind(" at ");
	str loc;
	if (at != str::npos)
		loc = where(src, strtoul(err.c_str() + at + 4, nullptr, 10));
	static const char unclosed[] = "Unclosed section \"";
	static const char unopened[] = "Unopened section \"";
	const size_t plen = sizeof unclosed - 1;
	bool named = at != str::npos && at > plen && err[at - 1] == '"';
	if (starts(err, "Unclosed tag"))
		return "unclosed tag: '{{' without '}}'" + loc;
	if (named && starts(err, unclosed))
		return "unclosed section '" +
		       shown(err.substr(plen, at - 1 - plen)) + "'" + loc;
	if (named && starts(err, unopened))
		return "section end '" +
		       shown(err.substr(plen, at - 1 - plen)) +
		       "' closes no open section" + loc;
	if (starts(err, "Invalid set delimiter"))
		return "changing delimiters ({{= =}}) is not allowed" + loc;
	str o = shown(err);
	if (!o.empty() && o[0] >= 'A' && o[0] <= 'Z')
		o[0] = static_cast<char>(o[0] - 'A' + 'a');
	return o;
}

/* --- the template ------------------------------------------------------- */

/* Walks one list of children in document order and refuses what tmpl.h
 * refuses. */
void walk(const str &src, const comp &list, int depth)
{
	for (const comp &c : list.children) {
		switch (c.tag.type) {
		case km::tag_type::text:
		case km::tag_type::variable:
		case km::tag_type::comment:
		case km::tag_type::section_end: /* the parser drops these */
			break;
		case km::tag_type::unescaped_variable:
			throw refusal{
				str(src.compare(c.position, 3, "{{{") == 0
					    ? "raw output ({{{ }}}) is not allowed"
					    : "raw output ({{& }}) is not allowed") +
				where(src, c.position)};
		case km::tag_type::partial:
			throw refusal{"partials ({{> }}) are not allowed" +
				      where(src, c.position)};
		case km::tag_type::set_delimiter:
			throw refusal{
				"changing delimiters ({{= =}}) is not allowed" +
				where(src, c.position)};
		case km::tag_type::section_begin:
		case km::tag_type::section_begin_inverted:
			if (depth >= DEPTH_MAX)
				throw refusal{"sections are nested more than 16 "
					      "deep" +
					      where(src, c.position)};
			walk(src, c, depth + 1);
			break;
		}
	}
}

/* tmpl_check's checks: src_c copied into src and parsed into root. Throws a
 * refusal. */
void check(const char *src_c, str &src, comp &root)
{
	if (!src_c)
		throw refusal{"no template"};
	size_t len = strnlen(src_c, TMPL_SRC_MAX + 1);
	if (len > TMPL_SRC_MAX)
		throw refusal{"the template is longer than " +
			      std::to_string(TMPL_SRC_MAX) + " bytes"};
	src.assign(src_c, len);
	const unsigned char *s = reinterpret_cast<const unsigned char *>(src_c);
	for (size_t i = 0, bad = 0, l; i < len; i += l)
		if (!(l = utf8_len(s + i, len - i, &bad)))
			throw refusal{"the template is not valid UTF-8" +
				      where(src, i)};
	str err;
	km::context<str> c;
	km::context_internal<str> ci{c};
	km::parser<str> parse{src, ci, root, err};
	if (!err.empty())
		throw refusal{parse_error(err, src)};
	walk(src, root, 0);
}

/* --- the data ----------------------------------------------------------- */

/* A real as jansson writes it, with the fewest digits (15 to 17) that read
 * back as the same double: 0.1 is "0.1", 3 is "3.0". */
str real_text(double d)
{
	json_t *j = json_real(d);
	if (!j)
		return str(); /* not finite: jansson never holds one */
	str best;
	for (int p = 15; p <= 17; p++) {
		char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_REAL_PRECISION(p));
		if (!s)
			oom();
		json_t *back = json_loads(s, JSON_DECODE_ANY, nullptr);
		bool same = back && json_is_real(back) &&
			    json_real_value(back) == d;
		json_decref(back);
		best = s;
		free(s);
		if (same)
			break;
	}
	json_decref(j);
	return best;
}

/* JSON as kainjow data (tmpl.h says what each type becomes). Values nested
 * deeper than DATA_DEPTH_MAX are absent. */
km::data convert(const json_t *v, int depth)
{
	if (depth > DATA_DEPTH_MAX)
		return km::data(false);
	json_t *jv = const_cast<json_t *>(v); /* jansson's iterators */
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		km::data d{km::data::type::object};
		const char *k;
		json_t *x;
		json_object_foreach(jv, k, x) d[k] = convert(x, depth + 1);
		return d;
	}
	case JSON_ARRAY: {
		km::data d{km::data::type::list};
		size_t i;
		json_t *x;
		json_array_foreach(jv, i, x) d.push_back(convert(x, depth + 1));
		return d;
	}
	case JSON_STRING: {
		size_t len = json_string_length(v);
		if (!len)
			return km::data(false);
		return km::data(str(json_string_value(v), len));
	}
	case JSON_INTEGER:
		return km::data(std::to_string(
			static_cast<long long>(json_integer_value(v))));
	case JSON_REAL:
		return km::data(real_text(json_real_value(v)));
	case JSON_TRUE:
		return km::data(true);
	case JSON_FALSE:
	case JSON_NULL:
		break;
	}
	return km::data(false);
}

/* --- rendering ---------------------------------------------------------- */

struct budget {
	size_t cap;
	size_t used = 0;
	size_t steps = 0;

	/* Counts n more bytes; throws past the cap. */
	void add(size_t n)
	{
		add_later(n);
		if (used > cap)
			throw too_long{};
	}
	/* Counts n more bytes, checked at the next add or step (for pop,
	 * which runs in a destructor and must not throw). */
	void add_later(size_t n) noexcept
	{
		used = n > SIZE_MAX - used ? SIZE_MAX : used + n;
	}
	void step()
	{
		if (++steps > STEPS_MAX)
			throw too_much_work{};
		if (used > cap)
			throw too_long{};
	}
};

/* Where kainjow's walk is, on our parse of the same template: one frame per
 * list of children being walked (the template, each section body entered).
 * kainjow walks a list from start to end and calls get for each tag in it
 * (variable, section or inverted section, whatever its value); it enters a
 * section's body with a push per item (a list), one push (any other true
 * value; an inverted section's false or empty list) or, for an inverted
 * section whose name is absent, with no push at all (an inline frame,
 * left when its last tag is behind and the next call comes). */
class tracker {
public:
	tracker(const comp &root, budget &b) : b_(b)
	{
		frames_.reserve(DEPTH_MAX + 2);
		frames_.push_back({&root, 0, false});
	}

	/* The tag kainjow looks up now: its name must be the next tag's. */
	void get(const str &name, const km::data *v)
	{
		if (lost_)
			throw lost_track{};
		b_.step();
		close_inline();
		frame &f = frames_.back();
		size_t run = 0;
		const comp *t = next_tag(f, run, true);
		if (!t || t->tag.name != name)
			throw lost_track{};
		b_.add(run);
		if (t->tag.type == km::tag_type::section_begin) {
			pending_ = t;
		} else if (t->tag.type == km::tag_type::section_begin_inverted) {
			pending_ = t;
			if (!v) /* size bounded by the nesting refusal */
				frames_.push_back({t, 0, true});
		}
	}

	void push()
	{
		if (lost_ || !pending_)
			throw lost_track{};
		b_.step();
		frames_.push_back({pending_, 0, false});
	}

	void pop() noexcept
	{
		close_inline();
		if (frames_.size() < 2 || frames_.back().is_inline) {
			lost_ = true;
			return;
		}
		frame f = frames_.back();
		size_t tail = 0;
		if (next_tag(f, tail, false))
			lost_ = true; /* a tag of the body was not looked up */
		b_.add_later(tail);
		frames_.pop_back();
		pending_ = f.list; /* a list's next item enters it again */
	}

	/* After the render: the walk went through the whole template. */
	void finish()
	{
		close_inline();
		size_t tail = 0;
		if (lost_ || frames_.size() != 1 ||
		    next_tag(frames_.back(), tail, false))
			throw lost_track{};
	}

private:
	struct frame {
		const comp *list;
		size_t i; /* the next child */
		bool is_inline;
	};

	/* The next tag of f from f.i, adding the text before it to run;
	 * consume moves f.i past it. nullptr at the end of the list. */
	static const comp *next_tag(frame &f, size_t &run, bool consume) noexcept
	{
		const std::vector<comp> &ch = f.list->children;
		for (size_t i = f.i; i < ch.size(); i++) {
			const comp &c = ch[i];
			if (c.tag.type == km::tag_type::text) {
				run += c.text.size();
			} else if (c.tag.type != km::tag_type::comment &&
				   c.tag.type != km::tag_type::section_end) {
				if (consume)
					f.i = i + 1;
				return &c;
			}
		}
		if (consume)
			f.i = ch.size();
		return nullptr;
	}

	/* Leaves the inline frames on top whose tags are all behind, counting
	 * the text that ends them. */
	void close_inline() noexcept
	{
		while (frames_.back().is_inline) {
			size_t tail = 0;
			if (next_tag(frames_.back(), tail, false))
				return;
			b_.add_later(tail);
			frames_.pop_back();
		}
	}

	budget &b_;
	std::vector<frame> frames_;
	const comp *pending_ = nullptr; /* the section the next push enters */
	bool lost_ = false;
};

/* kainjow's lookup context (names with dots, the section stack), reporting
 * each call to the tracker. */
class counting_context : public km::basic_context<str> {
public:
	counting_context(const km::data *root, tracker &t) : t_(t)
	{
		inner_.push(root);
	}

	void push(const km::data *d) override
	{
		t_.push();
		inner_.push(d);
	}

	void pop() override
	{
		inner_.pop();
		t_.pop();
	}

	const km::data *get(const str &name) const override
	{
		const km::data *v = inner_.get(name);
		t_.get(name, v);
		return v;
	}

	const km::data *get_partial(const str &) const override
	{
		return nullptr; /* partials are refused */
	}

private:
	km::context<str> inner_;
	tracker &t_;
};

/* Where kainjow writes each finished line. */
struct sink {
	str out;
	size_t cap;

	sink &operator<<(const str &s)
	{
		if (s.size() > cap - out.size())
			throw too_long{};
		out += s;
		return *this;
	}
};

str render(const char *src_c, const json_t *data, enum tmpl_ctx ctx,
	   size_t max)
{
	str src;
	comp root;
	check(src_c, src, root);
	if (ctx != TMPL_TEXT && ctx != TMPL_LINE && ctx != TMPL_HTML &&
	    ctx != TMPL_JSON)
		throw refusal{"unknown output context"};
	if (data && !json_is_object(data))
		throw refusal{"the data is not a JSON object"};
	km::data d = data ? convert(data, 0) : km::data{km::data::type::object};

	budget b;
	b.cap = max > (SIZE_MAX - 65536) / 2 ? SIZE_MAX : max * 2 + 65536;
	km::mustache m{src};
	if (!m.is_valid())
		throw refusal{parse_error(m.error_message(), src)};
	m.set_custom_escape([&b, ctx](const str &v) {
		str e = escape(v, ctx);
		b.add(e.size());
		return e;
	});
	tracker t{root, b};
	counting_context c{&d, t};
	sink out{str(), b.cap};
	m.render(c, out);
	if (!m.is_valid()) /* lambdas only, and data holds none */
		throw refusal{"cannot render the template: " +
			      shown(m.error_message())};
	t.finish();
	/* The template's own text keeps to the rule of a line or of text. */
	str r = ctx == TMPL_TEXT || ctx == TMPL_LINE ? escape(out.out, ctx)
						      : std::move(out.out);
	if (r.size() > max)
		throw too_long{};
	return r;
}

} /* namespace */

extern "C" int tmpl_check(const char *src, char *msg, size_t n)
{
	try {
		str s;
		comp root;
		check(src, s, root);
		set_msg(msg, n, "");
		return 0;
	} catch (const refusal &r) {
		set_msg(msg, n, r.msg.c_str());
	} catch (const std::bad_alloc &) {
		oom();
	} catch (const std::exception &e) {
		if (msg && n)
			snprintf(msg, n, "cannot read the template: %s",
				 e.what());
	} catch (...) {
		set_msg(msg, n, "cannot read the template");
	}
	return -1;
}

extern "C" int tmpl_render(const char *src, const json_t *data,
			   enum tmpl_ctx ctx, size_t max, char **out,
			   char *msg, size_t n)
{
	if (!out) {
		set_msg(msg, n, "no output");
		return -1;
	}
	*out = nullptr;
	try {
		str r = render(src, data, ctx, max);
		char *p = static_cast<char *>(malloc(r.size() + 1));
		if (!p)
			oom();
		memcpy(p, r.data(), r.size());
		p[r.size()] = 0;
		*out = p;
		set_msg(msg, n, "");
		return 0;
	} catch (const refusal &r) {
		set_msg(msg, n, r.msg.c_str());
	} catch (const too_long &) {
		if (msg && n)
			snprintf(msg, n, "the result is longer than %zu bytes",
				 max);
	} catch (const lost_track &) {
		set_msg(msg, n, "cannot render the template (internal error)");
	} catch (const too_much_work &) {
		if (msg && n)
			snprintf(msg, n,
				 "the template takes more than %zu steps "
				 "(lookups and list items)",
				 STEPS_MAX);
	} catch (const std::bad_alloc &) {
		oom();
	} catch (const std::exception &e) {
		if (msg && n)
			snprintf(msg, n, "cannot render the template: %s",
				 e.what());
	} catch (...) {
		set_msg(msg, n, "cannot render the template");
	}
	return -1;
}
