-- tlslogd database, schema version 6: no index on (kind, time).
--
-- No reader needs it: query, top and summary select by peer or by time
-- (events_time), then by kind. It cost every stored event a B-tree insert,
-- 30 bytes on disk and about 12% of the time of storing it.
DROP INDEX IF EXISTS events_kind;
