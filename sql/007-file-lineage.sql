-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 7: a log file known by its text, and
-- what could not be read.
--
-- files.log_name:   the log a file belongs to: its base name without the
--                   suffixes rotation gives it ("mail.log" for mail.log.1 and
--                   mail.log-20261207.gz); filled in for old rows by
--                   tlslogd_log_name(), a function tlslogd registers on its
--                   own connection.
-- files.head_whole: the fingerprint covers a whole first line (or its first
--                   KiB), which can no longer change as the file grows. A
--                   file whose whole first line and log name are those of a
--                   record is that record's file, whatever its inode: a
--                   rename across file systems, logrotate's copytruncate
--                   copy, a compressed rotation. Old rows get it when their
--                   file is next read.
-- files.size:       the file's size when its position was last recorded by
--                   the daemon: a file that was read to its end then and is
--                   gone now lost nothing.
-- sources.current_id: the file under the source's name at the last commit
--                   (file_id is the oldest one not finished, a rotated file
--                   still drained): after a restart both are looked for,
--                   wherever rotation took them.
-- losses:           bytes of a log that were never read because the file
--                   holding them was gone (deleted, or compressed in a format
--                   tlslogd cannot read) when tlslogd came to read them; one
--                   row per file, with the byte range (to_offset NULL: to its
--                   end, size unknown). `tlslogd stats` counts them.
ALTER TABLE files ADD COLUMN log_name TEXT;
ALTER TABLE files ADD COLUMN head_whole INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN size INTEGER;
ALTER TABLE sources ADD COLUMN current_id INTEGER REFERENCES files (id);
UPDATE files SET log_name = tlslogd_log_name(path);
CREATE INDEX files_content ON files (fingerprint) WHERE head_whole;
CREATE TABLE losses (
    id           INTEGER PRIMARY KEY,
    time         INTEGER NOT NULL,
    file_id      INTEGER REFERENCES files (id),
    path         TEXT    NOT NULL,
    from_offset  INTEGER NOT NULL,
    to_offset    INTEGER,
    reason       TEXT    NOT NULL
);
