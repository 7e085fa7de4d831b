-- The exact time of the newest reply to the reporter, a staff action: a case closes only after
-- a reply newer than its last status change (`cases::check_final_reply`).
ALTER TABLE cases ADD COLUMN last_reply_at TEXT;
