"""Progress on stderr without a terminal: plain lines, few of them."""

from __future__ import annotations

import pytest

from lakeopt.progress import ProgressLine, transfer_progress


def test_a_download_prints_a_line_per_tenth(capsys: pytest.CaptureFixture[str]) -> None:
    with transfer_progress("Trino 476 server", terminal=False) as on_bytes:
        for done in range(0, 821_000_001, 1_000_000):
            on_bytes(done, 821_000_000)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 11
    assert lines[0] == "Trino 476 server: 0 of 821 MB" and lines[-1] == "Trino 476 server: 821 of 821 MB"


def test_stage_progress_prints_each_new_message_once(capsys: pytest.CaptureFixture[str]) -> None:
    with ProgressLine("optimize", terminal=False) as line:
        line.update(0.5, "applying the rules", stage="optimize")
        line.update(0.5, "applying the rules", stage="optimize")
        line.note("warning: something")
    assert capsys.readouterr().err.splitlines() == ["[ 50%] optimize: applying the rules", "warning: something"]
