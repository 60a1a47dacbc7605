"""The Anthropic Messages API through the official SDK, with SDK retries off: the router owns retries.

Every failure leaves as a `ProviderError` classified by exception type, HTTP status and the error
body's fields, never by matching text, and never carrying the key or any header.
"""

from __future__ import annotations

import json
import os
import re
import time
from types import TracebackType
from typing import Any

import anthropic
import httpx2
import pydantic
from anthropic.types import Message

from harness.models.usage import Usage
from harness.providers.base import Completion, CompletionRequest
from harness.providers.errors import ErrorKind, ProviderError

API_KEY_ENV = "ANTHROPIC_API_KEY"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"

_STATUS_KINDS = {
    401: ErrorKind.AUTHENTICATION,
    403: ErrorKind.PERMISSION,
    404: ErrorKind.NOT_FOUND,
    408: ErrorKind.TIMEOUT,
    429: ErrorKind.RATE_LIMITED,
    529: ErrorKind.OVERLOADED,
}
# An `event: error` inside a 200 stream carries only the error type, so that decides instead.
_STREAM_ERROR_KINDS = {
    "rate_limit_error": ErrorKind.RATE_LIMITED,
    "overloaded_error": ErrorKind.OVERLOADED,
    "api_error": ErrorKind.SERVER_ERROR,
    "timeout_error": ErrorKind.TIMEOUT,
}
# The API's only marker of an over-long prompt is this fixed, machine-generated message format
# under `invalid_request_error`; matching it whole (with its numbers) is parsing, not guessing.
_PROMPT_TOO_LONG = re.compile(r"prompt is too long: \d+ tokens > \d+ maximum")


class AnthropicProvider:
    """`Provider` for Claude models; `ANTHROPIC_BASE_URL` (or `base_url`) points it at the emulator."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 120.0,
        name: str = "anthropic",
    ) -> None:
        key = api_key or os.environ.get(API_KEY_ENV)
        if not key:
            raise ProviderError(
                ErrorKind.AUTHENTICATION, f"no API key: set {API_KEY_ENV} or pass api_key to AnthropicProvider"
            )
        self.name = name
        self.timeout_s = timeout_s
        self._key = key
        self._client = anthropic.AsyncAnthropic(
            api_key=key, base_url=base_url or os.environ.get(BASE_URL_ENV) or None, max_retries=0, timeout=timeout_s
        )

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def complete(self, request: CompletionRequest) -> Completion:
        started = time.perf_counter()
        options: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "system": request.system if request.system is not None else anthropic.omit,
            # This SDK version has no `temperature` parameter; older models still accept the field.
            "extra_body": {"temperature": request.temperature} if request.temperature is not None else None,
            "timeout": request.timeout_s or self.timeout_s,
        }
        try:
            if request.stream:
                async with self._client.messages.stream(**options) as stream:
                    message: Message = await stream.get_final_message()
                    request_id = stream.request_id
                if message.stop_reason is None:
                    raise ProviderError(
                        ErrorKind.MALFORMED_RESPONSE, f"{request.model}: stream ended before its message_delta",
                        request_id=request_id, latency_s=time.perf_counter() - started,
                    )
            else:
                message = await self._client.messages.create(**options)
                request_id = message._request_id
            return _completion(message, request_id, time.perf_counter() - started)
        except ProviderError:
            raise
        except Exception as exc:
            error = self._classify(exc, request.model, time.perf_counter() - started)
            if error is None:
                raise
            raise error from exc

    def _classify(self, exc: Exception, model: str, latency_s: float) -> ProviderError | None:
        """The taxonomy entry for an SDK or transport failure; None for a bug that should surface as is."""
        if isinstance(exc, anthropic.APIStatusError):
            kind = _status_kind(exc)
            detail = exc.api_message or exc.type or "no error message"
            retry_after = _retry_after_s(exc.response.headers) if kind is ErrorKind.RATE_LIMITED else None
            return ProviderError(
                kind, self._redact(f"{model}: {detail}"), status=exc.status_code, retry_after_s=retry_after,
                request_id=exc.request_id, latency_s=latency_s,
            )
        if isinstance(exc, anthropic.APIResponseValidationError | json.JSONDecodeError | pydantic.ValidationError):
            kind, detail = ErrorKind.MALFORMED_RESPONSE, "the response was not a valid Messages-API reply"
        elif isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException):
            kind, detail = ErrorKind.TIMEOUT, "no response within the timeout"
        elif isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
            kind, detail = ErrorKind.CONNECTION, f"connection failed or dropped ({type(exc.__cause__ or exc).__name__})"
        else:
            return None
        return ProviderError(kind, f"{model}: {detail}", latency_s=latency_s)

    def _redact(self, text: str) -> str:
        """Defence in depth: a server that echoes the key must not get it into our logs."""
        return text.replace(self._key, "[redacted]")

    async def aclose(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> AnthropicProvider:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _status_kind(exc: anthropic.APIStatusError) -> ErrorKind:
    status = exc.status_code
    if status == 400:
        is_too_long = exc.type == "invalid_request_error" and _PROMPT_TOO_LONG.fullmatch(exc.api_message or "")
        return ErrorKind.CONTEXT_TOO_LONG if is_too_long else ErrorKind.BAD_REQUEST
    if status in _STATUS_KINDS:
        return _STATUS_KINDS[status]
    if status >= 500:
        return ErrorKind.SERVER_ERROR
    if status < 400:
        return _STREAM_ERROR_KINDS.get(exc.type or "", ErrorKind.SERVER_ERROR)
    return ErrorKind.BAD_REQUEST


def _retry_after_s(headers: httpx2.Headers) -> float | None:
    try:
        seconds = float(headers.get("retry-after", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _completion(message: Message, request_id: str | None, latency_s: float) -> Completion:
    try:
        text = "".join(block.text for block in message.content if block.type == "text")
        usage = message.usage
        cache_write_5m = usage.cache_creation_input_tokens or 0
        cache_write_1h = 0
        if usage.cache_creation is not None:
            cache_write_5m = usage.cache_creation.ephemeral_5m_input_tokens
            cache_write_1h = usage.cache_creation.ephemeral_1h_input_tokens
        return Completion(
            text=text,
            usage=Usage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_write_5m_tokens=cache_write_5m,
                cache_write_1h_tokens=cache_write_1h,
                cache_read_tokens=usage.cache_read_input_tokens or 0,
            ),
            model=message.model,
            stop_reason=message.stop_reason,
            latency_s=latency_s,
            request_id=request_id,
        )
    except (AttributeError, TypeError, pydantic.ValidationError) as exc:
        # The SDK builds replies without validation, so a JSON body of the wrong shape surfaces here.
        raise ProviderError(
            ErrorKind.MALFORMED_RESPONSE, f"reply lacked Messages-API fields ({type(exc).__name__})",
            request_id=request_id, latency_s=latency_s,
        ) from exc
