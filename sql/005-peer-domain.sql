-- tlslogd database, schema version 5: the domain of each event's peer.
--
-- peer_domain: the registered domain of the peer's reverse name, the one
--              flagging uses (".example.net" for mx1.example.net, see
--              flag_domain_of in src/flag.c); NULL without a usable reverse
--              name. With its index, "tlslogd query --peer .example.net" and
--              "tlslogd top --by domain" are index lookups, not a scan of every
--              host name (a suffix cannot use the peer_host index).
-- Existing events are filled in by tlslogd_domain(), a function tlslogd
-- registers on its own connection: this migration runs only inside tlslogd
-- (as all of them do: the SQL is compiled in).
ALTER TABLE events ADD COLUMN peer_domain TEXT;
UPDATE events SET peer_domain = tlslogd_domain(peer_host) WHERE peer_host IS NOT NULL;
CREATE INDEX events_peer_domain ON events (peer_domain, time) WHERE peer_domain IS NOT NULL;
