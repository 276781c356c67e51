/* config.h — settings of the process (not of the organisation).
 *
 * Every option is one row of config_options[] in config.c: its name, type,
 * default and help. Sources, strongest first: command-line flags,
 * ATRIUM_<NAME> environment variables, the config file (`key = value`
 * lines, # comments), the defaults. To add an option: a field here, a row
 * there, a line in README's table.
 */
#ifndef ATR_CONFIG_H
#define ATR_CONFIG_H

#include "atrium.h"

struct config {
	char *listen;            /* host:port */
	char *db;                /* database URL */
	char *public_url;        /* base of links we print and mail */
	char *master_key_file;
	char *archive_dir;       /* log retention's archive files */
	char *metrics_token;     /* NULL: /metrics needs loopback or metrics_open */
	int threads;             /* request workers */
	int db_pool;
	int db_connect_timeout_seconds;
	int db_statement_timeout_ms;
	int db_acquire_timeout_ms;
	bool sqlite_group_commit; /* SQLite: one COMMIT for concurrent writers */
	int queue_timeout_ms;    /* waiting for a free worker, then 503 */
	int slow_client_timeout_seconds; /* under pressure, see server.c */
	int max_body_bytes;
	int max_upload_bytes; /* an upload route's body (http/upload.h) */
	int conn_limit;
	int per_ip_conn_limit;
	int conn_timeout_seconds;
	int login_max_failures;  /* per account, before the delay grows */
	int login_ip_max_failures;
	int email_retry_base_ms; /* email queue backoff base (tests: small) */
	int webhook_retry_base_ms; /* webhook delivery backoff base */
	bool webhook_allow_private; /* deliver to loopback/private addresses */
	bool api_tokens_for_admins; /* API tokens may belong to admins */
	int job_workers;         /* threads that run jobs (src/jobs/) */
	bool scheduler;          /* serve runs the scheduler (cron) itself */
	int scheduler_lease_ms;  /* the scheduler's database lease */
	int housekeeping_interval_ms; /* the housekeeping task's period */
	int hash_workers;        /* argon2 at once; 0: auto (auth/password.h) */
	int hash_queue;          /* argon2 waiting beyond; -1: auto */
	int smtp_test_timeout_seconds; /* Send Test Email, in all */
	int health_cache_ms;     /* a node recomputes its health report at
				  * most this often (0: at every ask) */
	bool trust_proxy;
	char *trusted_proxies;   /* with trust_proxy: proxies besides loopback
				  * (addresses, CIDR ranges; http/proxy_nets.h) */
	bool reuse_port;         /* share the port with other processes */
	int drain_ms;            /* on SIGTERM: /readyz fails and every answer
				  * closes its connection this long before the
				  * node stops accepting (a load balancer's
				  * health check takes it out first) */
	bool metrics_open;       /* /metrics to anyone when no token is set */
	bool secure_cookies;     /* derived: public_url is https */
	char *config_file;       /* the --config file, as an absolute path
				  * (what `atrium cron` is to be given), or
				  * NULL when none was read */
};

/* One `--flag value` given on the command line, by option name. */
struct config_override {
	const char *key;
	const char *value;
};

/* Fills cfg from defaults, file (may be NULL), environment, overrides.
 * Returns 0, or -1 with a message naming the bad key in err. */
int config_load(struct config *cfg, const char *file,
		const struct config_override *ov, int nov, struct atr_err *err);
void config_free(struct config *cfg);
/* Fills threads and db_pool left at 0 ("auto") for the database: one
 * worker per core for SQLite, 16 when database calls block on the network
 * (PostgreSQL). */
void config_auto_size(struct config *cfg, bool blocking_db);
/* True when name is a known option. */
bool config_known(const char *name);

#endif
