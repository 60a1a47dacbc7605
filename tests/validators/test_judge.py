from __future__ import annotations

from collections.abc import Callable

from harness.models.usage import Usage
from harness.providers.base import Completion, CompletionRequest
from validators import CheckContext, Verdict
from validators.judge import JUDGE_SYSTEM

Check = Callable[..., Verdict]
Py = Callable[[str], str]

RUBRIC = {"llm_judge": {"rubric": "Mentions the race window between check and set."}}


def judge_replying(text: str, seen: list[CompletionRequest]) -> CheckContext:
    async def judge(request: CompletionRequest) -> Completion:
        seen.append(request)
        usage = Usage(input_tokens=10, output_tokens=5)
        return Completion(text=text, usage=usage, model="claude-haiku-4-5", latency_s=0.1)

    return CheckContext(judge=judge, judge_model="claude-haiku-4-5", prompt="Fix the cache.")


def test_judge_pass_and_request_shape(check: Check) -> None:
    seen: list[CompletionRequest] = []
    verdict = check(RUBRIC, "answer", judge_replying('{"passed": true, "reason": "It names the window."}', seen))
    assert verdict.passed and verdict.reason == "It names the window."
    (request,) = seen
    assert request.system == JUDGE_SYSTEM and request.temperature == 0 and request.model == "claude-haiku-4-5"
    assert "<answer>\nanswer\n</answer>" in request.messages[0].content


def test_judge_fail(check: Check) -> None:
    verdict = check(RUBRIC, "answer", judge_replying('```json\n{"passed": false, "reason": "No race."}\n```', []))
    assert not verdict.passed and verdict.reason == "No race."


def test_malformed_judge_reply_fails(check: Check) -> None:
    for reply in ("Looks good to me!", '{"passed": "yes", "reason": "ok"}', '{"passed": true}'):
        verdict = check(RUBRIC, "answer", judge_replying(reply, []))
        assert not verdict.passed and "not a valid" in verdict.reason


def test_no_judge_configured_fails_clearly(check: Check) -> None:
    verdict = check(RUBRIC, "answer", CheckContext())
    assert not verdict.passed and "No judge model" in verdict.reason
