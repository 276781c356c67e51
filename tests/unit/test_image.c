/* test_image.c — admin/image_*.c: PNG and ICO decoded, SVG rebuilt from
 * the allowlist. The HTTP side (the 422s, storage, serving) is
 * tests/http/branding.test.mjs.
 */
#include "atrium.h"

#include <png.h>

#include "admin/image.h"
#include "core/buf.h"
#include "unit.h"

static const struct image_bounds logo = {1, 300, 1, 600};
static const struct image_bounds favicon = {32, 32, 32, 32};

/* A w×h RGBA PNG made by libpng (a gradient, half transparent). */
static struct image make_png(int w, int h)
{
	unsigned char *px = xmalloc((size_t)w * (size_t)h * 4);
	for (int i = 0; i < w * h; i++) {
		px[i * 4] = (unsigned char)i;
		px[i * 4 + 1] = (unsigned char)(i >> 3);
		px[i * 4 + 2] = 200;
		px[i * 4 + 3] = i % 2 ? 255 : 128;
	}
	struct image img = {0};
	char why[192];
	CHECK_EQ_INT(image_png_encode(px, w, h, PNG_FORMAT_RGBA, &img, why,
				      sizeof why),
		     0);
	free(px);
	return img;
}

TEST(image_png_within_bounds)
{
	struct image in = make_png(300, 80), out = {0};
	char why[192] = "";
	CHECK_EQ_INT(image_png_check(in.data, in.len, &logo, &out, why,
				     sizeof why),
		     0);
	CHECK_STR(why, "");
	CHECK_EQ_INT(out.format, IMAGE_PNG);
	CHECK_EQ_INT(out.width, 300);
	CHECK_EQ_INT(out.height, 80);
	CHECK(out.len > 8 && memcmp(out.data, "\x89PNG", 4) == 0);
	image_free(&out);

	/* Trailing bytes after IEND (a polyglot's payload) do not survive:
	 * the output is written from the pixels. */
	unsigned char *tail = xmalloc(in.len + 32);
	memcpy(tail, in.data, in.len);
	memcpy(tail + in.len, "<script>alert(1)</script>      ", 32);
	CHECK_EQ_INT(image_png_check(tail, in.len + 32, &logo, &out, why,
				     sizeof why),
		     0);
	CHECK(out.len < in.len + 32);
	CHECK(!memmem(out.data, out.len, "<script>", 8));
	image_free(&out);
	free(tail);
	image_free(&in);
}

TEST(image_png_refused)
{
	struct image out = {0};
	char why[192];
	struct image wide = make_png(301, 10);
	CHECK_EQ_INT(image_png_check(wide.data, wide.len, &logo, &out, why,
				     sizeof why),
		     -1);
	CHECK_CONTAINS(why, "301 px wide; at most 300");
	image_free(&wide);

	struct image tall = make_png(10, 601);
	CHECK_EQ_INT(image_png_check(tall.data, tall.len, &logo, &out, why,
				     sizeof why),
		     -1);
	CHECK_CONTAINS(why, "601 px high");

	/* Cut short: the header reads, the pixels do not. */
	CHECK_EQ_INT(image_png_check(tall.data, tall.len / 2, &logo, &out,
				     why, sizeof why),
		     -1);
	image_free(&tall);

	struct image fav = make_png(16, 16);
	CHECK_EQ_INT(image_png_check(fav.data, fav.len, &favicon, &out, why,
				     sizeof why),
		     -1);
	CHECK_CONTAINS(why, "16×16 px; it must be 32×32");
	image_free(&fav);

	const char *text = "hello, I am not an image";
	CHECK_EQ_INT(image_png_check(text, strlen(text), &logo, &out, why,
				     sizeof why),
		     -1);
	CHECK_STR(why, "not a PNG image");

	/* The signature alone, then garbage. */
	const char fake[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDRgarbagegarbage";
	CHECK_EQ_INT(image_png_check(fake, sizeof fake - 1, &logo, &out, why,
				     sizeof why),
		     -1);
	CHECK_CONTAINS(why, "PNG image");
	CHECK(out.data == NULL);
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* An ICO of one w×h 32-bit BMP image (its AND mask all zero). *n gets
 * the size. */
static unsigned char *make_bmp_ico(int w, int h, size_t *n)
{
	size_t xor = (size_t)w * (size_t)h * 4;
	size_t and_row = (size_t)((w + 31) / 32) * 4;
	size_t dib = 40 + xor + and_row * (size_t)h;
	*n = 6 + 16 + dib;
	unsigned char *p = xcalloc(1, *n);
	put16(p + 2, 1);
	put16(p + 4, 1);
	unsigned char *e = p + 6;
	e[0] = (unsigned char)(w == 256 ? 0 : w);
	e[1] = (unsigned char)(h == 256 ? 0 : h);
	put16(e + 4, 1);
	put16(e + 6, 32);
	put32(e + 8, (uint32_t)dib);
	put32(e + 12, 22);
	unsigned char *b = p + 22;
	put32(b, 40);
	put32(b + 4, (uint32_t)w);
	put32(b + 8, (uint32_t)(h * 2));
	put16(b + 12, 1);
	put16(b + 14, 32);
	put32(b + 20, (uint32_t)(xor + and_row * (size_t)h));
	for (size_t i = 0; i < xor; i += 4) {
		b[40 + i] = 10;       /* blue */
		b[40 + i + 1] = 20;   /* green */
		b[40 + i + 2] = 250;  /* red */
		b[40 + i + 3] = 255;  /* alpha */
	}
	return p;
}

TEST(image_ico_bmp_and_png)
{
	struct image out = {0};
	char why[192] = "";
	size_t n;
	unsigned char *ico = make_bmp_ico(32, 32, &n);
	if (image_ico_bmp_supported()) {
		CHECK_EQ_INT(image_ico_check(ico, n, &favicon, &out, why,
					     sizeof why),
			     0);
		CHECK_STR(why, "");
		CHECK_EQ_INT(out.format, IMAGE_PNG);
		CHECK_EQ_INT(out.width, 32);
		/* The pixels came through: decode the PNG we made. */
		struct image again = {0};
		CHECK_EQ_INT(image_png_check(out.data, out.len, &favicon,
					     &again, why, sizeof why),
			     0);
		image_free(&again);
		image_free(&out);
	} else {
		unit_failf(__FILE__, __LINE__,
			   "gdk-pixbuf's ico loader is missing");
	}
	free(ico);

	/* A PNG inside an ICO, decoded by libpng. */
	struct image png = make_png(32, 32);
	n = 22 + png.len;
	ico = xcalloc(1, n);
	put16(ico + 2, 1);
	put16(ico + 4, 1);
	ico[6] = 32;
	ico[7] = 32;
	put32(ico + 14, (uint32_t)png.len);
	put32(ico + 18, 22);
	memcpy(ico + 22, png.data, png.len);
	CHECK_EQ_INT(image_ico_check(ico, n, &favicon, &out, why, sizeof why),
		     0);
	CHECK_EQ_INT(out.height, 32);
	image_free(&out);
	/* Its entry pointing past the end of the file. */
	put32(ico + 14, (uint32_t)png.len + 1);
	CHECK_EQ_INT(image_ico_check(ico, n, &favicon, &out, why, sizeof why),
		     -1);
	CHECK_CONTAINS(why, "outside the file");
	free(ico);
	image_free(&png);
}

TEST(image_ico_refused)
{
	struct image out = {0};
	char why[192];
	size_t n;
	unsigned char *ico = make_bmp_ico(16, 16, &n);
	CHECK_EQ_INT(image_ico_check(ico, n, &favicon, &out, why, sizeof why),
		     -1);
	CHECK_CONTAINS(why, "16×16 px; it must be 32×32");
	free(ico);

	ico = make_bmp_ico(32, 32, &n);
	put16(ico + 4, 3); /* three images claimed */
	CHECK_EQ_INT(image_ico_check(ico, n, &favicon, &out, why, sizeof why),
		     -1);
	CHECK_CONTAINS(why, "holds 3 images");
	put16(ico + 4, 1);
	/* The bitmap claiming a huge size: refused before gdk-pixbuf. */
	put32(ico + 22 + 4, 65535);
	CHECK_EQ_INT(image_ico_check(ico, n, &favicon, &out, why, sizeof why),
		     -1);
	CHECK_CONTAINS(why, "directory says 32×32");
	free(ico);

	CHECK_EQ_INT(image_ico_check("\0\0\1\0", 4, &favicon, &out, why,
				     sizeof why),
		     -1);
	CHECK_STR(why, "not an ICO image");
	CHECK(out.data == NULL);
}

/* Cleans svg; returns the output (caller frees) or NULL with why. */
static char *clean(const char *svg, char *why, size_t whylen)
{
	struct image out = {0};
	why[0] = 0;
	if (image_svg_clean(svg, strlen(svg), 256 * 1024, &out, why,
			    whylen) < 0)
		return NULL;
	char *s = xstrndup((const char *)out.data, out.len);
	image_free(&out);
	return s;
}

#define SVG_OPEN "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">"

TEST(image_svg_kept)
{
	char why[192];
	char *s = clean(
		"<?xml version=\"1.0\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
		"xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\" "
		"width=\"120\" height=\"40\" viewBox=\"0 0 120 40\" "
		"inkscape:version=\"1.2\" data-name=\"Layer 1\">"
		"<!-- made by hand -->"
		"<title>Acme &amp; Co</title>"
		"<metadata><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/></metadata>"
		"<inkscape:grid/>"
		"<defs><linearGradient id=\"g\"><stop offset=\"0\" stop-color=\"#f00\"/></linearGradient>"
		"<style>.a{fill:url(#g)} .b > .c {stroke:#000}</style></defs>"
		"<g id=\"mark\"><rect class=\"a\" width=\"10\" height=\"10\" style=\"fill:url('#g');opacity:.5\"/></g>"
		"<use xlink:href=\"#mark\" x=\"20\"/><use href=\"#mark\" x=\"40\"/>"
		"<text x=\"60\" y=\"30\" font-family=\"sans-serif\">Acme <tspan>Co</tspan></text>"
		"<image width=\"4\" height=\"4\" href=\"data:image/png;base64,iVBORw0KGgo=\"/>"
		"</svg>",
		why, sizeof why);
	if (!CHECK(s != NULL)) {
		unit_failf(__FILE__, __LINE__, "refused: %s", why);
		return;
	}
	CHECK_CONTAINS(s, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
	CHECK_CONTAINS(s, "viewBox=\"0 0 120 40\"");
	CHECK_CONTAINS(s, "<title>Acme &amp; Co</title>");
	CHECK_CONTAINS(s, "xlink:href=\"#mark\"");
	CHECK_CONTAINS(s, "href=\"#mark\"");
	CHECK_CONTAINS(s, "fill:url(#g)");
	CHECK_CONTAINS(s, "Acme <tspan>Co</tspan>");
	CHECK_CONTAINS(s, "data:image/png;base64,");
	/* Editors' data and comments are left out. */
	CHECK(!strstr(s, "inkscape"));
	CHECK(!strstr(s, "metadata"));
	CHECK(!strstr(s, "RDF"));
	CHECK(!strstr(s, "made by hand"));
	CHECK(!strstr(s, "data-name"));

	/* Cleaning what we produced changes nothing. */
	char *again = clean(s, why, sizeof why);
	CHECK_STR(again, s);
	free(again);
	free(s);
}

TEST(image_svg_refused)
{
	static const struct {
		const char *svg, *why;
	} cases[] = {
		{SVG_OPEN "<script>alert(1)</script></svg>",
		 "scripts are not allowed"},
		{SVG_OPEN "<g><script href=\"/x.js\"/></g></svg>",
		 "element <script>"},
		{"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
		 "event handler attribute 'onload' on <svg>"},
		{SVG_OPEN "<rect ONCLICK=\"x()\"/></svg>",
		 "event handler attribute 'ONCLICK'"},
		{SVG_OPEN "<foreignObject><p xmlns=\"http://www.w3.org/1999/xhtml\">x</p></foreignObject></svg>",
		 "foreignObject"},
		{SVG_OPEN "<p xmlns=\"http://www.w3.org/1999/xhtml\">x</p></svg>",
		 "is not an SVG element"},
		{SVG_OPEN "<image href=\"https://evil.example/x.png\"/></svg>",
		 "external reference 'https://evil.example/x.png' in href on <image>"},
		{"<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">"
		 "<use xlink:href=\"other.svg#a\"/></svg>",
		 "external reference 'other.svg#a'"},
		{SVG_OPEN "<image href=\"data:image/svg+xml;base64,PHN2Zy8+\"/></svg>",
		 "external reference 'data:image/svg+xml"},
		{SVG_OPEN "<a href=\"javascript:alert(1)\"><rect/></a></svg>",
		 "links are not allowed"},
		{SVG_OPEN "<rect fill=\"url(https://evil.example/p#x)\"/></svg>",
		 "external reference url(https://evil.example/p#x) in fill"},
		{SVG_OPEN "<rect style=\"fill: URL( 'http://x/y' )\"/></svg>",
		 "external reference url('http://x/y')"},
		{SVG_OPEN "<style>@import 'https://evil.example/a.css';</style></svg>",
		 "'@import' is not allowed"},
		{SVG_OPEN "<style>rect{fill:u\\72l(http://x)}</style></svg>",
		 "CSS escapes"},
		{SVG_OPEN "<rect filter=\"java&#x09;script:x\"/></svg>",
		 "script or data URL"},
		{SVG_OPEN "<animate attributeName=\"href\" to=\"javascript:x\"/></svg>",
		 "animation is not allowed"},
		{SVG_OPEN "<set attributeName=\"onload\"/></svg>",
		 "animation is not allowed"},
		{"<!DOCTYPE svg [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
		 SVG_OPEN "<text>&b;</text></svg>",
		 "DOCTYPE or entity declaration"},
		{"<svg xmlns=\"http://www.w3.org/2000/svg\"><g id=\"a\"><rect/></g>"
		 "<g id=\"b\"><use href=\"#a\"/><use href=\"#a\"/></g>"
		 "<use href=\"#b\"/></svg>",
		 "nested references are not allowed"},
		{"<svg xmlns=\"http://www.w3.org/2000/svg\"><use id=\"s\" href=\"#s\"/></svg>",
		 "nested references"},
		{"<svg><rect/></svg>", "root element must be <svg xmlns="},
		{"<html xmlns=\"http://www.w3.org/1999/xhtml\"/>", "root element"},
		{SVG_OPEN "<rect>", "not a valid SVG image"},
		{"\x89PNG\r\n\x1a\n", "not a valid SVG image"},
		{"", "not an SVG image"},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(cases); i++) {
		char why[192];
		char *s = clean(cases[i].svg, why, sizeof why);
		if (!CHECK(s == NULL)) {
			unit_failf(__FILE__, __LINE__, "case %zu kept: %s", i,
				   s);
			free(s);
			continue;
		}
		if (!strstr(why, cases[i].why))
			unit_failf(__FILE__, __LINE__,
				   "case %zu: '%s' does not say '%s'", i, why,
				   cases[i].why);
	}
}

TEST(image_svg_limits)
{
	/* Deeper than SVG_MAX_DEPTH. */
	struct buf b = BUF_INIT;
	buf_adds(&b, SVG_OPEN);
	for (int i = 0; i < SVG_MAX_DEPTH + 5; i++)
		buf_adds(&b, "<g>");
	for (int i = 0; i < SVG_MAX_DEPTH + 5; i++)
		buf_adds(&b, "</g>");
	buf_adds(&b, "</svg>");
	char why[192];
	char *out = clean(buf_str(&b), why, sizeof why);
	CHECK(out == NULL);
	CHECK_CONTAINS(why, "nested more than");
	free(out);

	/* More <use> than allowed. */
	buf_free(&b);
	buf_adds(&b, SVG_OPEN);
	buf_adds(&b, "<rect id=\"r\"/>");
	for (int i = 0; i <= SVG_MAX_USES; i++)
		buf_adds(&b, "<use href=\"#r\"/>");
	buf_adds(&b, "</svg>");
	out = clean(buf_str(&b), why, sizeof why);
	CHECK(out == NULL);
	CHECK_CONTAINS(why, "<use> elements");
	free(out);

	/* The output bound. */
	struct image img = {0};
	const char *small = SVG_OPEN "<rect width=\"1\"/></svg>";
	CHECK_EQ_INT(image_svg_clean(small, strlen(small), 10, &img, why,
				     sizeof why),
		     -1);
	CHECK_CONTAINS(why, "at most 10 are allowed");
	buf_free(&b);
}
