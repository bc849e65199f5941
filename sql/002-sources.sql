-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 2: the daemon's sources.
--
-- sources: one row per source `tlslogd run` follows, by the name it is
--          configured with (the file name as written in tlslogd.conf, or
--          "journal"). A file source remembers the file it last read under
--          that name (files.id), so that a file rotated while tlslogd was down
--          is found and finished before the new one; a journal source
--          remembers the cursor of the last entry committed. Updated in the
--          same transaction as the events read.
CREATE TABLE sources (
    name        TEXT    PRIMARY KEY,
    file_id     INTEGER REFERENCES files (id),
    cursor      TEXT,
    first_seen  INTEGER NOT NULL,
    updated     INTEGER NOT NULL
);
