"""Local Messages-API emulator: the real SDK code path, offline, with cassettes and fault injection."""

from harness.emulator.cassettes import Cassette, CassetteStore, prompt_fingerprint
from harness.emulator.faults import FaultPlan
from harness.emulator.server import DEFAULT_ANSWER_LABEL, Emulator, LoggedRequest, approx_tokens

__all__ = [
    "DEFAULT_ANSWER_LABEL",
    "Cassette",
    "CassetteStore",
    "Emulator",
    "FaultPlan",
    "LoggedRequest",
    "approx_tokens",
    "prompt_fingerprint",
]
