"""The within-case report (Word): built on both databases, reopened with python-docx and read back.

The fixture: project 'Studie' with value-creation and network-conditions, case
Grenzeloos with two short I:/R: interviews (the respondents linked to persons
with pseudonyms), a second case whose codings must stay out, codings by two
coders (one span coded by both), and memos on every kind of target.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document as open_docx

import cli
from cases.documents import document_text, document_turns
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_person, create_project, get_case, get_or_create_coder, get_project
from codebooks.service import adopt_codebook, code_tree, find_code, get_codebook
from coding.codings import apply_coding
from coding.memos import add_memo
from demo.load import DEMO_PROJECT, load_demo
from exports.case_report import NO_SEGMENTS, build_case_report
from store.spreadsheet import xml_safe
from store.db import get_engine, read_session, write_session
from store.errors import Refused

INTERVIEW_A = (
    "Interview met Anja Hoekstra\n"
    "\n"
    "I: Wie bent u?\n"
    "R: Ik ben Anja Hoekstra en ik coördineer het netwerk.\n"
    "I: Wat heeft het netwerk u opgeleverd?\n"
    "R: Een paar goede tips en een contact bij de gemeente. Daar hebben we een pilot mee gestart.\n"
    "I: En daarna?\n"
    "R: We werken nu met de nieuwe planning. Het verzuim is gedaald.\n"
    "I: Hoe verlopen de bijeenkomsten?\n"
    "R: Ik schreef <w:t>kapot</w:t> & \"zo\" verder in het verslag.\n"
)
INTERVIEW_B = (
    "I: Hoe lang bent u al lid?\n"
    "R: Sinds 2019. Ik kwam via Anja binnen.\n"
    "I: Wat vindt u van de bijeenkomsten?\n"
    "R: Die zijn nuttig. Je leert veel van elkaar.\n"
    "I: Waarom doet u mee?\n"
    "R: We willen samen de regio sterker maken.\n"
)
OTHER_CASE = (
    "I: Wat levert het op?\n"
    "R: Alleen maar gezelligheid, eerlijk gezegd.\n"
)

# (document, phrase, codes, coder)
CODINGS = [
    ("interview_hoekstra", "Een paar goede tips en een contact bij de gemeente.", ["vc.immediate"], "Thomas"),
    ("interview_hoekstra", "Daar hebben we een pilot mee gestart.", ["vc.applied"], "Thomas"),
    ("interview_hoekstra", "Het verzuim is gedaald.", ["vc.realised"], "Thomas"),
    ("interview_hoekstra", "Het verzuim is gedaald.", ["vc.realised"], "Sanne"),
    ("interview_hoekstra", "Ik ben Anja Hoekstra en ik coördineer het netwerk.", ["enc.structure.governance"],
     "Thomas"),
    ("interview_hoekstra", "Ik schreef <w:t>kapot</w:t> & \"zo\" verder in het verslag.", ["enc.process"], "Thomas"),
    ("interview_veldkamp", "Je leert veel van elkaar.", ["vc.potential.human", "enc.culture"], "Thomas"),
    ("interview_veldkamp", "Sinds 2019.", ["enc.structure"], "Sanne"),
    ("interview_veldkamp", "We willen samen de regio sterker maken.", ["enc.goal"], "Thomas"),
    ("overig_gesprek", "Alleen maar gezelligheid, eerlijk gezegd.", ["vc.immediate"], "Thomas"),
]
MEMOS = {
    "case": "Grenzeloos: de waarde zit vooral in contacten.",
    "document": "Interview A is kort; de respondent was gehaast.",
    "segment": "Realised? Toetsen bij de tweede codeur.",
    "code": "vc.applied alleen bij aantoonbaar veranderde praktijk.",
    "project": "Afspraak: memo's in het Nederlands.",
    "other_case": "Memo over de andere casus.",
}


def build_fixture(engine) -> None:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Studie")
        for key in ("value-creation", "network-conditions"):
            adopt_codebook(s, project, key)
        case = create_case(s, project, "Grenzeloos")
        other = create_case(s, project, "Stedenband")
        create_person(s, project, "Anja Hoekstra", pseudonym="A-R1", role="coordinator", case=case)
        create_person(s, project, "Bert Veldkamp", pseudonym="A-R2", role="entrepreneur", case=case)
        docs = {}
        for filename, text, person, the_case in (
            ("interview_hoekstra.txt", INTERVIEW_A, "Anja Hoekstra", case),
            ("interview_veldkamp.txt", INTERVIEW_B, "Bert Veldkamp", case),
            ("overig_gesprek.txt", OTHER_CASE, None, other),
        ):
            preview = preview_import(filename, text.encode("utf-8"), language="nl")
            speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent", person=person)}
            doc = store_import(s, project, preview, cases=[the_case], speakers=speakers)
            docs[doc.title] = doc
        segments = {}
        for title, phrase, codes, coder_name in CODINGS:
            text = document_text(s, docs[title])
            start = text.index(phrase)
            coder, _ = get_or_create_coder(s, project, coder_name)
            segments[(title, phrase, coder_name)] = apply_coding(s, project, docs[title], coder, start,
                                                                 start + len(phrase), codes)
        thomas, _ = get_or_create_coder(s, project, "Thomas")
        add_memo(s, project, MEMOS["case"], target=case, author=thomas)
        add_memo(s, project, MEMOS["document"], target=docs["interview_hoekstra"], author=thomas)
        add_memo(s, project, MEMOS["segment"],
                 target=segments[("interview_hoekstra", "Het verzuim is gedaald.", "Thomas")], author=thomas)
        add_memo(s, project, MEMOS["code"], target=find_code(s, project, "vc.applied"), author=thomas)
        add_memo(s, project, MEMOS["project"], author=thomas)
        add_memo(s, project, MEMOS["other_case"], target=other, author=thomas)
        # memo text is not normalised like transcripts: a control character must not break the Word file
        add_memo(s, project, "Bel\x07 terug \x0b morgen.", target=case)


def report(engine, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        project = get_project(s, "Studie")
        return build_case_report(s, project, get_case(s, project, "Grenzeloos"), **kwargs)


def paragraphs(data: bytes) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in open_docx(BytesIO(data)).paragraphs]


_KEY = re.compile(r"\(([a-z0-9_.-]+)\)$")


def code_headings(paras: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """(heading level, code key) of every code heading, in document order."""
    out = []
    for style, text in paras:
        match = _KEY.search(text)
        if style.startswith("Heading ") and match:
            out.append((int(style.split()[1]), match.group(1)))
    return out


def section(paras: list[tuple[str, str]], key: str) -> list[tuple[str, str]]:
    """The paragraphs under the heading of code `key`, up to the next heading."""
    starts = [i for i, (style, text) in enumerate(paras) if style.startswith("Heading") and text.endswith(f"({key})")]
    assert len(starts) == 1, f"one heading for {key}, found {len(starts)}"
    out = []
    for style, text in paras[starts[0] + 1:]:
        if style.startswith("Heading") or style == "Title":
            break
        out.append((style, text))
    return out


def expected_reference(engine, title: str, phrase: str, speaker: str,  # type: ignore[no-untyped-def]
                       coders: str) -> str:
    with read_session(engine) as s:
        project = get_project(s, "Studie")
        doc = next(d for d in get_case(s, project, "Grenzeloos").documents if d.title == title)
        text = document_text(s, doc)
        start = text.index(phrase)
        end = start + len(phrase)
        turn = next(t for t in document_turns(s, doc) if t.start <= start < t.end)
    return f"{speaker} · {title} · turn {turn.ordinal + 1} · characters {start}–{end} · coded by {coders}"


def test_report_has_codebook_headings_in_codebook_order_with_quotes_and_memos(engine):
    build_fixture(engine)
    data = report(engine)
    paras = paragraphs(data)
    headings = code_headings(paras)
    keys = [k for _, k in headings]

    # the project's codebooks in project order, codes depth-first in codebook order; switched-off codes left out
    with read_session(engine) as s:
        project = get_project(s, "Studie")
        expected = [row.code.key for key in ("value-creation", "network-conditions")
                    for row in code_tree(get_codebook(s, project, key)) if row.code.enabled]
    assert keys == expected
    for chain in (["vc.immediate", "vc.potential", "vc.applied", "vc.realised", "vc.transformative"],
                  ["enc.goal", "enc.structure", "enc.process", "enc.culture"]):
        positions = [keys.index(k) for k in chain]
        assert positions == sorted(positions), chain
    last_vc = max(i for i, k in enumerate(keys) if k.startswith("vc"))
    assert last_vc < min(i for i, k in enumerate(keys) if k.startswith("enc"))
    assert "vc.strategic" not in keys  # off by default in the built-in codebook, and unused here
    levels = dict((k, level) for level, k in headings)
    assert (levels["vc"], levels["vc.immediate"], levels["vc.potential.human"]) == (2, 3, 4)
    assert ("Heading 1", "Value creation cycles (value-creation v1.0)") in paras
    assert paras[0] == ("Title", "Within-case report: Grenzeloos")

    anja = "respondent, coordinator (A-R1, Anja Hoekstra)"
    bert = "respondent, entrepreneur (A-R2, Bert Veldkamp)"
    for key, title, phrase, speaker, coders in (
        ("vc.immediate", "interview_hoekstra", "Een paar goede tips en een contact bij de gemeente.", anja, "Thomas"),
        ("vc.applied", "interview_hoekstra", "Daar hebben we een pilot mee gestart.", anja, "Thomas"),
        ("vc.realised", "interview_hoekstra", "Het verzuim is gedaald.", anja, "Sanne, Thomas"),
        ("vc.potential.human", "interview_veldkamp", "Je leert veel van elkaar.", bert, "Thomas"),
        ("enc.culture", "interview_veldkamp", "Je leert veel van elkaar.", bert, "Thomas"),
        ("enc.goal", "interview_veldkamp", "We willen samen de regio sterker maken.", bert, "Thomas"),
        ("enc.structure", "interview_veldkamp", "Sinds 2019.", bert, "Sanne"),
    ):
        assert section(paras, key) == [("Quote", phrase),
                                       ("Normal", expected_reference(engine, title, phrase, speaker, coders))], key

    # zero is not absence: an unused codable code keeps its heading and says so; a folder says nothing
    assert section(paras, "vc.transformative") == [("Normal", NO_SEGMENTS)]
    assert section(paras, "vc.potential") == [("Normal", NO_SEGMENTS)]
    assert section(paras, "vc") == []
    # the other case's coding stays out
    full = "\n".join(text for _, text in paras)
    assert "Alleen maar gezelligheid" not in full

    method = next(text for _, text in paras if text.startswith("Documents:"))
    assert method.startswith("Documents: 2 (2 interviews); interviewees: 2 (")
    assert "coders: Sanne (2 segments), Thomas (7 segments)" in method
    assert "codebooks: Value creation cycles (value-creation) v1.0, " in method
    assert "(network-conditions) v1.0" in method

    memos = [text for _, text in paras[paras.index(("Heading 1", "Memos")):]]
    for kind in ("case", "document", "segment"):
        assert MEMOS[kind] in memos, kind
    for kind in ("code", "project", "other_case"):
        assert MEMOS[kind] not in full, kind
    assert "Bel terug  morgen." in memos
    assert any(t.startswith("Thomas · ") and t.endswith("on document: interview_hoekstra") for t in memos)
    assert ("Heading 2", "Segment memos") in paras


def test_transcript_markup_survives_as_text(engine):
    build_fixture(engine)
    data = report(engine)
    phrase = "Ik schreef <w:t>kapot</w:t> & \"zo\" verder in het verslag."
    assert section(paragraphs(data), "enc.process")[0] == ("Quote", phrase)
    with zipfile.ZipFile(BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "&lt;w:t&gt;kapot&lt;/w:t&gt; &amp;" in xml


def test_anonymised_report_shows_roles_and_pseudonyms_never_names(engine):
    build_fixture(engine)
    paras = paragraphs(report(engine, anonymise=True))
    full = "\n".join(text for _, text in paras)
    for name in ("Anja Hoekstra", "Bert Veldkamp", "Hoekstra", "Veldkamp"):
        assert name not in full, name
    assert section(paras, "vc.immediate")[1][1].startswith("respondent, coordinator (A-R1) · interview 1 · turn ")
    assert section(paras, "enc.structure.governance")[0] == ("Quote", "Ik ben [A-R1] en ik coördineer het netwerk.")
    assert "Anonymised:" in full


def test_codebook_choice_and_refusals(engine):
    build_fixture(engine)
    keys = [k for _, k in code_headings(paragraphs(report(engine, codebook_keys=["network-conditions"])))]
    assert keys[0] == "enc" and not any(k.startswith("vc") for k in keys)
    with pytest.raises(Refused, match="no codebook 'learning-levels'"):
        report(engine, codebook_keys=["learning-levels"])


def test_xml_safe_drops_what_xml_cannot_hold():
    assert xml_safe("a\x00b\x07c\x0bd\ufffee\tf\ng😀") == "abcde\tf\ng😀"
    assert xml_safe(None) == ""


def test_cli_writes_the_report_and_refuses_an_unknown_case(db_url, tmp_path: Path, capsys):
    build_fixture(get_engine(db_url))
    out = tmp_path / "grenzeloos.docx"
    code = cli.main(["--db", db_url, "case-report", "--project", "Studie", "--case", "Grenzeloos", "--out", str(out),
                     "--codebooks", "value-creation", "--anonymise"])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert "wrote within-case report of 'Grenzeloos'" in stdout
    paras = paragraphs(out.read_bytes())
    assert section(paras, "vc.realised")[0] == ("Quote", "Het verzuim is gedaald.")
    assert "Hoekstra" not in "\n".join(t for _, t in paras)

    missing = tmp_path / "nope.docx"
    code = cli.main(["--db", db_url, "case-report", "--project", "Studie", "--case", "Onbekend", "--out", str(missing)])
    _, stderr = capsys.readouterr()
    assert code == 1
    assert stderr.strip() == "error: project 'Studie' has no case 'Onbekend'"
    assert not missing.exists()


def test_demo_case_report(sqlite_url):
    engine = get_engine(sqlite_url)
    load_demo(engine)
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        data = build_case_report(s, project, get_case(s, project, "Vitaal Verder"))
    assert 20_000 < len(data) < 2_000_000
    paras = paragraphs(data)
    headings = [text for style, text in paras if style.startswith("Heading")]
    for heading in ("Immediate value (vc.immediate)", "Transformative value (vc.transformative)",
                    "Goal / shared interest (enc.goal)", "Memos", "Case memos"):
        assert heading in headings, heading
    assert headings.index("Immediate value (vc.immediate)") < headings.index("Transformative value (vc.transformative)")
    quotes = [text for style, text in paras if style == "Quote"]
    assert len(quotes) > 30
    assert any(text.startswith("Casusprofiel") for _, text in paras)
