"""`matrix --data` names recordings the way backtest and `data info` do: files or a directory."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from lighter_bot.cli.matrix import run_names


def test_a_directory_of_one_recording_is_a_recording(tmp_path: Path) -> None:
    rec = tmp_path / "standx"
    rec.mkdir()
    f = tmp_path / "a.csv.gz"
    f.write_bytes(b"")
    names = run_names("calm", [str(rec), f"{f}+{f}"])
    assert names[0] == "calm"
    assert names[1].endswith(str(rec)) and names[2].endswith(f"{f}+{f}")


def test_a_missing_path_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gone = tmp_path / "gone.parquet"
    with pytest.raises(typer.Exit) as exc:
        run_names("", [str(gone)])
    assert exc.value.exit_code == 2
    assert f"file not found: {gone}" in capsys.readouterr().err
