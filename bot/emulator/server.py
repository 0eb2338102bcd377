"""The emulator server: one aiohttp app serving the REST API, the gateway, the CDN and control."""

from __future__ import annotations

import json
import logging
import math
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.emulator.bodies import PAYLOAD_KEY
from bot.emulator.config import EmulatorConfig
from bot.emulator.control import PREFIX as CONTROL_PREFIX
from bot.emulator.control import ControlRoutes
from bot.emulator.errors import DiscordError, not_found, unauthorized
from bot.emulator.playground_routes import install_playground, is_page_path
from bot.emulator.ratelimit import too_many_requests_body, too_many_requests_headers
from bot.emulator.respond import json_response
from bot.emulator.rest import CdnRoutes, RestRoutes
from bot.emulator.state import API_PREFIX, EmulatorState
from bot.emulator.webhooks import CALLBACK_ROUTE, InteractionRoutes

log = logging.getLogger(__name__)

# Routes authenticated by the webhook token in the path, not by the bot token.
_TOKEN_ROUTES = ("/webhooks/{webhook_id}/{webhook_token}", "/interactions/")
_NO_AUTH = {"/gateway"}
_MAJOR = ("channel_id", "guild_id", "webhook_id", "webhook_token")
DEFAULT_TOKEN = "emulator-bot-token"


class Emulator:
    """A Discord-compatible server for discord.py, with in-memory state and a control API.

    ``async with Emulator(config) as emu:`` starts it on 127.0.0.1 with a free port;
    give the bot ``emu.api_base``, ``emu.gateway_url`` and ``emu.token``.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.state = EmulatorState(self.config)
        self.app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (port 0 picks a free one)."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        self.state.base_url = self.base_url
        log.info("discord emulator listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close gateway connections and stop serving."""
        await self.state.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- addresses ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return ``http://host:port``."""
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_base(self) -> str:
        """Return the value for ``discord.http.Route.BASE``."""
        return self.state.public_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Return the value for ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``."""
        return self.state.ws_url("/gateway")

    @property
    def control_url(self) -> str:
        """Return the base of the control API."""
        return self.state.public_url + CONTROL_PREFIX

    @property
    def token(self) -> str:
        """Return a bot token the emulator accepts."""
        return self.config.token or DEFAULT_TOKEN

    def describe(self) -> dict[str, Any]:
        """Return what a bot and a driver need to connect."""
        return {
            "base_url": self.state.public_url,
            "api_base": self.api_base,
            "gateway_url": self.gateway_url,
            "control_url": self.control_url,
            "token": self.token,
            "any_token": self.config.token is None,
            "application_id": str(self.state.world.application.id),
        }

    # -- app ----------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self._middleware],
            client_max_size=self.config.max_request_size * 2,
        )
        state = self.state
        app.add_routes(RestRoutes(state).routes(API_PREFIX))
        app.add_routes(InteractionRoutes(state).routes(API_PREFIX))
        app.add_routes(CdnRoutes(state).routes())
        app.add_routes(ControlRoutes(state, self.describe).routes())
        app.add_routes(
            [
                web.get("/gateway", state.gateway.handle),
                web.get("/gateway/", state.gateway.handle),
                web.get("/gateway/resume", state.gateway.handle),
            ]
        )
        install_playground(app, state)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        if path.startswith("/gateway") or is_page_path(path):
            return await handler(request)
        if path.startswith(CONTROL_PREFIX):
            if request.match_info.http_exception is not None:
                return json_response({"error": "no such control route"}, status=404)
            return await handler(request)
        state = self.state
        resource = request.match_info.route.resource
        canonical = resource.canonical if resource is not None else None
        template = canonical.removeprefix(API_PREFIX) if canonical else None
        relative = path.removeprefix(API_PREFIX)
        headers: dict[str, str] = {}
        try:
            response = await self._serve(request, handler, template, relative, headers)
        except DiscordError as exc:
            response = json_response(
                exc.body(), status=exc.status, headers={**headers, **exc.headers}
            )
        except web.HTTPException as exc:
            if exc.status == 405:
                response = json_response(
                    {"message": "405: Method Not Allowed", "code": 0}, status=405
                )
            else:
                response = json_response(not_found().body(), status=404)
        state.log_request(request.method, template, path, response.status, request.query_string)
        if state.recording:
            state.record_exchange(_exchange(request, template, response))
        return response

    async def _serve(
        self,
        request: web.Request,
        handler: Any,
        template: str | None,
        relative: str,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        state = self.state
        method = request.method
        if template is None or request.match_info.http_exception is not None:
            exc = request.match_info.http_exception
            if exc is not None and exc.status == 405:
                raise DiscordError(405, 0, "405: Method Not Allowed")
            raise not_found()
        fault = state.faults.take(method, template, relative)
        if fault is not None:
            return self._fault_response(fault)
        if template.startswith("/cdn/"):
            return await handler(request)
        if not template.startswith(_TOKEN_ROUTES) and template not in _NO_AUTH:
            self._authenticate(request)
        if template == CALLBACK_ROUTE:
            headers.update(state.ratelimits.unlimited_headers(template))
        else:
            major = "+".join(request.match_info[k] for k in _MAJOR if k in request.match_info)
            decision = state.ratelimits.check(method, template, major)
            headers.update(decision.headers)
            if not decision.allowed:
                headers.update(too_many_requests_headers(decision.retry_after, scope="user"))
                return json_response(
                    too_many_requests_body(decision.retry_after), status=429, headers=headers
                )
        try:
            response = await handler(request)
        except DiscordError as exc:
            exc.headers = {**headers, **exc.headers}
            raise
        response.headers.update(headers)
        return response

    def _authenticate(self, request: web.Request) -> None:
        value = request.headers.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme != "Bot" or not token:
            raise unauthorized()
        if self.config.token is not None and token != self.config.token:
            raise unauthorized()

    def _fault_response(self, fault: Any) -> web.Response:
        if fault.status == 429:
            headers = {
                "X-RateLimit-Limit": "1",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                **too_many_requests_headers(
                    fault.retry_after, scope="global" if fault.is_global else "shared"
                ),
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            body = too_many_requests_body(fault.retry_after, is_global=fault.is_global)
            if fault.message:
                body["message"] = fault.message
            return json_response(body, status=429, headers=headers)
        reason = fault.message or _default_reason(fault.status)
        return json_response(
            {"message": reason, "code": fault.code},
            status=fault.status,
            headers={"Retry-After": str(math.ceil(fault.retry_after))}
            if fault.status == 503
            else None,
        )


def _exchange(
    request: web.Request, template: str | None, response: web.StreamResponse
) -> dict[str, Any]:
    """Describe one request and its answer for the traffic recording."""
    body: Any = None
    kind = response.headers.get("Content-Type", "")
    if kind == "application/json" and isinstance(response, web.Response) and response.body:
        assert isinstance(response.body, bytes)
        body = json.loads(response.body)
    return {
        "method": request.method,
        "route": template,
        "path": request.path,
        "query": dict(request.query),
        "request": request.get(PAYLOAD_KEY),
        "status": response.status,
        "content_type": kind,
        "response": body,
    }


def _default_reason(status: int) -> str:
    return {
        500: "500: Internal Server Error",
        502: "502: Bad Gateway",
        503: "503: Service Unavailable",
        504: "504: Gateway Timeout",
        400: "400: Bad Request",
        401: "401: Unauthorized",
        403: "403: Forbidden",
        404: "404: Not Found",
    }.get(status, f"{status}: Emulated fault")
