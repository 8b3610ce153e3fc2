"""Small studies built through the product's own functions, and pages opened on them, for the tests of issues
13 and 14 (agreement, adjudication, text edits, pseudonymisation, purging)."""

from __future__ import annotations

import pytest

from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project, get_document, get_project
from codebooks.service import adopt_codebook
from store.db import get_engine, read_session
from store.models import Case, Document, Project


def interview_study(session, name: str, text: str, roles: dict[str, str], *,  # type: ignore[no-untyped-def]
                    case: str = "Oost", title: str = "gesprek") -> tuple[Project, Case, Document]:
    """A project with the value-creation codebook, one case and one interview whose speakers have these roles."""
    project = create_project(session, name)
    adopt_codebook(session, project, "value-creation")
    made = create_case(session, project, case)
    document = store_import(session, project, preview_import(f"{title}.txt", text.encode()), cases=[made],
                            speakers={label: SpeakerDecision(role) for label, role in roles.items()})
    return project, made, document


def open_page(monkeypatch: pytest.MonkeyPatch, url: str, project_name: str, page: str, *, coder: str,
              document: str | None = None):  # type: ignore[no-untyped-def]
    """The app as `coder` (local mode) on a page of the project, the document (a title) chosen."""
    from apptest_support import make_app

    with read_session(get_engine(url)) as s:
        project = get_project(s, project_name)
        guid = str(project.guid)
        document_guid = str(get_document(s, project, document).guid) if document else None
    at = make_app(monkeypatch, url, project_guid=guid, coder=coder)
    if document_guid:
        at.query_params["document"] = document_guid
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at, document_guid


def span_of(text: str, part: str) -> tuple[int, int]:
    """Where `part` first stands in `text`, as [start, end)."""
    start = text.index(part)
    return start, start + len(part)
