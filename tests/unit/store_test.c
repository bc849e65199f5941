/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_test.c: the store through the ingest pipeline, on real files and a
 * real SQLite database in a scratch folder: a rescan adds nothing, appended
 * lines are read alone, a partial last line waits for its newline, a new file
 * at the same path and a file truncated in place are read from the start,
 * and a batch is committed with its file position.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"
#include "rules.h"
#include "schema.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/tlslogd-store-XXXXXX";
static char path_db[256], path_log[256], path_rules[256];

static const char rules_text[] =
    "mta postfix\n"
    "programs postfix/*\n"
    "rule t-sasl\n"
    "  kind auth_failed\n"
    "  direction in\n"
    "  literal SASL\n"
    "  pattern ^warning: [^\\[\\s]*\\[(?<peer_ip>[^\\]]+)\\]: SASL (?<mech>\\S+) authentication failed\n"
    "  example Nov 22 06:40:07 mx1 postfix/smtpd[1]: warning: x[192.0.2.1]: SASL LOGIN authentication failed: x\n"
    "  expect peer_ip 192.0.2.1\n";

static const char *
fail_line(int n)
{
	static char line[200];

	snprintf(line, sizeof(line), "Nov 21 06:40:%02d mx1 postfix/smtpd[%d]: warning: "
	    "unknown[192.0.2.%d]: SASL LOGIN authentication failed: authentication failure\n",
	    n % 60, 100 + n, n % 250);
	return line;
}

static void
write_file(const char *path, const char *mode, const char *text)
{
	FILE *fp = fopen(path, mode);

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
}

static void
append_failures(const char *path, int from, int to)
{
	for (int i = from; i < to; i++)
		write_file(path, "a", fail_line(i));
}

static long long
count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long n = -1;

	if (sqlite3_open_v2(path_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

/* One scan, as `tlslogd scan` does it: returns the events it stored. */
static long long
scan(struct rules *rules, size_t batch)
{
	struct store *st = store_open(path_db, STORE_READ_WRITE);
	struct ingest_options opt;
	struct ingest_stats st_ing;
	long long stored;

	if (st == NULL)
		return -1;
	ingest_options_default(&opt);
	opt.batch_events = batch;
	struct batch *b = batch_new(st, NULL);
	struct ingest *ing = ingest_new(rules, b, &opt);
	ingest_get_stats(ing, &st_ing);
	long long before = (long long)st_ing.events;
	if (ingest_path(ing, path_log) < 0)
		stored = -1;
	else {
		ingest_get_stats(ing, &st_ing);
		stored = (long long)st_ing.events - before;
	}
	ingest_free(ing);
	batch_free(b);
	store_close(st);
	return stored;
}

int
main(void)
{
	log_init("store_test");
	setenv("TZ", "UTC", 1);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path_db, sizeof(path_db), "%s/t.db", dir);
	snprintf(path_log, sizeof(path_log), "%s/mail.log", dir);
	snprintf(path_rules, sizeof(path_rules), "%s/rules", dir);
	mkdir(path_rules, 0700);
	char rf[300];
	snprintf(rf, sizeof(rf), "%s/postfix.rules", path_rules);
	write_file(rf, "w", rules_text);
	struct rules *rules = rules_load(path_rules, NULL, 0);
	ok(rules != NULL, "test rules load");
	if (rules == NULL)
		return done_testing();

	write_file(path_log, "w", "Nov 21 06:40:00 mx1 postfix/smtpd[1]: connect from x[192.0.2.1]\n");
	append_failures(path_log, 0, 10);
	is_int(scan(rules, 3), 10, "first scan stores every failure (in batches of 3)");
	is_int(count("SELECT count(*) FROM events"), 10, "10 rows");
	is_int(count("PRAGMA user_version"), schema_migrations[schema_migration_count - 1].version,
	    "schema version recorded");
	is_int(count("SELECT count(*) FROM files"), 1, "one file record");
	struct stat sb;
	stat(path_log, &sb);
	is_int(count("SELECT offset FROM files"), sb.st_size, "position at the end of the file");

	is_int(scan(rules, 3), 0, "rescan of the same file stores nothing");
	is_int(count("SELECT count(*) FROM events"), 10, "still 10 rows");

	append_failures(path_log, 10, 15);
	is_int(scan(rules, 100), 5, "after an append only the new lines are stored");
	is_int(count("SELECT count(*) FROM events"), 15, "15 rows");

	/* A partial last line waits for its newline. */
	const char *line = fail_line(15);
	char half[200];
	size_t hl = strlen(line) / 2;
	memcpy(half, line, hl);
	half[hl] = '\0';
	write_file(path_log, "a", half);
	is_int(scan(rules, 100), 0, "a partial last line is not read");
	write_file(path_log, "a", line + hl);
	is_int(scan(rules, 100), 1, "the completed line is read whole");
	is_int(count("SELECT count(*) FROM events WHERE raw LIKE '%authentication failure'"), 16,
	    "every stored raw line is complete");

	/* Rotation: a new file at the same path is read from its start. */
	char rotated[300];
	snprintf(rotated, sizeof(rotated), "%s.1", path_log);
	rename(path_log, rotated);
	write_file(path_log, "w", "Nov 22 00:00:00 mx1 postfix/master[1]: reload\n");
	append_failures(path_log, 20, 23);
	is_int(scan(rules, 100), 3, "new file at the same path read from its start");
	is_int(count("SELECT count(*) FROM files"), 2, "two file records");

	/* Scanning the rotated file by its new name adds nothing: same inode, same first line. */
	char saved[256];
	strcpy(saved, path_log);
	strcpy(path_log, rotated);
	is_int(scan(rules, 100), 0, "rotated file recognized under its new name");
	strcpy(path_log, saved);

	/* Truncated in place (copytruncate), then refilled: read from the start. */
	write_file(path_log, "w", "Nov 22 00:00:00 mx1 postfix/master[1]: reload\n");
	append_failures(path_log, 30, 31);
	is_int(scan(rules, 100), 1, "truncated file read from its start");
	is_int(count("SELECT count(*) FROM events"), 16 + 3 + 1, "nothing lost, nothing doubled");

	/* A database that is not SQLite is refused and left alone. */
	char notdb[300];
	snprintf(notdb, sizeof(notdb), "%s/not.db", dir);
	const char *precious = "this is not a database, but someone's file\n";
	write_file(notdb, "w", precious);
	ok(store_open(notdb, STORE_READ_WRITE) == NULL, "a non-SQLite file is refused");
	struct stat nb;
	stat(notdb, &nb);
	is_int(nb.st_size, strlen(precious), "and left unchanged");
	struct store *ro = store_open(path_db, STORE_READ_ONLY);
	ok(ro != NULL, "the database opens read-only");
	store_close(ro);
	ok(store_open(notdb, STORE_READ_ONLY) == NULL, "a non-SQLite file is refused read-only too");

	rules_free(rules);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return done_testing();
}
