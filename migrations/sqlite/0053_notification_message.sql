-- 0053_notification_message: a notification the system writes also names
-- its message (src/admin/notification.h): {"key": "...", "params": {...}}
-- as JSON text, so the web UI shows it in the reader's language; title and
-- body stay the English text for API clients and older rows.
ALTER TABLE notification ADD COLUMN message TEXT;
