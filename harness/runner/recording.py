"""`harness run --record DIR`: keep every live answer as a cassette, to replay later for free."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from harness.emulator.cassettes import Cassette, prompt_fingerprint
from harness.providers.base import Completion, CompletionRequest, Provider


class RecordingProvider:
    """Wraps a live provider; writes one cassette file per answered call (never headers or keys)."""

    def __init__(self, inner: Provider, directory: Path) -> None:
        self.name = inner.name
        self._inner = inner
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)

    async def complete(self, request: CompletionRequest) -> Completion:
        completion = await self._inner.complete(request)
        user_turns = [m for m in request.messages if m.role == "user"]
        cassette = Cassette(
            fingerprint=prompt_fingerprint(request.system, user_turns[0].content),
            model=request.model,
            turn=len(user_turns),
            text=completion.text,
            usage=completion.usage,
            stop_reason=completion.stop_reason or "end_turn",
            model_reported=completion.model,
            label=f"recorded from the live Anthropic API on {datetime.now(UTC):%Y-%m-%d}",
        )
        name = f"{cassette.fingerprint[:16]}-{request.model}-turn{cassette.turn}.json"
        text = json.dumps(cassette.model_dump(mode="json"), indent=1)
        await asyncio.to_thread((self._dir / name).write_text, text, encoding="utf-8")
        return completion
