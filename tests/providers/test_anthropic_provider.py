"""AnthropicProvider over real HTTP: the official SDK against the emulator, every fault classified."""

from __future__ import annotations

import pytest

from harness.emulator import Cassette, Emulator, FaultPlan, prompt_fingerprint
from harness.models import Usage
from harness.providers import CompletionRequest, ErrorAction, ErrorKind, Message, ProviderError
from harness.providers.anthropic import AnthropicProvider

pytestmark = pytest.mark.anyio

CHEAP = "claude-haiku-4-5"
CAPABLE = "claude-sonnet-4-6"
CACHED = Usage(input_tokens=11, output_tokens=22, cache_write_5m_tokens=33, cache_write_1h_tokens=44,
               cache_read_tokens=55)


def request(prompt: str = "hello", model: str = CHEAP, **fields: object) -> CompletionRequest:
    return CompletionRequest(model=model, messages=(Message(role="user", content=prompt),), system="sys",
                             **fields)


async def failure(provider: AnthropicProvider, req: CompletionRequest) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await provider.complete(req)
    return caught.value


@pytest.mark.parametrize("stream", [False, True])
async def test_answer_text_usage_and_dated_model(emulator: Emulator, provider: AnthropicProvider,
                                                 stream: bool) -> None:
    emulator.cassettes.add(Cassette(fingerprint=prompt_fingerprint("sys", "q"), text="four " * 20, usage=CACHED))
    completion = await provider.complete(request("q", stream=stream))
    assert completion.text == "four " * 20
    assert completion.usage == CACHED
    assert completion.model == "claude-haiku-4-5-20251001"
    assert completion.stop_reason == "end_turn"
    assert completion.request_id and completion.request_id.startswith("req_")
    assert completion.latency_s > 0
    assert [(r.model, r.stream) for r in emulator.requests] == [(CHEAP, stream)]


async def test_cassette_can_report_another_model(emulator: Emulator, provider: AnthropicProvider) -> None:
    emulator.cassettes.add(Cassette(fingerprint=prompt_fingerprint("sys", "q"), text="t", usage=CACHED,
                                    model_reported="claude-opus-4-6"))
    assert (await provider.complete(request("q", model=CAPABLE))).model == "claude-opus-4-6"


async def test_wrong_key_is_fatal_and_never_echoed(emulator: Emulator) -> None:
    secret = "not-the-emulator-key-0123456789"
    async with AnthropicProvider(api_key=secret, base_url=emulator.base_url) as provider:
        error = await failure(provider, request())
    assert (error.kind, error.action, error.status) == (ErrorKind.AUTHENTICATION, ErrorAction.FATAL, 401)
    assert secret not in str(error) and secret not in repr(error) and emulator.api_key not in str(error)


async def test_missing_key_names_the_variable_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ProviderError) as caught:
        AnthropicProvider()
    assert caught.value.kind is ErrorKind.AUTHENTICATION and "ANTHROPIC_API_KEY" in str(caught.value)


async def test_environment_supplies_key_and_base_url(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", emulator.api_key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
    async with AnthropicProvider() as provider:
        assert (await provider.complete(request())).model == "claude-haiku-4-5-20251001"


async def test_unknown_model_is_not_found(provider: AnthropicProvider) -> None:
    error = await failure(provider, request(model="claude-nonexistent-9"))
    assert (error.kind, error.action, error.status) == (ErrorKind.NOT_FOUND, ErrorAction.FATAL, 404)


async def test_real_prompt_over_the_window_escalates(provider: AnthropicProvider) -> None:
    error = await failure(provider, request("z" * 4 * 200_010))
    assert (error.kind, error.action) == (ErrorKind.CONTEXT_TOO_LONG, ErrorAction.ESCALATE)


FAULTS = [
    ("429:2", ErrorKind.RATE_LIMITED, ErrorAction.RETRY, 429),
    ("529", ErrorKind.OVERLOADED, ErrorAction.RETRY, 529),
    ("500", ErrorKind.SERVER_ERROR, ErrorAction.RETRY, 500),
    ("503", ErrorKind.SERVER_ERROR, ErrorAction.RETRY, 503),
    ("hang", ErrorKind.TIMEOUT, ErrorAction.RETRY, None),
    ("malformed", ErrorKind.MALFORMED_RESPONSE, ErrorAction.RETRY, None),
    ("drop_stream", ErrorKind.CONNECTION, ErrorAction.RETRY, None),
    ("context_too_long", ErrorKind.CONTEXT_TOO_LONG, ErrorAction.ESCALATE, 400),
]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(("token", "kind", "action", "status"), FAULTS)
async def test_each_fault_maps_to_its_kind(emulator: Emulator, provider: AnthropicProvider, stream: bool,
                                           token: str, kind: ErrorKind, action: ErrorAction,
                                           status: int | None) -> None:
    emulator.set_faults(FaultPlan(script={CHEAP: [token]}, hang_s=0.6))
    error = await failure(provider, request(stream=stream, timeout_s=0.3))
    assert (error.kind, error.action, error.status) == (kind, action, status)
    assert error.retry_after_s == (2.0 if token == "429:2" else None)
    assert emulator.requests[-1].fault == token.split(":")[0]
    assert (await provider.complete(request(stream=stream))).text


async def test_scripted_faults_are_consumed_in_order_per_model(emulator: Emulator,
                                                               provider: AnthropicProvider) -> None:
    emulator.set_faults(FaultPlan(script={CHEAP: ["529", "429", "ok", "500"], CAPABLE: ["503"]}, retry_after_s=1))
    outcomes: list[str] = []
    for model in (CHEAP, CAPABLE, CHEAP, CHEAP, CAPABLE, CHEAP, CHEAP):
        try:
            await provider.complete(request(model=model))
            outcomes.append(f"{model}:ok")
        except ProviderError as error:
            outcomes.append(f"{model}:{error.kind.value}")
    assert outcomes == [f"{CHEAP}:overloaded", f"{CAPABLE}:server_error", f"{CHEAP}:rate_limited", f"{CHEAP}:ok",
                        f"{CAPABLE}:ok", f"{CHEAP}:server_error", f"{CHEAP}:ok"]
    assert [r.model for r in emulator.requests] == [CHEAP, CAPABLE, CHEAP, CHEAP, CAPABLE, CHEAP, CHEAP]


async def test_seeded_random_faults_replay_exactly(emulator: Emulator, provider: AnthropicProvider) -> None:
    plan = FaultPlan(seed=7, rate_429=0.25, rate_529=0.25, rate_500=0.1)

    async def run() -> list[str]:
        emulator.set_faults(plan)
        kinds = []
        for _ in range(20):
            try:
                await provider.complete(request())
                kinds.append("ok")
            except ProviderError as error:
                kinds.append(error.kind.value)
        return kinds

    first = await run()
    assert first == await run()
    assert {"ok", "rate_limited", "overloaded"} <= set(first)


async def test_added_latency_is_applied(emulator: Emulator, provider: AnthropicProvider) -> None:
    emulator.set_faults(FaultPlan(latency_ms=150))
    assert (await provider.complete(request())).latency_s >= 0.15
