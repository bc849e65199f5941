/*
 * ingest.h: the pipeline from bytes to stored events: framer -> header ->
 * rules -> correlate -> store. `tlslogd scan` feeds it whole files; the
 * follow daemon feeds it the same way as files grow.
 *
 * Transactions: events are inserted in batches; each commit also records how
 * far the file was read. That position never passes a line still held by the
 * correlator, so a crash re-reads those lines instead of losing them, and the
 * events table's uniqueness per (file, offset) drops what was already stored.
 * At the end of a file still being written (modified within the correlator's
 * linger), a failure whose lines may still be coming is not stored: it is read
 * again, whole, by the next scan. A stream (standard input, a pipe) is
 * committed after every read, so no transaction waits on a slow writer.
 */
#ifndef TLSLOGD_INGEST_H
#define TLSLOGD_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "correlate.h"
#include "linematch.h"
#include "rules.h"
#include "store.h"

struct ingest_stats {
	uint64_t files;
	uint64_t lines;
	uint64_t bytes;
	uint64_t no_header;	/* lines without a recognizable header */
	uint64_t cut_lines;	/* lines longer than the limit */
	uint64_t matched;	/* lines a rule matched */
	uint64_t events;	/* events stored */
	uint64_t duplicates;	/* events already in the database */
	uint64_t held;		/* failures at the end of a live file, left for the next scan */
	uint64_t kind_events[KIND_COUNT];
};

struct ingest_options {
	int forced_set;		/* -1: route each line by its program tag */
	const char *server;	/* host name for lines that carry none (Exim's mainlog) */
	size_t max_line;	/* longer lines are cut */
	size_t batch_events;	/* commit after this many events */
	int64_t linger;		/* seconds a multi-line failure waits for its next line */
};

struct ingest {
	struct rules *rules;
	struct store *store;
	struct linematch lm;
	struct correlator *corr;
	struct ingest_options opt;
	struct ingest_stats stats;
	int64_t file_id;	/* record of the file being read, 0 for a stream */
	int in_txn;		/* a transaction is open */
	size_t pending;		/* events since the last commit */
	uint64_t batch_events;	/* of the open transaction: counted once committed */
	uint64_t batch_duplicates;
	uint64_t batch_kind[KIND_COUNT];
	int64_t last_event_time;	/* log time of the latest matched line */
	int store_failed;
};

void ingest_options_default(struct ingest_options *opt);
void ingest_init(struct ingest *ing, struct rules *rules, struct store *store,
    const struct ingest_options *opt);
void ingest_free(struct ingest *ing);

/*
 * Read a file from where the last run stopped to its last complete line (a
 * file that is not regular, such as a pipe, or "-" for standard input, is read
 * to its end, partial last line included). 0 on success; -1 when the file
 * cannot be read (logged; what was read before stays stored) or the database
 * failed (ing->store_failed is set: stop).
 */
int ingest_path(struct ingest *ing, const char *path);

#endif
