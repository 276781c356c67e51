/* fuzz_backup.c — libFuzzer harness for the backup container
 * (admin/backup_file.c): the input is a whole backup file, written to a
 * scratch file and read back by bk_extract (the tar headers, the
 * manifest, the member and its SHA-256, what follows it), and given to
 * bk_manifest_parse as manifest text. When bk_extract accepts, the
 * manifest holds a known database kind with its member's name, and the
 * extracted file has the size the manifest names; otherwise it leaves no
 * file behind.
 *
 *   make build/fuzz/fuzz_backup
 *   build/fuzz/fuzz_backup tests/fuzz/corpus/backup   (mutates it!)
 */
#include "atrium.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/backup_file.h"

#define INPUT_MAX (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_MAX)
		return 0;
	static char in[64], out[64];
	if (!in[0]) {
		snprintf(in, sizeof in, "/tmp/atrium-fuzz-backup-%d.tar",
			 (int)getpid());
		snprintf(out, sizeof out, "/tmp/atrium-fuzz-backup-%d.out",
			 (int)getpid());
	}
	struct bk_manifest m;
	struct atr_err err = {0};
	if (bk_manifest_parse((const char *)data, size, &m, &err) == 0)
		ATR_ASSERT(!strcmp(m.database, "sqlite") ||
			   !strcmp(m.database, "postgresql"));
	int fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ATR_ASSERT(fd >= 0);
	ATR_ASSERT(write(fd, data, size) == (ssize_t)size);
	close(fd);
	unlink(out);
	atr_err_clear(&err);
	int rc = bk_extract(in, &m, out, &err);
	struct stat sb;
	if (rc == 0) {
		ATR_ASSERT(!strcmp(m.member, BK_MEMBER_SQLITE) ||
			   !strcmp(m.member, BK_MEMBER_PG));
		ATR_ASSERT(stat(out, &sb) == 0 &&
			   (uint64_t)sb.st_size == m.bytes);
	} else {
		ATR_ASSERT(err.msg[0]);
		ATR_ASSERT(stat(out, &sb) != 0);
	}
	unlink(out);
	unlink(in);
	return 0;
}
