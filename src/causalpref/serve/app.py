"""The Starlette app: routes, token check, body limits, error answers and metrics.

Every failure becomes a JSON answer `{"error": ..., "problems": [...]}` with its status code and
never a traceback; unexpected ones are logged here and answered 500, and the server goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from causalpref._json import dumps
from causalpref.errors import CausalPrefError
from causalpref.serve.auth import is_authorized
from causalpref.serve.batching import MicroBatcher
from causalpref.serve.metrics import CONTENT_TYPE, ServerMetrics
from causalpref.serve.options import ServeOptions
from causalpref.serve.protocol import RequestError, parse_get_reward, parse_json, parse_rewards
from causalpref.serve.scoring import RewardScorer

log = logging.getLogger("causalpref.serve")

Handler = Callable[[Request], Awaitable[Response]]
STATUS_HEADERS = {401: {"WWW-Authenticate": "Bearer"}, 503: {"Retry-After": "1"}}


def create_app(model: Any, options: ServeOptions | None = None) -> Starlette:
    """An ASGI app serving `model` (a fitted or loaded causalpref model) with `options`.

    Checks at once what can fail at startup: a model fitted on precomputed vectors, and
    `normalize` for a model saved without training reward statistics (ConfigError).
    """
    options = options or ServeOptions()
    server = _Server(RewardScorer(model, normalize=options.normalize), options)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        await server.batcher.start()
        try:
            yield
        finally:
            await server.batcher.stop()

    routes = [
        Route("/health", server.endpoint("health", server.health, public=True), methods=["GET"]),
        Route("/info", server.endpoint("info", server.info), methods=["GET"]),
        Route("/metrics", server.endpoint("metrics", server.metrics_text), methods=["GET"]),
        Route("/get_reward", server.endpoint("get_reward", server.get_reward), methods=["POST"]),
        Route("/rewards", server.endpoint("rewards", server.rewards), methods=["POST"]),
    ]
    handlers = {404: server.not_found, 405: server.wrong_method}
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)
    app.state.metrics = server.metrics
    return app


class _Server:
    """The state behind the routes: scorer, batcher, metrics and options."""

    def __init__(self, scorer: RewardScorer, options: ServeOptions):
        self.scorer = scorer
        self.options = options
        self.needs = scorer.needs
        self.metrics = ServerMetrics()
        self.batcher = MicroBatcher(
            scorer,
            max_batch=options.max_batch,
            max_wait_s=options.max_wait_ms / 1000,
            max_queue=options.max_queue,
            on_batch=self.metrics.observe_batch,
        )

    def endpoint(self, route: str, handler: Handler, *, public: bool = False) -> Handler:
        """`handler` behind the token check, with its failures answered and its time counted."""

        async def answer(request: Request) -> Response:
            start = time.perf_counter()
            try:
                if not public:
                    self._check_token(request)
                response = await handler(request)
            except RequestError as err:
                response = _json(err.body(), err.status)
            except CausalPrefError as err:  # the model refused the input
                response = _json({"error": str(err), "problems": []}, 422)
            except Exception:  # noqa: BLE001 - logged here, never sent to the client
                log.exception("unexpected failure answering %s %s", request.method, route)
                response = _json({"error": "internal error; the server log has details"}, 500)
            self.metrics.observe_request(route, response.status_code, time.perf_counter() - start)
            return response

        return answer

    def _check_token(self, request: Request) -> None:
        token = self.options.token
        if token is not None and not is_authorized(request.headers.get("authorization"), token):
            raise RequestError(
                401, [("Authorization", "missing or wrong: send 'Authorization: Bearer <token>'")]
            )

    async def health(self, request: Request) -> Response:
        """GET /health: answered once the model is loaded, without a token."""
        return _json({"status": "ok"})

    async def info(self, request: Request) -> Response:
        """GET /info: what is served (method, encoder, normalisation) and the limits."""
        limits = {
            "max_batch": self.options.max_batch,
            "max_wait_ms": self.options.max_wait_ms,
            "max_items": self.options.max_items,
            "max_body_bytes": self.options.max_body_bytes,
        }
        return _json({**self.scorer.info(), "limits": limits})

    async def metrics_text(self, request: Request) -> Response:
        """GET /metrics: the Prometheus text exposition."""
        return Response(self.metrics.render(), media_type=CONTENT_TYPE)

    async def get_reward(self, request: Request) -> Response:
        """POST /get_reward: OpenRLHF's protocol; `scores` repeat the rewards."""
        payload = parse_json(await self._body(request))
        items = parse_get_reward(payload, self.needs, self.options.max_items)
        rewards = (await self.batcher.submit(items)).tolist()
        return _json({"rewards": rewards, "scores": rewards, "extra_logs": {}})

    async def rewards(self, request: Request) -> Response:
        """POST /rewards: our route, with chat messages, contexts and users."""
        payload = parse_json(await self._body(request))
        items = parse_rewards(payload, self.needs, self.options.max_items)
        return _json({"rewards": (await self.batcher.submit(items)).tolist()})

    async def _body(self, request: Request) -> bytes:
        """The body, refused with 413 as soon as it exceeds max_body_bytes."""
        limit = self.options.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(int(declared), limit)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(size, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        """A 404 that lists the routes there are."""
        routes = "GET /health, /info, /metrics; POST /get_reward, /rewards"
        return self._unrouted(404, f"no route {request.url.path}; this server has {routes}")

    async def wrong_method(self, request: Request, exc: Exception) -> Response:
        """A 405 naming the method and the path."""
        return self._unrouted(405, f"{request.method} is not allowed on {request.url.path}")

    def _unrouted(self, status: int, message: str) -> Response:
        self.metrics.observe_request("unrouted", status, 0.0)
        return _json({"error": message, "problems": []}, status)


def _too_large(size: int, limit: int) -> RequestError:
    return RequestError(
        413,
        [
            (
                None,
                f"the body has at least {size} bytes, more than this server's limit of {limit} "
                "(--max-body-bytes): split the request",
            )
        ],
    )


def _json(content: Any, status: int = 200) -> Response:
    """A strict JSON answer (NaN as null), with the headers its status calls for."""
    return Response(
        dumps(content),
        status_code=status,
        media_type="application/json",
        headers=STATUS_HEADERS.get(status),
    )
