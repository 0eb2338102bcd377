"""Make each job's result: learn its source video, then render in a worker thread, once per spec."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import aiohttp

from bot.pika.simulator import sources, specs
from bot.pika.simulator.config import SimulatorConfig
from bot.pika.simulator.jobs import SimJob
from bot.pika.simulator.validation import RequestRejectedError
from bot.pika.simulator.video import RenderResult, RenderSpec, VideoInfo, render

log = logging.getLogger(__name__)

RENDER_FAILED = "The video could not be generated (render failed)"


class ResultMaker:
    """Render results without blocking the event loop; jobs with the same inputs share files."""

    def __init__(
        self, config: SimulatorConfig, directory: Path, session: aiohttp.ClientSession
    ) -> None:
        self._config = config
        self._directory = directory
        self._session = session
        self._renders: dict[str, asyncio.Task[RenderResult]] = {}
        self._slots = asyncio.Semaphore(max(1, config.render_concurrency))
        self._cancel = threading.Event()

    async def make(self, job: SimJob) -> None:
        """Set ``job.result``, or ``job.render_error`` when the result cannot be made."""
        try:
            spec = await self._spec(job)
            job.result = await self._render(spec)
            log.info("job %s: rendered %s (%d bytes)", job.id, job.video_name, job.result.size)
        except RequestRejectedError as error:
            # A foreign source turned out not to fit the request (e.g. speech too long).
            job.render_error = str(error)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s: render failed", job.id)
            job.render_error = RENDER_FAILED
        # A late render holds a queue slot until now (see JobTable's lanes).
        job.rendered_at = self._config.clock()

    async def close(self) -> None:
        """Stop renders at their next frame and wait for their threads to return."""
        self._cancel.set()
        await asyncio.gather(*self._renders.values(), return_exceptions=True)
        self._renders.clear()

    async def _spec(self, job: SimJob) -> RenderSpec:
        submission = job.submission
        info: VideoInfo | None = None
        source_spec: RenderSpec | None = None
        if job.source_job is not None and job.source_job.result is not None:
            info = job.source_job.result.info
            source_spec = job.source_job.result.spec
        elif job.source_info is not None:
            info = job.source_info
        elif submission.source_video is not None:
            info = await sources.fetch_video_info(
                self._session,
                submission.source_video,
                self._directory / "sources",
                limit_seconds=self._config.download_timeout,
                max_bytes=self._config.max_download_bytes,
            )
        if submission.resolution is not None:
            return specs.hd_spec_for(
                submission,
                job.seed,
                fps=self._config.hd_fps,
                large=self._config.large_video,
                source=info,
                source_spec=source_spec,
            )
        return specs.spec_for(
            submission,
            job.seed,
            video_seconds=self._config.video_seconds,
            extend_seconds=self._config.extend_seconds,
            large=self._config.large_video,
            source=info,
            source_spec=source_spec,
        )

    async def _render(self, spec: RenderSpec) -> RenderResult:
        task = self._renders.get(spec.key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.create_task(self._render_now(spec), name=f"pika-render-{spec.key}")
            self._renders[spec.key] = task
        # Shielded: one job's cancellation must not cancel a render other jobs wait for.
        return await asyncio.shield(task)

    async def _render_now(self, spec: RenderSpec) -> RenderResult:
        async with self._slots:
            directory = self._directory / "results" / spec.key
            return await asyncio.to_thread(render, spec, directory, self._cancel)
