"""The command line: `cli.main([...])` in-process against both databases, and the real entry point in a subprocess.

Exit codes: 0 success, 1 refused (one line on stderr), 2 usage (argparse).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

import cli
from cases.documents import document_text
from store.db import read_session
from store.models import AttributeDefinition, AttributeValue, Base, Case, Coder, Document

ROOT = Path(__file__).resolve().parent.parent

INTERVIEW_A = (
    "Interview met Anja Hoekstra\n"
    "\n"
    "I: Wat heeft het netwerk u opgeleverd?\n"
    "R: Een paar goede tips en een contact bij de gemeente. Daar hebben we een pilot mee gestart.\n"
    "I: En daarna?\n"
    "R: We werken nu met de nieuwe planning. Het verzuim is gedaald.\n"
)
INTERVIEW_B = (
    "I: Hoe lang bent u al lid?\n"
    "R: Sinds 2019. Ik kwam via een collega binnen.\n"
    "I: Wat vindt u van de bijeenkomsten?\n"
    "R: Die zijn nuttig. Je leert veel van elkaar.\n"
)


def run(capsys, url: str, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = cli.main(["--db", url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, url: str, *args: str) -> str:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, url, *args)
    assert code == 0, err
    return out


def row_counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def csv_listing(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, body in (("interview_hoekstra.txt", INTERVIEW_A), ("interview_veldkamp.txt", INTERVIEW_B)):
        path = tmp_path / name
        path.write_bytes(body.encode("utf-8"))
        paths[name] = path
    empty = tmp_path / "leeg.txt"
    empty.write_bytes(b"")
    paths["leeg.txt"] = empty
    return paths


@pytest.fixture
def project(capsys, db_url: str, files) -> str:  # type: ignore[no-untyped-def]
    """A project 'Studie' with case Grenzeloos, one imported interview and a person."""
    ok(capsys, db_url, "project-create", "Studie")
    ok(capsys, db_url, "case-create", "Grenzeloos", "--project", "Studie", "--description", "NL/DE netwerk")
    ok(capsys, db_url, "import", str(files["interview_hoekstra.txt"]), "--project", "Studie", "--case", "Grenzeloos",
       "--role-map", "I=interviewer,R=respondent")
    ok(capsys, db_url, "person-create", "Anja Hoekstra", "--project", "Studie", "--case", "Grenzeloos",
       "--pseudonym", "A-R1", "--role", "lid")
    return db_url


# --- projects, cases, persons --------------------------------------------------------------------

def test_project_create_adopts_the_default_codebooks(capsys, db_url, engine):
    out = ok(capsys, db_url, "project-create", "Netwerkstudie")
    assert out.startswith("created project 'Netwerkstudie' (")
    assert out.rstrip().endswith("with codebooks: value-creation, network-conditions")
    books = json.loads(ok(capsys, db_url, "codebooks", "--project", "Netwerkstudie", "--format", "json"))
    assert [(b["key"], b["origin"]) for b in books] == [("value-creation", "builtin"),
                                                        ("network-conditions", "builtin")]
    assert [b["codes"] for b in books] == [15, 26]
    out = ok(capsys, db_url, "project-create", "Tweede", "--codebooks", "4i, learning-layers")
    assert "with codebooks: 4i, learning-layers" in out
    books = json.loads(ok(capsys, db_url, "codebooks", "--project", "Tweede", "--format", "json"))
    assert [b["key"] for b in books] == ["4i", "learning-layers"]
    projects = json.loads(ok(capsys, db_url, "projects", "--format", "json"))
    assert sorted(p["name"] for p in projects) == ["Netwerkstudie", "Tweede"]
    assert all(set(p) == {"guid", "name", "created_at"} for p in projects)
    assert all(p["created_at"].endswith("+00:00") for p in projects)


def test_project_create_twice_or_with_unknown_codebook_refused(capsys, db_url, engine):
    ok(capsys, db_url, "project-create", "Studie")
    before = row_counts(engine)
    code, out, err = run(capsys, db_url, "project-create", "Studie")
    assert (code, out) == (1, "")
    assert err == "error: a project named 'Studie' already exists\n"
    code, _, err = run(capsys, db_url, "project-create", "Ander", "--codebooks", "value-creation,onbekend")
    assert code == 1 and err.startswith("error: no codebook 'onbekend' (known: ")
    assert row_counts(engine) == before


def test_cases_and_persons_listings(capsys, project, engine):
    url = project
    out = ok(capsys, url, "person-create", "Bert Veldkamp", "--project", "Studie")
    assert out.startswith("created person 'Bert Veldkamp' (")
    cases = json.loads(ok(capsys, url, "cases", "--project", "Studie", "--format", "json"))
    assert [(c["name"], c["description"], c["documents"], c["attributes"]) for c in cases] == [
        ("Grenzeloos", "NL/DE netwerk", 1, {})]
    persons = json.loads(ok(capsys, url, "persons", "--project", "Studie", "--format", "json"))
    assert [(p["name"], p["pseudonym"], p["role"], p["case"]) for p in persons] == [
        ("Anja Hoekstra", "A-R1", "lid", "Grenzeloos"), ("Bert Veldkamp", "", "", None)]
    table = ok(capsys, url, "persons", "--project", "Studie").splitlines()
    assert table[0].split() == ["name", "pseudonym", "role", "case", "guid"]
    assert table[2].startswith("Anja Hoekstra") and "A-R1" in table[2] and persons[0]["guid"] in table[2]
    rows = csv_listing(ok(capsys, url, "cases", "--project", "Studie", "--format", "csv"))
    assert rows == [{"name": "Grenzeloos", "documents": "1", "attributes": "{}", "guid": cases[0]["guid"]}]


def test_attribute_set_on_case_document_and_person(capsys, project, engine):
    url = project
    out = ok(capsys, url, "attribute-set", "--project", "Studie", "--case", "Grenzeloos", "members", "1.065.000",
             "--type", "integer")
    assert out.startswith("set members on Grenzeloos (")
    ok(capsys, url, "attribute-set", "--project", "Studie", "--case", "Grenzeloos", "budget", "6,5")
    ok(capsys, url, "attribute-set", "--project", "Studie", "--document", "interview_hoekstra",
       "co-interviewer present", "ja", "--type", "boolean")
    ok(capsys, url, "attribute-set", "--project", "Studie", "--person", "Anja Hoekstra", "interview date",
       "12-03-2025", "--type", "date")
    with read_session(engine) as s:
        values = {(d.target, d.name, d.type): v for d, v in s.execute(
            select(AttributeDefinition, AttributeValue).join(AttributeValue))}
    assert values[("case", "members", "integer")].value_int == 1065000
    assert values[("case", "budget", "float")].value_float == 6.5
    assert values[("document", "co-interviewer present", "boolean")].value_bool is True
    assert values[("person", "interview date", "date")].value_date.isoformat() == "2025-03-12"
    cases = json.loads(ok(capsys, url, "cases", "--project", "Studie", "--format", "json"))
    assert cases[0]["attributes"] == {"members": 1065000, "budget": 6.5}
    persons = json.loads(ok(capsys, url, "persons", "--project", "Studie", "--format", "json"))
    assert persons[0]["attributes"] == {"interview date": "2025-03-12"}

    before = row_counts(engine)
    code, _, err = run(capsys, url, "attribute-set", "--project", "Studie", "--case", "Grenzeloos", "members", "veel")
    assert code == 1 and err == "error: 'veel' is not a number (attribute type integer)\n"
    code, _, err = run(capsys, url, "attribute-set", "--project", "Studie", "--case", "Onbekend", "x", "1")
    assert code == 1 and err == "error: project 'Studie' has no case 'Onbekend'\n"
    assert row_counts(engine) == before
    # exactly one of --case/--document/--person
    with pytest.raises(SystemExit) as info:
        cli.main(["--db", url, "attribute-set", "--project", "Studie", "--case", "Grenzeloos", "--person", "Anja",
                  "x", "1"])
    assert info.value.code == 2


# --- import --------------------------------------------------------------------------------------

def test_import_creates_missing_case_with_notice_and_maps_roles(capsys, db_url, engine, files):
    ok(capsys, db_url, "project-create", "Studie")
    code, out, err = run(capsys, db_url, "import", str(files["interview_hoekstra.txt"]), "--project", "Studie",
                         "--case", "Vitaal Verder", "--role-map", "I=interviewer,R=respondent")
    assert code == 0, err
    assert out.splitlines() == ["imported interview_hoekstra.txt as 'interview_hoekstra' (5 turns)",
                                "1 imported, 0 refused"]
    assert "notice: created case 'Vitaal Verder' in project 'Studie'" in err.splitlines()
    docs = json.loads(ok(capsys, db_url, "documents", "--project", "Studie", "--format", "json"))
    assert [(d["title"], d["case"], d["cases"], d["kind"], d["language"]) for d in docs] == [
        ("interview_hoekstra", "Vitaal Verder", ["Vitaal Verder"], "interview", "nl")]
    with read_session(engine) as s:
        from cases.documents import document_speakers

        document = s.scalar(select(Document))
        assert sorted((sp.label, sp.role) for sp, _ in document_speakers(s, document)) == [
            ("I", "interviewer"), ("R", "respondent")]


def test_import_of_a_duplicate_file_exits_1_with_a_one_line_reason(capsys, project, engine, files):
    url = project
    before = row_counts(engine)
    code, out, err = run(capsys, url, "import", str(files["interview_hoekstra.txt"]), "--project", "Studie",
                         "--case", "Grenzeloos")
    assert code == 1
    assert out.splitlines() == ["0 imported, 1 refused"]
    refused = [line for line in err.splitlines() if line.startswith("refused:")]
    assert refused == ["refused: interview_hoekstra.txt: already imported into project 'Studie' as document "
                       f"'interview_hoekstra' ({_doc_guid(engine)})"]
    assert row_counts(engine) == before


def _doc_guid(engine) -> str:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return str(s.scalar(select(Document.guid)))


def test_import_batch_prints_a_summary(capsys, project, engine, files, tmp_path):
    url = project
    missing = tmp_path / "bestaat_niet.txt"
    code, out, err = run(capsys, url, "import", str(files["interview_veldkamp.txt"]), str(files["leeg.txt"]),
                         str(missing), "--project", "Studie", "--case", "Grenzeloos", "--kind", "interview",
                         "--language", "nl")
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "1 imported, 2 refused"
    assert lines[0].startswith("imported interview_veldkamp.txt as 'interview_veldkamp' (")
    refused = [line for line in err.splitlines() if line.startswith("refused:")]
    assert len(refused) == 2
    assert any("leeg.txt" in line and "empty" in line for line in refused)
    assert any("bestaat_niet.txt" in line and "cannot read" in line for line in refused)
    docs = json.loads(ok(capsys, url, "documents", "--project", "Studie", "--format", "json"))
    assert [d["title"] for d in docs] == ["interview_hoekstra", "interview_veldkamp"]


def test_import_refusals(capsys, project, engine, files):
    url = project
    before = row_counts(engine)
    code, _, err = run(capsys, url, "import", str(files["interview_veldkamp.txt"]), "--project", "Onbekend",
                       "--case", "X")
    assert code == 1 and err == "error: no project 'Onbekend'\n"
    code, _, err = run(capsys, url, "import", str(files["interview_veldkamp.txt"]), "--project", "Studie",
                       "--case", "X", "--role-map", "I=baas")
    assert code == 1 and err.startswith("error: unknown role 'baas'") and err.count("\n") == 1
    assert row_counts(engine) == before


# --- listings ------------------------------------------------------------------------------------

def test_documents_listing_in_three_formats(capsys, project, engine):
    url = project
    docs = json.loads(ok(capsys, url, "documents", "--project", "Studie", "--format", "json"))
    assert len(docs) == 1
    doc = docs[0]
    assert {"guid", "title", "case", "cases", "kind", "language", "text"} <= set(doc)
    with read_session(engine) as s:
        stored = s.scalar(select(Document))
        assert doc["text"] == document_text(s, stored)
        assert doc["guid"] == str(stored.guid)
    assert (doc["title"], doc["case"], doc["cases"], doc["kind"], doc["language"]) == (
        "interview_hoekstra", "Grenzeloos", ["Grenzeloos"], "interview", "nl")
    table = ok(capsys, url, "documents", "--project", "Studie").splitlines()
    assert table[0].split() == ["title", "cases", "kind", "language", "guid"]
    assert table[2].split() == ["interview_hoekstra", "Grenzeloos", "interview", "nl", doc["guid"]]
    rows = csv_listing(ok(capsys, url, "documents", "--project", "Studie", "--format", "csv"))
    assert rows == [{"title": "interview_hoekstra", "cases": "Grenzeloos", "kind": "interview", "language": "nl",
                     "guid": doc["guid"]}]


def test_codebooks_listing_and_show(capsys, db_url, engine):
    templates = json.loads(ok(capsys, db_url, "codebooks", "--format", "json"))
    assert {t["key"] for t in templates} == {"value-creation", "learning-levels", "4i", "network-conditions",
                                             "collective-impact", "learning-layers"}
    table = ok(capsys, db_url, "codebooks").splitlines()
    assert table[0].split() == ["key", "name", "version", "origin", "codes"]
    shown = json.loads(ok(capsys, db_url, "codebooks", "show", "value-creation", "--format", "json"))
    assert shown["key"] == "value-creation"
    codes = {c["key"]: c for c in shown["codes"]}
    assert {"key", "labels", "parent", "rank"} <= set(codes["vc.immediate"])
    assert codes["vc.immediate"]["labels"] == {"en": "Immediate value", "nl": "Onmiddellijke waarde",
                                               "de": "Unmittelbarer Wert"}
    assert (codes["vc.immediate"]["parent"], codes["vc.immediate"]["rank"]) == ("vc", 1.0)
    assert (codes["vc.potential.human"]["parent"], codes["vc.potential.human"]["rank"]) == ("vc.potential", 2.1)
    assert codes["vc"]["parent"] is None and codes["vc"]["rank"] is None
    layers = ok(capsys, db_url, "codebooks", "show", "learning-layers").splitlines()
    assert layers[0].split() == ["key", "parent", "label_en", "label_nl", "rank", "enabled"]
    assert layers[-1].split() == ["layer.operational", "layer", "Operational", "Operationeel", "3.0", "True"]
    rows = csv_listing(ok(capsys, db_url, "codebooks", "show", "learning-layers", "--format", "csv"))
    assert [r["key"] for r in rows] == ["layer", "layer.strategic", "layer.tactical", "layer.operational"]
    code, _, err = run(capsys, db_url, "codebooks", "show")
    assert code == 1 and err == "error: codebooks show needs a codebook KEY\n"
    code, _, err = run(capsys, db_url, "codebooks", "show", "onbekend")
    assert code == 1 and err.startswith("error: no codebook 'onbekend'")


def test_codebook_export_import_round_trip(capsys, db_url, engine, tmp_path):
    ok(capsys, db_url, "project-create", "Studie", "--codebooks", "learning-layers")
    ok(capsys, db_url, "code-rename", "layer.tactical", "--project", "Studie", "--codebook", "learning-layers",
       "--nl", "Tactisch niveau", "--de", "Taktische Ebene")
    ok(capsys, db_url, "code-add", "layer.tactical.middle", "--project", "Studie", "--codebook", "learning-layers",
       "--label-en", "Middle management", "--label-nl", "Middenkader", "--parent", "layer.tactical")
    out_file = tmp_path / "lagen.csv"
    out = ok(capsys, db_url, "codebook-export", "learning-layers", "--project", "Studie", "--out", str(out_file))
    assert out == f"wrote {out_file}\n"
    raw = out_file.read_bytes()
    assert raw.startswith("\ufeff".encode())
    exported = csv_listing(raw.decode("utf-8-sig"))
    assert [r["key"] for r in exported] == ["layer", "layer.strategic", "layer.tactical", "layer.operational",
                                            "layer.tactical.middle"]
    stdout_export = ok(capsys, db_url, "codebook-export", "learning-layers", "--project", "Studie")
    assert csv_listing(stdout_export) == exported

    renamed = tmp_path / "lagen2.csv"
    renamed.write_text(raw.decode("utf-8").replace("learning-layers,", "lagen,"), encoding="utf-8")
    out = ok(capsys, db_url, "codebook-import", str(renamed))
    assert out == "imported codebook 'lagen' with 5 codes into the codebook templates\n"
    out = ok(capsys, db_url, "codebook-import", str(renamed), "--project", "Studie")
    assert out == "imported codebook 'lagen' with 5 codes into project 'Studie'\n"
    again = csv_listing(ok(capsys, db_url, "codebook-export", "lagen", "--project", "Studie"))
    template = csv_listing(ok(capsys, db_url, "codebook-export", "lagen"))
    for rows in (again, template):
        assert [{k: v for k, v in r.items() if k != "codebook"} for r in rows] == [
            {k: v for k, v in r.items() if k != "codebook"} for r in exported]
    tactical = next(r for r in again if r["key"] == "layer.tactical")
    assert (tactical["label_nl"], tactical["label_de"]) == ("Tactisch niveau", "Taktische Ebene")
    middle = next(r for r in again if r["key"] == "layer.tactical.middle")
    assert middle["parent"] == "layer.tactical"

    before = row_counts(engine)
    code, _, err = run(capsys, db_url, "codebook-import", str(renamed))
    assert code == 1 and err == "error: lagen2.csv: a codebook template 'lagen' already exists\n"
    code, _, err = run(capsys, db_url, "codebook-import", str(tmp_path / "nope.csv"))
    assert code == 1 and err.startswith("error: ") and "nope.csv: cannot read" in err
    assert row_counts(engine) == before


def test_code_editing_commands(capsys, project, engine):
    url = project
    args = ("--project", "Studie", "--codebook", "value-creation")
    assert ok(capsys, url, "code-move", "vc.potential.learning", *args, "--parent", "vc.applied") == (
        "moved code 'vc.potential.learning' under 'vc.applied'\n")
    code, _, err = run(capsys, url, "code-move", "vc.potential", *args, "--parent", "vc.potential.human")
    assert code == 1 and err == "error: cannot move 'vc.potential' under its own descendant 'vc.potential.human'\n"
    ok(capsys, url, "code", "--project", "Studie", "--document", "interview_hoekstra", "--code", "vc.immediate",
       "--start", "40", "--end", "60", "--coder", "Sanne")
    code, _, err = run(capsys, url, "code-delete", "vc.immediate", *args)
    assert code == 1 and "used by 1 coding(s)" in err
    assert ok(capsys, url, "code-merge", "vc.immediate", "vc.applied", *args) == (
        "merged 'vc.immediate' into 'vc.applied' (1 coding(s) reassigned)\n")
    assert ok(capsys, url, "code-delete", "vc.realised", *args) == "deleted code 'vc.realised'\n"
    code, _, err = run(capsys, url, "code-rename", "vc.applied", *args)
    assert code == 1 and err == "error: give at least one of --en, --nl, --de, --definition\n"
    shown = json.loads(ok(capsys, url, "codebooks", "show", "value-creation", "--project", "Studie",
                          "--format", "json"))
    keys = {c["key"]: c for c in shown["codes"]}
    assert "vc.immediate" not in keys and "vc.realised" not in keys
    assert keys["vc.potential.learning"]["parent"] == "vc.applied"


# --- coding --------------------------------------------------------------------------------------

def test_code_creates_coder_and_codings_lists_text(capsys, project, engine):
    url = project
    with read_session(engine) as s:
        text = document_text(s, s.scalar(select(Document)))
    start = text.index("Een paar goede tips")
    end = start + len("Een paar goede tips en een contact bij de gemeente.")
    code, out, err = run(capsys, url, "code", "--project", "Studie", "--document", "interview_hoekstra",
                         "--code", "vc.immediate", "--code", "vc.potential.social", "--code", "vc.immediate",
                         "--start", str(start), "--end", str(end), "--coder", "Sanne de Wit")
    assert code == 0, err
    assert err == "notice: created coder 'Sanne de Wit' in project 'Studie'\n"
    assert out.startswith(f"coded {start}–{end} of 'interview_hoekstra' with vc.immediate, vc.potential.social")
    # a second span by the same coder: no notice
    s2 = text.index("We werken nu")
    code, _, err = run(capsys, url, "code", "--project", "Studie", "--document", "interview_hoekstra",
                       "--code", "vc.applied", "--start", str(s2), "--end", str(s2 + 12), "--coder", "Sanne de Wit")
    assert (code, err) == (0, "")
    records = json.loads(ok(capsys, url, "codings", "--project", "Studie", "--format", "json"))
    assert len(records) == 3
    for record in records:
        assert set(record) == {"guid", "segment", "document", "case", "code", "coder", "start", "end", "text",
                               "aspirational", "beneficiary"}
        assert (record["aspirational"], record["beneficiary"]) == (False, None)
        assert record["text"] == text[record["start"]:record["end"]]
        assert (record["document"], record["case"], record["coder"]) == ("interview_hoekstra", "Grenzeloos",
                                                                         "Sanne de Wit")
    assert [r["code"] for r in records] == ["vc.immediate", "vc.potential.social", "vc.applied"]
    assert records[0]["segment"] == records[1]["segment"] != records[2]["segment"]
    assert records[0]["text"] == "Een paar goede tips en een contact bij de gemeente."
    rows = csv_listing(ok(capsys, url, "codings", "--project", "Studie", "--format", "csv"))
    assert [r["code"] for r in rows] == ["vc.immediate", "vc.potential.social", "vc.applied"]
    assert list(rows[0]) == ["document", "case", "code", "coder", "start", "end", "text"]
    only = json.loads(ok(capsys, url, "codings", "--project", "Studie", "--coder", "Sanne de Wit", "--document",
                         "interview_hoekstra", "--format", "json"))
    assert only == records
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Coder)) == 1


def test_code_refusals_exit_1_and_write_nothing(capsys, project, engine):
    url = project
    before = row_counts(engine)
    base = ("code", "--project", "Studie", "--document", "interview_hoekstra", "--coder", "Nieuwe Codeur")
    code, out, err = run(capsys, url, *base, "--code", "vc.immediate", "--start", "0", "--end", "99999")
    assert code == 1 and out == ""
    assert err.splitlines()[-1].startswith("error: span 0–99999 is outside document 'interview_hoekstra' (0–")
    code, _, err = run(capsys, url, *base, "--code", "vc.bestaatniet", "--start", "0", "--end", "5")
    assert code == 1 and err.splitlines()[-1] == "error: project 'Studie' has no code 'vc.bestaatniet'"
    code, _, err = run(capsys, url, *base, "--code", "vc", "--start", "0", "--end", "5")
    assert code == 1 and "is a folder and cannot be applied" in err
    code, _, err = run(capsys, url, *base, "--code", "vc.strategic", "--start", "0", "--end", "5")
    assert code == 1 and "switched off" in err
    code, _, err = run(capsys, url, "code", "--project", "Studie", "--document", "bestaat niet", "--coder", "X",
                       "--code", "vc.immediate", "--start", "0", "--end", "5")
    assert code == 1 and err == "error: project 'Studie' has no document 'bestaat niet'\n"
    assert row_counts(engine) == before
    code, _, err = run(capsys, url, "codings", "--project", "Studie", "--coder", "Niemand")
    assert code == 1 and err == "error: project 'Studie' has no coder 'Niemand'\n"


def test_refused_coding_does_not_announce_a_coder_that_was_rolled_back(capsys, project, engine):
    code, _, err = run(capsys, project, "code", "--project", "Studie", "--document", "interview_hoekstra",
                       "--coder", "Nieuwe Codeur", "--code", "vc.immediate", "--start", "0", "--end", "99999")
    assert code == 1
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Coder)) == 0
    assert "created coder" not in err, err


# --- exit codes ----------------------------------------------------------------------------------

def test_unknown_project_exits_1(capsys, db_url, engine):
    for args in (("cases", "--project", "Nergens"), ("documents", "--project", "Nergens"),
                 ("case-create", "X", "--project", "Nergens"), ("codings", "--project", "Nergens")):
        code, out, err = run(capsys, db_url, *args)
        assert (code, out, err) == (1, "", "error: no project 'Nergens'\n"), args
    assert row_counts(engine)["case"] == 0


@pytest.mark.parametrize("args", [
    ("cases",),
    ("case-create", "X"),
    ("import", "a.txt", "--case", "X"),
    ("code", "--project", "P", "--document", "d", "--code", "c", "--start", "x", "--end", "5", "--coder", "c"),
    ("documents", "--project", "P", "--format", "xml"),
    ("onbekend-commando",),
    (),
])
def test_usage_errors_exit_2(capsys, sqlite_url, args):
    with pytest.raises(SystemExit) as info:
        cli.main(["--db", sqlite_url, *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "error:" in err


def test_missing_project_option_names_it(capsys, sqlite_url):
    with pytest.raises(SystemExit) as info:
        cli.main(["--db", sqlite_url, "cases"])
    assert info.value.code == 2
    assert "the following arguments are required: --project" in capsys.readouterr().err


# --- the real entry point -----------------------------------------------------------------------

def test_entry_point_in_a_subprocess(capsys, db_url, engine):
    ok(capsys, db_url, "project-create", "Subproces")
    env = {k: v for k, v in os.environ.items() if k != "KRUISPUNT_DB_URL"}
    python = ROOT / ".venv" / "bin" / "python"
    result = subprocess.run([str(python if python.exists() else sys.executable), "cli.py", "--db", db_url,
                             "projects", "--format", "json"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    projects = json.loads(result.stdout)
    assert [p["name"] for p in projects] == ["Subproces"]
    refused = subprocess.run([str(python if python.exists() else sys.executable), "cli.py", "--db", db_url,
                              "cases", "--project", "Nergens"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert (refused.returncode, refused.stdout, refused.stderr) == (1, "", "error: no project 'Nergens'\n")


def test_document_link_date_and_import_warnings(db_url, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A document can belong to a second case; its date is set at import or later; damage is shown with places."""
    import json as _json

    from cli import main

    assert main(["--db", db_url, "project-create", "Koppelen"]) == 0
    damaged = tmp_path / "verslag.txt"
    damaged.write_text("Het netwerk bespreekt de samen-\nwerking met de gemeente en de provincie.\n", encoding="utf-8")
    assert main(["--db", db_url, "import", str(damaged), "--project", "Koppelen", "--case", "Oost",
                 "--kind", "document", "--date", "2025-03-12"]) == 0
    err = capsys.readouterr().err
    assert "warning: verslag.txt: hyphenation at " in err
    assert main(["--db", db_url, "case-create", "West", "--project", "Koppelen"]) == 0
    assert main(["--db", db_url, "document-link", "--project", "Koppelen", "--document", "verslag",
                 "--case", "West"]) == 0
    capsys.readouterr()
    assert main(["--db", db_url, "documents", "--project", "Koppelen", "--format", "json"]) == 0
    [record] = _json.loads(capsys.readouterr().out)
    assert record["cases"] == ["Oost", "West"] and record["date"] == "2025-03-12"
    assert main(["--db", db_url, "document-date", "--project", "Koppelen", "--document", "verslag", "none"]) == 0
    assert main(["--db", db_url, "document-link", "--project", "Koppelen", "--document", "verslag",
                 "--case", "Oost", "--remove"]) == 0
    capsys.readouterr()
    assert main(["--db", db_url, "documents", "--project", "Koppelen", "--format", "json"]) == 0
    [record] = _json.loads(capsys.readouterr().out)
    assert record["cases"] == ["West"] and record["date"] is None
    assert main(["--db", db_url, "document-date", "--project", "Koppelen", "--document", "verslag", "12-3"]) == 1
