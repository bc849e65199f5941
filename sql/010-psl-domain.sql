-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 10: peer_domain by the Public Suffix List.
--
-- peer_domain (schema 5) was the last two labels of the reverse name, three
-- under a short list of country second levels: wrong for names like
-- mx1.example.gv.at (".gv.at") and for a provider's private suffixes (every
-- EC2 customer under ".amazonaws.com"). tlslogd now asks libpsl (src/domain.c),
-- and tlslogd_domain() gives the new value; the stored values are recomputed
-- by the backfill of schema 5 (store.c, store_backfill_step): its job is
-- started again from the first event, and it rewrites, in small transactions
-- of a few thousand event ids, only the rows whose stored domain differs, so
-- that a big database's write-ahead log never holds the whole table. Until it
-- is done, an old event may still carry the old guess.
INSERT OR REPLACE INTO backfills (name, next_id)
    SELECT 'peer_domain', first FROM (SELECT min(id) AS first FROM events) WHERE first IS NOT NULL;
