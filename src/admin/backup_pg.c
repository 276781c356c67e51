/* backup_pg.c — running pg_dump and pg_restore for backups of a
 * PostgreSQL database (backup_int.h).
 *
 * The connection is handed to the child through libpq's own environment
 * variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE,
 * ...), taken from the URL by PQconninfoParse: nothing of it appears on
 * the child's command line, so `ps` never shows the password (a process's
 * environment is readable only by its own user). The child is started
 * with posix_spawnp (safe from a threaded server), with no descriptor of
 * ours but a pipe for its standard error, whose first line becomes the
 * error when it exits non-zero.
 */
#include "atrium.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/backup_int.h"

extern char **environ;

#define ENV_MAX 256
#define STDERR_KEEP 1024

/* The environment of the child: ours, minus libpq variables the URL sets,
 * plus those. NULL with err when url does not parse. Free with env_free
 * (wipes the password). */
static char **env_for(const char *url, struct atr_err *err)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &msg);
	if (!opts) {
		atr_fail(err, ATR_E_INVALID, "cannot read the database URL: %s",
			 msg ? msg : "out of memory");
		PQfreemem(msg);
		return NULL;
	}
	char **env = xcalloc(ENV_MAX + 1, sizeof *env);
	int n = 0;
	for (PQconninfoOption *o = opts; o->keyword && n < ENV_MAX; o++)
		if (o->val && o->envvar)
			env[n++] = xasprintf("%s=%s", o->envvar, o->val);
	int from_url = n;
	for (char **e = environ; *e && n < ENV_MAX; e++) {
		bool replaced = false;
		for (int i = 0; i < from_url && !replaced; i++) {
			size_t k = strcspn(env[i], "=") + 1;
			replaced = !strncmp(*e, env[i], k);
		}
		if (!replaced)
			env[n++] = xstrdup(*e);
	}
	PQconninfoFree(opts);
	return env;
}

static void env_free(char **env)
{
	for (char **e = env; *e; e++) {
		sodium_memzero(*e, strlen(*e));
		free(*e);
	}
	free(env);
}

int bk_pg_run(const char *url, const char *const *argv, bool (*stop)(void),
	      struct atr_err *err)
{
	char **env = env_for(url, err);
	if (!env)
		return -1;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		env_free(env);
		return atr_fail(err, ATR_E_INTERNAL, "pipe: %s",
				strerror(errno));
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	pid_t pid;
	int sp = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
			      env);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	env_free(env);
	if (sp != 0) {
		close(pfd[0]);
		return atr_fail(err, ATR_E_INTERNAL,
				"cannot run %s: %s (install postgresql-client)",
				argv[0], strerror(sp));
	}
	char keep[STDERR_KEEP + 1];
	size_t kept = 0;
	char drain[4096];
	ssize_t r;
	bool stopped = false;
	for (;;) {
		/* Looks at stop twice a second: a server stopping ends the
		 * child rather than waiting for a long dump. */
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		int pr = poll(&p, 1, 500);
		if (pr == 0 || (pr < 0 && errno == EINTR)) {
			if (!stopped && stop && stop()) {
				stopped = true;
				kill(pid, SIGTERM);
			}
			continue;
		}
		r = read(pfd[0], drain, sizeof drain);
		if (r == 0)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		size_t take = (size_t)r;
		if (take > STDERR_KEEP - kept)
			take = STDERR_KEEP - kept;
		memcpy(keep + kept, drain, take);
		kept += take;
	}
	close(pfd[0]);
	keep[kept] = 0;
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (stopped)
		return atr_fail(err, ATR_E_UNAVAILABLE, "%s stopped: the server "
				"is stopping", argv[0]),
		       -2;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* The first line that says something: "pg_dump: error: ...". */
	char *line = keep;
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = 0;
	if (WIFSIGNALED(status))
		return atr_fail(err, ATR_E_INTERNAL, "%s was killed by signal %d",
				argv[0], WTERMSIG(status));
	return atr_fail(err, ATR_E_INTERNAL, "%s failed (exit %d): %s",
			argv[0], WEXITSTATUS(status),
			line[0] ? line : "no message");
}
