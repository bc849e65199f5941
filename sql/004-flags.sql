-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 4: flagged peers.
--
-- flags: one row per time a peer crossed a threshold of tlslogd.conf
--        ("flag NAME KINDS COUNT WINDOW"): the peer is an IP address, or a
--        domain (".example.net") taken from the reverse names of its hosts.
--        While the flag is active (cleared IS NULL) later events of the
--        group raise count and last_event; it is cleared flag_quiet after
--        its last event, and the row stays as history. Written in the same
--        transaction as the event that caused the change.
CREATE TABLE flags (
    id           INTEGER PRIMARY KEY,
    peer         TEXT    NOT NULL,
    peer_kind    TEXT    NOT NULL CHECK (peer_kind IN ('ip', 'domain')),
    threshold    TEXT    NOT NULL,           -- the NAME of the flag line
    first_event  INTEGER NOT NULL,           -- first event of the window that crossed it
    last_event   INTEGER NOT NULL,
    count        INTEGER NOT NULL,           -- events of the group since first_event
    flagged      INTEGER NOT NULL,           -- time of the event that crossed it
    why          TEXT    NOT NULL,           -- "5 events of auth_failed in 10m"
    main_kind    TEXT,                       -- the kind of most of its events
    host         TEXT,                       -- a reverse name of the peer, if logged
    cleared      INTEGER                     -- NULL: active
);
CREATE UNIQUE INDEX flags_active ON flags (peer, threshold) WHERE cleared IS NULL;
CREATE INDEX flags_flagged ON flags (flagged);
CREATE INDEX flags_cleared ON flags (cleared) WHERE cleared IS NOT NULL;
