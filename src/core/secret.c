/* secret.c — the master key and secretbox encryption of stored secrets. */
#include "atrium.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/secret.h"

#define KEY_HEX_LEN (2 * crypto_secretbox_KEYBYTES)
#define SECRET_MAX_STORED (1 << 20)

static unsigned char *master; /* sodium_malloc'd, read-only once loaded */

/* Parses 64 hex characters (surrounding white space ignored) into key.
 * 0 or -1. */
static int parse_hex_key(const char *s, size_t n,
			 unsigned char key[crypto_secretbox_KEYBYTES])
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n != KEY_HEX_LEN)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	size_t bin_len = 0;
	if (sodium_hex2bin(key, crypto_secretbox_KEYBYTES, s, n, NULL,
			   &bin_len, NULL) != 0 ||
	    bin_len != crypto_secretbox_KEYBYTES)
		return -1;
	return 0;
}

/* Reads the key file into key. 1 read, 0 the file does not exist, -1 with
 * err (unreadable, loose permissions, malformed). */
static int read_key_file(const char *path,
			 unsigned char key[crypto_secretbox_KEYBYTES],
			 struct atr_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot open master key file '%s': %s", path,
				strerror(errno));
	}
	struct stat sb;
	char text[KEY_HEX_LEN + 16];
	int rc = -1;
	if (fstat(fd, &sb) < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot stat '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		atr_fail(err, ATR_E_INTERNAL,
			 "master key file '%s' is not a regular file", path);
		goto out;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		atr_fail(err, ATR_E_INTERNAL,
			 "refusing master key file '%s': it is accessible by "
			 "group or others (mode %03o); run chmod 600 '%s'",
			 path, (unsigned)(sb.st_mode & 0777), path);
		goto out;
	}
	ssize_t n = read(fd, text, sizeof text);
	if (n < 0) {
		atr_fail(err, ATR_E_INTERNAL, "cannot read '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	if (parse_hex_key(text, (size_t)n, key) < 0) {
		atr_fail(err, ATR_E_INTERNAL,
			 "master key file '%s' must hold exactly 64 hex "
			 "characters",
			 path);
		goto out;
	}
	rc = 1;
out:
	sodium_memzero(text, sizeof text);
	close(fd);
	return rc;
}

/* Finds the key: environment, then file. 1 found, 0 none, -1 err. */
static int find_key(const struct config *cfg,
		    unsigned char key[crypto_secretbox_KEYBYTES],
		    struct atr_err *err)
{
	const char *env = getenv("ATRIUM_MASTER_KEY");
	if (env && *env) {
		if (parse_hex_key(env, strlen(env), key) < 0)
			return atr_fail(err, ATR_E_INTERNAL,
					"ATRIUM_MASTER_KEY must be exactly 64 "
					"hex characters (32 bytes)");
		return 1;
	}
	if (!cfg->master_key_file || !*cfg->master_key_file)
		return 0;
	return read_key_file(cfg->master_key_file, key, err);
}

int secret_key_ensure(const struct config *cfg, struct atr_err *err)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	int found = find_key(cfg, key, err);
	sodium_memzero(key, sizeof key);
	if (found != 0)
		return found < 0 ? -1 : 0;
	const char *path = cfg->master_key_file;
	if (!path || !*path)
		return atr_fail(err, ATR_E_INTERNAL,
				"no master key: set ATRIUM_MASTER_KEY or "
				"master_key_file");

	char text[KEY_HEX_LEN + 2];
	crypto_secretbox_keygen(key);
	sodium_bin2hex(text, KEY_HEX_LEN + 1, key, sizeof key);
	sodium_memzero(key, sizeof key);
	text[KEY_HEX_LEN] = '\n';
	text[KEY_HEX_LEN + 1] = 0;
	int rc = -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			/* Another node created it a moment ago: check it. */
			sodium_memzero(text, sizeof text);
			found = read_key_file(path, key, err);
			sodium_memzero(key, sizeof key);
			return found == 1 ? 0 : -1;
		}
		atr_fail(err, ATR_E_INTERNAL,
			 "cannot create master key file '%s': %s", path,
			 strerror(errno));
		goto out;
	}
	size_t len = KEY_HEX_LEN + 1;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		atr_fail(err, ATR_E_INTERNAL,
			 "cannot write master key file '%s': %s", path,
			 strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	if (close(fd) < 0) {
		atr_fail(err, ATR_E_INTERNAL,
			 "cannot write master key file '%s': %s", path,
			 strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 1;
out:
	sodium_memzero(text, sizeof text);
	return rc;
}

int secret_key_load(const struct config *cfg, struct atr_err *err)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	int found = find_key(cfg, key, err);
	if (found <= 0) {
		sodium_memzero(key, sizeof key);
		if (found == 0)
			atr_fail(err, ATR_E_INTERNAL,
				 "no master key: ATRIUM_MASTER_KEY is not set "
				 "and '%s' does not exist; run `atrium "
				 "migrate` to create it, or restore it from "
				 "its backup",
				 cfg->master_key_file ? cfg->master_key_file
						      : "(master_key_file)");
		return -1;
	}
	secret_key_unload();
	master = sodium_malloc(crypto_secretbox_KEYBYTES);
	if (!master) {
		sodium_memzero(key, sizeof key);
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot allocate memory for the master key");
	}
	memcpy(master, key, sizeof key);
	sodium_memzero(key, sizeof key);
	sodium_mprotect_readonly(master);
	return 0;
}

void secret_key_unload(void)
{
	if (!master)
		return;
	sodium_free(master); /* wipes before unmapping */
	master = NULL;
}

bool secret_key_loaded(void)
{
	return master != NULL;
}

bool secret_is_stored(const char *s)
{
	return s && strncmp(s, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0;
}

char *secret_encrypt(const char *plaintext)
{
	if (!master)
		return NULL;
	size_t plen = strlen(plaintext);
	size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
		      plen;
	unsigned char *box = xmalloc(blen);
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES,
			      (const unsigned char *)plaintext, plen, box,
			      master);
	size_t pre = strlen(SECRET_PREFIX);
	size_t b64 = sodium_base64_encoded_len(blen,
					       sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(pre + b64);
	memcpy(out, SECRET_PREFIX, pre);
	sodium_bin2base64(out + pre, b64, box, blen,
			  sodium_base64_VARIANT_ORIGINAL);
	free(box);
	return out;
}

char *secret_decrypt(const char *stored, struct atr_err *err)
{
	if (!master) {
		atr_fail(err, ATR_E_INTERNAL, "no master key is loaded");
		return NULL;
	}
	if (!secret_is_stored(stored)) {
		atr_fail(err, ATR_E_INTERNAL,
			 "not an encrypted value (no \"v1:\" prefix)");
		return NULL;
	}
	const char *b64 = stored + strlen(SECRET_PREFIX);
	size_t b64len = strlen(b64);
	if (b64len > SECRET_MAX_STORED) {
		atr_fail(err, ATR_E_INTERNAL, "encrypted value too long");
		return NULL;
	}
	size_t cap = b64len / 4 * 3 + 3, blen = 0;
	unsigned char *box = xmalloc(cap);
	char *plain = NULL;
	if (sodium_base642bin(box, cap, b64, b64len, NULL, &blen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
		atr_fail(err, ATR_E_INTERNAL, "malformed encrypted value");
		goto out;
	}
	size_t plen = blen - crypto_secretbox_NONCEBYTES -
		      crypto_secretbox_MACBYTES;
	plain = xmalloc(plen + 1);
	if (crypto_secretbox_open_easy(
		    (unsigned char *)plain, box + crypto_secretbox_NONCEBYTES,
		    blen - crypto_secretbox_NONCEBYTES, box, master) != 0) {
		sodium_memzero(plain, plen + 1);
		free(plain);
		plain = NULL;
		atr_fail(err, ATR_E_INTERNAL,
			 "cannot decrypt a stored secret: wrong master key or "
			 "altered value");
		goto out;
	}
	plain[plen] = 0;
	if (strlen(plain) != plen) {
		/* An embedded NUL: callers treat secrets as C strings. */
		sodium_memzero(plain, plen + 1);
		free(plain);
		plain = NULL;
		atr_fail(err, ATR_E_INTERNAL, "malformed encrypted value");
	}
out:
	free(box);
	return plain;
}

void secret_free(char *plaintext)
{
	if (!plaintext)
		return;
	sodium_memzero(plaintext, strlen(plaintext));
	free(plaintext);
}

int secret_derive(uint64_t id, const char ctx[8], unsigned char *out,
		  size_t n)
{
	if (!master || n < crypto_kdf_BYTES_MIN || n > crypto_kdf_BYTES_MAX)
		return -1;
	return crypto_kdf_derive_from_key(out, n, id, ctx, master) == 0 ? 0
									 : -1;
}
