"""The layout README promises, checked on the source: the packages follow the research flow, arrows point down,
no domain package imports streamlit, and modules stay small enough to read in one sitting.

A newcomer finds a feature by the folder names; these tests keep the folders honest as features are added.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The research flow: a package may import those before it, never those after it.
FLOW = ("store", "cases", "codebooks", "coding", "analysis", "focusgroups", "exports")
# Callers of the flow: they may import any package of it (and the app's own ui/), the flow never imports them.
CALLERS = ("demo", "ui", "pages", "commands")
MAX_LINES = 500
LONG_REASON = "Long on purpose:"


def _python_files(*folders: str) -> list[Path]:
    files = [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]
    return [p for p in files if ".venv" not in p.parts and "migrations" not in p.parts]


def _imported_packages(path: Path) -> set[str]:
    """Every top-level package the module imports, at module level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


@pytest.mark.parametrize("package", FLOW)
def test_domain_packages_never_import_streamlit(package: str) -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _python_files(package) if "streamlit" in _imported_packages(p)]
    assert offenders == []


@pytest.mark.parametrize("package", FLOW)
def test_imports_only_point_down_the_research_flow(package: str) -> None:
    later = set(FLOW[FLOW.index(package) + 1:]) | set(CALLERS)
    offenders = {str(p.relative_to(ROOT)): sorted(_imported_packages(p) & later) for p in _python_files(package)}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_every_write_of_the_app_is_retried_while_the_database_is_busy() -> None:
    """Issue 12: a busy database shows "retrying" and retries. Pages write through ui.state.write_retrying (or
    run_write, or a domain function given the engine wrapped in retry_when_busy), never write_session directly."""
    offenders = [str(p.relative_to(ROOT)) for p in [*_python_files("pages", "ui"), ROOT / "app.py"]
                 if p.name != "state.py" and "write_session(" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_every_package_says_what_it_holds() -> None:
    for package in (*FLOW, "commands", "ui", "demo"):
        init = ROOT / package / "__init__.py"
        assert init.is_file(), f"{package}/ is not a package"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{package}/__init__.py has no docstring"


def test_coding_holds_only_coding() -> None:
    """Analyses derived from codings live in analysis/, focus-group work in focusgroups/ (issue 9)."""
    modules = {p.stem for p in (ROOT / "coding").glob("*.py")} - {"__init__"}
    assert modules == {"assignments", "bulk_coding", "carry", "codings", "damage_repair", "learned", "memos",
                       "offsets", "ownership", "picker", "pseudonymise", "retrieval", "search", "speaker_edits",
                       "suggest", "text_edits", "undo", "workspace", "learned_cache", "rejections",
                       # what researchers write from their codings: value-creation stories and coding marks
                       "stories", "story_views", "story_undo", "coding_flags"}


def test_cli_is_a_short_entry_point_over_the_commands_package() -> None:
    text = (ROOT / "cli.py").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 30
    assert "from commands import" in text
    assert not (ROOT / "cli_analysis.py").exists() and not (ROOT / "cli_support.py").exists()


def test_modules_stay_readable_in_one_sitting() -> None:
    """No module over MAX_LINES lines unless its docstring says why (tests and demo data aside)."""
    too_long = {}
    for path in _python_files(*FLOW, *CALLERS, "bench") + [ROOT / "app.py", ROOT / "cli.py"]:
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_LINES and LONG_REASON not in (ast.get_docstring(ast.parse(text)) or ""):
            too_long[str(path.relative_to(ROOT))] = lines
    assert too_long == {}


def test_readme_map_names_only_folders_and_modules_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## What is here"):readme.index("## Tests")]
    folders = set(re.findall(r"^\| `([a-z_]+)/`", table, flags=re.M))
    assert set(FLOW) <= folders and {"commands"} <= {f.strip("`/") for f in re.findall(r"`[a-z_]+/`", table)}
    for row in table.splitlines():
        match = re.match(r"^\| `([a-z_]+)/`.*\| (.*) \|$", row)
        if not match:
            continue
        folder, examples = match.groups()
        for module in re.findall(r"`([a-z_]+\.py)`", examples):
            assert (ROOT / folder / module).is_file(), f"README names {folder}/{module}, which does not exist"
