"""Members' own defaults (/settings), one row per member."""

from __future__ import annotations

from typing import Any

from bot.domain.member import UNSET, MemberDefaults
from bot.store.clock import encode_time
from bot.store.database import Database
from bot.store.sql import Row, Tx

_SELECT = "SELECT * FROM member_settings WHERE user_id = ?"


class MemberSettings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> MemberDefaults:
        rows = await self._db.read_rows(_SELECT, user_id)
        return _defaults(rows[0] if rows else None)

    async def update(self, user_id: int, *, reset: bool = False, **changes: Any) -> MemberDefaults:
        """Change the given settings (``UNSET`` ones stay); ``reset`` clears all first."""
        unknown = set(changes) - set(MemberDefaults.names())
        if unknown:
            raise ValueError(f"unknown member settings: {sorted(unknown)}")
        now = encode_time(self._db.clock.now())

        async def work(tx: Tx) -> MemberDefaults:
            if reset:
                await tx.execute("DELETE FROM member_settings WHERE user_id = ?", user_id)
            current = _defaults(await tx.fetchone(_SELECT, user_id))
            values = {name: getattr(current, name) for name in MemberDefaults.names()}
            values.update({name: value for name, value in changes.items() if value is not UNSET})
            values["private_results"] = bool(values["private_results"])
            updated = MemberDefaults(**values)
            if updated.empty:
                await tx.execute("DELETE FROM member_settings WHERE user_id = ?", user_id)
                return updated
            await tx.execute(
                "INSERT INTO member_settings (user_id, model, aspect_ratio, motion, frame_rate, "
                "negative_prompt, private_results, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET model = excluded.model, "
                "aspect_ratio = excluded.aspect_ratio, motion = excluded.motion, "
                "frame_rate = excluded.frame_rate, negative_prompt = excluded.negative_prompt, "
                "private_results = excluded.private_results, updated_at = excluded.updated_at",
                user_id,
                updated.model,
                updated.aspect_ratio,
                updated.motion,
                updated.frame_rate,
                updated.negative_prompt,
                int(updated.private_results),
                now,
            )
            return updated

        return await self._db.write(work)


def _defaults(row: Row | None) -> MemberDefaults:
    if row is None:
        return MemberDefaults()
    return MemberDefaults(
        model=row["model"],
        aspect_ratio=row["aspect_ratio"],
        motion=row["motion"],
        frame_rate=row["frame_rate"],
        negative_prompt=row["negative_prompt"],
        private_results=bool(row["private_results"]),
    )
