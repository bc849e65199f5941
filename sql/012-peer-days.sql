-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 12: what went right, per peer and day.
--
-- peer_days: the successes of each peer, one row per peer, UTC day,
-- direction and server: TLS sessions by protocol version and cipher family,
-- sessions in clear text, messages received or delivered, logins. Written by
-- the one writer in the transaction of the events and read positions of the
-- same lines (never one row per success line: the rows of a transaction are
-- summed in memory and each is written once at its commit), so a crash never
-- counts a line twice nor loses one (files.counted below).
--
--   peer        the peer's address in canonical form, or its name when the
--               line names no address
--   day         UTC day: time / 86400
--   direction   'in' (the peer connected to us) or 'out' (we delivered to it)
--   server      the host that logged the line ('' when none)
--   mta         postfix, exim, sendmail, dovecot
--   host        the peer's name as last logged (reverse name, relay name)
--   first_time, last_time  first and last success of the day (UTC seconds)
--   last_version  the protocol of the last TLS success of the day
--               ('TLSv1.2'; NULL when the day had none)
--   clear       successes in clear text (sessions, or messages and logins
--               whose line says they were not encrypted)
--   ssl3 tls10 tls11 tls12 tls13 tls_other  successes over TLS by protocol
--               (tls_other: the line says TLS but no version, Dovecot's ", TLS")
--   aead cbc des3 rc4 cipher_other  the same successes by cipher family
--               (AES-GCM, AES-CCM and ChaCha20-Poly1305 are aead)
--   messages    messages received (in) or delivered (out)
--   logins      IMAP/POP3/submission logins (Dovecot)
--
-- One line may count twice over: an Exim "<=" line is a message and says
-- its TLS version. The key begins with the peer, so the history of one peer
-- (a regression's "delivered over TLS every day until") is one index range;
-- the census over the last days of every peer reads the whole table, which
-- holds one row per peer and day (retention deletes old days).
CREATE TABLE peer_days (
    peer          TEXT    NOT NULL,
    day           INTEGER NOT NULL,
    direction     TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    server        TEXT    NOT NULL DEFAULT '',
    mta           TEXT    NOT NULL,
    host          TEXT,
    first_time    INTEGER NOT NULL,
    last_time     INTEGER NOT NULL,
    last_version  TEXT,
    clear         INTEGER NOT NULL DEFAULT 0,
    ssl3          INTEGER NOT NULL DEFAULT 0,
    tls10         INTEGER NOT NULL DEFAULT 0,
    tls11         INTEGER NOT NULL DEFAULT 0,
    tls12         INTEGER NOT NULL DEFAULT 0,
    tls13         INTEGER NOT NULL DEFAULT 0,
    tls_other     INTEGER NOT NULL DEFAULT 0,
    aead          INTEGER NOT NULL DEFAULT 0,
    cbc           INTEGER NOT NULL DEFAULT 0,
    des3          INTEGER NOT NULL DEFAULT 0,
    rc4           INTEGER NOT NULL DEFAULT 0,
    cipher_other  INTEGER NOT NULL DEFAULT 0,
    messages      INTEGER NOT NULL DEFAULT 0,
    logins        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (peer, day, direction, server)
) WITHOUT ROWID;

-- files.counted: the successes of the lines before this offset are in
-- peer_days. It is written with the read position, in the same transaction,
-- and may be ahead of it (a multi-line failure still open holds the position
-- back; its lines are read again after a crash, their successes are not
-- counted again). 0 for files read before this version: nothing was counted.
ALTER TABLE files ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
