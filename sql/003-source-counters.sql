-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 3: counters of the daemon's sources.
--
-- Added to in the same transaction as the events and the position: lines
-- read (lines read again after a crash count again), lines cut for their
-- length (max_line), and lines about TLS or AUTH that no rule, not even an
-- ignore rule, knows (what "tlslogd test-rules --missed" would list).
ALTER TABLE sources ADD COLUMN lines INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN lines_cut INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN lines_unknown INTEGER NOT NULL DEFAULT 0;
