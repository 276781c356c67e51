/* image_svg.c — SVG logos, parsed with libxml2 and rebuilt from an
 * allowlist.
 *
 * The approach of DOMPurify and of svg-sanitizer (the library WordPress's
 * Safe SVG uses): parse, keep only known elements and attributes, allow
 * only local references. Two differences: the output is a new document
 * built from what was kept (never the input edited in place), and active
 * content is refused with a reason rather than dropped, so an
 * administrator learns that the file they chose carries a script instead
 * of seeing a logo quietly changed. Editor data in other namespaces
 * (Inkscape, Sodipodi, RDF metadata), comments and processing
 * instructions are dropped: browsers ignore them too.
 *
 * Refused: a DOCTYPE or entity declaration (checked in the bytes, before
 * parsing, and in the parsed document); any SVG or XHTML element not on
 * the list (script, foreignObject, animation, a, ...); an event handler
 * attribute (on*); an href or url() that is not a local #reference
 * (except raster data: URIs on <image>); CSS with escapes, @import or a
 * non-local url(); a <use> whose target holds a <use> (the exponential
 * expansion of "billion laughs" in SVG form); more than SVG_MAX_USES
 * <use>, SVG_MAX_ELEMENTS elements or SVG_MAX_DEPTH levels.
 *
 * The document is always read as UTF-8 (the declared encoding is
 * overridden), without network access, entity substitution or DTD
 * loading. Served, it also gets a Content-Security-Policy that allows no
 * script (branding.c): this file is the first line, the CSP the second.
 */
#include "atrium.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>

#include "admin/image.h"

#define SVG_NS "http://www.w3.org/2000/svg"
#define XLINK_NS "http://www.w3.org/1999/xlink"
#define XHTML_NS "http://www.w3.org/1999/xhtml"
#define XML_NS "http://www.w3.org/XML/1998/namespace"

static const char *const elements[] = {
	"circle", "clipPath", "defs", "desc", "ellipse", "feBlend",
	"feColorMatrix", "feComponentTransfer", "feComposite",
	"feConvolveMatrix", "feDiffuseLighting", "feDisplacementMap",
	"feDistantLight", "feDropShadow", "feFlood", "feFuncA", "feFuncB",
	"feFuncG", "feFuncR", "feGaussianBlur", "feMerge", "feMergeNode",
	"feMorphology", "feOffset", "fePointLight", "feSpecularLighting",
	"feSpotLight", "feTile", "feTurbulence", "filter", "g", "image",
	"line", "linearGradient", "marker", "mask", "path", "pattern",
	"polygon", "polyline", "radialGradient", "rect", "stop", "style",
	"svg", "symbol", "text", "textPath", "title", "tspan", "use",
};

/* Elements whose text is content (kept); elsewhere text is dropped. */
static const char *const text_elements[] = {
	"desc", "style", "text", "textPath", "title", "tspan",
};

/* Attributes without a namespace; href and style are judged apart. */
static const char *const attributes[] = {
	/* geometry and structure */
	"id", "class", "transform", "viewBox", "preserveAspectRatio",
	"width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r",
	"rx", "ry", "fx", "fy", "fr", "d", "points", "pathLength", "offset",
	"gradientUnits", "gradientTransform", "spreadMethod", "patternUnits",
	"patternContentUnits", "patternTransform", "clipPathUnits",
	"maskUnits", "maskContentUnits", "filterUnits", "primitiveUnits",
	"markerUnits", "markerWidth", "markerHeight", "refX", "refY",
	"orient", "dx", "dy", "rotate", "textLength", "lengthAdjust",
	"startOffset", "method", "spacing", "side", "version", "type",
	"media",
	/* presentation */
	"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
	"stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
	"stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity",
	"color", "display", "visibility", "overflow", "clip-path",
	"clip-rule", "mask", "filter", "marker-start", "marker-mid",
	"marker-end", "stop-color", "stop-opacity", "font-family",
	"font-size", "font-size-adjust", "font-style", "font-weight",
	"font-variant", "font-stretch", "text-anchor", "dominant-baseline",
	"alignment-baseline", "baseline-shift", "letter-spacing",
	"word-spacing", "text-decoration", "writing-mode", "direction",
	"unicode-bidi", "color-interpolation", "color-interpolation-filters",
	"flood-color", "flood-opacity", "lighting-color", "shape-rendering",
	"text-rendering", "image-rendering", "paint-order", "vector-effect",
	"mix-blend-mode", "isolation", "transform-origin",
	/* filter primitives */
	"in", "in2", "result", "stdDeviation", "mode", "values",
	"tableValues", "slope", "intercept", "amplitude", "exponent", "k1",
	"k2", "k3", "k4", "operator", "radius", "scale", "xChannelSelector",
	"yChannelSelector", "baseFrequency", "numOctaves", "seed",
	"stitchTiles", "order", "kernelMatrix", "divisor", "bias", "targetX",
	"targetY", "edgeMode", "kernelUnitLength", "preserveAlpha",
	"surfaceScale", "diffuseConstant", "specularConstant",
	"specularExponent", "azimuth", "elevation", "z", "pointsAtX",
	"pointsAtY", "pointsAtZ", "limitingConeAngle",
};

static bool listed(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

struct svg_ctx {
	xmlDocPtr out;
	xmlNsPtr svg_ns, xlink_ns;
	int elements, uses;
	char *why;
	size_t whylen;
};

static int refuse(struct svg_ctx *x, const char *fmt, ...) ATR_PRINTF(2, 3);
static int refuse(struct svg_ctx *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->why, x->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A copy of s for quoting in a reason: at most 40 characters, controls
 * as '?'. Caller frees. */
static char *quote(const char *s)
{
	size_t n = strlen(s) > 40 ? 40 : strlen(s);
	char *q = xstrndup(s, n);
	for (char *p = q; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (strlen(s) > 40) {
		char *longer = xasprintf("%s...", q);
		free(q);
		q = longer;
	}
	return q;
}

/* s lower-cased without whitespace, control characters and CSS comments:
 * the form the checks below read, so "java\tscript:" or "U R L(" cannot
 * hide. Caller frees. */
static char *squeeze(const char *s)
{
	char *o = xmalloc(strlen(s) + 1), *d = o;
	for (const char *p = s; *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			if (!end)
				break;
			p = end + 1;
			continue;
		}
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f)
			continue;
		*d++ = (char)tolower(c);
	}
	*d = 0;
	return o;
}

/* A raster image inside the file: data:image/png|jpeg|gif|webp;base64. */
static bool raster_data_uri(const char *v)
{
	static const char *const types[] = {"png", "jpeg", "gif", "webp"};
	if (strncmp(v, "data:image/", 11) != 0)
		return false;
	const char *p = v + 11;
	size_t i;
	for (i = 0; i < ATR_ARRAY_LEN(types); i++) {
		size_t n = strlen(types[i]);
		if (strncmp(p, types[i], n) == 0 &&
		    strncmp(p + n, ";base64,", 8) == 0) {
			p += n + 8;
			break;
		}
	}
	if (i == ATR_ARRAY_LEN(types))
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '/' &&
		    *p != '=')
			return false;
	return true;
}

/* Every url( in the squeezed value s points inside the document (#id).
 * what names the attribute or "style" for the reason. */
static int check_urls(struct svg_ctx *x, const char *s, const char *el,
		      const char *what)
{
	for (const char *p = s; (p = strstr(p, "url(")); p += 4) {
		const char *t = p + 4;
		if (*t == '"' || *t == '\'')
			t++;
		if (*t != '#') {
			char *q = quote(p);
			refuse(x,
			       "external reference %s in %s on <%s>: only "
			       "references inside the file (url(#id)) are "
			       "allowed",
			       q, what, el);
			free(q);
			return -1;
		}
	}
	return 0;
}

/* A plain attribute value: no script or data URL, local url() only. */
static int check_value(struct svg_ctx *x, const char *el, const char *attr,
		       const char *v)
{
	char *s = squeeze(v);
	int rc = 0;
	if (strstr(s, "javascript:") || strstr(s, "vbscript:") ||
	    strstr(s, "data:"))
		rc = refuse(x, "attribute %s on <%s> holds a script or data "
			       "URL",
			    attr, el);
	else
		rc = check_urls(x, s, el, attr);
	free(s);
	return rc;
}

/* CSS in a style attribute or element: no escapes (they could spell any
 * of what follows), no @import, no url() leaving the file, no legacy
 * script hooks. */
static int check_css(struct svg_ctx *x, const char *el, const char *css)
{
	if (strchr(css, '\\'))
		return refuse(x, "CSS escapes (\\) are not allowed in the "
				 "style of <%s>",
			      el);
	char *s = squeeze(css);
	static const char *const banned[] = {
		"@import",    "image-set(", "image(",      "cross-fade(",
		"element(",   "expression(", "-moz-binding", "behavior:",
		"javascript:", "vbscript:",
	};
	int rc = 0;
	for (size_t i = 0; i < ATR_ARRAY_LEN(banned) && rc == 0; i++)
		if (strstr(s, banned[i]))
			rc = refuse(x, "'%s' is not allowed in the style of "
				       "<%s>",
				    banned[i], el);
	if (rc == 0)
		rc = check_urls(x, s, el, "style");
	free(s);
	return rc;
}

/* href or xlink:href: a local #reference, or a raster data: URI on
 * <image>. */
static int check_href(struct svg_ctx *x, const char *el, const char *v)
{
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	if (v[0] == '#')
		return 0;
	if (strcmp(el, "image") == 0 && raster_data_uri(v))
		return 0;
	char *q = quote(v);
	refuse(x,
	       "external reference '%s' in href on <%s>: only references "
	       "inside the file (#id)%s are allowed",
	       q, el,
	       strcmp(el, "image") == 0 ? " and PNG, JPEG, GIF or WebP data"
					 : "");
	free(q);
	return -1;
}

/* Why an SVG element is not on the list, for the most common ones. */
static const char *why_not(const char *name)
{
	if (strcmp(name, "script") == 0)
		return "scripts are not allowed in a logo";
	if (strcmp(name, "foreignObject") == 0)
		return "embedded HTML (foreignObject) is not allowed in a logo";
	if (strncmp(name, "animate", 7) == 0 || strcmp(name, "set") == 0 ||
	    strcmp(name, "mpath") == 0 || strcmp(name, "discard") == 0)
		return "animation is not allowed in a logo";
	if (strcmp(name, "a") == 0)
		return "links are not allowed in a logo";
	return "it is not on the list of allowed SVG elements";
}

/* Copies the attributes of src (an allowed element) onto dst. */
static int copy_attributes(struct svg_ctx *x, xmlNodePtr src, xmlNodePtr dst)
{
	const char *el = (const char *)src->name;
	for (xmlAttrPtr a = src->properties; a; a = a->next) {
		const char *name = (const char *)a->name;
		const char *ns = a->ns ? (const char *)a->ns->href : NULL;
		xmlChar *raw = xmlNodeListGetString(src->doc, a->children, 1);
		const char *v = raw ? (const char *)raw : "";
		int rc = 0;
		if (!ns) {
			if ((name[0] == 'o' || name[0] == 'O') &&
			    (name[1] == 'n' || name[1] == 'N'))
				rc = refuse(x,
					    "event handler attribute '%s' on "
					    "<%s> is not allowed",
					    name, el);
			else if (strcmp(name, "href") == 0) {
				if ((rc = check_href(x, el, v)) == 0)
					xmlNewProp(dst, a->name, BAD_CAST v);
			} else if (strcmp(name, "style") == 0) {
				if ((rc = check_css(x, el, v)) == 0)
					xmlNewProp(dst, a->name, BAD_CAST v);
			} else if (listed(attributes, ATR_ARRAY_LEN(attributes),
					  name)) {
				if ((rc = check_value(x, el, name, v)) == 0)
					xmlNewProp(dst, a->name, BAD_CAST v);
			}
		} else if (strcmp(ns, XLINK_NS) == 0 &&
			   strcmp(name, "href") == 0) {
			if ((rc = check_href(x, el, v)) == 0) {
				if (!x->xlink_ns)
					x->xlink_ns = xmlNewNs(
						xmlDocGetRootElement(x->out),
						BAD_CAST XLINK_NS,
						BAD_CAST "xlink");
				xmlNewNsProp(dst, x->xlink_ns, a->name,
					     BAD_CAST v);
			}
		} else if (strcmp(ns, XML_NS) == 0 &&
			   strcmp(name, "space") == 0) {
			xmlNodeSetSpacePreserve(dst,
						strcmp(v, "preserve") == 0);
		} else if (strcmp(ns, XML_NS) == 0 &&
			   strcmp(name, "lang") == 0) {
			xmlNodeSetLang(dst, BAD_CAST v);
		}
		/* Other namespaces (editors' data) and unknown attributes
		 * are left out. */
		xmlFree(raw);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The text of a <style> element (its text and CDATA children). */
static char *style_text(xmlNodePtr el)
{
	xmlChar *t = xmlNodeGetContent(el);
	char *s = xstrdup(t ? (const char *)t : "");
	xmlFree(t);
	return s;
}

static int walk(struct svg_ctx *x, xmlNodePtr src, xmlNodePtr dst, int depth);

/* Copies one element of the SVG namespace: refused, or rebuilt. */
static int copy_element(struct svg_ctx *x, xmlNodePtr c, xmlNodePtr dst,
			int depth)
{
	const char *name = (const char *)c->name;
	if (strcmp(name, "metadata") == 0)
		return 0; /* editors' RDF: nothing a browser shows */
	if (!listed(elements, ATR_ARRAY_LEN(elements), name))
		return refuse(x, "element <%s> (line %d): %s", name,
			      (int)xmlGetLineNo(c), why_not(name));
	if (strcmp(name, "use") == 0 && ++x->uses > SVG_MAX_USES)
		return refuse(x, "more than %d <use> elements",
			      SVG_MAX_USES);
	xmlNodePtr n = xmlNewChild(dst, x->svg_ns, c->name, NULL);
	if (copy_attributes(x, c, n) < 0)
		return -1;
	if (strcmp(name, "style") == 0) {
		xmlChar *type = xmlGetNoNsProp(c, BAD_CAST "type");
		bool css = !type || strcmp((const char *)type, "text/css") == 0;
		xmlFree(type);
		if (!css)
			return refuse(x, "a <style> that is not text/css is "
					 "not allowed");
		char *css_text = style_text(c);
		int rc = check_css(x, "style", css_text);
		if (rc == 0)
			xmlAddChild(n, xmlNewText(BAD_CAST css_text));
		free(css_text);
		return rc;
	}
	return walk(x, c, n, depth + 1);
}

/* Rebuilds the children of src under dst. */
static int walk(struct svg_ctx *x, xmlNodePtr src, xmlNodePtr dst, int depth)
{
	if (depth > SVG_MAX_DEPTH)
		return refuse(x, "elements nested more than %d deep",
			      SVG_MAX_DEPTH);
	bool text_ok = listed(text_elements, ATR_ARRAY_LEN(text_elements),
			      (const char *)src->name);
	for (xmlNodePtr c = src->children; c; c = c->next) {
		switch (c->type) {
		case XML_ELEMENT_NODE: {
			if (++x->elements > SVG_MAX_ELEMENTS)
				return refuse(x, "more than %d elements",
					      SVG_MAX_ELEMENTS);
			const char *ns =
				c->ns ? (const char *)c->ns->href : NULL;
			if (ns && strcmp(ns, SVG_NS) == 0) {
				if (copy_element(x, c, dst, depth) < 0)
					return -1;
			} else if (!ns || strcmp(ns, XHTML_NS) == 0) {
				return refuse(x,
					      "element <%s> (line %d) is not "
					      "an SVG element",
					      (const char *)c->name,
					      (int)xmlGetLineNo(c));
			}
			/* Another namespace: an editor's data, left out. */
			break;
		}
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (text_ok && c->content)
				xmlAddChild(dst, xmlNewText(c->content));
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			return refuse(x, "unexpected XML content (line %d)",
				      (int)xmlGetLineNo(c));
		}
	}
	return 0;
}

/* An element's id when it is one, else NULL. */
static const char *id_of(xmlNodePtr n)
{
	for (xmlAttrPtr a = n->properties; a; a = a->next)
		if (!a->ns && strcmp((const char *)a->name, "id") == 0 &&
		    a->children && a->children->type == XML_TEXT_NODE)
			return (const char *)a->children->content;
	return NULL;
}

/* Whether n is, or holds, a <use>. */
static bool holds_use(xmlNodePtr n)
{
	if (n->type != XML_ELEMENT_NODE)
		return false;
	if (strcmp((const char *)n->name, "use") == 0)
		return true;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (holds_use(c))
			return true;
	return false;
}

/* The element of the rebuilt document whose id is id, or NULL. */
static xmlNodePtr find_id(xmlNodePtr n, const char *id)
{
	if (n->type != XML_ELEMENT_NODE)
		return NULL;
	const char *mine = id_of(n);
	if (mine && strcmp(mine, id) == 0)
		return n;
	for (xmlNodePtr c = n->children; c; c = c->next) {
		xmlNodePtr f = find_id(c, id);
		if (f)
			return f;
	}
	return NULL;
}

/* Every <use> refers to an element holding no <use>: the instances a
 * renderer makes stay linear in the file's size. */
static int check_uses(struct svg_ctx *x, xmlNodePtr root, xmlNodePtr n)
{
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	if (strcmp((const char *)n->name, "use") == 0) {
		xmlChar *h = xmlGetNoNsProp(n, BAD_CAST "href");
		if (!h)
			h = xmlGetNsProp(n, BAD_CAST "href", BAD_CAST XLINK_NS);
		xmlNodePtr target = NULL;
		if (h) {
			const char *ref = (const char *)h;
			while (*ref == ' ' || *ref == '\t' || *ref == '\n' ||
			       *ref == '\r')
				ref++;
			if (*ref == '#')
				target = find_id(root, ref + 1);
		}
		xmlFree(h);
		if (target && holds_use(target))
			return refuse(x, "a <use> refers to an element that "
					 "holds a <use>: nested references "
					 "are not allowed");
	}
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (check_uses(x, root, c) < 0)
			return -1;
	return 0;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

int image_svg_clean(const void *p, size_t n, size_t max_out,
		    struct image *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof *out);
	struct svg_ctx x = {.why = why, .whylen = whylen};
	if (n == 0 || n > INT_MAX)
		return refuse(&x, "not an SVG image");
	/* Declarations are refused before the parser reads them: an
	 * entity that expands a billion times is never expanded. The
	 * bytes are UTF-8 (the parser is told so), so a search finds
	 * them. */
	if (memmem(p, n, "<!DOCTYPE", 9) || memmem(p, n, "<!ENTITY", 8))
		return refuse(&x, "a DOCTYPE or entity declaration is not "
				  "allowed in an SVG logo");
	pthread_once(&xml_once, xml_init);
	xmlParserCtxtPtr ctx = xmlNewParserCtxt();
	if (!ctx)
		return refuse(&x, "cannot read the SVG: out of memory");
	xmlDocPtr doc = xmlCtxtReadMemory(
		ctx, p, (int)n, "logo.svg", "UTF-8",
		XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			XML_PARSE_NOCDATA);
	int rc = -1;
	if (!doc) {
		const char *msg = ctx->lastError.message;
		char line[256];
		atr_strlcpy(line, msg ? msg : "unreadable", sizeof line);
		line[strcspn(line, "\n")] = 0;
		refuse(&x, "not a valid SVG image: %s (line %d)", line,
		       ctx->lastError.line);
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		refuse(&x, "a DOCTYPE is not allowed in an SVG logo");
		goto out;
	}
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "svg") != 0 ||
	    !root->ns || strcmp((const char *)root->ns->href, SVG_NS) != 0) {
		refuse(&x, "not an SVG image: the root element must be <svg "
			   "xmlns=\"" SVG_NS "\">");
		goto out;
	}
	x.out = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr oroot = xmlNewDocNode(x.out, NULL, BAD_CAST "svg", NULL);
	xmlDocSetRootElement(x.out, oroot);
	x.svg_ns = xmlNewNs(oroot, BAD_CAST SVG_NS, NULL);
	xmlSetNs(oroot, x.svg_ns);
	if (copy_attributes(&x, root, oroot) < 0 ||
	    walk(&x, root, oroot, 1) < 0 || check_uses(&x, oroot, oroot) < 0)
		goto out;
	xmlChar *mem = NULL;
	int len = 0;
	xmlDocDumpMemoryEnc(x.out, &mem, &len, "UTF-8");
	if (!mem || len <= 0) {
		refuse(&x, "cannot write the cleaned SVG");
		xmlFree(mem);
		goto out;
	}
	if ((size_t)len > max_out) {
		refuse(&x, "the cleaned SVG is %d bytes; at most %zu are "
			   "allowed",
		       len, max_out);
		xmlFree(mem);
		goto out;
	}
	out->format = IMAGE_SVG;
	out->data = xmalloc((size_t)len);
	memcpy(out->data, mem, (size_t)len);
	out->len = (size_t)len;
	xmlFree(mem);
	rc = 0;
out:
	if (x.out)
		xmlFreeDoc(x.out);
	if (doc)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctx);
	return rc;
}
