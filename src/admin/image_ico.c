/* image_ico.c — ICO files (the favicon), checked by decoding them.
 *
 * An ICO is a directory of images, each a PNG or a BMP without its file
 * header (a DIB whose height counts the AND mask too). We accept exactly
 * one image, so what is checked is what a browser would show: with
 * several, a browser may pick one we never decoded. Only the directory
 * and the DIB's declared size are read here, to refuse before decoding
 * and so that no decoder allocates for a size we would refuse anyway; the
 * pixels come from libpng (a PNG image) or gdk-pixbuf's ico loader (a
 * BMP image; it reads no PNG-compressed icons). Either way they are
 * stored as a PNG (image_png_encode), which every browser takes as a
 * favicon.
 */
#include "atrium.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <png.h>
#include <pthread.h>

#include "admin/image.h"

#define ICO_DIR 6        /* reserved, type, count */
#define ICO_ENTRY 16     /* one directory entry */
#define DIB_HEADER 40    /* BITMAPINFOHEADER */

static pthread_once_t formats_once = PTHREAD_ONCE_INIT;
static bool have_ico_loader;

/* Looks for the ico loader once (gdk-pixbuf reads its loaders.cache). */
static void find_loader(void)
{
	GSList *formats = gdk_pixbuf_get_formats();
	for (GSList *l = formats; l; l = l->next) {
		gchar *name = gdk_pixbuf_format_get_name(l->data);
		if (name && strcmp(name, "ico") == 0)
			have_ico_loader = true;
		g_free(name);
	}
	g_slist_free(formats);
}

bool image_ico_bmp_supported(void)
{
	pthread_once(&formats_once, find_loader);
	return have_ico_loader;
}

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Decodes the BMP icon with gdk-pixbuf into a PNG. */
static int decode_bmp(const unsigned char *p, size_t n, int w, int h,
		      struct image *out, char *why, size_t whylen)
{
	if (!image_ico_bmp_supported()) {
		snprintf(why, whylen,
			 "this server cannot read BMP-based ICO files "
			 "(gdk-pixbuf's ico loader is not installed); "
			 "upload a %d×%d PNG",
			 w, h);
		return -1;
	}
	GError *gerr = NULL;
	GdkPixbufLoader *ld = gdk_pixbuf_loader_new_with_type("ico", &gerr);
	int rc = -1;
	unsigned char *px = NULL;
	if (!ld)
		goto fail;
	if (!gdk_pixbuf_loader_write(ld, p, n, &gerr)) {
		/* A failed write leaves the loader to be closed; its error
		 * is the one to report. */
		gdk_pixbuf_loader_close(ld, NULL);
		goto fail;
	}
	if (!gdk_pixbuf_loader_close(ld, &gerr))
		goto fail;
	GdkPixbuf *pb = gdk_pixbuf_loader_get_pixbuf(ld);
	if (!pb || gdk_pixbuf_get_width(pb) != w ||
	    gdk_pixbuf_get_height(pb) != h ||
	    gdk_pixbuf_get_bits_per_sample(pb) != 8 ||
	    gdk_pixbuf_get_colorspace(pb) != GDK_COLORSPACE_RGB) {
		snprintf(why, whylen, "damaged ICO image: cannot decode it");
		goto out;
	}
	int nch = gdk_pixbuf_get_n_channels(pb);
	bool alpha = gdk_pixbuf_get_has_alpha(pb);
	if (nch != (alpha ? 4 : 3)) {
		snprintf(why, whylen, "damaged ICO image: cannot decode it");
		goto out;
	}
	int stride = gdk_pixbuf_get_rowstride(pb);
	const guchar *src = gdk_pixbuf_read_pixels(pb);
	px = xmalloc((size_t)w * (size_t)h * 4);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			const guchar *s = src + (size_t)y * (size_t)stride +
					  (size_t)x * (size_t)nch;
			unsigned char *d = px + ((size_t)y * (size_t)w + (size_t)x) * 4;
			d[0] = s[0];
			d[1] = s[1];
			d[2] = s[2];
			d[3] = alpha ? s[3] : 255;
		}
	rc = image_png_encode(px, w, h, PNG_FORMAT_RGBA, out, why, whylen);
	goto out;
fail:
	snprintf(why, whylen, "damaged ICO image: %s",
		 gerr && gerr->message ? gerr->message : "cannot decode it");
out:
	free(px);
	if (gerr)
		g_error_free(gerr);
	if (ld)
		g_object_unref(ld);
	return rc;
}

int image_ico_check(const void *data, size_t n, const struct image_bounds *b,
		    struct image *out, char *why, size_t whylen)
{
	static const unsigned char png_sig[8] = {0x89, 'P',  'N',  'G',
						 '\r', '\n', 0x1a, '\n'};
	const unsigned char *p = data;
	memset(out, 0, sizeof *out);
	if (n < ICO_DIR + ICO_ENTRY || le16(p) != 0 || le16(p + 2) != 1) {
		snprintf(why, whylen, "not an ICO image");
		return -1;
	}
	uint32_t count = le16(p + 4);
	if (count != 1) {
		snprintf(why, whylen,
			 "the ICO holds %u images; upload one with a single "
			 "%d×%d image, or a %d×%d PNG",
			 (unsigned)count, b->max_width, b->max_height,
			 b->max_width, b->max_height);
		return -1;
	}
	const unsigned char *e = p + ICO_DIR;
	int dw = e[0] ? e[0] : 256, dh = e[1] ? e[1] : 256;
	uint32_t size = le32(e + 8), off = le32(e + 12);
	if (off < ICO_DIR + ICO_ENTRY || off > n || size > n - off ||
	    size < DIB_HEADER) {
		snprintf(why, whylen,
			 "damaged ICO image: its image lies outside the file");
		return -1;
	}
	const unsigned char *img = p + off;
	if (size >= sizeof png_sig && memcmp(img, png_sig, sizeof png_sig) == 0) {
		if (image_png_check(img, size, b, out, why, whylen) < 0)
			return -1;
		return 0;
	}
	/* A DIB: its own header says the size gdk-pixbuf will allocate. */
	uint32_t hsize = le32(img);
	int32_t bw = (int32_t)le32(img + 4), bh2 = (int32_t)le32(img + 8);
	if (hsize < DIB_HEADER || bw <= 0 || bh2 <= 0 || bh2 % 2 != 0) {
		snprintf(why, whylen, "damaged ICO image: invalid bitmap header");
		return -1;
	}
	int bh = bh2 / 2; /* the height counts the AND mask too */
	if (bw != dw || bh != dh) {
		snprintf(why, whylen,
			 "damaged ICO image: the directory says %d×%d, the "
			 "bitmap %d×%d",
			 dw, dh, (int)bw, bh);
		return -1;
	}
	if (bw != b->min_width || bh != b->min_height || bw != b->max_width ||
	    bh != b->max_height) {
		snprintf(why, whylen, "the image is %d×%d px; it must be %d×%d",
			 (int)bw, bh, b->max_width, b->max_height);
		return -1;
	}
	return decode_bmp(p, n, (int)bw, bh, out, why, whylen);
}
