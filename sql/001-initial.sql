-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 1.
--
-- events: one row per failure (the kinds and fields of tlslogd.rules(5)).
-- files:  what was read of each log file, identified by device, inode and a
--         fingerprint of its first line, so that a rescan resumes, an append is
--         read from where the last run stopped, and a new file at the same path
--         is read from its start. A row's offset is committed in the same
--         transaction as the events read before it.
-- Times are UTC seconds since the epoch.

CREATE TABLE files (
    id               INTEGER PRIMARY KEY,
    path             TEXT    NOT NULL,
    device           INTEGER NOT NULL,
    inode            INTEGER NOT NULL,
    fingerprint      INTEGER NOT NULL,   -- FNV-1a of the first line (fingerprint_len bytes)
    fingerprint_len  INTEGER NOT NULL,
    offset           INTEGER NOT NULL DEFAULT 0,  -- bytes read and committed
    first_seen       INTEGER NOT NULL,
    updated          INTEGER NOT NULL
);
CREATE INDEX files_identity ON files (device, inode);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    time         INTEGER NOT NULL,
    server       TEXT COLLATE NOCASE,
    mta          TEXT    NOT NULL,
    program      TEXT,
    pid          INTEGER,
    direction    TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    kind         TEXT    NOT NULL,
    peer_host    TEXT COLLATE NOCASE,
    peer_ip      TEXT,
    peer_port    INTEGER,
    helo         TEXT COLLATE NOCASE,
    user         TEXT,
    mech         TEXT,
    reason       TEXT,
    tls_version  TEXT,
    cipher       TEXT,
    queue_id     TEXT,
    file_id      INTEGER REFERENCES files (id),
    offset       INTEGER,                -- byte offset of the line that completed the event
    raw          TEXT
);
-- One event per completing line of a file: re-reading bytes after a crash adds nothing.
CREATE UNIQUE INDEX events_file_offset ON events (file_id, offset);
CREATE INDEX events_peer_ip ON events (peer_ip, time) WHERE peer_ip IS NOT NULL;
CREATE INDEX events_peer_host ON events (peer_host, time) WHERE peer_host IS NOT NULL;
CREATE INDEX events_helo ON events (helo, time) WHERE helo IS NOT NULL;
CREATE INDEX events_time ON events (time);
CREATE INDEX events_kind ON events (kind, time);

-- Events with the name of the file they came from, for ad-hoc SQL.
CREATE VIEW event_view AS
    SELECT e.id, e.time, datetime(e.time, 'unixepoch') AS time_utc, e.server, e.mta,
           e.program, e.pid, e.direction, e.kind, e.peer_host, e.peer_ip, e.peer_port, e.helo,
           e.user, e.mech, e.reason, e.tls_version, e.cipher, e.queue_id, f.path AS source,
           e.offset, e.raw
    FROM events e LEFT JOIN files f ON f.id = e.file_id;
