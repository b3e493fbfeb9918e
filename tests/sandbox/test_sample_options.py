"""``sandbox load --from``: its options are checked before anything is read."""

from __future__ import annotations

import argparse

import pytest

from lakeopt.sandbox_commands import _byte_count, _percent


def test_sample_percentages_and_byte_caps_parse() -> None:
    assert _percent("10%") == pytest.approx(0.1) and _percent("100") == 1.0
    assert _byte_count("2G") == 2 * 1024**3 and _byte_count("500m") == 500 * 1024**2 and _byte_count("7") == 7


@pytest.mark.parametrize("text", ["0%", "150%", "ten", "-5"])
def test_bad_sample_percentages_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _percent(text)


@pytest.mark.parametrize("text", ["0", "lots", "-1G", "G"])
def test_bad_byte_caps_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _byte_count(text)
