"""Bundled sample responses: hand-written answers per tier and turn, served offline as cassettes.

They are written for this project, not recorded from a live model, and every file says so in its
`label`, which travels with each cassette into the emulator's log and the reports. Token counts
are approximate (about 4 characters a token, the emulator's own estimate).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.emulator import Cassette, approx_tokens, prompt_fingerprint
from harness.errors import UserError, first_error
from harness.models.usage import Usage
from harness.scenarios.scenario import Scenario, ScenarioError, read_yaml

SAMPLE_TIERS: tuple[Literal["capable", "premium"], ...] = ("capable", "premium")
REQUIRED_LABEL_PHRASE = "not a live model output"
# A repair turn adds the validator's reason and an instruction to the conversation: roughly this many tokens.
REPAIR_MESSAGE_TOKENS = 80


class SampleAnswer(BaseModel):
    """One answer at one turn; `expect` is what the scenario's validators must decide about it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1)
    expect: Literal["accepted", "rejected"]
    usage: Usage | None = Field(default=None, description="omitted: approximated from the text lengths")
    note: str = Field(default="", description="for a rejected answer: its real defect")


class KnownBad(BaseModel):
    """An answer the validators must reject: proof that the scenario can fail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1)
    note: str = Field(min_length=1, description="why it is bad")


class SampleSet(BaseModel):
    """The bundled answers of one scenario; list index + 1 is the turn (2 = after one repair request)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    capable: tuple[SampleAnswer, ...] = Field(min_length=1)
    premium: tuple[SampleAnswer, ...] = Field(min_length=1)
    known_bad: tuple[KnownBad, ...] = Field(min_length=1)

    @field_validator("label")
    @classmethod
    def _honest_label(cls, label: str) -> str:
        if REQUIRED_LABEL_PHRASE not in label:
            raise ValueError(f"must say the answers are {REQUIRED_LABEL_PHRASE!r}")
        return label

    def answers(self, tier: Literal["capable", "premium"]) -> tuple[SampleAnswer, ...]:
        return self.capable if tier == "capable" else self.premium


def samples_path(scenario: Scenario) -> Path:
    """`samples/<id>.yaml` next to the scenario file."""
    return scenario.source.parent / "samples" / f"{scenario.id}.yaml"


def load_samples(scenario: Scenario, path: Path | None = None) -> SampleSet:
    """The sample set of a scenario; a bad or missing file is a `UserError` naming file and field."""
    path = path or samples_path(scenario)
    if not path.is_file():
        raise UserError(f"{path}: no bundled samples for scenario {scenario.id!r}")
    data = read_yaml(path)
    try:
        return SampleSet.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(path, *first_error(exc, "(file)")) from None


def approximate_usage(scenario: Scenario, answers: Iterable[SampleAnswer], turn: int) -> Usage:
    """Usage of answer `turn`: the prompt plus every earlier answer and repair message, then the answer."""
    history = list(answers)[:turn]
    prompt = approx_tokens(scenario.system or "") + approx_tokens(scenario.render_prompt())
    earlier = sum(approx_tokens(a.text) + REPAIR_MESSAGE_TOKENS for a in history[:-1])
    return Usage(input_tokens=prompt + earlier, output_tokens=approx_tokens(history[-1].text))


def cassettes_for(scenario: Scenario, samples: SampleSet) -> list[Cassette]:
    """One cassette per tier and turn, keyed like the emulator keys requests (system + first user message)."""
    fingerprint = prompt_fingerprint(scenario.system, scenario.render_prompt())
    cassettes: list[Cassette] = []
    for tier in SAMPLE_TIERS:
        answers = samples.answers(tier)
        for turn, answer in enumerate(answers, start=1):
            usage = answer.usage or approximate_usage(scenario, answers, turn)
            cassettes.append(Cassette(fingerprint=fingerprint, tier=tier, turn=turn, text=answer.text,
                                      usage=usage, label=samples.label))
    return cassettes


def suite_cassettes(scenarios: Iterable[Scenario]) -> list[Cassette]:
    """Cassettes for every scenario that has a samples file; others get the emulator's default answer."""
    cassettes: list[Cassette] = []
    for scenario in scenarios:
        if samples_path(scenario).is_file():
            cassettes.extend(cassettes_for(scenario, load_samples(scenario)))
    return cassettes
