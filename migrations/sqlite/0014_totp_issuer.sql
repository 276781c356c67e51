-- 0014_totp_issuer: the issuer an authenticator app shows for the account
-- (the company name when the member enrolled), so the sign-in step can
-- name the entry to look for even after the company name changed. NULL
-- for enrolments made before: the current company name stands in.
ALTER TABLE staff_totp ADD COLUMN issuer TEXT;
