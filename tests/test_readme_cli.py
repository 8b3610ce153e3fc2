"""The README's command-line examples run, in order, on a fresh database: each line exits 0.

They are read from README.md itself (the ```sh block under "## Command line"), so an example that stops working
fails here. Files they write (oost.docx, enc.xlsx, kruispunt.docx) land in a temporary folder; the demo's
transcripts are read where they are in the repository.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = ".venv/bin/python cli.py "


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Command line", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip()]
    assert all(line.startswith(PREFIX) for line in lines), [line for line in lines if not line.startswith(PREFIX)]
    return [shlex.split(line[len(PREFIX):], comments=True) for line in lines]


def test_every_readme_example_runs_on_a_fresh_database(tmp_path, db_url, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import cli

    commands = readme_commands()
    assert len(commands) >= 25
    (tmp_path / "demo").symlink_to(ROOT / "demo", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    failed = []
    for args in commands:
        capsys.readouterr()
        try:
            code = cli.main(["--db", db_url, *args])
        except SystemExit as exc:  # --help exits through argparse
            code = exc.code or 0
        out, err = capsys.readouterr()
        if code != 0:
            failed.append((" ".join(args), code, err.strip()[-300:]))
    assert failed == []
    assert (tmp_path / "oost.docx").stat().st_size > 0 and (tmp_path / "enc.xlsx").stat().st_size > 0
    assert os.path.getsize(tmp_path / "kruispunt.docx") > 0
