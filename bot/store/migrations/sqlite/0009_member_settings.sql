-- A member's own defaults (/settings), the same in every server; NULL: the bot's default.
CREATE TABLE member_settings (
    user_id          INTEGER PRIMARY KEY,
    model            TEXT,
    aspect_ratio     TEXT,
    motion           INTEGER CHECK (motion BETWEEN 1 AND 4),
    frame_rate       INTEGER CHECK (frame_rate BETWEEN 1 AND 24),
    negative_prompt  TEXT,
    private_results  INTEGER NOT NULL DEFAULT 0 CHECK (private_results IN (0, 1)),
    updated_at       TEXT NOT NULL
);

-- A job whose results only its owner sees (ephemeral while the interaction lives, then DM).
ALTER TABLE jobs ADD COLUMN private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1));
