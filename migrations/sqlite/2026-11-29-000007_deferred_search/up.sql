-- Search indexing leaves the send path. Messages above the watermark are indexed in bulk:
-- by the send queue's writer between batches once enough have gathered, and before any
-- search. A burst of sends pays one FTS5 segment flush per catch-up instead of one per
-- send transaction (that flush was 15 % of the writer's time in the fan-out profile).
-- Ids are AUTOINCREMENT, never reused, so everything above the watermark is unindexed.
CREATE TABLE search_watermark (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_up_to  BIGINT NOT NULL
);
INSERT INTO search_watermark (id, indexed_up_to) SELECT 1, COALESCE(MAX(id), 0) FROM messages;
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
-- Only an indexed message has entries to remove; an unindexed one is indexed as it is then.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.id <= (SELECT indexed_up_to FROM search_watermark) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages
WHEN old.id <= (SELECT indexed_up_to FROM search_watermark) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
