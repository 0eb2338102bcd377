"""A local Pika service: a real aiohttp server speaking both dialects and making real MP4s.

Run it: ``python -m bot.pika.simulator --port 8787 [--api-key K] [--job-seconds 4]
[--fail-rate 0.1] [--large-video] [--faults JSON]`` (``--help`` lists everything), or embed it::

    async with Simulator(SimulatorConfig(job_seconds=0.2)) as sim:
        sim.webbot_base   # http://127.0.0.1:PORT/web
        sim.feed_base     # http://127.0.0.1:PORT
        sim.faults.status_500.count = 2
        sim.requests      # RecordedRequest list; sim.jobs is the job table

Routes
------
webbot (under ``/web``): ``POST /generate``, ``/lipSync``, ``/adjust``, ``/extend``,
``/upscale``, ``/jobs/upscaled``; ``GET /jobs/{id}``. feed: ``POST /pika/generate``,
``GET /pika/feed/{id}``. A job is only visible through the dialect that created it.
Results: ``GET /files/{job id}/{name}`` (``<prompt>_seed<seed>.mp4``, ``..._share.mp4``,
``poster.jpg``, ``thumbnail.jpg``), served once the job is finished, no key needed.
Bodies are parsed as JSON whatever the Content-Type. Invalid requests answer 400
``{"message": <what is wrong>, "error": "invalid_request"}``; unknown ids 404; a missing or
wrong ``Authorization: Bearer`` key (when ``api_key`` is set) 401.

Jobs
----
A job's state is computed from the clock: ``delayed`` for the first 10% of ``job_seconds``
(only when ``delayed_after`` jobs were in flight at submission), ``queued`` until 25%, then
``started`` (feed: ``pending``) with ``progress`` rising to 99, then ``finished`` (or
``failed``; feed: ``error``) once the time is up and the result has been rendered. Results
are rendered in a worker thread at submission and cached by their inputs, so the same
request with the same seed gives byte-identical files. Webbot jobs with ``webhookOverride``
are POSTed (Get Job shape) to it once when they end; deliveries are in ``sim.webhooks``.

Faults
------
Set in ``SimulatorConfig.faults``, on ``sim.faults``, or with ``POST /_sim/faults`` (a JSON
object; each key given replaces that rule, ``null`` clears it; the answer is the whole
config, also at ``GET /_sim/faults``)::

    {"status_500": {"count": 2, "routes": ["submit"], "after_handler": false},
     "status_429": {"rate": 0.5, "retry_after": 3},
     "slow": {"count": 1, "seconds": 2.5, "routes": ["poll"]},
     "malformed": {"count": 1},
     "omit_progress": {"rate": 0.5},
     "fail_jobs": {"count": 1, "rate": 0.0, "marker": "[fail]", "message": "..."}}

Each rule fires for its next ``count`` matching requests, then for a share ``rate`` of them
(dice seeded by ``SimulatorConfig.seed``). ``routes`` scopes it: ``submit`` (POSTs that start
work), ``poll`` (status reads, including ``/jobs/upscaled``), ``files`` (downloads) and
``any`` (the default: submit and poll, never downloads unless ``files`` is named). Faults
are decided before the key is checked, in this order: ``slow`` waits, then ``status_500``
(with ``after_handler`` the request takes effect and only the answer is lost) or
``status_429`` (with ``Retry-After``) answer instead, else ``malformed`` replaces a
successful answer with broken JSON after the request took effect. ``omit_progress`` drops
``progress`` from status answers. ``fail_jobs`` decides at submission: jobs whose prompt
contains ``marker``, the next ``count`` jobs, or a share ``rate`` end as failed with
``message``; ``SimulatorConfig.fail_rate`` adds to that rate.

Control routes (no key, no faults, not recorded): ``GET /_sim/requests`` (recorded requests:
method, path, query, headers without Authorization, json, text, time, scope),
``GET /_sim/jobs``, ``POST /_sim/reset`` (starting faults back, requests forgotten;
``{"jobs": true}`` also forgets jobs).
"""

from bot.pika.simulator.app import RecordedRequest, Simulator
from bot.pika.simulator.config import SimulatorConfig
from bot.pika.simulator.faults import FaultConfig
from bot.pika.simulator.webhooks import WebhookDelivery

__all__ = ["FaultConfig", "RecordedRequest", "Simulator", "SimulatorConfig", "WebhookDelivery"]
