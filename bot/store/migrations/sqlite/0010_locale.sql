-- The language a server's public messages use (/admin language); NULL: its Discord locale.
ALTER TABLE guild_settings ADD COLUMN locale TEXT;

-- The language a job's public messages use, chosen when it was made, so the progress edits
-- and the result after a restart speak it too; NULL (older jobs): English.
ALTER TABLE jobs ADD COLUMN locale TEXT;
