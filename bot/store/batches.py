"""Calls of one statement made at the same time, sent to the server as one (group commit).

On PostgreSQL a one-statement write costs mostly the statement itself (its transaction, its
round trip, the function's start), so under load the calls that arrive while earlier ones are
on their way are gathered and sent together. A call that finds a free lane goes at once and
alone: batching adds no wait, it only fills the waits there already were.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

Send = Callable[[Sequence[ItemT]], Awaitable[Sequence[ResultT | Exception]]]
"""Send items as one statement; return one result per item, in their order (an exception is
that item's own failure)."""


class Coalescer(Generic[ItemT, ResultT]):
    """Gathers concurrent calls into batches of at most ``size``, ``lanes`` batches at a time.

    If a batch fails as a whole, each of its items is sent again alone, so one bad item fails
    only its own caller. A caller cancelled while its item waits takes it out of the line; once
    the item is sent, the write goes on (as any write already begun does) and only the answer
    is lost.
    """

    def __init__(self, send: Send[ItemT, ResultT], *, size: int, lanes: int) -> None:
        if size < 1 or lanes < 1:
            raise ValueError("a batch needs room for one item and one lane")
        self._send = send
        self._size = size
        self._lanes = lanes
        self._busy = 0
        self._line: deque[tuple[ItemT, asyncio.Future[ResultT]]] = deque()
        self._drains: set[asyncio.Task[None]] = set()

    async def call(self, item: ItemT) -> ResultT:
        """Send ``item`` with whatever else is waiting; return its own result."""
        future: asyncio.Future[ResultT] = asyncio.get_running_loop().create_future()
        self._line.append((item, future))
        if self._busy < self._lanes:
            self._busy += 1
            drain = asyncio.create_task(self._drain())
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self._line:
                batch = self._take()
                if batch:
                    await self._run(batch)
        finally:
            self._busy -= 1

    def _take(self) -> list[tuple[ItemT, asyncio.Future[ResultT]]]:
        batch: list[tuple[ItemT, asyncio.Future[ResultT]]] = []
        while self._line and len(batch) < self._size:
            item, future = self._line.popleft()
            if not future.done():  # a cancelled caller's item stays unsent
                batch.append((item, future))
        return batch

    async def _run(self, batch: list[tuple[ItemT, asyncio.Future[ResultT]]]) -> None:
        try:
            results = await self._send([item for item, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0][1], error)
                return
            log.warning("A batch of %d writes failed (%s); sending each alone", len(batch), error)
            for one in batch:
                await self._run([one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result)


def _settle(future: asyncio.Future[ResultT], outcome: ResultT | Exception) -> None:
    if future.done():  # its caller was cancelled after the item was sent
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
