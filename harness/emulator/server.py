"""A local stand-in for the Anthropic Messages API, so the real SDK code path runs offline.

It speaks the wire format the official SDK parses (JSON and SSE), checks `x-api-key`, the model
and the context window against the registry, answers from cassettes or a deterministic default,
and injects faults. Token counts it invents are an approximation (about 4 characters a token).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import secrets
import socket
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.emulator.cassettes import Cassette, CassetteStore, prompt_fingerprint
from harness.emulator.faults import Fault, FaultInjector, FaultPlan
from harness.errors import first_error
from harness.models.registry import ModelInfo, Registry, load_registry
from harness.models.usage import Usage

logger = logging.getLogger(__name__)

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
DEFAULT_ANSWER_LABEL = "emulator default answer (token counts approximate)"
_DELTA_CHARS = 32
_EVENTS_BEFORE_DROP = 3


def approx_tokens(text: str) -> int:
    """An approximation of a tokenizer: about 4 characters a token, at least 1 for non-empty text."""
    return (len(text) + 3) // 4


class _TextBlock(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str = ""


class _InMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["user", "assistant"]
    content: str | list[_TextBlock]


class _MessagesBody(BaseModel):
    """The request fields the emulator reads; anything else the SDK sends is accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[_InMessage] = Field(min_length=1)
    system: str | list[_TextBlock] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    stream: bool = False


def _text_of(content: str | list[_TextBlock] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "\n".join(block.text for block in content if block.type == "text")


@dataclass(frozen=True)
class LoggedRequest:
    """One `/v1/messages` call as the emulator saw it: which model was asked for, and what it got.

    `status` 0 means no response was sent (a `hang`); `fault` is None when none was injected.
    """

    model: str | None
    stream: bool
    turn: int
    fingerprint: str | None
    status: int
    fault: str | None
    label: str | None = None


def _usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_write_5m_tokens + usage.cache_write_1h_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_5m_tokens,
            "ephemeral_1h_input_tokens": usage.cache_write_1h_tokens,
        },
        "output_tokens": usage.output_tokens,
        "service_tier": "standard",
    }


def _error_body(error_type: str, message: str, request_id: str) -> bytes:
    return json.dumps(
        {"type": "error", "error": {"type": error_type, "message": message}, "request_id": request_id}
    ).encode()


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


_FAULT_ERRORS: dict[str, tuple[int, str, str]] = {
    "429": (429, "rate_limit_error", "Number of requests has exceeded your rate limit (emulated)."),
    "529": (529, "overloaded_error", "Overloaded"),
    "500": (500, "api_error", "Internal server error (emulated)"),
    "503": (503, "api_error", "Service unavailable (emulated)"),
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("emulator: connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """One keep-alive connection; every response is written whole, with Nagle off, to add no latency."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default writes every request line to stderr."""

    def do_GET(self) -> None:
        self._reply_error(404, "not_found_error", f"Not found: {self.path}", self._request_id())

    def do_POST(self) -> None:
        emulator = self.server.emulator
        request_id = self._request_id()
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        path = self.path.split("?", 1)[0]
        if path not in (MESSAGES_PATH, COUNT_TOKENS_PATH):
            self._reply_error(404, "not_found_error", f"Not found: {path}", request_id)
            return
        key = self._presented_key()
        if not key or not hmac.compare_digest(key.encode(), emulator.api_key.encode()):
            if path == MESSAGES_PATH:
                emulator._log(LoggedRequest(None, False, 0, None, 401, None))
            message = "invalid x-api-key" if key else "x-api-key header is required"
            self._reply_error(401, "authentication_error", message, request_id)
            return
        try:
            body = _MessagesBody.model_validate_json(raw)
        except ValidationError as exc:
            field, problem = first_error(exc, "body")
            self._reply_error(400, "invalid_request_error", f"{field}: {problem}", request_id)
            return
        model = emulator.model_info(body.model)
        if model is None:
            if path == MESSAGES_PATH:
                emulator._log(LoggedRequest(body.model, body.stream, 0, None, 404, None))
            self._reply_error(404, "not_found_error", f"model: {body.model}", request_id)
            return
        prompt_tokens = approx_tokens(_text_of(body.system)) + sum(approx_tokens(_text_of(m.content))
                                                                   for m in body.messages)
        if path == COUNT_TOKENS_PATH:
            self._reply(200, json.dumps({"input_tokens": prompt_tokens}).encode(), request_id)
            return
        if body.max_tokens is None:
            self._reply_error(400, "invalid_request_error", "max_tokens: Field required", request_id)
            return
        self._messages(body, model, prompt_tokens, request_id)

    def _messages(self, body: _MessagesBody, model: ModelInfo, prompt_tokens: int, request_id: str) -> None:
        emulator = self.server.emulator
        first_user = next((m for m in body.messages if m.role == "user"), body.messages[0])
        fingerprint = prompt_fingerprint(
            _text_of(body.system) if body.system is not None else None, _text_of(first_user.content)
        )
        turn = sum(1 for m in body.messages if m.role == "user")
        fault = emulator._faults.next_fault(body.model)

        def log(status: int, label: str | None = None) -> None:
            kind = None if fault.kind == "ok" else fault.kind
            emulator._log(LoggedRequest(body.model, body.stream, turn, fingerprint, status, kind, label))

        if fault.kind == "hang":
            log(0)
            emulator._stopping.wait(emulator._faults.plan.hang_s)
            self.close_connection = True
            return
        if fault.delay_s:
            emulator._stopping.wait(fault.delay_s)
        if fault.kind in _FAULT_ERRORS:
            status, error_type, message = _FAULT_ERRORS[fault.kind]
            log(status)
            self._reply_error(status, error_type, message, request_id, _retry_after(fault))
            return
        if fault.kind == "context_too_long" or prompt_tokens > model.context_window:
            log(400)
            message = (f"prompt is too long: {max(prompt_tokens, model.context_window + 1)} tokens > "
                       f"{model.context_window} maximum")
            self._reply_error(400, "invalid_request_error", message, request_id)
            return
        cassette = emulator.cassettes.lookup(body.model, model.tier.value, fingerprint, turn) or _default_answer(
            fingerprint, prompt_tokens
        )
        log(200, cassette.label)
        reported = cassette.model_reported or _reported_model(body.model, model)
        reply = {
            "id": f"msg_emu_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant", "model": reported,
            "content": [{"type": "text", "text": cassette.text}], "stop_reason": cassette.stop_reason,
            "stop_sequence": None, "usage": _usage_json(cassette.usage),
        }
        if body.stream:
            self._stream(reply, cassette, fault, request_id)
            return
        payload = json.dumps(reply).encode()
        if fault.kind == "malformed":
            self._reply(200, payload[: len(payload) // 2], request_id)
        elif fault.kind == "drop_stream":
            self._send_head(200, request_id, {"content-length": str(len(payload))})
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
        else:
            self._reply(200, payload, request_id)

    def _stream(self, message: dict[str, Any], cassette: Cassette, fault: Fault, request_id: str) -> None:
        start = dict(message, content=[], stop_reason=None, usage=dict(message["usage"], output_tokens=1))
        events = [
            _sse("message_start", {"type": "message_start", "message": start}),
            _sse("content_block_start",
                 {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            _sse("ping", {"type": "ping"}),
        ]
        text = cassette.text
        events += [
            _sse("content_block_delta",
                 {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})
            for piece in (text[i : i + _DELTA_CHARS] for i in range(0, len(text), _DELTA_CHARS))
        ]
        if fault.kind == "malformed":
            events.append(b'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n')
        usage = message["usage"]
        events += [
            _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
            _sse("message_delta", {
                "type": "message_delta", "delta": {"stop_reason": cassette.stop_reason, "stop_sequence": None},
                "usage": {key: usage[key] for key in (
                    "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")},
            }),
            _sse("message_stop", {"type": "message_stop"}),
        ]
        self._send_head(200, request_id, {
            "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache",
            "transfer-encoding": "chunked",
        })
        if fault.kind == "drop_stream":
            self.wfile.write(_chunk(b"".join(events[:_EVENTS_BEFORE_DROP])))
            self.close_connection = True
            return
        self.wfile.write(_chunk(b"".join(events)) + b"0\r\n\r\n")

    def _presented_key(self) -> str | None:
        """`x-api-key`, or a bearer token: the SDK of this era sends the API key as `Authorization: Bearer`."""
        key = self.headers.get("x-api-key")
        if key:
            return key
        scheme, _, token = (self.headers.get("authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _request_id(self) -> str:
        return f"req_emu_{uuid.uuid4().hex[:24]}"

    def _send_head(self, status: int, request_id: str, headers: dict[str, str]) -> None:
        self.send_response_only(status, "Overloaded" if status == 529 else None)
        self.send_header("request-id", request_id)
        headers.setdefault("content-type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _reply(self, status: int, payload: bytes, request_id: str, extra: dict[str, str] | None = None) -> None:
        self._send_head(status, request_id, {"content-length": str(len(payload)), **(extra or {})})
        self.wfile.write(payload)

    def _reply_error(
        self, status: int, error_type: str, message: str, request_id: str, extra: dict[str, str] | None = None
    ) -> None:
        self._reply(status, _error_body(error_type, message, request_id), request_id, extra)


def _retry_after(fault: Fault) -> dict[str, str] | None:
    if fault.kind != "429":
        return None
    seconds = fault.retry_after_s
    return {"retry-after": str(int(seconds)) if seconds.is_integer() else str(seconds)}


def _reported_model(asked: str, model: ModelInfo) -> str:
    """The real API answers with the dated snapshot id; an alias-less id is reported as asked."""
    if asked in model.aliases or not model.aliases:
        return asked
    return model.aliases[0]


def _default_answer(fingerprint: str, prompt_tokens: int) -> Cassette:
    text = (f"Emulator default answer {fingerprint[:16]}: no cassette matched this prompt, "
            "so this deterministic text stands in for a model reply.")
    return Cassette(
        fingerprint=fingerprint, text=text, label=DEFAULT_ANSWER_LABEL,
        usage=Usage(input_tokens=prompt_tokens, output_tokens=approx_tokens(text)),
    )


class Emulator:
    """The Messages-API emulator on 127.0.0.1, served from a background thread (safe inside asyncio)."""

    def __init__(
        self,
        cassettes: CassetteStore | None = None,
        faults: FaultPlan | None = None,
        api_key: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        registry: Registry | None = None,
    ) -> None:
        self.cassettes = cassettes if cassettes is not None else CassetteStore()
        self.api_key = api_key or f"emulator-{secrets.token_urlsafe(24)}"
        self.registry = registry if registry is not None else load_registry()
        self._faults = FaultInjector(faults or FaultPlan())
        self._address = (host, port)
        self._requests: list[LoggedRequest] = []
        self._requests_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"Emulator({self._address[0]}:{self._address[1]}, running={self._server is not None})"

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[LoggedRequest]:
        """A snapshot of every `/v1/messages` call so far, in arrival order."""
        with self._requests_lock:
            return list(self._requests)

    def set_faults(self, plan: FaultPlan) -> None:
        """Swaps the plan at runtime; scripts and seeded draws start over."""
        self._faults.reset(plan)

    def model_info(self, model_id: str) -> ModelInfo | None:
        return self.registry.get(model_id) if model_id in self.registry else None

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self._address, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="harness-emulator", daemon=True
        )
        self._thread.start()
        logger.debug("emulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stops serving and cuts open keep-alive connections, so no thread outlives a test for long."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with server.connections_lock:
            open_connections = list(server.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _log(self, entry: LoggedRequest) -> None:
        with self._requests_lock:
            self._requests.append(entry)
        logger.debug(
            "emulator: model=%s stream=%s turn=%d status=%d fault=%s",
            entry.model, entry.stream, entry.turn, entry.status, entry.fault,
        )
