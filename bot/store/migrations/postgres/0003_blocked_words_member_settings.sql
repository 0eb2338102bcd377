-- In step with SQLite's 0008 (blocked words) and 0009 (member settings, private jobs).

CREATE TABLE blocked_words (
    guild_id   bigint NOT NULL,
    word       text   NOT NULL CHECK (length(word) BETWEEN 1 AND 100),
    added_by   bigint NOT NULL,
    added_at   text COLLATE "C" NOT NULL,
    PRIMARY KEY (guild_id, word)
);

CREATE TABLE member_settings (
    user_id          bigint PRIMARY KEY,
    model            text,
    aspect_ratio     text,
    motion           integer CHECK (motion BETWEEN 1 AND 4),
    frame_rate       integer CHECK (frame_rate BETWEEN 1 AND 24),
    negative_prompt  text,
    private_results  integer NOT NULL DEFAULT 0 CHECK (private_results IN (0, 1)),
    updated_at       text COLLATE "C" NOT NULL
);

ALTER TABLE jobs ADD COLUMN private integer NOT NULL DEFAULT 0 CHECK (private IN (0, 1));
