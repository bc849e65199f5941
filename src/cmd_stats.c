/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_stats.c: `tlslogd stats`: what the database holds and how far the
 * daemon's sources are read: its size, the events per kind with the first
 * and last, and per source the file it follows, the bytes still unread and
 * the counters `tlslogd run` keeps (lines read, cut, about TLS or AUTH but
 * known to no rule). Read-only, like query.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "log.h"
#include "output.h"
#include "reportdb.h"
#include "timeparse.h"
#include "util.h"
#include "writerlock.h"

static const char stats_usage[] =
    "usage: tlslogd stats [--server NAME] [--format table|json] [-n] [-c FILE]\n"
    "                     [--db PATH]\n"
    "\n"
    "Print the database's size, its events per kind, and for each source of\n"
    "tlslogd run the file it reads, how many bytes of it are still unread, and\n"
    "its counters: lines read, lines cut for their length, and lines about TLS\n"
    "or AUTH that no rule knows (see tlslogd test-rules --missed). On PostgreSQL\n"
    "the sources are those of every server, each named.\n"
    "\n"
    "      --server NAME    only the events this server logged (case-insensitive);\n"
    "                       on PostgreSQL only the sources this tlslogd host reads\n"
    "  -f, --format FMT     table (default) or json\n"
    "  -n, --check          check the options, configuration and database, then exit\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

static int64_t
file_size(const char *path)
{
	struct stat sb;

	return path != NULL && stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

static void
put_time(struct buf *out, int64_t t, int json)
{
	char iso[40];

	timeparse_format_iso(t, iso, sizeof(iso));
	buf_printf(out, json ? "\"%s\"" : "%s", iso);
}

static void
put_string(struct buf *out, const char *s, int json)
{
	if (s == NULL) {
		buf_puts(out, json ? "null" : "-");
		return;
	}
	if (json) {
		output_escape_json(out, s, strlen(s));	/* quotes included */
	} else {
		output_escape_text(out, s, strlen(s));
	}
}

struct kind_count {
	char *kind;
	int64_t count;
	int64_t last;
};

static void
free_kinds(struct kind_count *kinds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(kinds[i].kind);
	free(kinds);
}

static int
by_count(const void *a, const void *b)
{
	const struct kind_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->kind, y->kind);
}

/*
 * The events per kind, most first, with the time of the last. One pass over
 * the events_time index (time, kind), which holds both, counted here: GROUP
 * BY would sort every event, or need an index of its own on kind, which
 * every stored event would pay for (schema 6 dropped it). PostgreSQL
 * counts per kind on its side (reportdb_kind_times).
 */
static int
count_kinds(struct reportdb *db, const char *server, struct kind_count **out, size_t *nout)
{
	struct reportdb_rows *s = reportdb_kind_times(db, server);
	struct kind_count *kinds = NULL;
	size_t n = 0, last_hit = 0;
	int rc = -1;

	if (s == NULL)
		return -1;
	while ((rc = reportdb_next(s)) == 1) {
		const char *kind = reportdb_text(s, 0, NULL);
		int64_t t = reportdb_int(s, 1);
		size_t i = last_hit;

		if (kind == NULL)
			kind = "-";
		if (i >= n || strcmp(kinds[i].kind, kind) != 0) {
			for (i = 0; i < n && strcmp(kinds[i].kind, kind) != 0; i++)
				;
			if (i == n) {
				kinds = xreallocarray(kinds, n + 1, sizeof(*kinds));
				kinds[n].kind = xstrdup(kind);
				kinds[n].count = 0;
				kinds[n].last = t;
				n++;
			}
			last_hit = i;
		}
		kinds[i].count += reportdb_int(s, 2);
		if (t > kinds[i].last)
			kinds[i].last = t;
	}
	reportdb_rows_free(s);
	if (rc != 0) {
		free_kinds(kinds, n);
		return -1;
	}
	if (n > 1)
		qsort(kinds, n, sizeof(*kinds), by_count);
	*out = kinds;
	*nout = n;
	return 0;
}

/* The most recent losses listed one by one; the rest are counted. */
#define LOSSES_LISTED 10

/*
 * Text that was never read (sql/007-file-lineage.sql): how many files, and
 * the latest of them with the bytes and why. A database older than schema 7
 * has none to tell.
 */
static int
report_losses(struct reportdb *db, const char *server, int json, struct buf *out)
{
	int rc, n = 0, absent;
	struct reportdb_rows *s = reportdb_losses(db, server, LOSSES_LISTED, &absent);

	if (s == NULL) {
		if (!absent)
			return -1;
		if (json)
			buf_puts(out, ",\n  \"losses\": {\"count\": 0, \"latest\": []}");
		return 0;
	}
	while ((rc = reportdb_next(s)) == 1) {
		int64_t total = reportdb_int(s, 5);
		int has_end = !reportdb_null(s, 3);

		if (n == 0 && json)
			buf_printf(out, ",\n  \"losses\": {\"count\": %lld, \"latest\": [",
			    (long long)total);
		else if (n == 0)
			buf_printf(out, "text never read (the file was gone or unreadable when its "
			    "turn came): %lld file%s\n", (long long)total, total == 1 ? "" : "s");
		if (json) {
			buf_puts(out, n ? ",\n    {\"time\": " : "\n    {\"time\": ");
			put_time(out, reportdb_int(s, 0), 1);
			buf_puts(out, ", \"path\": ");
			put_string(out, reportdb_text(s, 1, NULL), 1);
			buf_printf(out, ", \"from\": %lld, \"to\": ",
			    (long long)reportdb_int(s, 2));
			if (has_end) buf_printf(out, "%lld", (long long)reportdb_int(s, 3));
			else buf_puts(out, "null");
			buf_puts(out, ", \"reason\": ");
			put_string(out, reportdb_text(s, 4, NULL), 1);
			buf_putc(out, '}');
		} else {
			buf_puts(out, "  ");
			put_time(out, reportdb_int(s, 0), 0);
			buf_puts(out, "  ");
			put_string(out, reportdb_text(s, 1, NULL), 0);
			buf_printf(out, " from byte %lld", (long long)reportdb_int(s, 2));
			if (has_end)
				buf_printf(out, " to %lld", (long long)reportdb_int(s, 3));
			else
				buf_puts(out, " to its end");
			buf_puts(out, ": ");
			put_string(out, reportdb_text(s, 4, NULL), 0);
			buf_putc(out, '\n');
		}
		n++;
	}
	reportdb_rows_free(s);
	if (rc != 0)
		return -1;
	if (json)
		buf_puts(out, n ? "\n  ]}" : ",\n  \"losses\": {\"count\": 0, \"latest\": []}");
	return 0;
}

/*
 * The database's size: its file and write-ahead log, or what PostgreSQL
 * says; and the daemon that writes an SQLite file, if one runs
 * (writerlock.h). A PostgreSQL database has a daemon per server: its
 * sources say which (*holder 0, nothing printed).
 */
static void
db_size(struct reportdb *db, const char *path, int64_t *bytes, int64_t *wal, pid_t *holder,
    int *holder_errno)
{
	if (reportdb_is_postgresql(db)) {
		*bytes = reportdb_server_bytes(db);
		*wal = -1;
		*holder = 0;
		*holder_errno = 0;
		return;
	}
	char *walpath = xasprintf("%s-wal", path);
	*bytes = file_size(path);
	*wal = file_size(walpath);
	free(walpath);
	*holder = writerlock_holder(path);
	*holder_errno = errno;
}

static int
report(struct reportdb *db, const char *server, int json, struct buf *out)
{
	struct reportdb_rows *s = NULL;
	const char *path = reportdb_path(db);	/* a URI's password masked */
	int pg = reportdb_is_postgresql(db);
	int64_t total = 0, first = 0, last = 0, bytes, wal;
	int rc, absent, holder_errno;
	pid_t holder;

	/* Database */
	db_size(db, path, &bytes, &wal, &holder, &holder_errno);
	if (reportdb_event_span(db, server, &total, &first, &last) < 0)
		goto fail;
	if (json) {
		buf_puts(out, "{\n  \"database\": {\"path\": ");
		put_string(out, path, 1);
		buf_printf(out, ", \"bytes\": %lld, \"wal_bytes\": %lld, \"daemon_pid\": ",
		    (long long)bytes, (long long)(wal < 0 ? 0 : wal));
		if (holder > 0) buf_printf(out, "%ld},\n", (long)holder); else buf_puts(out, "null},\n");
		buf_printf(out, "  \"events\": {\"total\": %lld, \"first\": ", (long long)total);
		if (total) put_time(out, first, 1); else buf_puts(out, "null");
		buf_puts(out, ", \"last\": ");
		if (total) put_time(out, last, 1); else buf_puts(out, "null");
		buf_puts(out, ", \"by_kind\": {");
	} else {
		buf_puts(out, "database  ");
		put_string(out, path, 0);
		buf_printf(out, "  %.1f MB", (double)bytes / 1e6);
		if (wal > 0)
			buf_printf(out, " (+ %.1f MB write-ahead log)", (double)wal / 1e6);
		if (holder > 0)
			buf_printf(out, "\ndaemon    tlslogd run, pid %ld", (long)holder);
		else if (holder == 0 && !pg)
			buf_puts(out, "\ndaemon    none running");
		else if (holder < 0)
			buf_printf(out, "\ndaemon    unknown (%s.lock: %s)", path, strerror(holder_errno));
		buf_printf(out, "\nevents    %lld", (long long)total);
		if (server != NULL) {
			buf_puts(out, " logged by ");
			put_string(out, server, 0);
		}
		if (total) {
			buf_puts(out, ", from ");
			put_time(out, first, 0);
			buf_puts(out, " to ");
			put_time(out, last, 0);
		}
		buf_putc(out, '\n');
	}

	/* Events per kind */
	struct kind_count *kinds = NULL;
	size_t nkinds = 0;
	if (count_kinds(db, server, &kinds, &nkinds) < 0)
		goto fail;
	for (size_t i = 0; i < nkinds; i++) {
		const struct kind_count *k = &kinds[i];
		if (json) {
			buf_puts(out, i ? ", " : "");
			put_string(out, k->kind, 1);
			buf_printf(out, ": %lld", (long long)k->count);
		} else {
			buf_puts(out, "  ");
			char cell[64];
			snprintf(cell, sizeof(cell), "%s", k->kind);
			output_pad(out, cell, strlen(cell), 28);
			buf_printf(out, " %10lld   last ", (long long)k->count);
			put_time(out, k->last, 0);
			buf_putc(out, '\n');
		}
	}
	free_kinds(kinds, nkinds);
	buf_puts(out, json ? "}},\n  \"sources\": [" : "");

	/* Sources of the daemon */
	int n = 0;
	rc = 0;
	/* A database of schema 1 (never written by this tlslogd) has no sources table. */
	if ((s = reportdb_sources(db, server, &absent)) == NULL && !absent)
		goto fail;
	while (s != NULL && (rc = reportdb_next(s)) == 1) {
		const char *name = reportdb_text(s, 0, NULL);
		const char *fpath = reportdb_text(s, 1, NULL);
		int64_t offset = reportdb_int(s, 2);
		const char *cursor = reportdb_text(s, 3, NULL);
		/* PostgreSQL's: the server that reads it; its files are on that host, not here. */
		const char *reader = reportdb_text(s, 8, NULL);
		int64_t size = reader == NULL ? file_size(name) : -1;
		/* Behind: only when the name still leads to the file it read. */
		int64_t behind = fpath != NULL && size >= 0 ? size - offset : -1;

		if (json) {
			buf_puts(out, n ? ",\n    {" : "\n    {");
			if (pg) {
				buf_puts(out, "\"server\": ");
				put_string(out, reader, 1);
				buf_puts(out, ", ");
			}
			buf_puts(out, "\"name\": ");
			put_string(out, name, 1);
			buf_puts(out, ", \"file\": ");
			put_string(out, fpath, 1);
			buf_printf(out, ", \"offset\": %lld, \"behind\": ", (long long)offset);
			if (behind >= 0) buf_printf(out, "%lld", (long long)behind); else buf_puts(out, "null");
			buf_puts(out, ", \"cursor\": ");
			put_string(out, cursor, 1);
			buf_printf(out, ", \"lines\": %lld, \"lines_cut\": %lld, \"lines_unknown\": %lld, "
			    "\"updated\": ", (long long)reportdb_int(s, 4),
			    (long long)reportdb_int(s, 5), (long long)reportdb_int(s, 6));
			put_time(out, reportdb_int(s, 7), 1);
			buf_putc(out, '}');
		} else {
			if (n == 0)
				buf_puts(out, "sources of tlslogd run\n");
			buf_puts(out, "  ");
			if (reader != NULL) {
				put_string(out, reader, 0);
				buf_puts(out, ": ");
			}
			put_string(out, name, 0);
			buf_printf(out, "\n    byte %lld read", (long long)offset);
			if (behind >= 0)
				buf_printf(out, ", %lld behind the end", (long long)behind);
			if (cursor != NULL) {
				buf_puts(out, ", journal cursor ");
				put_string(out, cursor, 0);
			}
			buf_printf(out, "; %lld lines read, %lld cut, %lld about TLS or AUTH no rule "
			    "knows; updated ", (long long)reportdb_int(s, 4),
			    (long long)reportdb_int(s, 5), (long long)reportdb_int(s, 6));
			put_time(out, reportdb_int(s, 7), 0);
			buf_putc(out, '\n');
		}
		n++;
	}
	reportdb_rows_free(s);
	if (rc != 0)
		return -1;
	if (json)
		buf_puts(out, n ? "\n  ]" : "]");
	else if (n == 0)
		buf_puts(out, "no sources: tlslogd run has not written to this database\n");
	if (report_losses(db, server, json, out) < 0)
		return -1;
	if (json)
		buf_puts(out, "\n}\n");
	return 0;
fail:
	reportdb_rows_free(s);
	return -1;
}

int
cmd_stats(int argc, char **argv)
{
	static const char optstring[] = "f:nc:h";
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common;
	const char *server = NULL;
	int ch, json = 0, check = 0;

	memset(&common, 0, sizeof(common));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = 1;
			else if (strcmp(optarg, "table") != 0) {
				log_warnx("--format: expected table or json, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S': server = optarg; break;
		case 'n': check = 1; break;
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'h': fputs(stats_usage, stdout); return EXIT_OK;
		default: return cmd_bad_option("stats", optstring, argc, argv);
		}
	}
	if (optind < argc) {
		log_warnx("stats: unexpected argument \"%s\"; see tlslogd stats --help", argv[optind]);
		return EXIT_USAGE;
	}
	if (server != NULL && *server == '\0') {
		log_warnx("--server: expected a server name");
		return EXIT_USAGE;
	}
	struct conf conf;
	struct reportdb *db;
	int status = cmd_open_db(&common, &conf, NULL, 0, &db);
	if (status != EXIT_OK)
		return status;
	if (check)
		return cmd_close_db(db, &conf, cmd_checked("stats"));
	struct buf out;
	buf_init(&out);
	if (reportdb_begin(db) < 0 || report(db, server, json, &out) < 0) {
		log_warnx("%s: cannot read the statistics", reportdb_path(db));
		status = EXIT_TROUBLE;
	} else if (output_write_stdout(&out) < 0) {
		status = EXIT_TROUBLE;
	}
	reportdb_end(db);
	buf_free(&out);
	return cmd_close_db(db, &conf, status);
}
