"""Exact prices and the cost of a usage, following Anthropic's billing rules.

Money is `Decimal` USD end to end: per-token prices are exact decimals, so sums over a month of
attempts carry no float error. Convert to float only at the JSON boundary (`usd_float`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from harness.models.usage import Usage

MILLION = Decimal(1_000_000)
BATCH_DISCOUNT = Decimal("0.5")
ZERO = Decimal(0)

Price = Annotated[Decimal, Field(ge=0)]
"""USD per million tokens."""


class PriceTable(BaseModel):
    """USD per million tokens for each kind of token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: Price
    output: Price
    cache_write_5m: Price
    cache_write_1h: Price
    cache_read: Price

    def cost(self, usage: Usage) -> Decimal:
        total = (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_write_5m_tokens * self.cache_write_5m
            + usage.cache_write_1h_tokens * self.cache_write_1h
            + usage.cache_read_tokens * self.cache_read
        )
        return total / MILLION


class LongContextTier(PriceTable):
    """Rates for the whole request once its prompt tokens exceed `threshold`."""

    threshold: PositiveInt


def cost_of(
    prices: PriceTable, usage: Usage, long_context: LongContextTier | None = None, *, batch: bool = False
) -> Decimal:
    """Exact USD for one call: long-context rates replace the base rates for the whole request."""
    table: PriceTable = prices
    if long_context is not None and usage.prompt_tokens > long_context.threshold:
        table = long_context
    amount = table.cost(usage)
    return amount * BATCH_DISCOUNT if batch else amount


def usd_float(amount: Decimal) -> float:
    """The JSON/display boundary: round exact USD to 1e-9 (below a thousandth of a token)."""
    return float(amount.quantize(Decimal("0.000000001")))


def format_usd(amount: Decimal) -> str:
    """Human display: cents for large amounts, more digits for the sub-cent costs of single calls."""
    sign, size = ("-" if amount < 0 else ""), abs(amount)
    if size >= 1:
        return f"{sign}${size:,.2f}"
    return f"{sign}${size:.4f}" if size >= Decimal("0.01") else f"{sign}${size:.6f}"
