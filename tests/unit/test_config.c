/* test_config.c — core/config.c: defaults, file, environment, flags. */
#include "atrium.h"

#include "core/config.h"
#include "unit.h"

#include <unistd.h>

extern char **environ;

/* The ATRIUM_* variables of the caller's environment, set aside while a
 * test runs so the defaults are really the defaults. ATRIUM_TEST_* belong
 * to the test harness and stay. */
struct saved_env {
	char *vars[64];
	int n;
};

static void env_clear(struct saved_env *s)
{
	s->n = 0;
	for (;;) {
		char **e = environ;
		while (*e && (strncmp(*e, "ATRIUM_", 7) != 0 ||
			      strncmp(*e, "ATRIUM_TEST_", 12) == 0))
			e++;
		if (!*e || s->n >= (int)ATR_ARRAY_LEN(s->vars))
			break;
		char *copy = xstrdup(*e);
		s->vars[s->n++] = copy;
		char *eq = strchr(copy, '=');
		char *name = xstrndup(copy, eq ? (size_t)(eq - copy)
					       : strlen(copy));
		unsetenv(name);
		free(name);
	}
}

static void env_restore(struct saved_env *s)
{
	for (int i = 0; i < s->n; i++) {
		char *eq = strchr(s->vars[i], '=');
		if (eq) {
			*eq = 0;
			setenv(s->vars[i], eq + 1, 1);
		}
		free(s->vars[i]);
	}
	s->n = 0;
}

/* Writes text to a new config file; returns its path (free it, and
 * remove it with unit_rmtree on its directory). */
struct cfgfile {
	char *dir, *path;
};

static bool write_cfg(struct cfgfile *f, const char *text)
{
	f->dir = unit_tmpdir();
	f->path = NULL;
	if (!f->dir)
		return false;
	f->path = xasprintf("%s/atrium.conf", f->dir);
	FILE *fp = fopen(f->path, "w");
	if (!fp) {
		FAILF("cannot write %s", f->path);
		return false;
	}
	fputs(text, fp);
	fclose(fp);
	return true;
}

static void drop_cfg(struct cfgfile *f)
{
	if (f->dir)
		unit_rmtree(f->dir);
	free(f->dir);
	free(f->path);
}

TEST(config_defaults)
{
	struct saved_env se;
	env_clear(&se);
	struct config cfg;
	struct atr_err err = {0};
	if (CHECK_EQ_INT(config_load(&cfg, NULL, NULL, 0, &err), 0)) {
		CHECK_STR(cfg.listen, "127.0.0.1:8080");
		CHECK_STR(cfg.db, "sqlite:./var/atrium.db");
		CHECK_STR(cfg.public_url, "http://127.0.0.1:8080");
		CHECK_STR(cfg.master_key_file, "./var/master.key");
		CHECK(cfg.metrics_token == NULL);
		CHECK_EQ_INT(cfg.threads, 0); /* auto: sized for the database */
		CHECK_EQ_INT(cfg.db_pool, 0);
		CHECK_EQ_INT(cfg.max_body_bytes, 1048576);
		CHECK_EQ_INT(cfg.max_upload_bytes, 33554432);
		CHECK_EQ_INT(cfg.conn_limit, 1024);
		CHECK_EQ_INT(cfg.per_ip_conn_limit, 64);
		CHECK_EQ_INT(cfg.conn_timeout_seconds, 30);
		CHECK_EQ_INT(cfg.login_max_failures, 5);
		CHECK_EQ_INT(cfg.login_ip_max_failures, 50);
		CHECK(!cfg.trust_proxy);
		CHECK(!cfg.secure_cookies);
	}
	config_free(&cfg);
	CHECK(cfg.listen == NULL);
	CHECK(config_known("threads"));
	CHECK(config_known("public_url"));
	CHECK(!config_known("secure_cookies")); /* derived, not settable */
	CHECK(!config_known("Threads"));
	CHECK(!config_known(""));
	env_restore(&se);
}

TEST(config_file)
{
	struct saved_env se;
	env_clear(&se);
	struct cfgfile f;
	if (!write_cfg(&f, "# Atrium settings\n"
			   "\n"
			   "listen = 0.0.0.0:9000\n"
			   "   threads=4   \n"
			   "\t# indented comment\n"
			   "trust_proxy = yes\n"
			   "metrics_token = s3cret = with equals\n"
			   "public_url = https://crm.example.com/\n"
			   "db_pool = 8"))
		goto out;
	struct config cfg;
	struct atr_err err = {0};
	if (CHECK_EQ_INT(config_load(&cfg, f.path, NULL, 0, &err), 0)) {
		CHECK_STR(cfg.listen, "0.0.0.0:9000");
		CHECK_EQ_INT(cfg.threads, 4);
		CHECK_EQ_INT(cfg.db_pool, 8); /* last line, no newline */
		CHECK(cfg.trust_proxy);
		CHECK_STR(cfg.metrics_token, "s3cret = with equals");
		CHECK_STR(cfg.public_url, "https://crm.example.com");
		CHECK(cfg.secure_cookies);
		CHECK_STR(cfg.master_key_file, "./var/master.key"); /* default */
	} else {
		FAILF("config_load: %s", err.msg);
	}
	config_free(&cfg);
out:
	drop_cfg(&f);
	env_restore(&se);
}

/* Loading must fail with a message containing each of want[]. */
static void file_error(const char *text, const char *want1,
		       const char *want2, int line)
{
	struct cfgfile f;
	if (!write_cfg(&f, text))
		goto out;
	struct config cfg;
	struct atr_err err = {0};
	int rc = config_load(&cfg, f.path, NULL, 0, &err);
	char where[512];
	snprintf(where, sizeof where, "%s:%s", f.path, want1);
	if (rc != -1 || err.kind != ATR_E_INVALID)
		unit_failf(__FILE__, line, "config_load accepted: %s", text);
	else if (!strstr(err.msg, where) || (want2 && !strstr(err.msg, want2)))
		unit_failf(__FILE__, line,
			   "message \"%s\" lacks \"%s\" or \"%s\"", err.msg,
			   where, want2 ? want2 : "");
	config_free(&cfg);
out:
	drop_cfg(&f);
}

TEST(config_file_errors)
{
	struct saved_env se;
	env_clear(&se);
	file_error("# ok\nthreads = 4\ncolour = blue\n", "3:",
		   "unknown option 'colour'", __LINE__);
	file_error("listen 127.0.0.1:1\n", "1:", "key = value", __LINE__);

	/* Value errors name the option, the value and the file. */
	struct cfgfile f;
	struct config cfg;
	struct atr_err err = {0};
	static const char *const bad[][2] = {
		{"threads = many\n", "many"},
		{"threads = 4x\n", "4x"},
		{"threads = -1\n", "'-1'"},
		{"threads = 1025\n", "1025"},
		{"threads =\n", "threads"},
		{"max_body_bytes = 99999999999999999999\n", "max_body_bytes"},
		{"max_upload_bytes = 1023\n", "max_upload_bytes"},
		{"max_upload_bytes = 1073741825\n", "max_upload_bytes"},
		{"trust_proxy = maybe\n", "maybe"},
	};
	for (size_t i = 0; i < ATR_ARRAY_LEN(bad); i++) {
		if (!write_cfg(&f, bad[i][0]))
			break;
		atr_err_clear(&err);
		int rc = config_load(&cfg, f.path, NULL, 0, &err);
		if (rc != -1 || !strstr(err.msg, bad[i][1]) ||
		    !strstr(err.msg, f.path))
			FAILF("%s: rc %d, message \"%s\"", bad[i][0], rc,
			      err.msg);
		config_free(&cfg);
		drop_cfg(&f);
	}

	atr_err_clear(&err);
	CHECK_EQ_INT(config_load(&cfg, "/nonexistent/atrium.conf", NULL, 0,
				 &err),
		     -1);
	CHECK_CONTAINS(err.msg, "/nonexistent/atrium.conf");
	config_free(&cfg);
	env_restore(&se);
}

TEST(config_environment)
{
	struct saved_env se;
	env_clear(&se);
	struct config cfg;
	struct atr_err err = {0};
	setenv("ATRIUM_THREADS", "7", 1);
	setenv("ATRIUM_PUBLIC_URL", "https://env.example.com", 1);
	setenv("ATRIUM_TRUST_PROXY", "on", 1);
	setenv("ATRIUM_METRICS_TOKEN", "tok", 1);
	if (CHECK_EQ_INT(config_load(&cfg, NULL, NULL, 0, &err), 0)) {
		CHECK_EQ_INT(cfg.threads, 7);
		CHECK_STR(cfg.public_url, "https://env.example.com");
		CHECK(cfg.secure_cookies);
		CHECK(cfg.trust_proxy);
		CHECK_STR(cfg.metrics_token, "tok");
	}
	config_free(&cfg);

	setenv("ATRIUM_THREADS", "lots", 1);
	atr_err_clear(&err);
	CHECK_EQ_INT(config_load(&cfg, NULL, NULL, 0, &err), -1);
	CHECK_CONTAINS(err.msg, "ATRIUM_THREADS");
	CHECK_CONTAINS(err.msg, "lots");
	config_free(&cfg);
	unsetenv("ATRIUM_THREADS");
	unsetenv("ATRIUM_PUBLIC_URL");
	unsetenv("ATRIUM_TRUST_PROXY");
	unsetenv("ATRIUM_METRICS_TOKEN");
	env_restore(&se);
}

TEST(config_precedence)
{
	struct saved_env se;
	env_clear(&se);
	struct cfgfile f;
	if (!write_cfg(&f, "threads = 4\nlisten = 10.0.0.1:1000\n"
			   "db_pool = 3\nmetrics_token = from-file\n"))
		goto out;
	struct config cfg;
	struct atr_err err = {0};

	/* file > default */
	if (CHECK_EQ_INT(config_load(&cfg, f.path, NULL, 0, &err), 0)) {
		CHECK_EQ_INT(cfg.threads, 4);
		CHECK_STR(cfg.listen, "10.0.0.1:1000");
	}
	config_free(&cfg);

	/* env > file */
	setenv("ATRIUM_THREADS", "7", 1);
	setenv("ATRIUM_LISTEN", "10.0.0.2:2000", 1);
	if (CHECK_EQ_INT(config_load(&cfg, f.path, NULL, 0, &err), 0)) {
		CHECK_EQ_INT(cfg.threads, 7);
		CHECK_STR(cfg.listen, "10.0.0.2:2000");
		CHECK_EQ_INT(cfg.db_pool, 3);     /* file, no env */
		CHECK_STR(cfg.metrics_token, "from-file"); /* file, no env */
	}
	config_free(&cfg);

	/* flags > env > file > default */
	const struct config_override ov[] = {
		{"threads", "9"},
		{"listen", "10.0.0.3:3000"},
	};
	if (CHECK_EQ_INT(config_load(&cfg, f.path, ov, 2, &err), 0)) {
		CHECK_EQ_INT(cfg.threads, 9);
		CHECK_STR(cfg.listen, "10.0.0.3:3000");
		CHECK_EQ_INT(cfg.db_pool, 3);
		CHECK_EQ_INT(cfg.conn_limit, 1024);
		/* Derived from the listen address that won. */
		CHECK_STR(cfg.public_url, "http://10.0.0.3:3000");
		CHECK(!cfg.secure_cookies);
	}
	config_free(&cfg);

	/* A bad flag is reported as coming from the command line. */
	const struct config_override bad[] = {{"threads", "-1"}};
	atr_err_clear(&err);
	CHECK_EQ_INT(config_load(&cfg, f.path, bad, 1, &err), -1);
	CHECK_CONTAINS(err.msg, "command line");
	config_free(&cfg);
	unsetenv("ATRIUM_THREADS");
	unsetenv("ATRIUM_LISTEN");
out:
	drop_cfg(&f);
	env_restore(&se);
}

TEST(config_public_url)
{
	struct saved_env se;
	env_clear(&se);
	struct config cfg;
	struct atr_err err = {0};
	const struct config_override listen[] = {{"listen", "0.0.0.0:9999"}};
	if (CHECK_EQ_INT(config_load(&cfg, NULL, listen, 1, &err), 0)) {
		CHECK_STR(cfg.public_url, "http://0.0.0.0:9999");
		CHECK(!cfg.secure_cookies);
	}
	config_free(&cfg);

	const struct config_override https[] = {
		{"public_url", "https://crm.example.com/"}};
	if (CHECK_EQ_INT(config_load(&cfg, NULL, https, 1, &err), 0)) {
		CHECK_STR(cfg.public_url, "https://crm.example.com");
		CHECK(cfg.secure_cookies);
		CHECK_STR(cfg.listen, "127.0.0.1:8080");
	}
	config_free(&cfg);

	const struct config_override http[] = {
		{"public_url", "http://crm.example.com:8080/crm"}};
	if (CHECK_EQ_INT(config_load(&cfg, NULL, http, 1, &err), 0)) {
		CHECK_STR(cfg.public_url, "http://crm.example.com:8080/crm");
		CHECK(!cfg.secure_cookies);
	}
	config_free(&cfg);
	env_restore(&se);
}

TEST(config_auto_size)
{
	struct config cfg = {.job_workers = 4};
	config_auto_size(&cfg, true);
	CHECK_EQ_INT(cfg.threads, 16); /* PostgreSQL: calls block */
	CHECK_EQ_INT(cfg.db_pool, 22); /* + job workers, coordinator, scheduler */
	struct config lite = {0};
	config_auto_size(&lite, false);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	CHECK_EQ_INT(lite.threads, cores > 2 ? cores : 2); /* one per core */
	/* SQLite with group commit: writes wait for their group's fsync. */
	struct config grouped = {.sqlite_group_commit = true};
	config_auto_size(&grouped, false);
	CHECK_EQ_INT(grouped.threads, 16);
	struct config set = {.threads = 5, .db_pool = 7};
	config_auto_size(&set, false);
	CHECK_EQ_INT(set.threads, 5); /* explicit values stay */
	CHECK_EQ_INT(set.db_pool, 7);
}
