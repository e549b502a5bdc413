DROP INDEX messages_search;
ALTER TABLE messages DROP COLUMN search;
DROP TABLE notifications;
DROP TABLE pins;
DROP TABLE mentions;
DROP TABLE reactions;
DROP TABLE message_edits;
