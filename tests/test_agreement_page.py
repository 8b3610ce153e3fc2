"""The Agreement page under AppTest (SQLite, the demo study): the figures equal the engine's, every disagreement
shows both coders' spans as text with a link into the transcript, filters narrow the list, and a wrong request
is one line."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qs

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app, shown  # noqa: E402

from analysis.agreement import compute_agreement  # noqa: E402
from cases.projects import get_project  # noqa: E402
from demo.load import DEMO_PROJECT, load_demo  # noqa: E402
from store.db import get_engine, read_session  # noqa: E402

SANNE, LIEKE = "Sanne de Wit", "Lieke Bakker"


@pytest.fixture
def demo(sqlite_url):  # type: ignore[no-untyped-def]
    engine = get_engine(sqlite_url)
    load_demo(engine)
    with read_session(engine) as s:
        return sqlite_url, str(get_project(s, DEMO_PROJECT).guid)


def open_agreement(monkeypatch, url: str, guid: str):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid, coder=SANNE)
    at.run()
    at.switch_page("pages/agreement.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_computes_what_the_engine_does_and_lists_disagreements_as_text(monkeypatch, demo):
    url, guid = demo
    at = open_agreement(monkeypatch, url, guid)
    at.multiselect(key="ag_coders").set_value([SANNE, LIEKE])
    at.selectbox(key="ag_codebook").set_value("value-creation")
    at.run()
    documents = at.multiselect(key=f"ag_documents_{SANNE}|{LIEKE}")
    assert [documents.format_func(g) for g in documents.value] == ["a2_interview_veldkamp"]  # their double coding
    at.radio(key="ag_unit").set_value("sentence")
    next(b for b in at.button if b.label == "Compute agreement").click()
    at.run()
    assert not at.exception, at.exception
    with read_session(get_engine(url)) as s:
        report = compute_agreement(s, get_project(s, guid), [SANNE, LIEKE], unit="sentence",
                                   codebook="value-creation")
    assert not at.error, shown(at.error)
    table = at.dataframe[1].value  # after the facts
    pooled = table[table["code"] == "(pooled over codes)"].iloc[0]
    assert pooled["% agreement"] == round(report.pooled.percent.value, 4)
    assert pooled["Cohen's κ"] == round(report.pooled.cohen_kappa.value, 4)
    assert pooled["Krippendorff's α (nominal)"] == round(report.pooled.alpha_nominal.value, 4)
    assert f"Disagreements ({len(report.disagreements)})" in [h.value for h in at.subheader]
    first = report.disagreements[0]
    texts = [t.value for t in at.text]
    for span in first.spans:
        assert f"[{span.start}–{span.end}] {span.text}" in texts  # each coder's span, as text
    links = [parse_qs(link.proto.query_string) for link in at.get("page_link")]
    assert links[0] == {"project": [guid], "document": [first.document_guid], "turn": [str(first.ordinal)]}
    assert len(links) == min(25, len(report.disagreements))

    at.multiselect(key="ag_filter_codes").set_value(["vc.realised"]).run()
    realised = [d for d in report.disagreements if d.code == "vc.realised"]
    assert len(at.get("page_link")) == len(realised) > 0


def test_a_request_the_engine_refuses_is_one_line(monkeypatch, demo):
    url, guid = demo
    at = open_agreement(monkeypatch, url, guid)
    at.multiselect(key="ag_coders").set_value([SANNE, "Thomas Vermeulen", LIEKE])
    at.run()
    next(b for b in at.button if b.label == "Compute agreement").click()
    at.run()
    assert not at.exception
    assert shown(at.error) == [f"no document has been coded by all of {SANNE}, Thomas Vermeulen, {LIEKE}; "
                               "choose documents"]


def test_an_owner_adjudicates_on_the_page(monkeypatch, demo):
    from analysis.adjudication import CONSENSUS
    from cases.projects import get_document
    from coding.codings import list_codings
    from store.models import Coder

    url, guid = demo
    at = open_agreement(monkeypatch, url, guid)
    at.multiselect(key="ag_coders").set_value([SANNE, LIEKE])
    at.selectbox(key="ag_codebook").set_value("value-creation")
    at.radio(key="ag_unit").set_value("sentence")
    next(b for b in at.button if b.label == "Compute agreement").click()
    at.run()
    at.button(key="adjudication_start").click()
    at.run()
    assert not at.exception, at.exception
    assert shown(at.success)[0].startswith("Started: ")
    assert any("disagreement(s) settled" in c for c in shown(at.caption))
    at.button(key="decide_both_1").click()
    at.run()
    assert not at.exception, at.exception
    assert "Settled disagreement #1: keep both." in shown(at.success)
    assert any(c.startswith("Settled: keep both, by Sanne de Wit") for c in shown(at.caption))
    with read_session(get_engine(url)) as s:
        project = get_project(s, guid)
        document = get_document(s, project, "a2_interview_veldkamp")
        consensus = s.query(Coder).filter_by(project_id=project.id, name=CONSENSUS).one()
        assert document.primary_coder_id == consensus.id
        assert list_codings(s, project, document=document, coder=consensus)
    at.button(key="reopen_1").click()
    at.run()
    assert "Reopened disagreement #1." in shown(at.success)
