"""Where answers come from: the live API when a key is set, else the bundled emulator.

Offline runs go through the same SDK code path as live ones (AnthropicProvider over HTTP to
127.0.0.1), and say so in every output.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.emulator import CassetteStore, Emulator, FaultPlan
from harness.errors import UserError
from harness.results import OFFLINE_LABEL
from harness.scenarios.samples import suite_cassettes
from harness.scenarios.scenario import Scenario

KEY_ENV = "ANTHROPIC_API_KEY"
LIVE_LABEL = "live Anthropic API"


def is_live() -> bool:
    """A key in the environment means live calls (the key itself is never read here)."""
    return bool(os.environ.get(KEY_ENV))


@dataclass(frozen=True)
class Backend:
    """How to reach a Messages API. `api_key`/`base_url` None = the SDK's own env defaults."""

    offline: bool
    data_label: str
    base_url: str | None = None
    api_key: str | None = None
    record_dir: Path | None = None


@contextmanager
def open_backend(scenarios: Sequence[Scenario], *, replay: Path | None, record: Path | None,
                 faults: FaultPlan | None = None) -> Iterator[Backend]:
    """Live with a key; `--replay DIR` serves recorded cassettes; otherwise the bundled samples.

    `faults` (offline only) injects errors and latency into the emulator, to rehearse outages.
    """
    if faults is not None and replay is None and is_live():
        raise UserError("--faults applies to offline runs only; unset ANTHROPIC_API_KEY or use --replay")
    if replay is not None:
        if record is not None:
            raise UserError("--record and --replay exclude each other: replaying records nothing new")
        store = CassetteStore()
        count = store.load_dir(replay)
        with Emulator(cassettes=store, faults=faults) as emulator:
            yield Backend(True, f"offline replay of {count} recorded responses from {replay}",
                          emulator.base_url, emulator.api_key)
        return
    if is_live():
        yield Backend(False, LIVE_LABEL, record_dir=record)
        return
    if record is not None:
        raise UserError(f"--record needs {KEY_ENV}: it records live answers (offline runs have nothing new)")
    store = CassetteStore(suite_cassettes(scenarios))
    label = OFFLINE_LABEL if faults is None else f"{OFFLINE_LABEL}, with injected faults"
    with Emulator(cassettes=store, faults=faults) as emulator:
        yield Backend(True, label, emulator.base_url, emulator.api_key)
