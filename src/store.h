/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.h: the database (schema in sql/, see schema.h), whatever its engine.
 *
 * Two engines keep the same promises behind this one interface, chosen when
 * the database is opened (store_backend.h): SQLite, a file on this host (the
 * default), and PostgreSQL (a postgresql:// URI, built with libpq), where a
 * fleet of hosts writes one database and each host's read positions and
 * sources are its own (pgstore.h). What follows is said of SQLite; where
 * PostgreSQL differs, pgstore.h says how.
 *
 * Writers open it read-write: it is created if missing, migrated to the
 * schema this binary knows, put in WAL mode (readers never block the writer
 * and never see half a batch) with a busy timeout. Events are inserted in
 * batched transactions; a file's read position is updated in the same
 * transaction as the events read before it, so a crash loses nothing that
 * was committed and re-reading never stores an event twice (events are
 * unique per file and offset). Readers open it read-only.
 *
 * Every failure is logged with the database path and SQLite's message and
 * returned as -1 / NULL.
 */
#ifndef TLSLOGD_STORE_H
#define TLSLOGD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

enum store_mode {
	STORE_READ_WRITE,
	STORE_READ_ONLY
};

enum store_engine {
	STORE_SQLITE,
	STORE_POSTGRESQL
};

struct store;
struct domain_cache;
struct sqlite3;
struct pgstore;

/*
 * Open the database at where: a postgresql:// or postgres:// URI is a
 * PostgreSQL database (read-write only), anything else an SQLite file's
 * path. server: the name this host writes under in a shared database (its
 * read positions and sources are its own); NULL: the host's name. NULL
 * (logged) when it cannot be opened, or PostgreSQL is asked of a binary
 * built without it.
 */
struct store *store_open_server(const char *where, enum store_mode mode, const char *server);
/* store_open_server with the host's name. */
struct store *store_open(const char *where, enum store_mode mode);
/* 1 when where names a PostgreSQL database (a postgresql:// or postgres:// URI). */
int store_is_postgresql(const char *where);
/*
 * where as messages show it (allocated): a path as it is, a URI with its
 * password (user:PASSWORD@ or password=...) masked.
 */
char *store_name(const char *where);
void store_close(struct store *st);
/* The database for messages: the path, or the URI with its password masked. */
const char *store_path(const struct store *st);
enum store_engine store_engine(const struct store *st);
/* The name this host writes under in a shared database; NULL on SQLite. */
const char *store_server(const struct store *st);
/* The writer's cache of registered domains (domain.h), for the flagger on the same thread. */
struct domain_cache *store_domain_cache(struct store *st);
/* The SQLite connection, for the modules that run their own queries; NULL on PostgreSQL. */
struct sqlite3 *store_db(struct store *st);
/* The PostgreSQL store (pgstore.h); NULL on SQLite. */
struct pgstore *store_pg(struct store *st);

/*
 * Work a schema migration left on the events already stored (the backfills
 * table: peer_domain, by the Public Suffix List, of events stored before
 * schema 10; the recipient and HELO domains before schema 11), one job after
 * the other, one transaction of a few thousand events per step, so that the
 * write-ahead log stays small and the daemon goes on between steps. step: 1
 * when there is more to do, 0
 * when nothing is left, -1 on an error (logged). store_backfill: all of it.
 * Not inside a transaction; read-write stores only. An interrupted backfill
 * goes on where it stopped.
 */
int store_backfill_step(struct store *st);
int store_backfill(struct store *st);

/*
 * From now on the write-ahead log is copied into the database on a thread of
 * its own (checkpointer.h), for a writer that commits big batches one after
 * the other (`tlslogd scan`). Not for a process that forks afterwards: the
 * thread would not follow. Without a thread (logged), nothing changes.
 */
void store_checkpoint_in_background(struct store *st);
int store_begin(struct store *st);
/* A transaction is open (several readers of files share one). */
int store_in_txn(const struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/*
 * Store n events, STORE_GROUP at a time in one INSERT (a statement per row
 * costs SQLite a third more: its cursors on the table and every index are
 * opened and closed each time). ids[i]: the new row's id, or 0 when an event
 * of the same file and offset was already there. 0, or -1 on an error
 * (logged).
 */
#define STORE_GROUP 32
int store_add_events(struct store *st, struct event *const *evs, size_t n, int64_t *ids);

/* The counters of a peer_days row (sql/012-peer-days.sql), in the order of its columns. */
enum {
	STORE_PD_CLEAR, STORE_PD_SSL3, STORE_PD_TLS10, STORE_PD_TLS11,
	STORE_PD_TLS12, STORE_PD_TLS13, STORE_PD_TLS_OTHER,
	STORE_PD_AEAD, STORE_PD_CBC, STORE_PD_DES3, STORE_PD_RC4,
	STORE_PD_CIPHER_OTHER, STORE_PD_MESSAGES, STORE_PD_LOGINS,
	STORE_PD_COUNT
};

/* One row of peer_days as peerdays.c sums it (strings with their lengths). */
struct store_peer_day {
	const char *peer;
	size_t peer_len;
	int64_t day;
	enum event_direction direction;
	const char *server;		/* the logged server, "" when none */
	size_t server_len;
	const char *mta;		/* "" when none */
	const char *host;		/* NULL: none */
	size_t host_len;
	int64_t first_time, last_time;
	const char *last_version;	/* of the last TLS success, NULL: none */
	int64_t n[STORE_PD_COUNT];
};

/*
 * Add n rows to peer_days (inside a transaction): each row's counters are
 * added to those of the stored row of the same peer, day, direction and
 * server, its times widened, its last version kept from the later success.
 * 0, or -1 (logged).
 */
int store_add_peer_days(struct store *st, const struct store_peer_day *rows, size_t n);

/*
 * What identifies a file (rotation.h says why): its absolute path (whose log
 * name scopes the match by text), device and inode, and its first line
 * (head: at most a KiB, with its newline; whole: it ends in a newline or is
 * a KiB long, so that growth cannot change it).
 */
struct store_file_key {
	const char *path;
	dev_t dev;
	ino_t ino;
	const char *head;
	size_t head_len;
	int head_whole;
};

/*
 * Find the record of key's file and where to resume reading it (size: its
 * size now; INT64_MAX when unknown, for a compressed file). The record is
 *   - the newest of the same device and inode whose first line is a prefix
 *     of key's (the same file, grown); if the file is now shorter than the
 *     record's offset it was truncated in place: a new record, from 0;
 *   - else the newest of the same log name and whole first line (the same
 *     text under another inode: a rename across file systems, a copy, a
 *     compressed rotation); it now points at this file; a copy shorter than
 *     the offset resumes at its end;
 *   - else a new record, from 0.
 * Inside a transaction; -1 on an error (logged).
 */
int store_file_resume(struct store *st, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset);
/* The same lookup without recording anything: 1 (found), 0 or -1. */
int store_file_find(struct store *st, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset);
/*
 * The one record, of any log, whose whole first line is head: 1 and *file_id;
 * 0 when none or several have it; -1 on an error (logged).
 */
int store_file_find_head(struct store *st, const char *head, size_t head_len,
    int64_t *file_id);
/*
 * A record of the file with device and inode whose position was recorded at
 * or after since (seconds): 1 and its *offset, 0 when none, -1 on an error.
 */
int store_file_active(struct store *st, dev_t dev, ino_t ino, int64_t since, int64_t *offset);
/* key's file holds record file_id's text (found by the caller): record where. */
int store_file_adopt(struct store *st, int64_t file_id, const struct store_file_key *key);
/*
 * Record the committed read position of a file (inside a transaction). It
 * never moves back: a scan beside the daemon may have committed further.
 * offset -1: kept as it was (a stream with the file's text, whose reading
 * is not recorded). counted: the offset before which the lines' successes
 * are in peer_days (peerdays.h); it never moves back either. size: the
 * file's size now (-1: not known, kept as it was).
 */
int store_file_set_offset(struct store *st, int64_t file_id, int64_t offset, int64_t counted,
    int64_t size);
/* The offset before which file_id's successes are counted (0: none, or no such file). 0 / -1. */
int store_file_counted(struct store *st, int64_t file_id, int64_t *counted);
/*
 * The daemon's sources (sql/002-sources.sql), by configured name. get: 1 and
 * the oldest file under that name not finished (0: none), the file under the
 * name at the last commit (0: none) and the journal cursor (allocated, or
 * NULL); 0 when the source was never seen; -1 on error. set: inside a
 * transaction; cursor may be NULL; lines, cut and unknown are added to the
 * source's counters.
 */
int store_source_get(struct store *st, const char *name, int64_t *file_id, int64_t *current_id,
    char **cursor);
int store_source_set(struct store *st, const char *name, int64_t file_id, int64_t current_id,
    const char *cursor, int64_t lines, int64_t cut, int64_t unknown);
/* A file record as stored. */
struct store_file_record {
	int64_t id, dev, ino, offset;
	int64_t fingerprint, fingerprint_len;	/* FNV-1a of the first fingerprint_len bytes */
	int64_t updated;	/* when the last position was recorded */
	int64_t size;		/* the file's size then (-1: not recorded) */
	char path[4096];
};
/* The record file_id; 1, 0 (no such record) or -1. */
int store_file_get(struct store *st, int64_t file_id, struct store_file_record *rec);

/* A file's first line, now longer than when it was recorded (a file created empty). */
int store_file_set_head(struct store *st, int64_t file_id, const char *head, size_t head_len,
    int whole);
/*
 * Bytes [from, to) of a file that will never be read (to < 0: to its end),
 * for `tlslogd stats` (sql/007-file-lineage.sql). Inside a transaction.
 */
int store_loss_add(struct store *st, int64_t file_id, const char *path, int64_t from, int64_t to,
    const char *reason);

/*
 * Retention (retention.h), inside a transaction: delete up to limit of the
 * oldest events before time, or of the peer_days rows before day (on a
 * shared database, rows another host is deleting are skipped). *deleted:
 * how many. 0 or -1 (logged).
 */
int store_delete_events_before(struct store *st, int64_t time, int limit, int *deleted);
int store_delete_days_before(struct store *st, int64_t day, int limit, int *deleted);
/*
 * The bytes the database uses (SQLite: its pages in use, freed pages not
 * counted). 0, or -1 (logged) when it cannot be told: on PostgreSQL, whose
 * disk space is the server's to manage (a size cap is refused there).
 */
int store_used_bytes(struct store *st, int64_t *bytes);
/* After a deletion, outside a transaction: give freed space back where the engine can. */
void store_reclaim(struct store *st);
/*
 * The daemon's claim on what it writes, for its whole life: on PostgreSQL,
 * that no other `tlslogd run` writes this server's records (1: taken, 0:
 * another daemon has it, -1: error, logged). On SQLite the lock file beside
 * the database does this before it is opened (writerlock.h): 1.
 */
int store_claim_server(struct store *st);

/*
 * Whether the database file the store has open is still the one its path
 * names: 0 when it is, -1 (logged: deleted or renamed, or replaced by another file)
 * when what is committed would go into a file no one will read again.
 * Cheap (a stat): for a writer to ask before each commit.
 */
int store_check_file(struct store *st);
/*
 * After store_check_file said -1: roll back, and empty the write-ahead log
 * left at the path into the file the store has open, so that a database
 * made at the path later does not take the old one's log for its own. 0 or
 * -1 (logged). Only store_close after it.
 */
int store_abandon(struct store *st);

#endif
