-- In step with SQLite's 0010: the server's chosen language and each job's public language.

ALTER TABLE guild_settings ADD COLUMN locale text;

ALTER TABLE jobs ADD COLUMN locale text;
