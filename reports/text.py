"""Untrusted text (model output, validator reasons) made safe and bounded for each report format.

Limits are byte budgets shared by all tasks, so a 10,000-task report stays small while a
5-task report shows whole outputs. The full text always stays in telemetry.
"""

from __future__ import annotations

import re
from decimal import Decimal

from markupsafe import Markup, escape

from harness.models.pricing import format_usd

TRUNCATED_NOTE = "truncated; the full text is in telemetry"
_NOTE_HTML = Markup('<span class="trunc">… ') + TRUNCATED_NOTE + Markup("</span>")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~&])")
_PARTIAL_ENTITY = re.compile(r"&[#a-zA-Z0-9]*$")


def share(budget: int, items: int, low: int, high: int) -> int:
    """Per-item limit: an equal share of `budget`, kept between `low` and `high`."""
    return max(low, min(high, budget // max(items, 1)))


def clip_html(text: str, limit: int) -> Markup:
    """Escape, then cut to `limit` UTF-8 bytes of HTML (never inside an entity), noting any cut."""
    head = text[:limit]
    escaped = str(escape(head))
    encoded = escaped.encode("utf-8")
    if len(text) <= limit and len(encoded) <= limit:
        return Markup(escaped)
    cut = _PARTIAL_ENTITY.sub("", encoded[:limit].decode("utf-8", "ignore"))
    return Markup(cut) + _NOTE_HTML


def clip_plain(text: str, limit: int) -> str:
    """Cut plain text to `limit` characters with the truncation note."""
    return text if len(text) <= limit else f"{text[:limit]} … [{TRUNCATED_NOTE}]"


def xml_safe(text: str) -> str:
    """Replace characters XML 1.0 forbids (control bytes in model output would break the file)."""
    return _XML_INVALID.sub("\ufffd", text)


def md_inline(text: str, limit: int) -> str:
    """One line of Markdown that renders as literal text: no HTML, links or table breaks."""
    flat = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", clip_plain(flat, limit))


def usd(value: float) -> str:
    """Display a results.json USD number with the project's money format."""
    return format_usd(Decimal(repr(value)))


def pct(rate: float, digits: int = 1) -> str:
    """A 0..1 rate as a percentage."""
    return f"{rate * 100:.{digits}f}%"
