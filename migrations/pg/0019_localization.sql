-- 0019_localization: a member's own localization (Settings > Localization
-- holds the organisation's, in the settings store; src/admin/localization.c).
-- NULL: the organisation's value. The values are checked by the API (the
-- same lists as the settings rows), not here, so adding a language or a
-- date format needs no migration.
ALTER TABLE staff ADD COLUMN l10n_language TEXT;
ALTER TABLE staff ADD COLUMN l10n_timezone TEXT;
ALTER TABLE staff ADD COLUMN l10n_date_format TEXT;
ALTER TABLE staff ADD COLUMN l10n_time_format TEXT;
ALTER TABLE staff ADD COLUMN l10n_thousands_separator TEXT;
ALTER TABLE staff ADD COLUMN l10n_decimal_separator TEXT;
ALTER TABLE staff ADD COLUMN l10n_first_day_of_week TEXT;
