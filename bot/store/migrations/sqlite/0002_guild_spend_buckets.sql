-- The guild budget check summed every hold of the whole server in the period, which grows with
-- the server's activity and runs inside the write lock of every new job. Keep 15-minute totals
-- of held-and-not-released credits per guild instead: a period (which always starts and ends on a
-- quarter hour) is then at most a few thousand small rows. Triggers maintain the totals from the
-- ledger in the same transaction, so they cannot drift from it.

CREATE TABLE guild_spend (
    guild_id INTEGER NOT NULL,
    bucket   INTEGER NOT NULL,  -- epoch seconds of the quarter hour the holds were made in
    credits  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, bucket)
) WITHOUT ROWID;

INSERT INTO guild_spend (guild_id, bucket, credits)
SELECT h.guild_id, CAST(strftime('%s', h.created_at) AS INTEGER) / 900 * 900, SUM(h.amount)
FROM ledger AS h
WHERE h.kind = 'hold'
  AND NOT EXISTS (SELECT 1 FROM ledger AS r WHERE r.job_id = h.job_id AND r.kind = 'release')
GROUP BY 1, 2;

CREATE TRIGGER ledger_hold_adds_guild_spend AFTER INSERT ON ledger WHEN NEW.kind = 'hold'
BEGIN
    INSERT INTO guild_spend (guild_id, bucket, credits)
    VALUES (NEW.guild_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 900 * 900, NEW.amount)
    ON CONFLICT (guild_id, bucket) DO UPDATE SET credits = credits + excluded.credits;
END;

-- A release gives the credits back to the quarter hour of the hold it releases.
CREATE TRIGGER ledger_release_returns_guild_spend AFTER INSERT ON ledger WHEN NEW.kind = 'release'
BEGIN
    UPDATE guild_spend
    SET credits = credits - NEW.amount
    WHERE guild_id = NEW.guild_id
      AND bucket = (
          SELECT CAST(strftime('%s', h.created_at) AS INTEGER) / 900 * 900
          FROM ledger AS h
          WHERE h.job_id = NEW.job_id AND h.kind = 'hold'
      );
END;
