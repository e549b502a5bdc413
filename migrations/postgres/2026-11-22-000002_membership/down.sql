DROP TABLE announcements;
DROP TABLE user_blocks;
DROP TABLE room_bans;
DROP TABLE invites;
