-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 11: a partner found by its domain.
--
-- recipient_domain: for an outgoing failure, the domain of the recipient of
--              the delivery that failed ("partner.example" for a line with
--              to=<bob@partner.example>, Exim's "== bob@partner.example"),
--              read from the event's raw lines by the parser the advice
--              uses (advice_recipient_domain in src/advice.c), lower case;
--              NULL for incoming failures and when no delivery is named.
-- helo_domain: the registered domain of the HELO name, as peer_domain is of
--              the reverse name (".partner.example" for mx1.partner.example).
--
-- With their indexes, "tlslogd query --peer partner.example" (hosts and HELO
-- names in the domain, deliveries to it) is a few index lookups, not a scan
-- of the raw lines. Events stored before this version are filled in after
-- the migration, a few thousand per transaction (the backfills table of
-- schema 5, job "domains"; store.c), by tlslogd_recipient_domain() and
-- tlslogd_domain(), functions tlslogd registers on its own connection.
ALTER TABLE events ADD COLUMN recipient_domain TEXT COLLATE NOCASE;
ALTER TABLE events ADD COLUMN helo_domain TEXT;
CREATE TABLE IF NOT EXISTS backfills (
    name     TEXT PRIMARY KEY,
    next_id  INTEGER NOT NULL
);
INSERT INTO backfills (name, next_id)
    SELECT 'domains', first FROM (SELECT min(id) AS first FROM events) WHERE first IS NOT NULL;
CREATE INDEX events_recipient_domain ON events (recipient_domain, time)
    WHERE recipient_domain IS NOT NULL;
CREATE INDEX events_helo_domain ON events (helo_domain, time) WHERE helo_domain IS NOT NULL;
