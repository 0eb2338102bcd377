"""Why a job ended without a video, as a code the UI words in the reader's language.

The provider's own explanation, when it gave one, travels beside the code as plain text.
"""

from __future__ import annotations

from enum import StrEnum


class FailureReason(StrEnum):
    PIKA_FAILED = "pika_failed"
    """Pika made the job fail (its message, if any, is the detail)."""
    PIKA_REFUSED = "pika_refused"
    """Pika refused the submission (its reason is the detail)."""
    PIKA_UNAVAILABLE = "pika_unavailable"
    """Pika could not be reached or answered 5xx; it did not take the job."""
    PIKA_NO_ANSWER = "pika_no_answer"
    """The submission was sent but its answer was lost; it is never sent again."""
    PIKA_BUSY = "pika_busy"
    """Pika asked the bot to slow down for longer than a command may wait."""
    PIKA_KEY_REFUSED = "pika_key_refused"
    """Pika refused the bot's key."""
    UNSUPPORTED = "unsupported"
    """The provider cannot do this (the detail says what)."""
    SUBMISSION_LOST = "submission_lost"
    """The bot stopped while Pika was taking the submission; whether it arrived is unknown."""
    DEADLINE = "deadline"
    """Pika did not finish in time (the detail is the limit in seconds)."""
    DISCORD_LOST = "discord_lost"
    """Discord lost the command before the job could be shown."""
    UNEXPECTED = "unexpected"
    """A fault in the bot itself."""
