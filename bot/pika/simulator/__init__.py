"""A local Pika service: a real aiohttp server speaking four dialects and making real MP4s.

Run it: ``python -m bot.pika.simulator --port 8787 [--api-key K] [--job-seconds 4]
[--fail-rate 0.1] [--large-video] [--fal-concurrency 2] [--faults JSON]`` (``--help`` lists
everything), or embed it::

    async with Simulator(SimulatorConfig(job_seconds=0.2)) as sim:
        sim.webbot_base   # http://127.0.0.1:PORT/web
        sim.feed_base     # http://127.0.0.1:PORT
        sim.pikadev_base  # http://127.0.0.1:PORT/pikadev   (for https://devapi.pika.art)
        sim.fal_base      # http://127.0.0.1:PORT/fal       (for https://queue.fal.run)
        sim.fal_jwks_url  # the key fal webhooks are signed with
        sim.faults.status_500.count = 2
        sim.requests      # RecordedRequest list; sim.jobs is the job table

``README.md`` beside this file has the route tables of all four dialects and the assumptions
made where the references are silent; ``pikadev.py`` and ``fal.py`` document their dialects.

Routes
------
webbot (under ``/web``): ``POST /generate``, ``/lipSync``, ``/adjust``, ``/extend``,
``/upscale``, ``/jobs/upscaled``; ``GET /jobs/{id}``. feed: ``POST /pika/generate``,
``GET /pika/feed/{id}``. pikadev (under ``/pikadev``, ``X-API-KEY``): ``POST
/generate/2.2/{t2v,i2v,pikaframes,pikascenes}``, ``/generate/{pikaffects,pikadditions,
pikaswaps}``, ``/generate/turbo/t2v``; ``GET /videos/{id}``. fal (under ``/fal``,
``Authorization: Key``): ``POST /fal-ai/pika/<model path>``, ``GET|PUT
/fal-ai/pika/requests/{id}[/status|/cancel]``, ``GET /.well-known/jwks.json``. A job is only
visible through the dialect that created it.
Results: ``GET /files/{job id}/{name}`` (``<prompt>_seed<seed>.mp4``, ``..._share.mp4``,
``poster.jpg``, ``thumbnail.jpg``), served once the job is finished, no key needed.
webbot and feed bodies are parsed as JSON whatever the Content-Type. Invalid requests answer
400 ``{"message": <what is wrong>, "error": "invalid_request"}``; unknown ids 404; a missing or
wrong ``Authorization: Bearer`` key (when ``api_key`` is set) 401. pikadev and fal refuse as
FastAPI does: 422 ``{"detail": [{"loc", "msg", "type"}]}``, other errors
``{"detail": <text>}`` (fal adds ``error_type`` and an ``X-Fal-Error-Type`` header).

Jobs
----
A job's state is computed from the clock: ``delayed`` for the first 10% of ``job_seconds``
(only when ``delayed_after`` jobs were in flight at submission), ``queued`` until 25%, then
``started`` (feed: ``pending``) with ``progress`` rising to 99, then ``finished`` (or
``failed``; feed: ``error``) once the time is up and the result has been rendered. fal
requests also wait for one of ``fal_concurrency`` slots (``IN_QUEUE`` with a moving
``queue_position``). pikadev and fal results have the asked resolution and length
(720p/1080p on the short side, 5 or 10 s, keyframes as long as their transitions) at
``hd_fps`` frames per second. Results are rendered in a worker thread at submission and
cached by their inputs, so the same request with the same seed gives byte-identical files.
Webbot jobs with ``webhookOverride`` are POSTed (Get Job shape) to it once when they end, fal
requests with ``fal_webhook`` get fal's signed push; deliveries (dropped ones included) are
in ``sim.webhooks``.

Faults
------
Set in ``SimulatorConfig.faults``, on ``sim.faults``, or with ``POST /_sim/faults`` (a JSON
object; each key given replaces that rule, ``null`` clears it; the answer is the whole
config, also at ``GET /_sim/faults``)::

    {"status_500": {"count": 2, "routes": ["submit"], "after_handler": false},
     "status_429": {"rate": 0.5, "retry_after": 3},
     "slow": {"count": 1, "seconds": 2.5, "routes": ["poll"], "after_handler": false},
     "malformed": {"count": 1},
     "omit_progress": {"rate": 0.5},
     "fail_jobs": {"count": 1, "rate": 0.0, "marker": "[fail]", "message": "...",
                   "error_type": "no_media_generated"},
     "drop_webhooks": {"count": 1, "rate": 0.0}}

Each rule fires for its next ``count`` matching requests, then for a share ``rate`` of them
(dice seeded by ``SimulatorConfig.seed``). ``routes`` scopes it: ``submit`` (POSTs that start
work), ``poll`` (status reads, including ``/jobs/upscaled`` and fal's result and cancel),
``files`` (downloads) and ``any`` (the default: submit and poll, never downloads unless
``files`` is named). Faults are decided before the key is checked, in this order: ``slow``
waits (with ``after_handler``, after the request took effect instead: the job exists, only
its answer is late), then ``status_500`` (with ``after_handler`` the request takes effect and
only the answer is lost) or ``status_429`` (with ``Retry-After``) answer instead, else
``malformed`` replaces a successful answer with broken JSON after the request took effect.
``omit_progress`` drops ``progress`` from status answers (pikadev: ``null``; fal: no
``queue_position``). ``fail_jobs`` decides at submission: jobs whose prompt contains
``marker``, the next ``count`` jobs, or a share ``rate`` end as failed with ``message`` (fal
also reports ``error_type``); ``SimulatorConfig.fail_rate`` adds to that rate.
``drop_webhooks`` keeps the next ``count`` pushes, then a share ``rate``, from being sent;
they are recorded with ``dropped`` set.

Control routes (no key, no faults, not recorded): ``GET /_sim/requests`` (recorded requests:
method, path, query, headers without Authorization or X-API-KEY, json, text, time, scope,
authorized, and for form bodies ``form`` (text fields) and ``files`` (name, filename,
content_type, size; never the bytes)), ``GET /_sim/jobs``, ``POST /_sim/reset`` (starting
faults back, requests and webhook deliveries forgotten; ``{"jobs": true}`` also forgets jobs).
"""

from bot.pika.simulator.app import Simulator
from bot.pika.simulator.config import SimulatorConfig
from bot.pika.simulator.faults import FaultConfig
from bot.pika.simulator.records import RecordedRequest
from bot.pika.simulator.webhooks import WebhookDelivery

__all__ = ["FaultConfig", "RecordedRequest", "Simulator", "SimulatorConfig", "WebhookDelivery"]
