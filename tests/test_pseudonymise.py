"""Pseudonymising transcripts (issue 14), on both databases: the replacement list and its matching (whole words,
names' own capitals, Dutch and German particles, ß = ss), suggestions from the text, a preview in context, and
applying it: a new text version with every segment carried, speaker labels renamed, the log without the names,
undo exact."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import shown  # noqa: E402
from study_support import interview_study, open_page  # noqa: E402

import cli
from cases.documents import document_text
from cases.projects import create_person, get_document, get_or_create_coder, get_project
from cases.pseudonyms import Matcher, Replacement, replacement_list, suggest_candidates
from coding.codings import apply_coding, list_codings
from coding.pseudonymise import preview_document, pseudonymise_document
from coding.text_edits import undo_edit
from focusgroups.anonymise import add_mask_term
from store.db import get_engine, read_session, write_session
from store.models import Event, Speaker

P = "Pseudo"
TEXT = ("I: Hoe kwam u bij het netwerk?\n"
        "Hoekstra: Via Jan de Vries van Bakkerij Smit in Enschede. De Vries belde me op 06-12345678.\n"
        "I: En daarna?\n"
        "Hoekstra: Mailen naar jan@smit.nl, of langskomen op 7511 AB. Günter Straßmann kwam ook.\n")


def build(engine) -> None:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project, case, document = interview_study(s, P, TEXT, {"I": "interviewer", "Hoekstra": "respondent"})
        create_person(s, project, "Jan de Vries", pseudonym="R3", case=case)
        add_mask_term(s, project, "Bakkerij Smit", "organisation", "[bedrijf A]")
        add_mask_term(s, project, "Günter Strassmann", "person", "R4")
        add_mask_term(s, project, "Hoekstra", "person", "R1")
        anna, _ = get_or_create_coder(s, project, "Anna")
        start = TEXT.index("Via Jan")
        apply_coding(s, project, document, anna, start, start + len("Via Jan de Vries van Bakkerij Smit"),
                     ["vc.immediate"], actor="Anna")


def test_matching_keeps_names_capitals_and_knows_particles_and_sharp_s():
    matcher = Matcher([Replacement("Jan de Vries", "R3", "person", "person"),
                       Replacement("de Vries", "R3", "person", "surname of Jan de Vries"),
                       Replacement("Günter Straßmann", "R4", "person", "list"),
                       Replacement("Smit", "[S]", "person", "list")])
    text = "Jan de Vries, De Vries en de Vries; Günter Strassmann; smit; Smits; Smit."
    assert [(f.text, f.pseudonym) for f in matcher.find(text)] == [
        ("Jan de Vries", "R3"), ("De Vries", "R3"), ("de Vries", "R3"), ("Günter Strassmann", "R4"), ("Smit", "[S]")]
    assert matcher.replace(text) == "R3, R3 en R3; R4; smit; Smits; [S]."


def test_the_list_suggestions_and_preview(engine):
    build(engine)
    with read_session(engine) as s:
        project = get_project(s, P)
        listed = {(r.real, r.pseudonym, r.source) for r in replacement_list(s, project)}
        assert {("Jan de Vries", "R3", "person"), ("de Vries", "R3", "surname of Jan de Vries"),
                ("Bakkerij Smit", "[bedrijf A]", "list")} <= listed
        suggested = {c.text: c.kind for c in suggest_candidates(s, project)}
        assert {"06-12345678": "other", "jan@smit.nl": "other", "7511 AB": "place", "Enschede": "person"}.items() \
            <= suggested.items()
        assert "Hoekstra" not in suggested and "Via" not in suggested  # on the list; a sentence's first word
        preview = preview_document(s, project, "gesprek")
    assert [f.text for f in preview.found] == ["Hoekstra", "Jan de Vries", "Bakkerij Smit", "De Vries", "Hoekstra",
                                              "Günter Straßmann"]
    assert preview.contexts[1].startswith("I: Hoe kwam u bij het netwerk? Hoekstra: Via ⟨R3⟩ van")


def test_pseudonymising_a_document_carries_codings_and_undo_restores(engine):
    build(engine)
    with write_session(engine) as s:
        result = pseudonymise_document(s, get_project(s, P), "gesprek", actor="Olga")
    assert result is not None and result.written and result.turns == [2, 4]
    with read_session(engine) as s:
        project = get_project(s, P)
        document = get_document(s, project, "gesprek")
        text = document_text(s, document)
        assert text == ("I: Hoe kwam u bij het netwerk?\n"
                        "R1: Via R3 van [bedrijf A] in Enschede. R3 belde me op 06-12345678.\n"
                        "I: En daarna?\n"
                        "R1: Mailen naar jan@smit.nl, of langskomen op 7511 AB. R4 kwam ook.\n")
        assert [c.text for c in list_codings(s, project)] == ["Via R3 van [bedrijf A]"]
        assert sorted(s.scalars(select(Speaker.label).where(Speaker.document_id == document.id))) == ["I", "R1"]
        logged = json.dumps([[e.before, e.after] for e in s.scalars(select(Event).where(
            Event.action.in_(("edit", "pseudonymise"))))])
        assert "Vries" not in logged and "Hoekstra" not in logged and "Smit" not in logged
    with read_session(engine) as s:
        assert get_document(s, get_project(s, P), "gesprek").title == "gesprek"  # no name in it
    with write_session(engine) as s:
        undo_edit(s, get_project(s, P), "gesprek", actor="Olga")
    with read_session(engine) as s:
        project = get_project(s, P)
        document = get_document(s, project, "gesprek")
        assert document_text(s, document) == TEXT
        assert sorted(s.scalars(select(Speaker.label).where(Speaker.document_id == document.id))) == [
            "Hoekstra", "I"]  # the labels come back with the text
        assert [c.text for c in list_codings(s, project)] == ["Via Jan de Vries van Bakkerij Smit"]


def test_pseudonyms_on_the_command_line(capsys, db_url, engine):
    build(engine)
    base = ["--db", db_url, "--as", "Olga"]
    capsys.readouterr()
    assert cli.main([*base, "pseudonyms", "--project", P, "--add", "Enschede=[stad]", "--kind", "place"]) == 0
    out = capsys.readouterr().out
    assert "Enschede" in out and "[stad]" in out
    assert cli.main([*base, "pseudonyms", "--project", P, "--suggest", "--format", "json"]) == 0
    suggested = {c["text"] for c in json.loads(capsys.readouterr().out)}
    assert "Enschede" not in suggested and "jan@smit.nl" in suggested
    assert cli.main([*base, "pseudonymise", "--project", P, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "gesprek: 7 replacement(s)" in out and "nothing was changed" in out
    with read_session(engine) as s:
        assert "Hoekstra" in document_text(s, get_document(s, get_project(s, P), "gesprek"))
    assert cli.main([*base, "pseudonymise", "--project", P, "--case", "Oost"]) == 0
    assert "gesprek: 7 replacement(s)" in capsys.readouterr().out
    with read_session(engine) as s:
        text = document_text(s, get_document(s, get_project(s, P), "gesprek"))
    assert "[stad]" in text and "Hoekstra" not in text


def test_the_documents_page_lists_previews_and_pseudonymises(monkeypatch, sqlite_url):
    engine = get_engine(sqlite_url)
    build(engine)
    at, _ = open_page(monkeypatch, sqlite_url, P, "pages/documents.py", coder="Olga")
    listed = next(d.value for d in at.dataframe if "real" in d.value.columns)
    assert {"Jan de Vries", "de Vries", "Bakkerij Smit", "Hoekstra"} <= set(listed["real"])
    at.text_input(key="pseudo_real").input("Enschede")
    at.text_input(key="pseudo_pseudonym").input("[stad]")
    at.selectbox(key="pseudo_kind").set_value("place")
    next(b for b in at.button if b.label == "Add to the list").click()
    at.run()
    assert "Added 'Enschede' to the list." in shown(at.success)
    texts = [t.value for t in at.text]
    assert any("⟨[stad]⟩" in t for t in texts) and any("⟨R3⟩" in t for t in texts)
    at.checkbox(key="pseudo_sure").check().run()
    at.button(key="pseudo_apply").click().run()
    assert not at.exception, at.exception
    assert shown(at.success)[0].startswith("Pseudonymised 1 of 1 document(s).")
    with read_session(engine) as s:
        text = document_text(s, get_document(s, get_project(s, P), "gesprek"))
    assert "Jan de Vries" not in text and "R3" in text and "[stad]" in text


def test_a_refused_document_is_reported_and_the_run_says_so(capsys, db_url, engine):
    build(engine)
    with write_session(engine) as s:
        add_mask_term(s, get_project(s, P), "I", "person", "R1")  # two speakers would both become R1
    capsys.readouterr()
    assert cli.main(["--db", db_url, "--as", "Olga", "pseudonymise", "--project", P]) == 1
    assert "gesprek: refused: 'gesprek': several speakers would be called R1" in capsys.readouterr().out
