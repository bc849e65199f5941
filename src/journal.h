/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * journal.h: a `source journal` of `tlslogd run`: the systemd journal read
 * with libsystemd's sd-journal, for systems where the MTAs log nowhere else.
 *
 * Each journal entry of a mail program becomes one line in the ISO form of
 * rsyslog's files ("2026-11-22T06:40:07.123456+00:00 host postfix/smtpd[123]:
 * message"), fed to the same pipeline as a file's lines, so every rule and
 * the correlator work unchanged. The line offsets are a count of the bytes
 * fed, kept in a record of the files table named after the source; the
 * cursor of the entry that ends at the recorded offset is stored in the
 * sources row in the same transaction. A restart seeks to that cursor and
 * reads the same entries into the same offsets again, so nothing is lost and
 * the events' (file, offset) uniqueness drops what was already stored.
 *
 * Read only with libsystemd (HAVE_SYSTEMD); without it a journal source is
 * refused when the configuration is checked, and journal_open fails.
 */
#ifndef TLSLOGD_JOURNAL_H
#define TLSLOGD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ingest.h"

struct journal_tail;

/* The name a journal source is recorded under: "journal" and its selection. */
char *journal_source_name(const struct conf_source *src);

/*
 * Open the journal src selects and find where to read: after the entry of
 * cursor (the one stored for this source), else at the end of the journal
 * (at_end) or its start. NULL when it cannot be opened (logged unless quiet:
 * the caller tries again every second) or the database failed (*store_failed
 * set).
 */
struct journal_tail *journal_open(const struct conf_source *src, const char *name,
    const char *cursor, int at_end, struct rules *rules, struct batch *batch,
    const struct ingest_options *opt, int quiet, int *store_failed);
void journal_close(struct journal_tail *jt);

/* The descriptor that becomes readable when the journal changes (for ev_io), or -1. */
int journal_fd(const struct journal_tail *jt);
/* Read new entries, at most about budget bytes of lines: 1 more left, 0 at the end, -1 database failed. */
int journal_read(struct journal_tail *jt, int64_t now_ms, size_t budget);
void journal_settle(struct journal_tail *jt, int64_t now_ms, int64_t idle_ms);
/*
 * Inside the transaction: record the position; *cursor is the cursor to store
 * with the source (owned by jt, NULL when no entry was ever read). -1 on failure.
 */
int journal_record(struct journal_tail *jt, const char **cursor);
struct ingest *journal_ingest(struct journal_tail *jt);
/* For SIGUSR1: the time of the last entry read (microseconds), 0 for none. */
uint64_t journal_last_usec(const struct journal_tail *jt);

#endif
