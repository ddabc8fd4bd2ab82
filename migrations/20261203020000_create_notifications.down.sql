ALTER TABLE aidants DROP COLUMN digest_opt_out;
DROP TABLE notifications_sent;
