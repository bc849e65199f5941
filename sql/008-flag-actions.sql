-- SPDX-License-Identifier: BSD-2-Clause
-- tlslogd database, schema version 8: the flag and clear actions are part of
-- the record.
--
-- flag_actions: one row per action a flag made due, written in the same
--        transaction as the flag change ('flagged': the flag was raised with
--        its window reaching into the present, or an active flag raised from
--        old events got an event of the present; 'cleared': a flag whose
--        'flagged' action is recorded was cleared). The daemon runs the rows
--        still due (done and gave_up NULL, next_try come) after its commits,
--        when it starts and every 10 s; attempts counts the starts, so that a
--        crash while the command ran is seen. An action runs at least once,
--        and may run more than once (the daemon died after the command ran
--        but before done was committed): actions must be idempotent.
--        A 'cleared' action waits until its 'flagged' one is done; it is
--        given up with it.
CREATE TABLE flag_actions (
    id        INTEGER PRIMARY KEY,
    flag_id   INTEGER NOT NULL REFERENCES flags (id),
    event     TEXT    NOT NULL CHECK (event IN ('flagged', 'cleared')),
    due       INTEGER NOT NULL,            -- when it became due (wall clock)
    attempts  INTEGER NOT NULL DEFAULT 0,  -- times it was started
    next_try  INTEGER NOT NULL,            -- not started (again) before this
    done      INTEGER,                     -- when it exited with status 0
    gave_up   INTEGER,                     -- when tlslogd stopped trying ...
    why       TEXT                         -- ... and why
);
CREATE UNIQUE INDEX flag_actions_flag ON flag_actions (flag_id, event);
CREATE INDEX flag_actions_due ON flag_actions (next_try) WHERE done IS NULL AND gave_up IS NULL;

-- The flags of a peer, for events read out of time order that belong to a
-- flag cleared already.
CREATE INDEX flags_peer ON flags (peer, threshold);
