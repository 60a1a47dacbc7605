"""Token usage of one API call, as the Messages API reports it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, NonNegativeInt


class Usage(BaseModel):
    """Tokens billed for one call. `input_tokens` excludes cache reads and writes, as in the API."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_tokens: NonNegativeInt = 0
    output_tokens: NonNegativeInt = 0
    cache_write_5m_tokens: NonNegativeInt = 0
    cache_write_1h_tokens: NonNegativeInt = 0
    cache_read_tokens: NonNegativeInt = 0

    @property
    def prompt_tokens(self) -> int:
        """All input-side tokens: what decides the long-context tier and the context window."""
        return (
            self.input_tokens
            + self.cache_write_5m_tokens
            + self.cache_write_1h_tokens
            + self.cache_read_tokens
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_write_5m_tokens=self.cache_write_5m_tokens + other.cache_write_5m_tokens,
            cache_write_1h_tokens=self.cache_write_1h_tokens + other.cache_write_1h_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
        )
