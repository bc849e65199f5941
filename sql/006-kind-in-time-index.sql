-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 6: the kind moves into the time index.
--
-- events_kind (kind, time) cost every stored event a B-tree insert of its
-- own (about 12% of the time of storing it) and 30 bytes on disk. Readers
-- select by peer or by time, then by kind; with the kind in events_time
-- (time, kind), a period's counts per kind (top, summary) and the counts of
-- the whole table (stats) are read from that index alone, without the table.
-- (Databases that took schema 5 before it had the backfills table get it
-- here, empty: their events were filled in by that migration.)
CREATE TABLE IF NOT EXISTS backfills (
    name     TEXT PRIMARY KEY,
    next_id  INTEGER NOT NULL
);
DROP INDEX IF EXISTS events_kind;
DROP INDEX IF EXISTS events_time;
CREATE INDEX events_time ON events (time, kind);
