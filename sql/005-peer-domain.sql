-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 5: the domain of each event's peer.
--
-- peer_domain: the registered domain of the peer's reverse name, the one
--              flagging uses (".example.net" for mx1.example.net, see
--              flag_domain_of in src/flag.c); NULL without a usable reverse
--              name. With its index, "tlslogd query --peer .example.net" and
--              "tlslogd top --by domain" are index lookups, not a scan of every
--              host name (a suffix cannot use the peer_host index).
--
-- backfills: work on existing rows that a migration leaves to be done in
--              small transactions after it (store.c, run_backfills): one row
--              per job, with the next event id to do. Filling peer_domain in
--              one UPDATE would rewrite every event inside the migration's
--              transaction, and the write-ahead log would grow to the size of
--              the table (gigabytes on a mail provider's database) before
--              anything could be checkpointed. Events are filled in by
--              tlslogd_domain(), a function tlslogd registers on its own
--              connection: the SQL is compiled into tlslogd.
ALTER TABLE events ADD COLUMN peer_domain TEXT;
CREATE TABLE IF NOT EXISTS backfills (
    name     TEXT PRIMARY KEY,
    next_id  INTEGER NOT NULL
);
INSERT INTO backfills (name, next_id)
    SELECT 'peer_domain', first FROM (SELECT min(id) AS first FROM events) WHERE first IS NOT NULL;
CREATE INDEX events_peer_domain ON events (peer_domain, time) WHERE peer_domain IS NOT NULL;
