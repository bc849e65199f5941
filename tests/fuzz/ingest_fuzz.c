/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_fuzz.c: libFuzzer target for the whole pipeline of `tlslogd scan`
 * (src/cmd_scan.c): the input is a log, read by ingest_path (src/ingest.c:
 * framer, header, rules, correlator, flags) into a SQLite store, as scan
 * does it. The other targets check each stage alone; this one checks what
 * only the whole can get wrong: offsets and positions against the file, the
 * store's bindings of any byte, transactions and batches, the flags.
 *
 * The store is an in-memory database opened once per process and emptied
 * between inputs; the rules, the configuration (the default thresholds and
 * one that flags a peer at its second event, so flags are raised), the
 * ingest and the flagger are made once, as scan makes them once for all its
 * files (a fresh correlator per input would cost more than the scan: its
 * table is freed and mapped again). The flagger is reset with the store; the
 * one memory that crosses from one input to the next, as from one file to the
 * next in a scan, is the correlator's list of recent delivery lines, whose
 * repeats within linger are dropped (correlate.c). Lines are cut at 256
 * bytes (scan's smallest --max-line), so the cut path runs, and a batch is
 * committed every 4 events, so positions are recorded in the middle of a
 * file. The input's size chooses how it is read:
 *   size % 3 == 0  a rotated file (modified on a fixed day long ago): every
 *                  failure is finished; scanned twice, the second scan must
 *                  find nothing new;
 *   size % 3 == 1  a file being written (modified now): failures at its end
 *                  are held, the position stays before them; then the file
 *                  is rotated and scanned again, and nothing is held;
 *   size % 3 == 2  a pipe (a stream: committed after every read, the partial
 *                  last line is read too, no file record, no offsets).
 * After each scan every stored event must be one of the vocabulary's kinds
 * from a known MTA, with a valid, canonical peer address or none, a port,
 * pid and field lengths in range, the peer's domain as the store derives it,
 * and (from a file) the offset of a line start inside the file; the file's
 * position must be a line start no further than the last complete line (or
 * the end of a cut last line, framer.h), and the counts of bytes, lines and
 * events must agree with the input and the table.
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "event.h"
#include "flag.h"
#include "fuzz.h"
#include "ingest.h"
#include "logfile.h"
#include "rules.h"
#include "store.h"
#include "util.h"

#define ROTATED_MTIME 1795329607	/* mid-November 2026: long before any run */
#define MAX_LINE 256
#define BATCH 4
#define PIPE_MAX 60000		/* below a pipe's 64 KiB buffer: written whole before reading */

static struct rules *rules;
static struct conf conf;
static struct store *store;
static struct ingest *ing;	/* one for the process, as scan has one for all its files */
static struct flagger *flags;
static struct batch *batch;
static char log_path[128];
static sqlite3_stmt *bad_rows, *event_rows, *file_rows;

static sqlite3_stmt *
prepare(const char *sql)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(store_db(store), sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "ingest_fuzz: %s: %s\n", sql, sqlite3_errmsg(store_db(store)));
		exit(1);
	}
	return s;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char conf_path[128];
	struct buf sql;

	(void)argc;
	(void)argv;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	rules = rules_load(fuzz_patterns(), NULL, 1);
	if (rules == NULL) {
		fprintf(stderr, "ingest_fuzz: cannot load the patterns in %s\n", fuzz_patterns());
		exit(1);
	}
	snprintf(conf_path, sizeof(conf_path), "%s/tlslogd.conf", fuzz_tmpdir());
	static const char text[] = "flag guessing auth_failed 5 10m\nflag tls tls_* 3 1h\n"
	    "flag any * 2 1d\nallow 192.0.2.9 198.51.100.0/24 example.org\n";
	fuzz_write_file(conf_path, text, sizeof(text) - 1);
	conf_init(&conf);
	if (conf_load(&conf, conf_path, 1) < 0) {
		fprintf(stderr, "ingest_fuzz: cannot read %s\n", conf_path);
		exit(1);
	}
	snprintf(log_path, sizeof(log_path), "%s/mail.log", fuzz_tmpdir());
	store = store_open(":memory:", STORE_READ_WRITE);
	if (store == NULL) {
		fprintf(stderr, "ingest_fuzz: cannot open an in-memory store\n");
		exit(1);
	}

	struct ingest_options opt;
	ingest_options_default(&opt);
	opt.max_line = MAX_LINE;
	opt.batch_events = BATCH;
	flags = flag_new(store, &conf);
	if (flags == NULL) {
		fprintf(stderr, "ingest_fuzz: cannot set up flagging\n");
		exit(1);
	}
	batch = batch_new(store, flags);
	ing = ingest_new(rules, batch, &opt);

	/* Events that break a rule any reader of the table relies on. */
	buf_init(&sql);
	buf_puts(&sql, "SELECT id, kind, mta FROM events WHERE kind NOT IN (");
	for (int k = 0; k < KIND_COUNT; k++)
		buf_printf(&sql, "%s'%s'", k ? ", " : "", event_kind_name((enum event_kind)k));
	buf_puts(&sql, ") OR mta NOT IN (");
	for (size_t i = 0; i < rules_set_count(rules); i++)
		buf_printf(&sql, "%s'%s'", i ? ", " : "", rules_set_mta(rules, (int)i));
	buf_printf(&sql, ") OR direction NOT IN ('in', 'out') OR typeof(time) <> 'integer' "
	    "OR (pid IS NOT NULL AND (typeof(pid) <> 'integer' OR pid < 0)) "
	    "OR (peer_port IS NOT NULL AND (typeof(peer_port) <> 'integer' OR peer_port NOT BETWEEN 0 AND 65535)) "
	    "OR raw IS NULL OR length(CAST(raw AS BLOB)) NOT BETWEEN 1 AND %d ", EVENT_RAW_MAX);
	for (int f = EF_FIRST_CAPTURE; f <= EF_LAST_CAPTURE; f++)
		buf_printf(&sql, "OR length(CAST(%s AS BLOB)) NOT BETWEEN 1 AND %d ",
		    event_field_name((enum event_field)f), EVENT_FIELD_MAX);
	buf_puts(&sql, "OR peer_domain IS NOT tlslogd_domain(peer_host) "
	    "OR (file_id IS NULL) <> (offset IS NULL) "
	    "OR (file_id IS NOT NULL AND file_id NOT IN (SELECT id FROM files)) "
	    "UNION ALL SELECT id, peer, threshold FROM flags WHERE first_event > last_event "
	    "OR count < 1 OR peer_kind NOT IN ('ip', 'domain')");
	bad_rows = prepare(sql.data);
	buf_free(&sql);
	event_rows = prepare("SELECT peer_ip, file_id, offset FROM events");
	file_rows = prepare("SELECT id, offset FROM files");
	return 0;
}

/* An address as event_canonicalize_ip leaves it: IPv4 or IPv6 in inet_ntop's form, or fe80::1%zone. */
static int
canonical_ip(const char *ip, size_t len)
{
	unsigned char addr[16];
	char text[INET6_ADDRSTRLEN + 40];
	char head[INET6_ADDRSTRLEN];
	const char *pct;

	if (strlen(ip) != len)
		return 0;
	if (inet_pton(AF_INET, ip, addr) == 1)
		return inet_ntop(AF_INET, addr, text, sizeof(text)) && strcmp(text, ip) == 0;
	if (inet_pton(AF_INET6, ip, addr) == 1)
		return inet_ntop(AF_INET6, addr, text, sizeof(text)) && strcmp(text, ip) == 0;
	pct = strchr(ip, '%');
	if (pct == NULL || (size_t)(pct - ip) >= sizeof(head))
		return 0;
	memcpy(head, ip, (size_t)(pct - ip));
	head[pct - ip] = '\0';
	return inet_pton(AF_INET6, head, addr) == 1 &&
	    inet_ntop(AF_INET6, addr, text, sizeof(text)) && strcmp(text, head) == 0;
}

/* Is off the start of a line of data (or its end, for a position)? */
static int
line_start(const uint8_t *data, size_t size, int64_t off)
{
	return off == 0 || (off > 0 && (uint64_t)off <= size && data[off - 1] == '\n');
}

/* The checks of the comment at the top, after a scan of data. */
static void
check_store(const uint8_t *data, size_t size, int from_file, int64_t max_position)
{
	sqlite3_stmt *s;
	int rc;

	s = bad_rows;
	rc = sqlite3_step(s);
	FUZZ_CHECK(rc == SQLITE_DONE, "row %lld breaks an invariant (kind or peer %s, mta or "
	    "threshold %s)", rc == SQLITE_ROW ? (long long)sqlite3_column_int64(s, 0) : -1LL,
	    rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 1) : "?",
	    rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 2) : "?");
	sqlite3_reset(s);

	s = event_rows;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
			const char *ip = (const char *)sqlite3_column_text(s, 0);
			size_t len = (size_t)sqlite3_column_bytes(s, 0);
			FUZZ_CHECK(sqlite3_column_type(s, 0) == SQLITE_TEXT && canonical_ip(ip, len),
			    "peer_ip \"%.64s\" is no canonical address", ip);
		}
		if (from_file) {
			int64_t off = sqlite3_column_int64(s, 2);
			FUZZ_CHECK(sqlite3_column_type(s, 2) == SQLITE_INTEGER && off >= 0 &&
			    (uint64_t)off < size && line_start(data, size, off),
			    "event offset %lld is no line start in %zu bytes", (long long)off, size);
		} else {
			FUZZ_CHECK(sqlite3_column_type(s, 1) == SQLITE_NULL &&
			    sqlite3_column_type(s, 2) == SQLITE_NULL, "a stream's event has an offset");
		}
	}
	FUZZ_CHECK(rc == SQLITE_DONE, "reading the events: %s", sqlite3_errmsg(store_db(store)));
	sqlite3_reset(s);

	s = file_rows;
	int files = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t pos = sqlite3_column_int64(s, 1);
		files++;
		FUZZ_CHECK(pos >= 0 && pos <= max_position &&
		    (line_start(data, size, pos) || pos == (int64_t)size),
		    "file position %lld (the lines read end at %lld)", (long long)pos,
		    (long long)max_position);
	}
	FUZZ_CHECK(rc == SQLITE_DONE, "reading the files: %s", sqlite3_errmsg(store_db(store)));
	sqlite3_reset(s);
	FUZZ_CHECK(files == (from_file ? 1 : 0), "%d file records", files);
}

static void
count_notice(void *ctx, const struct flag_notice *n)
{
	FUZZ_CHECK(n->peer != NULL && n->threshold != NULL && n->why != NULL, "notice without text");
	(*(unsigned *)ctx)++;
}

/* One `tlslogd scan PATH`, as cmd_scan does it; what the ingest counted for it in *st. */
static void
scan(const char *path, struct ingest_stats *st)
{
	struct ingest_stats before, after;

	ingest_get_stats(ing, &before);
	unsigned notices = 0;

	FUZZ_CHECK(ingest_path(ing, path) == 0 && !batch_failed(batch), "the scan of %s failed",
	    path);
	FUZZ_CHECK(batch_expire_flags(batch, (int64_t)time(NULL)) == 0, "expiring the flags failed");
	flag_take_notices(flags, count_notice, &notices);
	FUZZ_CHECK(!store_in_txn(store), "a transaction is left open");
	ingest_get_stats(ing, &after);
#define DELTA(f) st->f = after.f - before.f
	DELTA(files);
	DELTA(lines);
	DELTA(bytes);
	DELTA(cut_lines);
	DELTA(events);
	DELTA(duplicates);
	DELTA(held);
#undef DELTA
	FUZZ_CHECK(st->files == 1, "%llu files", (unsigned long long)st->files);
}

static int64_t
count_rows(const char *table)
{
	char sql[64];
	sqlite3_stmt *s;
	int64_t n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	s = prepare(sql);
	FUZZ_CHECK(sqlite3_step(s) == SQLITE_ROW, "count(*)");
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void
set_mtime(int64_t t)
{
	struct timespec ts[2] = { { .tv_sec = (time_t)t }, { .tv_sec = (time_t)t } };

	if (utimensat(AT_FDCWD, log_path, ts, 0) < 0) {
		perror(log_path);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_stats st, again;
	int mode = (int)(size % 3);
	size_t lines = 0, complete = 0;

	if (mode == 2 && size > PIPE_MAX)
		mode = 0;
	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n') {
			lines++;
			complete = i + 1;
		}

	FUZZ_CHECK(sqlite3_exec(store_db(store), "DELETE FROM events; DELETE FROM flags; "
	    "DELETE FROM sources; DELETE FROM files", NULL, NULL, NULL) == SQLITE_OK,
	    "emptying the store: %s", sqlite3_errmsg(store_db(store)));
	FUZZ_CHECK(flag_reset(flags) == 0, "flag_reset");

	/*
	 * Bytes that begin with a compressor's magic are no text log
	 * (logfile.h): gzip is decompressed (here: garbage, a read error), the
	 * others are refused by name. Either way: no crash, no event made up
	 * from the compressed bytes, the store intact.
	 */
	if (logfile_unreadable_compression(data, size) != NULL ||
	    logfile_is_gzip(data, size)) {
		fuzz_write_file(log_path, data, size);
		(void)ingest_path(ing, log_path);
		FUZZ_CHECK(!batch_failed(batch), "the store failed on a compressed file");
		FUZZ_CHECK(logfile_unreadable_compression(data, size) == NULL ||
		    count_rows("events") == 0, "events from a file tlslogd does not read");
		return 0;
	}

	if (mode == 2) {
		int fds[2];
		char path[32];

		if (pipe(fds) < 0) {
			perror("pipe");
			abort();
		}
		FUZZ_CHECK(size == 0 || write(fds[1], data, size) == (ssize_t)size, "pipe write");
		close(fds[1]);
		snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
		scan(path, &st);
		close(fds[0]);
		lines += complete < size;
		FUZZ_CHECK(st.bytes == size && st.lines == lines, "%llu bytes, %llu lines read of "
		    "%zu, %zu", (unsigned long long)st.bytes, (unsigned long long)st.lines, size, lines);
		FUZZ_CHECK((int64_t)st.events == count_rows("events"), "%llu events counted, %lld stored",
		    (unsigned long long)st.events, (long long)count_rows("events"));
		check_store(data, size, 0, 0);
		return 0;
	}

	/*
	 * A regular file is read to its last complete line; the rest waits for
	 * its newline, unless it is already longer than max_line: then its
	 * first bytes are a (cut) line, and the position is its end (framer.h).
	 */
	int cut_tail = size - complete > MAX_LINE;
	int64_t end = cut_tail ? (int64_t)size : (int64_t)complete;
	lines += (size_t)cut_tail;

	fuzz_write_file(log_path, data, size);
	set_mtime(mode == 0 ? ROTATED_MTIME : (int64_t)time(NULL));
	scan(log_path, &st);
	FUZZ_CHECK(st.bytes == size && st.lines == lines, "%llu bytes, %llu lines read of %zu, %zu",
	    (unsigned long long)st.bytes, (unsigned long long)st.lines, size, lines);
	FUZZ_CHECK((int64_t)st.events == count_rows("events"), "%llu events counted, %lld stored",
	    (unsigned long long)st.events, (long long)count_rows("events"));
	FUZZ_CHECK(mode == 1 || st.held == 0, "%llu failures held in a rotated file",
	    (unsigned long long)st.held);
	check_store(data, size, 1, end);

	if (mode == 1)
		set_mtime(ROTATED_MTIME);
	scan(log_path, &again);
	if (mode == 0)
		FUZZ_CHECK(again.lines == 0 && again.events == 0 && again.duplicates == 0,
		    "the second scan read %llu lines, stored %llu events",
		    (unsigned long long)again.lines, (unsigned long long)again.events);
	FUZZ_CHECK(again.held == 0, "%llu failures held in a rotated file",
	    (unsigned long long)again.held);
	FUZZ_CHECK((int64_t)(st.events + again.events) == count_rows("events"),
	    "%llu + %llu events counted, %lld stored", (unsigned long long)st.events,
	    (unsigned long long)again.events, (long long)count_rows("events"));
	check_store(data, size, 1, end);
	/* Rotated and read to its end, the file's position is after its last complete line. */
	sqlite3_stmt *s = prepare("SELECT offset FROM files");
	FUZZ_CHECK(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == end,
	    "position %lld after the rotated scan, expected %lld",
	    (long long)sqlite3_column_int64(s, 0), (long long)end);
	sqlite3_finalize(s);
	return 0;
}
