"""Model registry and exact pricing."""

from harness.models.pricing import PriceTable, format_usd, usd_float
from harness.models.registry import ModelInfo, Preset, Registry, Tier, UnknownModelError, load_registry
from harness.models.usage import Usage

__all__ = [
    "ModelInfo",
    "Preset",
    "PriceTable",
    "Registry",
    "Tier",
    "UnknownModelError",
    "Usage",
    "format_usd",
    "load_registry",
    "usd_float",
]
