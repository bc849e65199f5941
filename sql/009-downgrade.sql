-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 9: a failure's outcome apart from its cause.
--
-- events.downgraded: 1 when TLS failed and the mail then went out in clear
--        text (Exim's "TLS session: ...: delivering unencrypted to H=...",
--        Postfix's delivery after a failed handshake). The kind stays the
--        cause where the log names one (a non-TLS peer, an expired
--        certificate); tls_downgraded is the kind only when the log names
--        no cause. Events stored before this version get 1 when their kind
--        is tls_downgraded, 0 otherwise.
ALTER TABLE events ADD COLUMN downgraded INTEGER NOT NULL DEFAULT 0;
UPDATE events SET downgraded = 1 WHERE kind = 'tls_downgraded';

DROP VIEW IF EXISTS event_view;
CREATE VIEW event_view AS
    SELECT e.id, e.time, datetime(e.time, 'unixepoch') AS time_utc, e.server, e.mta,
           e.program, e.pid, e.direction, e.kind, e.peer_host, e.peer_ip, e.peer_port, e.helo,
           e.user, e.mech, e.reason, e.tls_version, e.cipher, e.queue_id, f.path AS source,
           e.offset, e.raw, e.downgraded
    FROM events e LEFT JOIN files f ON f.id = e.file_id;
