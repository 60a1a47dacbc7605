"""Bundled sample answers: each verdict recorded beside an answer is what the validators decide today.

A validator change that flips one of these verdicts fails here, naming the scenario and the answer.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.emulator import approx_tokens, prompt_fingerprint
from harness.scenarios import Scenario, approximate_usage, cassettes_for, load_samples, load_suite, suite_cassettes

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
SUITE = {s.id: s for s in load_suite("full", root=ROOT)}


def _verdicts(scenario: Scenario, texts: list[str]) -> list[tuple[bool, str]]:
    async def run() -> list[tuple[bool, str]]:
        out = []
        for text in texts:  # one at a time: each may start several sandboxed pytest runs
            verdict = await scenario.check(text)
            out.append((verdict.passed, f"{verdict.validator}: {verdict.reason}"))
        return out

    return asyncio.run(run())


@pytest.mark.parametrize("scenario_id", sorted(SUITE))
def test_bundled_answers_get_their_recorded_verdicts(scenario_id: str) -> None:
    scenario = SUITE[scenario_id]
    samples = load_samples(scenario)
    labelled = [(f"{tier} turn {turn}", answer.expect == "accepted", answer.text)
                for tier in ("capable", "premium")
                for turn, answer in enumerate(samples.answers(tier), start=1)]
    labelled += [(f"known_bad[{i}] ({bad.note})", False, bad.text) for i, bad in enumerate(samples.known_bad)]
    results = _verdicts(scenario, [text for _, _, text in labelled])
    mismatches = [f"{name}: expected {'accepted' if want else 'rejected'}, got {got[1]}"
                  for (name, want, _), got in zip(labelled, results, strict=True) if got[0] != want]
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("scenario_id", sorted(SUITE))
def test_samples_are_labelled_and_usage_is_approximately_the_text_length(scenario_id: str) -> None:
    scenario = SUITE[scenario_id]
    samples = load_samples(scenario)
    assert "not a live model output" in samples.label and "approximate" in samples.label
    for tier in ("capable", "premium"):
        answers = samples.answers(tier)
        for turn, answer in enumerate(answers, start=1):
            assert answer.usage is not None, f"{tier} turn {turn}: bundled samples carry their usage"
            estimate = approximate_usage(scenario, answers, turn)
            assert answer.usage.output_tokens == pytest.approx(estimate.output_tokens, rel=0.25)
            assert answer.usage.input_tokens == pytest.approx(estimate.input_tokens, rel=0.25)
            if answer.expect == "rejected":
                assert answer.note, f"{tier} turn {turn}: a rejected sample says what its defect is"


def test_cassettes_match_what_the_emulator_will_be_asked() -> None:
    scenario = SUITE["review_sql_injection"]
    cassettes = cassettes_for(scenario, load_samples(scenario))
    assert {c.fingerprint for c in cassettes} == {prompt_fingerprint(scenario.system, scenario.render_prompt())}
    assert [(c.tier, c.turn) for c in cassettes] == [("capable", 1), ("capable", 2), ("premium", 1)]
    assert all(c.model is None and "not a live model output" in c.label for c in cassettes)
    assert cassettes[0].usage.output_tokens == pytest.approx(approx_tokens(cassettes[0].text), rel=0.25)


def test_suite_cassettes_cover_every_bundled_scenario() -> None:
    cassettes = suite_cassettes(SUITE.values())
    assert len({c.fingerprint for c in cassettes}) == len(SUITE)


def _path(scenario: Scenario) -> str:
    """How the bundled answers route: accepted at once, after a repair, on premium, or not at all."""
    samples = load_samples(scenario)
    capable = [a.expect for a in samples.capable]
    if capable[0] == "accepted":
        return "accepted"
    if "accepted" in capable:
        return "repaired"
    return "escalated" if "accepted" in [a.expect for a in samples.premium] else "failed"


def test_quick_suite_exercises_repair_and_escalation() -> None:
    paths = sorted(_path(s) for s in load_suite("quick", root=ROOT))
    assert paths == ["accepted", "accepted", "accepted", "escalated", "repaired"]


def test_full_suite_includes_an_honest_premium_failure() -> None:
    paths = [_path(s) for s in SUITE.values()]
    assert "failed" in paths and "escalated" in paths and "repaired" in paths
    assert paths.count("accepted") < len(paths)
