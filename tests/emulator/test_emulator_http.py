"""The emulator's wire format, checked with a plain HTTP client: what the real API would send."""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from harness.emulator import DEFAULT_ANSWER_LABEL, Cassette, Emulator, prompt_fingerprint
from harness.models import Usage

MODEL = "claude-haiku-4-5"
DATED = "claude-haiku-4-5-20251001"


def post(emu: Emulator, path: str, body: dict[str, Any], headers: dict[str, str] | None = None,
         ) -> tuple[int, dict[str, str], bytes]:
    host, port = emu.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        sent = {"content-type": "application/json", "x-api-key": emu.api_key} if headers is None else headers
        connection.request("POST", path, body=json.dumps(body), headers=sent)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def ask(prompt: str = "hello", model: str = MODEL, **fields: Any) -> dict[str, Any]:
    return {"model": model, "max_tokens": 100, "messages": [{"role": "user", "content": prompt}], **fields}


def test_json_answer_has_the_api_shape(emulator: Emulator) -> None:
    status, headers, raw = post(emulator, "/v1/messages", ask())
    body = json.loads(raw)
    assert status == 200 and headers["request-id"].startswith("req_")
    assert body["type"] == "message" and body["id"].startswith("msg_") and body["model"] == DATED
    assert body["content"][0]["type"] == "text" and body["stop_reason"] == "end_turn"
    assert set(body["usage"]) >= {"input_tokens", "output_tokens", "cache_creation_input_tokens",
                                  "cache_read_input_tokens", "cache_creation"}
    assert emulator.requests[-1].label == DEFAULT_ANSWER_LABEL


def test_default_answer_is_deterministic(emulator: Emulator) -> None:
    first = json.loads(post(emulator, "/v1/messages", ask("same"))[2])
    second = json.loads(post(emulator, "/v1/messages", ask("same"))[2])
    other = json.loads(post(emulator, "/v1/messages", ask("different"))[2])
    assert first["content"] == second["content"] != other["content"]


def test_sse_event_sequence(emulator: Emulator) -> None:
    text = "x" * 70
    emulator.cassettes.add(Cassette(fingerprint=prompt_fingerprint(None, "s"), text=text,
                                    usage=Usage(input_tokens=3, output_tokens=9, cache_read_tokens=4)))
    status, headers, raw = post(emulator, "/v1/messages", ask("s", stream=True))
    events = [block.split("\n") for block in raw.decode().strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    data = [json.loads(lines[1].removeprefix("data: ")) for lines in events]
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert names == ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
                     "content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    assert [d["type"] for d in data] == names
    assert "".join(d["delta"]["text"] for d in data if d["type"] == "content_block_delta") == text
    assert data[0]["message"]["usage"]["cache_read_input_tokens"] == 4
    assert data[-2]["delta"]["stop_reason"] == "end_turn" and data[-2]["usage"]["output_tokens"] == 9


@pytest.mark.parametrize(("headers", "message"), [
    ({}, "x-api-key header is required"),
    ({"x-api-key": "wrong"}, "invalid x-api-key"),
    ({"authorization": "Bearer wrong"}, "invalid x-api-key"),
])
def test_wrong_or_missing_key_is_401(emulator: Emulator, headers: dict[str, str], message: str) -> None:
    status, _, raw = post(emulator, "/v1/messages", ask(), headers={"content-type": "application/json", **headers})
    assert status == 401
    assert json.loads(raw)["error"] == {"type": "authentication_error", "message": message}
    assert emulator.api_key.encode() not in raw
    assert emulator.requests[-1].status == 401


def test_bearer_key_is_accepted(emulator: Emulator) -> None:
    headers = {"content-type": "application/json", "authorization": f"Bearer {emulator.api_key}"}
    assert post(emulator, "/v1/messages", ask(), headers=headers)[0] == 200


def test_each_instance_has_its_own_key() -> None:
    with Emulator() as one, Emulator(api_key="fixed-test-key") as two:
        assert one.api_key != two.api_key and two.api_key == "fixed-test-key"
        assert post(one, "/v1/messages", ask(), headers={"x-api-key": two.api_key})[0] == 401


def test_unknown_model_is_404_not_found(emulator: Emulator) -> None:
    status, _, raw = post(emulator, "/v1/messages", ask(model="claude-nonexistent-9"))
    assert status == 404 and json.loads(raw)["error"]["type"] == "not_found_error"
    assert emulator.requests[-1].model == "claude-nonexistent-9"


def test_prompt_over_the_context_window_is_400(emulator: Emulator) -> None:
    status, _, raw = post(emulator, "/v1/messages", ask("y" * 4 * 200_004))
    error = json.loads(raw)["error"]
    assert status == 400 and error["type"] == "invalid_request_error"
    assert error["message"] == "prompt is too long: 200004 tokens > 200000 maximum"


def test_bad_body_is_400(emulator: Emulator) -> None:
    status, _, raw = post(emulator, "/v1/messages", {"model": MODEL, "messages": []})
    assert status == 400 and json.loads(raw)["error"]["type"] == "invalid_request_error"


def test_count_tokens_is_an_approximation(emulator: Emulator) -> None:
    body = {"model": MODEL, "system": "abcd" * 5, "messages": [{"role": "user", "content": "abcd" * 10}]}
    status, _, raw = post(emulator, "/v1/messages/count_tokens", body)
    assert status == 200 and json.loads(raw) == {"input_tokens": 15}
    assert emulator.requests == []


def test_dated_id_is_reported_as_asked_and_alias_less_ids_as_is(emulator: Emulator) -> None:
    assert json.loads(post(emulator, "/v1/messages", ask(model=DATED))[2])["model"] == DATED
    assert json.loads(post(emulator, "/v1/messages", ask(model="claude-sonnet-4-6"))[2])["model"] == "claude-sonnet-4-6"


def test_64_concurrent_connections(emulator: Emulator) -> None:
    with ThreadPoolExecutor(64) as pool:
        statuses = list(pool.map(lambda i: post(emulator, "/v1/messages", ask(f"p{i}"))[0], range(128)))
    assert statuses == [200] * 128
    assert len(emulator.requests) == 128
