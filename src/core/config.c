/* config.c — the option table and its four sources. */
#include "atrium.h"

#include <ctype.h>
#include <errno.h>
#include <unistd.h>

#include "core/config.h"

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL };

struct option_row {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *def; /* NULL: unset */
	int min, max;    /* for OPT_INT */
};

#define S(f) OPT_STR, offsetof(struct config, f)
#define I(f) OPT_INT, offsetof(struct config, f)
#define B(f) OPT_BOOL, offsetof(struct config, f)

static const struct option_row config_options[] = {
	{"listen", S(listen), "127.0.0.1:8080", 0, 0},
	{"db", S(db), "sqlite:./var/atrium.db", 0, 0},
	{"public_url", S(public_url), NULL, 0, 0},
	{"master_key_file", S(master_key_file), "./var/master.key", 0, 0},
	/* Where log retention writes its archive files (admin/retention.h). */
	{"archive_dir", S(archive_dir), "./var/archive", 0, 0},
	{"metrics_token", S(metrics_token), NULL, 0, 0},
	/* 0: chosen for the database (config_auto_size). */
	{"threads", I(threads), "0", 0, 1024},
	{"db_pool", I(db_pool), "0", 0, 1024},
	{"db_connect_timeout_seconds", I(db_connect_timeout_seconds), "5", 2,
	 300},
	{"db_statement_timeout_ms", I(db_statement_timeout_ms), "30000", 0,
	 3600000},
	{"db_acquire_timeout_ms", I(db_acquire_timeout_ms), "5000", 10,
	 600000},
	/* SQLite: concurrent transactions share one COMMIT (db/db_group.c). */
	{"sqlite_group_commit", B(sqlite_group_commit), "true", 0, 0},
	{"queue_timeout_ms", I(queue_timeout_ms), "10000", 10, 600000},
	{"slow_client_timeout_seconds", I(slow_client_timeout_seconds), "10",
	 1, 3600},
	{"max_body_bytes", I(max_body_bytes), "1048576", 1024, 64 << 20},
	/* An upload route's body (ROUTE_RAW_BODY), spooled to disk. */
	{"max_upload_bytes", I(max_upload_bytes), "33554432", 1024, 1 << 30},
	{"conn_limit", I(conn_limit), "1024", 1, 100000},
	{"per_ip_conn_limit", I(per_ip_conn_limit), "64", 1, 100000},
	{"conn_timeout_seconds", I(conn_timeout_seconds), "30", 1, 3600},
	{"login_max_failures", I(login_max_failures), "5", 1, 1000},
	{"login_ip_max_failures", I(login_ip_max_failures), "50", 1, 100000},
	{"email_retry_base_ms", I(email_retry_base_ms), "30000", 10, 3600000},
	{"webhook_retry_base_ms", I(webhook_retry_base_ms), "60000", 10,
	 3600000},
	{"job_workers", I(job_workers), "4", 1, 64},
	{"scheduler", B(scheduler), "true", 0, 0},
	{"scheduler_lease_ms", I(scheduler_lease_ms), "30000", 1000, 600000},
	{"housekeeping_interval_ms", I(housekeeping_interval_ms), "60000", 1000,
	 86400000},
	/* 0 / -1: sized from the cores and threads (auth/password.h). */
	{"hash_workers", I(hash_workers), "0", 0, 1024},
	{"hash_queue", I(hash_queue), "-1", -1, 100000},
	{"smtp_test_timeout_seconds", I(smtp_test_timeout_seconds), "5", 1,
	 60},
	{"health_cache_ms", I(health_cache_ms), "10000", 0, 600000},
	{"trust_proxy", B(trust_proxy), "false", 0, 0},
	{"trusted_proxies", S(trusted_proxies), NULL, 0, 0},
	{"reuse_port", B(reuse_port), "false", 0, 0},
	{"drain_ms", I(drain_ms), "0", 0, 60000},
	{"metrics_open", B(metrics_open), "false", 0, 0},
	{"webhook_allow_private", B(webhook_allow_private), "false", 0, 0},
	{"api_tokens_for_admins", B(api_tokens_for_admins), "false", 0, 0},
};

bool config_known(const char *name)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(config_options); i++)
		if (strcmp(config_options[i].name, name) == 0)
			return true;
	return false;
}

static int set_opt(struct config *cfg, const struct option_row *o,
		   const char *val, const char *source, struct atr_err *err)
{
	char *base = (char *)cfg + o->offset;
	switch (o->type) {
	case OPT_STR: {
		char **p = (char **)base;
		free(*p);
		*p = val ? xstrdup(val) : NULL;
		return 0;
	}
	case OPT_INT: {
		int64_t v;
		if (atr_parse_i64(val, &v) < 0 || v < o->min || v > o->max)
			return atr_fail(err, ATR_E_INVALID,
					"%s: '%s' must be an integer in "
					"%d..%d (from %s)",
					o->name, val, o->min, o->max, source);
		*(int *)base = (int)v;
		return 0;
	}
	case OPT_BOOL:
		if (!strcmp(val, "true") || !strcmp(val, "1") ||
		    !strcmp(val, "yes") || !strcmp(val, "on"))
			*(bool *)base = true;
		else if (!strcmp(val, "false") || !strcmp(val, "0") ||
			 !strcmp(val, "no") || !strcmp(val, "off"))
			*(bool *)base = false;
		else
			return atr_fail(err, ATR_E_INVALID,
					"%s: '%s' must be true or false "
					"(from %s)",
					o->name, val, source);
		return 0;
	}
	return -1;
}

static const struct option_row *find(const char *name)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(config_options); i++)
		if (strcmp(config_options[i].name, name) == 0)
			return &config_options[i];
	return NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int load_file(struct config *cfg, const char *file,
		     struct atr_err *err)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return atr_fail(err, ATR_E_INVALID, "cannot open config '%s': %s",
				file, strerror(errno));
	char line[4096];
	int lineno = 0, rc = 0;
	while (!rc && fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = atr_fail(err, ATR_E_INVALID,
				      "%s:%d: expected 'key = value'", file,
				      lineno);
			break;
		}
		*eq = 0;
		char *key = trim(s), *val = trim(eq + 1);
		const struct option_row *o = find(key);
		if (!o) {
			rc = atr_fail(err, ATR_E_INVALID,
				      "%s:%d: unknown option '%s'", file,
				      lineno, key);
			break;
		}
		rc = set_opt(cfg, o, val, file, err);
	}
	fclose(f);
	return rc;
}

int config_load(struct config *cfg, const char *file,
		const struct config_override *ov, int nov, struct atr_err *err)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < ATR_ARRAY_LEN(config_options); i++) {
		const struct option_row *o = &config_options[i];
		if (o->def && set_opt(cfg, o, o->def, "default", err) < 0)
			return -1;
	}
	if (file && load_file(cfg, file, err) < 0)
		return -1;
	if (file) {
		char *abs = realpath(file, NULL);
		cfg->config_file = abs ? abs : xstrdup(file);
	}
	for (size_t i = 0; i < ATR_ARRAY_LEN(config_options); i++) {
		const struct option_row *o = &config_options[i];
		char env[96] = "ATRIUM_";
		size_t n = 7;
		for (const char *p = o->name; *p && n < sizeof env - 1; p++)
			env[n++] = (char)toupper((unsigned char)*p);
		env[n] = 0;
		const char *v = getenv(env);
		if (v && set_opt(cfg, o, v, env, err) < 0)
			return -1;
	}
	for (int i = 0; i < nov; i++) {
		const struct option_row *o = find(ov[i].key);
		ATR_ASSERT(o);
		if (set_opt(cfg, o, ov[i].value, "command line", err) < 0)
			return -1;
	}
	if (!cfg->public_url)
		cfg->public_url = xasprintf("http://%s", cfg->listen);
	size_t ul = strlen(cfg->public_url);
	if (ul && cfg->public_url[ul - 1] == '/')
		cfg->public_url[ul - 1] = 0;
	cfg->secure_cookies = strncmp(cfg->public_url, "https://", 8) == 0;
	return 0;
}

void config_auto_size(struct config *cfg, bool blocking_db)
{
	/* Measured (bench/README.md): SQLite calls are short and CPU-bound,
	 * so one worker per core keeps the tail low (p99 7.6 ms at 64
	 * connections against 17-24 ms with 16); PostgreSQL calls wait on
	 * the network, so many more workers than cores keep the CPU busy.
	 * With SQLite group commit (issue 18) the workers run only writes
	 * (reads stay on the I/O threads), and a write waits for its group's
	 * fsync: 16 let groups form (POST 715 -> 2,401 req/s at 64
	 * connections where 2 workers gave 867). */
	if (cfg->threads == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		cfg->threads = blocking_db || cfg->sqlite_group_commit
				       ? 16
				       : (int)(cores > 2 ? cores : 2);
	}
	/* + the job runner's workers, its coordinator and the scheduler:
	 * each holds a connection only for a short statement, never across
	 * a handler's network I/O. */
	if (cfg->db_pool == 0)
		cfg->db_pool = cfg->threads + cfg->job_workers + 2;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < ATR_ARRAY_LEN(config_options); i++) {
		const struct option_row *o = &config_options[i];
		if (o->type == OPT_STR) {
			char **p = (char **)((char *)cfg + o->offset);
			free(*p);
			*p = NULL;
		}
	}
	free(cfg->config_file);
	cfg->config_file = NULL;
}
