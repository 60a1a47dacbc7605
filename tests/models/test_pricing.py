"""Exact costs, hand-computed from Anthropic's published rates."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import UserError
from harness.models import Usage, load_registry, usd_float
from harness.models.retirement import retirement_notice

REGISTRY = load_registry()


@pytest.mark.parametrize(
    ("model", "usage", "expected"),
    [
        ("claude-opus-4-5", Usage(input_tokens=1_000_000, output_tokens=1_000_000), "30"),
        # Above 200K prompt tokens the whole Sonnet 4.5 request is billed at 6 / 22.50.
        ("claude-sonnet-4-5", Usage(input_tokens=300_000, output_tokens=10_000), "2.025"),
        # At exactly 200K the standard rate still applies: 0.6 + 0.15.
        ("claude-sonnet-4-5", Usage(input_tokens=200_000, output_tokens=10_000), "0.75"),
        # Cache reads count toward the threshold: 150K + 60K read > 200K -> 0.9 + 0.036.
        ("claude-sonnet-4-5", Usage(input_tokens=150_000, cache_read_tokens=60_000), "0.936"),
        # Sonnet 4.6 has 1M context at the standard rate.
        ("claude-sonnet-4-6", Usage(input_tokens=300_000, output_tokens=10_000), "1.05"),
        # Cache writes and reads at their own rates: 1M x 6.25 + 1M x 10 + 1M x 0.50.
        (
            "claude-opus-4-6",
            Usage(cache_write_5m_tokens=1_000_000, cache_write_1h_tokens=1_000_000, cache_read_tokens=1_000_000),
            "16.75",
        ),
        # Haiku 5.5 prompts over 100K tokens pay 5x: 120K x 0.50 + 1K x 2.50.
        ("claude-haiku-5-5", Usage(input_tokens=120_000, output_tokens=1_000), "0.0625"),
        ("claude-haiku-5-5", Usage(input_tokens=100_000, output_tokens=1_000), "0.0105"),
        # A dated snapshot id (what the API reports) prices as its model.
        ("claude-sonnet-4-5-20250929", Usage(input_tokens=1_000, output_tokens=1_000), "0.018"),
    ],
)
def test_cost_follows_anthropic_billing(model: str, usage: Usage, expected: str) -> None:
    assert REGISTRY.cost(model, usage) == Decimal(expected)


def test_batch_halves_the_price() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert REGISTRY.cost("claude-opus-4-5", usage, batch=True) == Decimal("15")


def test_sums_of_many_small_costs_stay_exact() -> None:
    one = REGISTRY.cost("claude-haiku-4-5", Usage(input_tokens=7, output_tokens=3))
    assert one == Decimal("0.000022")
    assert sum([one] * 1_000_000, Decimal(0)) == Decimal("22")
    assert usd_float(one) == 0.000022


def test_price_cli_prints_the_plain_number_last(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["price", "claude-sonnet-4-5", "--input", "300000", "--output", "10000"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "2.025"
    assert main(["price", "claude-opus-4-5", "--input", "1000000", "--output", "1000000", "--batch"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "15"


def test_price_cli_unknown_model_lists_close_matches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["price", "claude-opus-4-55", "--input", "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'claude-opus-4-55'" in err
    assert "claude-opus-4-5" in err
    assert "Traceback" not in err


def test_user_file_adds_and_overrides_models(tmp_path: Path) -> None:
    user = tmp_path / "models.toml"
    user.write_text(
        '[models."my-finetune"]\ntier = "capable"\ninput = "2"\noutput = "8"\ncache_write_5m = "2.5"\n'
        'cache_write_1h = "4"\ncache_read = "0.2"\ncontext_window = 100000\nmax_output = 8000\n'
        '[models."claude-opus-4-6"]\ninput = "4"\n'
    )
    registry = load_registry(user)
    assert registry.cost("my-finetune", Usage(input_tokens=1_000_000)) == Decimal("2")
    assert registry.get("claude-opus-4-6").input == Decimal("4")
    assert registry.get("claude-opus-4-6").output == Decimal("25")


def test_bad_user_file_names_file_model_and_field(tmp_path: Path) -> None:
    user = tmp_path / "models.toml"
    user.write_text('[models."broken"]\ntier = "capable"\ninput = "-1"\n')
    with pytest.raises(UserError, match=r"models.toml: model 'broken': .*input"):
        load_registry(user)


def test_presets_include_the_tutorial_pair_and_a_default_that_is_not_retiring() -> None:
    assert REGISTRY.preset("sonnet-4.5-to-opus-4.5").chain == ("claude-sonnet-4-5", "claude-opus-4-5")
    from datetime import date

    for model in REGISTRY.preset("default").chain:
        assert retirement_notice(model, REGISTRY, today=date(2026, 11, 27)) is None


def test_retiring_models_are_flagged_from_the_sdk_schedule() -> None:
    from datetime import date

    notice = retirement_notice("claude-sonnet-4-5", REGISTRY, today=date(2026, 11, 27))
    assert notice is not None and "2026-11-30" in notice
    past = retirement_notice("claude-sonnet-4-5-20250929", REGISTRY, today=date(2026, 12, 5))
    assert past is not None and "was retired" in past


@pytest.mark.parametrize(("amount", "shown"), [("2.025", "$2.02"), ("0.0525", "$0.0525"), ("0.000022", "$0.000022"),
                                               ("-0.003805", "-$0.003805"), ("1234.5", "$1,234.50")])
def test_money_is_shown_with_the_digits_that_matter(amount: str, shown: str) -> None:
    from harness.models import format_usd

    assert format_usd(Decimal(amount)) == shown
