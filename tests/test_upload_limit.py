"""The server's upload limit is the import limit, and every uploader says it before anything is uploaded: a file
the import would refuse is not first carried 200 MB into the server's memory."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app  # noqa: E402
from test_app_pages import new_project  # noqa: E402

from cases.readers import DEFAULT_MAX_IMPORT_BYTES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_the_server_limit_is_the_import_limit() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == DEFAULT_MAX_IMPORT_BYTES


@pytest.mark.parametrize(("page", "key"), [("documents", "uploads"), ("cases", "sheet"),
                                           ("codebooks", "codebook_csv")])
def test_every_uploader_shows_the_import_limit(monkeypatch, sqlite_url, page, key) -> None:  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, sqlite_url, project_guid=new_project(sqlite_url))
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    (uploader,) = [u for u in at.get("file_uploader") if u.proto.id.endswith(key) or key in u.proto.id]
    assert uploader.proto.max_upload_size_mb * 1024 * 1024 == DEFAULT_MAX_IMPORT_BYTES
