/* backup_file.c — the backup container: a ustar archive with the manifest
 * first and the database second (backup_file.h, docs/internals/backup.md).
 *
 * Written by hand rather than through a tar library: two members of known
 * names, one writer and one reader, each a few dozen lines, and the reader
 * refuses anything it did not write (links, devices, other names, a third
 * member), so a crafted archive cannot make it write outside dest.
 */
#include "atrium.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/backup_file.h"

#define BLOCK 512
#define CHUNK (256 * 1024)
/* ustar's size field: 11 octal digits, so up to 8 GiB - 1. */
#define OCTAL_SIZE_MAX 077777777777ULL

static void hex_of(const unsigned char *h, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[2 * n] = 0;
}

/* Writes all n bytes. 0 or -1 (errno). */
static int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes: 1, 0 at a clean end of file before any byte, -1
 * on an error or a short read (errno EIO for the latter). */
static int read_all(int fd, void *p, size_t n)
{
	char *d = p;
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, d + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			if (got == 0)
				return 0;
			errno = EIO;
			return -1;
		}
		got += (size_t)r;
	}
	return 1;
}

int bk_sha256_file(const char *path, uint64_t *bytes, char hex[BK_SHA_HEX],
		   struct atr_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return atr_fail(err, ATR_E_INTERNAL, "cannot read '%s': %s",
				path, strerror(errno));
	crypto_hash_sha256_state s;
	crypto_hash_sha256_init(&s);
	unsigned char *buf = xmalloc(CHUNK);
	uint64_t total = 0;
	ssize_t r;
	while ((r = read(fd, buf, CHUNK)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		crypto_hash_sha256_update(&s, buf, (size_t)r);
		total += (uint64_t)r;
	}
	int e = errno;
	free(buf);
	close(fd);
	if (r < 0)
		return atr_fail(err, ATR_E_INTERNAL, "cannot read '%s': %s",
				path, strerror(e));
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&s, h);
	hex_of(h, sizeof h, hex);
	*bytes = total;
	return 0;
}

/* ---- the manifest --------------------------------------------------------- */

char *bk_manifest_json(const struct bk_manifest *m)
{
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:I,s:s}]}", "format",
		BK_FORMAT, "product", "atrium", "version", m->version, "schema",
		m->schema, "database", m->database, "created_at", m->created_at,
		"node", m->node, "key_check", m->key_check, "members", "name",
		m->member, "bytes", (json_int_t)m->bytes, "sha256", m->sha256);
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	ATR_ASSERT(text != NULL);
	return text;
}

/* Copies string member key of o into out (n bytes); false when missing,
 * not a string or too long. */
static bool get_str(const json_t *o, const char *key, char *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && atr_strlcpy(out, s, n) < n;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int bk_manifest_parse(const char *text, size_t len, struct bk_manifest *m,
		      struct atr_err *err)
{
	memset(m, 0, sizeof *m);
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		return atr_fail(err, ATR_E_INVALID,
				"the manifest is not a JSON object: %s",
				je.text);
	}
	int rc = -1;
	const char *what = NULL;
	json_t *members = json_object_get(o, "members");
	json_t *mem = json_array_get(members, 0);
	json_t *bytes = json_object_get(mem, "bytes");
	if (!get_str(o, "format", m->format, sizeof m->format))
		what = "format";
	else if (strcmp(m->format, BK_FORMAT) != 0) {
		atr_fail(err, ATR_E_INVALID,
			 "the backup's format is '%s'; this atrium reads '%s' "
			 "(a newer release made it)",
			 m->format, BK_FORMAT);
		goto out;
	} else if (!get_str(o, "version", m->version, sizeof m->version))
		what = "version";
	else if (!get_str(o, "schema", m->schema, sizeof m->schema) ||
		 !m->schema[0])
		what = "schema";
	else if (!get_str(o, "database", m->database, sizeof m->database) ||
		 (strcmp(m->database, "sqlite") != 0 &&
		  strcmp(m->database, "postgresql") != 0))
		what = "database";
	else if (!get_str(o, "created_at", m->created_at,
			  sizeof m->created_at))
		what = "created_at";
	else if (!get_str(o, "node", m->node, sizeof m->node))
		what = "node";
	else if (!get_str(o, "key_check", m->key_check, sizeof m->key_check))
		what = "key_check";
	else if (json_array_size(members) != 1 ||
		 !get_str(mem, "name", m->member, sizeof m->member) ||
		 strcmp(m->member, !strcmp(m->database, "sqlite")
					   ? BK_MEMBER_SQLITE
					   : BK_MEMBER_PG) != 0)
		what = "members";
	else if (!json_is_integer(bytes) || json_integer_value(bytes) < 0)
		what = "members[0].bytes";
	else if (!get_str(mem, "sha256", m->sha256, sizeof m->sha256) ||
		 !is_hex64(m->sha256))
		what = "members[0].sha256";
	if (what) {
		atr_fail(err, ATR_E_INVALID,
			 "the manifest's '%s' is missing or malformed", what);
		goto out;
	}
	m->bytes = (uint64_t)json_integer_value(bytes);
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* ---- tar headers ---------------------------------------------------------- */

static void octal(char *field, size_t width, uint64_t v)
{
	/* width-1 digits and a NUL, zero-padded. */
	field[width - 1] = 0;
	for (size_t i = width - 1; i-- > 0;) {
		field[i] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

/* A ustar header for a regular file name of size bytes. */
static void header(unsigned char h[BLOCK], const char *name, uint64_t size,
		   int64_t mtime)
{
	memset(h, 0, BLOCK);
	atr_strlcpy((char *)h, name, 100);
	octal((char *)h + 100, 8, 0600);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	if (size <= OCTAL_SIZE_MAX) {
		octal((char *)h + 124, 12, size);
	} else {
		/* base-256: the first byte's high bit, then big-endian. */
		h[124] = 0x80;
		for (int i = 11; i >= 4; i--) {
			h[124 + i] = (unsigned char)(size & 0xff);
			size >>= 8;
		}
	}
	octal((char *)h + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	atr_strlcpy((char *)h + 265, "atrium", 32);
	atr_strlcpy((char *)h + 297, "atrium", 32);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < BLOCK; i++)
		sum += h[i];
	/* Six octal digits, NUL, space. */
	char ck[8];
	octal(ck, 7, sum);
	memcpy(h + 148, ck, 7);
	h[155] = ' ';
}

/* Parses header h: 1 a member (name, size), 0 the end-of-archive block
 * (all zero), -1 not a header we wrote (what). */
static int parse_header(const unsigned char h[BLOCK], char name[101],
			uint64_t *size, const char **what)
{
	bool zero = true;
	for (int i = 0; i < BLOCK && zero; i++)
		zero = h[i] == 0;
	if (zero)
		return 0;
	unsigned sum = 0;
	for (int i = 0; i < BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	unsigned stored = 0;
	int i = 148;
	while (i < 156 && h[i] == ' ')
		i++;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		stored = stored * 8 + (unsigned)(h[i] - '0');
	if (stored != sum) {
		*what = "a tar header's checksum does not match";
		return -1;
	}
	if (memcmp(h + 257, "ustar", 5) != 0) {
		*what = "not a ustar archive";
		return -1;
	}
	if (h[156] != '0' && h[156] != 0) {
		*what = "a member that is not a regular file";
		return -1;
	}
	if (h[345] != 0) {
		*what = "a member with a long name";
		return -1;
	}
	memcpy(name, h, 100);
	name[100] = 0;
	uint64_t v = 0;
	if (h[124] & 0x80) {
		for (int k = 1; k < 12; k++) {
			if (k < 4 && h[124 + k]) {
				*what = "a member too large";
				return -1;
			}
			v = (v << 8) | h[124 + k];
		}
	} else {
		int k = 124;
		while (k < 136 && h[k] == ' ')
			k++;
		for (; k < 136 && h[k] >= '0' && h[k] <= '7'; k++)
			v = v * 8 + (uint64_t)(h[k] - '0');
	}
	*size = v;
	return 1;
}

/* ---- writing -------------------------------------------------------------- */

/* Writes n bytes to fd and into the hash. */
static int put(int fd, crypto_hash_sha256_state *s, const void *p, size_t n)
{
	crypto_hash_sha256_update(s, p, n);
	return write_all(fd, p, n);
}

/* Pads a member of size bytes to the block. */
static int pad(int fd, crypto_hash_sha256_state *s, uint64_t size)
{
	static const unsigned char zeros[BLOCK];
	size_t r = (size_t)(size % BLOCK);
	return r ? put(fd, s, zeros, BLOCK - r) : 0;
}

/* fsyncs the directory holding path, so a rename in it is durable. */
static int sync_dir(const char *path)
{
	char dir[4096];
	if (atr_strlcpy(dir, path, sizeof dir) >= sizeof dir)
		return -1;
	char *slash = strrchr(dir, '/');
	if (!slash)
		atr_strlcpy(dir, ".", sizeof dir);
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int bk_write(const char *out_path, const struct bk_manifest *m,
	     const char *db_path, uint64_t *file_bytes,
	     char file_sha[BK_SHA_HEX], struct atr_err *err)
{
	struct stat sb;
	if (lstat(out_path, &sb) == 0)
		return atr_fail(err, ATR_E_CONFLICT,
				"'%s' exists: a backup never replaces a file",
				out_path);
	size_t n = strlen(out_path);
	char *tmp = xmalloc(n + 16);
	snprintf(tmp, n + 16, "%s.tmp-XXXXXX", out_path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int rc = atr_fail(err, errno == ENOSPC ? ATR_E_STORAGE
						       : ATR_E_INTERNAL,
				  "cannot create '%s': %s", tmp,
				  strerror(errno));
		free(tmp);
		return rc;
	}
	int in = open(db_path, O_RDONLY | O_CLOEXEC);
	unsigned char *buf = xmalloc(CHUNK);
	crypto_hash_sha256_state s;
	crypto_hash_sha256_init(&s);
	char *manifest = bk_manifest_json(m);
	size_t mlen = strlen(manifest);
	int64_t now = atr_now_ms() / 1000;
	uint64_t copied = 0, total = 0;
	int rc = -1;
	const char *fail = NULL;
	if (in < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot read '%s': %s", db_path,
			 strerror(errno));
		goto out;
	}
	header(buf, BK_MANIFEST, mlen, now);
	if (put(fd, &s, buf, BLOCK) < 0 || put(fd, &s, manifest, mlen) < 0 ||
	    pad(fd, &s, mlen) < 0)
		goto write_failed;
	header(buf, m->member, m->bytes, now);
	if (put(fd, &s, buf, BLOCK) < 0)
		goto write_failed;
	ssize_t r;
	while ((r = read(in, buf, CHUNK)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			atr_fail(err, ATR_E_INTERNAL, "cannot read '%s': %s",
				 db_path, strerror(errno));
			goto out;
		}
		if (put(fd, &s, buf, (size_t)r) < 0)
			goto write_failed;
		copied += (uint64_t)r;
	}
	if (copied != m->bytes) {
		fail = "the database copy changed while it was archived";
		atr_fail(err, ATR_E_INTERNAL, "%s", fail);
		goto out;
	}
	memset(buf, 0, 2 * BLOCK);
	if (pad(fd, &s, copied) < 0 || put(fd, &s, buf, 2 * BLOCK) < 0)
		goto write_failed;
	if (fsync(fd) < 0)
		goto write_failed;
	total = (uint64_t)lseek(fd, 0, SEEK_CUR);
	if (close(fd) < 0) {
		fd = -1;
		goto write_failed;
	}
	fd = -1;
	/* link() refuses an existing name, where rename() would replace a
	 * file made meanwhile. */
	if (link(tmp, out_path) < 0) {
		atr_fail(err, errno == EEXIST ? ATR_E_CONFLICT : ATR_E_INTERNAL,
			 "cannot create '%s': %s", out_path, strerror(errno));
		goto out;
	}
	unlink(tmp);
	sync_dir(out_path);
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&s, h);
	hex_of(h, sizeof h, file_sha);
	*file_bytes = total;
	rc = 0;
	goto out;
write_failed:
	atr_fail(err, errno == ENOSPC ? ATR_E_STORAGE : ATR_E_INTERNAL,
		 "cannot write '%s': %s", tmp, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	if (rc < 0)
		unlink(tmp);
	free(manifest);
	free(buf);
	free(tmp);
	return rc;
}

/* ---- reading -------------------------------------------------------------- */

/* Opens path and reads its manifest; returns the descriptor positioned at
 * the next header, or -1 with err (ATR_E_INVALID: not a backup / damaged). */
static int open_manifest(const char *path, struct bk_manifest *m,
			 struct atr_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return atr_fail(err, ATR_E_NOT_FOUND, "cannot read '%s': %s",
				path, strerror(errno));
	unsigned char h[BLOCK];
	char name[101];
	uint64_t size = 0;
	const char *what = "the file is empty";
	int rc = read_all(fd, h, BLOCK);
	if (rc == 1)
		rc = parse_header(h, name, &size, &what);
	if (rc == 1 && strcmp(name, BK_MANIFEST) != 0) {
		what = "its first member is not manifest.json";
		rc = -1;
	}
	if (rc == 1 && size > BK_MANIFEST_MAX) {
		what = "its manifest is too large";
		rc = -1;
	}
	if (rc != 1) {
		close(fd);
		return atr_fail(err, ATR_E_INVALID,
				"'%s' is not an atrium backup: %s", path, what);
	}
	size_t padded = (size_t)((size + BLOCK - 1) / BLOCK * BLOCK);
	char *text = xmalloc(padded + 1);
	if (read_all(fd, text, padded) != 1) {
		free(text);
		close(fd);
		return atr_fail(err, ATR_E_INVALID,
				"'%s' is damaged: its manifest is cut short",
				path);
	}
	int p = bk_manifest_parse(text, (size_t)size, m, err);
	free(text);
	if (p < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int bk_read_manifest(const char *path, struct bk_manifest *m,
		     struct atr_err *err)
{
	int fd = open_manifest(path, m, err);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int bk_extract(const char *path, struct bk_manifest *m, const char *dest,
	       struct atr_err *err)
{
	int fd = open_manifest(path, m, err);
	if (fd < 0)
		return err->kind == ATR_E_INVALID ? 1 : -1;
	int out = -1, rc = 1;
	unsigned char *buf = xmalloc(CHUNK);
	char name[101];
	uint64_t size = 0;
	const char *what = "the database member is missing";
	int h = read_all(fd, buf, BLOCK);
	if (h == 1)
		h = parse_header(buf, name, &size, &what);
	if (h != 1) {
		atr_fail(err, ATR_E_INVALID, "'%s' is damaged: %s", path, what);
		goto out;
	}
	if (strcmp(name, m->member) != 0 || size != m->bytes) {
		atr_fail(err, ATR_E_INVALID,
			 "'%s' is damaged: its database member is not the one "
			 "the manifest names (%s, %llu bytes)",
			 path, m->member, (unsigned long long)m->bytes);
		goto out;
	}
	out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = atr_fail(err, ATR_E_INTERNAL, "cannot create '%s': %s",
			      dest, strerror(errno));
		goto out;
	}
	crypto_hash_sha256_state s;
	crypto_hash_sha256_init(&s);
	uint64_t left = size;
	while (left) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		if (read_all(fd, buf, n) != 1) {
			atr_fail(err, ATR_E_INVALID,
				 "'%s' is damaged: its database member is cut "
				 "short",
				 path);
			goto out;
		}
		crypto_hash_sha256_update(&s, buf, n);
		if (write_all(out, buf, n) < 0) {
			rc = atr_fail(err, errno == ENOSPC ? ATR_E_STORAGE
							   : ATR_E_INTERNAL,
				      "cannot write '%s': %s", dest,
				      strerror(errno));
			goto out;
		}
		left -= n;
	}
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[BK_SHA_HEX];
	crypto_hash_sha256_final(&s, d);
	hex_of(d, sizeof d, hex);
	if (strcmp(hex, m->sha256) != 0) {
		atr_fail(err, ATR_E_INVALID,
			 "'%s' is damaged: the database's SHA-256 is %s, the "
			 "manifest says %s",
			 path, hex, m->sha256);
		goto out;
	}
	/* Padding, then the end: nothing else may follow. */
	size_t r = (size_t)(size % BLOCK);
	if (r && read_all(fd, buf, BLOCK - r) != 1) {
		atr_fail(err, ATR_E_INVALID, "'%s' is damaged: cut short",
			 path);
		goto out;
	}
	if (read_all(fd, buf, BLOCK) != 1 ||
	    parse_header(buf, name, &size, &what) != 0) {
		atr_fail(err, ATR_E_INVALID,
			 "'%s' is damaged: it does not end after the database "
			 "member",
			 path);
		goto out;
	}
	if (fsync(out) < 0) {
		rc = atr_fail(err, ATR_E_INTERNAL, "cannot write '%s': %s",
			      dest, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out >= 0)
		close(out);
	if (rc != 0 && out >= 0)
		unlink(dest);
	close(fd);
	free(buf);
	return rc;
}
