"""Providers: the only layer that talks to a model API. Knows nothing of routing or scenarios."""

from harness.providers.base import Completion, CompletionRequest, Message, Provider
from harness.providers.errors import ErrorAction, ErrorKind, ProviderError

__all__ = [
    "Completion",
    "CompletionRequest",
    "ErrorAction",
    "ErrorKind",
    "Message",
    "Provider",
    "ProviderError",
]
