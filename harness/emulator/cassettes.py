"""Recorded answers the emulator serves, keyed by what the prompt was, not by how it was sent.

A cassette holds the answer text and usage only: never a key or an auth header.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from harness.errors import UserError, first_error
from harness.models.usage import Usage

TierName = Literal["cheap", "capable", "premium"]


def prompt_fingerprint(system: str | None, first_user_message: str) -> str:
    """Identifies a task by its system prompt and first user message, so repairs share it."""
    canonical = json.dumps(
        {"system": system, "user": first_user_message}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Cassette(BaseModel):
    """One answer. `model`/`tier` None match any; `turn` counts the user messages (2 = first repair)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fingerprint: str = Field(min_length=1)
    model: str | None = None
    tier: TierName | None = None
    turn: int = Field(default=1, ge=1)
    text: str
    usage: Usage
    stop_reason: str = "end_turn"
    model_reported: str | None = None
    label: str = ""


_CASSETTE_FILE = TypeAdapter(Cassette | list[Cassette])


class CassetteStore:
    """Thread-safe lookup: exact model beats tier beats wildcard; a missing turn falls back downwards."""

    def __init__(self, cassettes: Iterable[Cassette] = ()) -> None:
        self._lock = threading.Lock()
        self._by_fingerprint: defaultdict[str, list[Cassette]] = defaultdict(list)
        for cassette in cassettes:
            self.add(cassette)

    def add(self, cassette: Cassette) -> None:
        with self._lock:
            self._by_fingerprint[cassette.fingerprint].append(cassette)

    def __len__(self) -> int:
        with self._lock:
            return sum(len(entries) for entries in self._by_fingerprint.values())

    def load_dir(self, path: Path) -> int:
        """Adds every `*.json` file under `path` (one cassette or a list per file); returns how many."""
        if not path.is_dir():
            raise UserError(f"cassette directory not found: {path}")
        count = 0
        for file in sorted(path.rglob("*.json")):
            try:
                loaded = _CASSETTE_FILE.validate_json(file.read_bytes())
            except ValidationError as exc:
                field, problem = first_error(exc)
                raise UserError(f"{file}: cassette field '{field}': {problem}") from None
            for cassette in loaded if isinstance(loaded, list) else [loaded]:
                self.add(cassette)
                count += 1
        return count

    def lookup(self, request_model: str, tier: str | None, fingerprint: str, turn: int) -> Cassette | None:
        """The turn decides first (highest recorded turn <= `turn`), then the closest model match."""
        with self._lock:
            entries = list(self._by_fingerprint.get(fingerprint, ()))
        for candidate_turn in range(turn, 0, -1):
            ranked = [
                (rank, cassette)
                for cassette in entries
                if cassette.turn == candidate_turn and (rank := _match_rank(cassette, request_model, tier)) >= 0
            ]
            if ranked:
                return max(ranked, key=lambda pair: pair[0])[1]
        return None


def _match_rank(cassette: Cassette, request_model: str, tier: str | None) -> int:
    """2 = exact model, 1 = same tier, 0 = wildcard, -1 = meant for another model or tier."""
    if cassette.model is not None:
        return 2 if cassette.model == request_model else -1
    if cassette.tier is not None:
        return 1 if cassette.tier == tier else -1
    return 0
