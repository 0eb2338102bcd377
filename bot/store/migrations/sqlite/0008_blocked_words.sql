-- Words and phrases a server's staff refuse in every prompt (stored normalized, see
-- bot/domain/blocked.py), so the check compares like with like.
CREATE TABLE blocked_words (
    guild_id   INTEGER NOT NULL,
    word       TEXT NOT NULL CHECK (length(word) BETWEEN 1 AND 100),
    added_by   INTEGER NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (guild_id, word)
) WITHOUT ROWID;
