-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd on PostgreSQL, schema version 2: networks found by index.
--
-- `query --peer 192.0.2.0/24` (and every reader's network filter) tests the
-- peer's address as inet: "is in this network" is no range of text in a
-- database's collation. Version 1 had no index for it, so a network read
-- cast the peer_ip of every event. This index is on that very expression,
-- which src/reportdb.c writes the same way (pg_inet_of there): the planner
-- turns "<<= network" into a range of the index.
--
-- Only a text shaped like an address is cast; anything else (a link-local
-- address with its zone, fe80::1%eth0) is NULL here and never in a network.
-- tlslogd stores peer_ip in canonical form (inet_ntop's), so the cast of a
-- text of that shape does not fail.
--
-- Building it reads the whole events table, in the migration's transaction:
-- writers of the fleet wait for it (they stop on the migration's lock, then
-- find the schema done). On a large database, create it beforehand by hand
-- with CREATE INDEX CONCURRENTLY and the same name and expression: this
-- migration then finds it and leaves it.

CREATE INDEX IF NOT EXISTS events_peer_inet ON events ((CASE
    WHEN peer_ip ~ '^([0-9]+[.]){3}[0-9]+$|^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$'
    THEN peer_ip::inet END));
