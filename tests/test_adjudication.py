"""Adjudication (issue 13), on both databases: what two coders agree on becomes the consensus coding, each
disagreement is settled (keep A's, B's, both, or a consensus span), the consensus is the primary coding the
matrices count, decisions are stored, logged and reopened exactly, and the coders' own codings never change."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

import cli
from analysis.adjudication import CONSENSUS, decide, decisions, pair_report, reopen, start_adjudication
from analysis.matrix import MatrixSpec, build_matrix
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_project, get_document, get_or_create_coder, get_project
from codebooks.service import adopt_codebook
from coding.codings import apply_coding, list_codings
from store.db import read_session, write_session
from store.errors import Refused
from store.models import Event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_support import interview_study, span_of  # noqa: E402

P = "Beslissen"
TEXT = ("I: Wat leverde het netwerk op?\n"
        "R: Nieuwe contacten in Duitsland. We hebben daarna samen een subsidie aangevraagd.\n"
        "I: En verder?\n"
        "R: Ik kijk nu anders naar wat succes is.\n")


def at(text: str) -> tuple[int, int]:
    return span_of(TEXT, text)


def build(engine) -> None:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project, _, document = interview_study(s, P, TEXT, {"I": "interviewer", "R": "respondent"})
        anna, _ = get_or_create_coder(s, project, "Anna")
        bram, _ = get_or_create_coder(s, project, "Bram")
        # agreed: both code the contacts as immediate value
        for coder in (anna, bram):
            apply_coding(s, project, document, coder, *at("Nieuwe contacten in Duitsland."), ["vc.immediate"],
                         actor=coder.name)
        # disagreements: only Anna sees applied value; only Bram sees transformative value
        apply_coding(s, project, document, anna, *at("samen een subsidie aangevraagd"), ["vc.applied"], actor="Anna")
        apply_coding(s, project, document, bram, *at("Ik kijk nu anders naar wat succes is."), ["vc.transformative"],
                     actor="Bram")


def state(engine) -> tuple[list[tuple[str, int, int, str]], dict]:  # type: ignore[no-untyped-def]
    """The consensus coder's codings, and the default (primary-coder) matrix row of the case."""
    with read_session(engine) as s:
        project = get_project(s, P)
        consensus = get_or_create_coder(s, project, CONSENSUS)[0]
        codings = sorted((c.code, c.start, c.end, c.coder) for c in list_codings(s, project, coder=consensus))
        matrix = build_matrix(s, project, MatrixSpec(rows="cases", codebook="vc"))  # every codable code
        row = {key: matrix.counts[0][j] for j, key in enumerate(matrix.column_keys()) if matrix.counts[0][j]}
    return codings, row


def test_adjudication_from_start_to_reopen(engine):
    build(engine)
    with read_session(engine) as s:
        project = get_project(s, P)
        own_before = sorted((c.coder, c.code, c.start, c.end) for c in list_codings(s, project))
        report = pair_report(s, project, get_document(s, project, "gesprek"),
                             *[get_or_create_coder(s, project, n)[0] for n in ("Anna", "Bram")], "characters")
    assert [(d.code, d.coded_by) for d in report.disagreements] == [("vc.applied", ["Anna"]),
                                                                   ("vc.transformative", ["Bram"])]
    with write_session(engine) as s:
        assert start_adjudication(s, get_project(s, P), "gesprek", ["Anna", "Bram"], actor="Olga") == 1
    codings, row = state(engine)
    assert codings == [("vc.immediate", *at("Nieuwe contacten in Duitsland."), CONSENSUS)]
    assert row == {"vc.immediate": 1}  # the matrices count the consensus now, not Anna's codings
    applied, transformative = report.disagreements
    with write_session(engine) as s:
        project = get_project(s, P)
        decide(s, project, "gesprek", ["Anna", "Bram"], code="vc.applied", start=applied.start, end=applied.end,
               decision="b", actor="Olga")  # Bram did not code it: nothing is added
        decide(s, project, "gesprek", ["Anna", "Bram"], code="vc.transformative", start=transformative.start,
               end=transformative.end, decision="consensus", span=at("anders naar wat succes is"), actor="Olga")
    codings, row = state(engine)
    assert codings == sorted([("vc.immediate", *at("Nieuwe contacten in Duitsland."), CONSENSUS),
                              ("vc.transformative", *at("anders naar wat succes is"), CONSENSUS)])
    assert row == {"vc.immediate": 1, "vc.transformative": 1}
    with write_session(engine) as s, pytest.raises(Refused, match="settled by Olga \\(keep Bram's\\)"):
        decide(s, get_project(s, P), "gesprek", ["Anna", "Bram"], code="vc.applied", start=applied.start,
               end=applied.end, decision="a", actor="Olga")
    with read_session(engine) as s:
        taken = decisions(s, get_project(s, P), "gesprek", ["Anna", "Bram"])
    assert {(k[0], d.words, d.decided_by) for k, d in taken.items()} == {
        ("vc.applied", "keep Bram's", "Olga"), ("vc.transformative", "consensus span", "Olga")}
    with write_session(engine) as s, pytest.raises(Refused, match="only they can reopen"):
        reopen(s, get_project(s, P), "gesprek", ["Anna", "Bram"], code="vc.transformative",
               start=transformative.start, end=transformative.end, actor="Piet")
    with write_session(engine) as s:
        project = get_project(s, P)
        reopen(s, project, "gesprek", ["Anna", "Bram"], code="vc.transformative", start=transformative.start,
               end=transformative.end, actor="Olga")
    codings, _ = state(engine)
    assert codings == [("vc.immediate", *at("Nieuwe contacten in Duitsland."), CONSENSUS)]
    with read_session(engine) as s:
        project = get_project(s, P)
        own_after = sorted((c.coder, c.code, c.start, c.end) for c in list_codings(s, project)
                           if c.coder != CONSENSUS)
        logged = [(e.action, e.entity) for e in s.scalars(select(Event).where(Event.entity == "adjudication")
                                                          .order_by(Event.id))]
    assert own_after == own_before  # the coders' own work is untouched
    assert logged == [("start", "adjudication"), ("decide", "adjudication"), ("decide", "adjudication"),
                      ("reopen", "adjudication")]


def test_adjudication_on_the_command_line(capsys, db_url, engine):
    build(engine)
    base = ["--db", db_url, "--as", "Olga"]
    where = ["--project", P, "--document", "gesprek", "--coders", "Anna,Bram"]
    capsys.readouterr()
    assert cli.main([*base, "adjudicate", *where, "--number", "1", "--keep", "a"]) == 1
    assert "start the adjudication of 'gesprek' first" in capsys.readouterr().err
    assert cli.main([*base, "adjudication", *where, "--start", "--format", "json"]) == 0
    out = capsys.readouterr().out
    listed = json.loads(out[out.index("["):])
    assert [(d["number"], d["code"], d["decision"]) for d in listed] == [(1, "vc.applied", None),
                                                                        (2, "vc.transformative", None)]
    assert cli.main([*base, "adjudicate", *where, "--number", "1", "--keep", "a"]) == 0
    assert cli.main([*base, "adjudicate", *where, "--number", "2", "--keep", "both"]) == 0
    assert cli.main([*base, "adjudicate", *where, "--number", "3", "--keep", "a"]) == 1
    assert "no disagreement number 3 (there are 2)" in capsys.readouterr().err
    assert cli.main([*base, "adjudication", *where, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["number"], d["decision"], d["decided_by"]) for d in listed] == [(1, "keep Anna's", "Olga"),
                                                                              (2, "keep both", "Olga")]
    codings, row = state(engine)
    assert row == {"vc.immediate": 1, "vc.applied": 1, "vc.transformative": 1}
    assert cli.main([*base, "adjudicate", *where, "--number", "2", "--consensus", "x-y"]) == 1
    assert "--consensus 'x-y': write START-END" in capsys.readouterr().err


def test_the_agreement_report_says_how_each_disagreement_was_settled(capsys, db_url, engine, tmp_path):
    from docx import Document as read_docx

    build(engine)
    base = ["--db", db_url, "--as", "Olga"]
    where = ["--project", P, "--document", "gesprek", "--coders", "Anna,Bram"]
    assert cli.main([*base, "adjudication", *where, "--start"]) == 0
    assert cli.main([*base, "adjudicate", *where, "--number", "2", "--keep", "b"]) == 0
    capsys.readouterr()
    report = [*base, "agreement", "--project", P, "--coders", "Anna,Bram", "--codebook", "vc"]
    assert cli.main([*report, "--format", "json"]) == 0
    lines = json.loads(capsys.readouterr().out)["disagreements"]
    assert [(d["code"], d["coder"], (d["decision"] or "").split(" (")[0]) for d in lines] == [
        ("vc.applied", "Anna", ""), ("vc.transformative", "Bram", "keep Bram's")]
    assert cli.main([*report, "--format", "docx", "--out", str(tmp_path / "a.docx")]) == 0
    text = "\n".join(p.text for p in read_docx(tmp_path / "a.docx").paragraphs)
    assert text.count("Adjudicated: keep Bram's (Olga, ") == 1


def test_keeping_bs_span_keeps_what_both_coded_and_reopening_spares_other_decisions(engine):
    """A codes a whole sentence, B only its start: "keep B's" keeps B's (agreed) start. Then A codes a span
    around B's, two regions arise; settling both as "keep A's" and reopening one leaves the other's span."""
    from sqlalchemy import delete

    from store.models import Coding as CodingRow
    from store.models import Segment as SegmentRow

    sentence = "Ik kijk nu anders naar wat succes is."
    start, end = at(sentence)
    with write_session(engine) as s:
        project = create_project(s, P)
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("gesprek.txt", TEXT.encode()), cases=[],
                                speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        anna, _ = get_or_create_coder(s, project, "Anna")
        bram, _ = get_or_create_coder(s, project, "Bram")
        apply_coding(s, project, document, anna, start, end, ["vc.realised"], actor="Anna")
        apply_coding(s, project, document, bram, start, start + 10, ["vc.realised"], actor="Bram")
    with write_session(engine) as s:
        start_adjudication(s, get_project(s, P), "gesprek", ["Anna", "Bram"], actor="Olga")
    with write_session(engine) as s:
        decide(s, get_project(s, P), "gesprek", ["Anna", "Bram"], code="vc.realised", start=start + 10, end=end,
               decision="b", actor="Olga")
    codings, _ = state(engine)
    assert codings == [("vc.realised", start, start + 10, CONSENSUS)]  # what both coded stays

    with write_session(engine) as s:  # start over: Bram codes the middle, two regions either side
        s.execute(delete(CodingRow))
        s.execute(delete(SegmentRow))
        from store.models import Adjudication

        s.execute(delete(Adjudication))
        project = get_project(s, P)
        document = get_document(s, project, "gesprek")
        apply_coding(s, project, document, get_or_create_coder(s, project, "Anna")[0], start, end, ["vc.realised"],
                     actor="Anna")
        apply_coding(s, project, document, get_or_create_coder(s, project, "Bram")[0], start + 5, end - 5,
                     ["vc.realised"], actor="Bram")
    with write_session(engine) as s:
        project = get_project(s, P)
        start_adjudication(s, project, "gesprek", ["Anna", "Bram"], actor="Olga")
        for region in ((start, start + 5), (end - 5, end)):
            decide(s, project, "gesprek", ["Anna", "Bram"], code="vc.realised", start=region[0], end=region[1],
                   decision="a", actor="Olga")
    with write_session(engine) as s:
        reopen(s, get_project(s, P), "gesprek", ["Anna", "Bram"], code="vc.realised", start=start, end=start + 5,
               actor="Olga")
    assert state(engine)[0] == [("vc.realised", start, end, CONSENSUS)]  # the other decision still keeps it
    with write_session(engine) as s:
        reopen(s, get_project(s, P), "gesprek", ["Anna", "Bram"], code="vc.realised", start=end - 5, end=end,
               actor="Olga")
    assert state(engine)[0] == []  # and goes with the last decision that kept it


def test_comparing_a_coder_with_the_consensus_reports_without_decisions(capsys, db_url, engine):
    build(engine)
    assert cli.main(["--db", db_url, "--as", "Olga", "adjudication", "--project", P, "--document", "gesprek",
                     "--coders", "Anna,Bram", "--start"]) == 0
    capsys.readouterr()
    assert cli.main(["--db", db_url, "--as", "Olga", "agreement", "--project", P, "--coders", f"Anna,{CONSENSUS}",
                     "--codebook", "vc", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["coders"] == ["Anna", CONSENSUS]
