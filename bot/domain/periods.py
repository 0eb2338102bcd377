"""How often members' allowances start afresh."""

from __future__ import annotations

from enum import StrEnum


class QuotaPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
