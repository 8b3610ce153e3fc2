"""Auto-code suggestions: indicator terms as codebook data, lemma matching, accepting, the CLI, and
precision/recall against the demo's own codings (run with -s to see the figures)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

import cli
from cases.documents import document_text, list_documents
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project, get_document, get_or_create_coder, get_project
from codebooks.service import (
    adopt_codebook,
    codebook_as_template,
    export_codebook_csv,
    get_codebook,
    import_codebook_csv,
    list_project_codebooks,
)
from codebooks.templates import CSV_COLUMNS, builtin_templates, template_from_csv, template_to_csv
from coding.codings import apply_coding, list_codings
from coding.suggest import Suggestion, _Lemmatiser, accept_suggestions, suggest_codings
from demo.load import case_specs, load_demo
from store.db import get_engine, read_session, write_session
from store.errors import Refused
from store.models import Code, CodeIndicator, Coder, Coding, Event, LemmaPair, Segment

PROJECT = "Suggesties"
TRANSCRIPT = (
    "I: Wat heeft het netwerk u opgeleverd?\n"
    "R: We leerden veel van elkaar. Het was ook gewoon gezellig.\n"
    "I: En hoe kijkt het bestuur daarnaar?\n"
    "Bestuur: Wij vertrouwen de leden. Over de agenda praten we nog.\n"
    "R: Ik kreeg een tip op een netwerkbijeenkomst, echt een nuttige tip. Daarna belde ik haar.\n"
    "Bestuur: Vertrouwen is de basis. Wat we hebben opgestoken, schrijven we op.\n"
)
HEADER = ",".join(CSV_COLUMNS)


def _row(key: str, parent: str, label: str, nl: str = "", *, codable: str = "yes", enabled: str = "yes",
         de: str = "", en: str = "") -> str:
    values = {c: "" for c in CSV_COLUMNS}
    values.update(codebook="proef", codebook_name_en="Trial", codebook_version="1.0", key=key, parent=parent,
                  label_en=label, colour="#336699", codable=codable, enabled=enabled, indicators_nl=nl,
                  indicators_de=de, indicators_en=en)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([values[c] for c in CSV_COLUMNS])
    return buffer.getvalue()


PROEF_CSV = HEADER + "\n" + "".join([
    _row("proef", "", "Trial", codable="no"),
    _row("proef.leren", "proef", "Learning", "leren", de="lernen", en="learn"),
    _row("proef.sfeer", "proef", "Atmosphere", "gezellig; tip; nuttig"),
    _row("proef.vertrouwen", "proef", "Trust", "vertrouwen"),
    _row("proef.bestuur", "proef", "Board", "bestuur"),
    _row("proef.format", "proef", "Format", "*bijeenkomst"),
    _row("proef.contact", "proef", "Contact", "bellen"),
    _row("proef.uit", "proef", "Switched off", "agenda", enabled="no"),
])


def make_project(engine) -> None:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, PROJECT)
        import_codebook_csv(s, PROEF_CSV, filename="proef.csv", project=project)
        case = create_case(s, project, "Noord")
        speakers = {"I": SpeakerDecision(role="interviewer"), "R": SpeakerDecision(role="respondent"),
                    "Bestuur": SpeakerDecision(role="respondent")}
        store_import(s, project, preview_import("gesprek.txt", TRANSCRIPT.encode(), language="nl"), cases=[case],
                     language="nl", speakers=speakers)


def span(text: str, sentence: str) -> tuple[int, int]:
    start = text.index(sentence)
    assert text.count(sentence) == 1
    return start, start + len(sentence)


def suggest(engine, **kwargs):  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        project = get_project(s, PROJECT)
        document = get_document(s, project, "gesprek")
        return document_text(s, document), suggest_codings(s, project, document, **kwargs)


def counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in (Segment, Coding, Event)}


# --- indicators as codebook data -------------------------------------------------------------------

DEMO_BOOKS = ("value-creation", "network-conditions", "learning-layers", "collective-impact")


@pytest.mark.parametrize("key", DEMO_BOOKS + ("learning-levels", "4i"))
def test_builtin_concrete_codes_carry_indicator_terms(key):
    template = builtin_templates()[key]
    parents = {c.parent for c in template.codes}
    for code in template.codes:
        if not code.codable:
            assert code.indicators == {}, f"{code.key} is not codable and needs no terms"
        elif code.key not in parents and code.enabled:
            assert set(code.indicators) == {"nl", "de", "en"}, code.key
            assert all(len(terms) >= 2 for terms in code.indicators.values()), code.key


def test_template_indicators_survive_csv_in_memory():
    for template in builtin_templates().values():
        back = template_from_csv(template_to_csv(template))
        assert [c.indicators for c in back.codes] == [c.indicators for c in template.codes]
    row = next(csv.DictReader(io.StringIO(template_to_csv(builtin_templates()["value-creation"]))))
    assert {"indicators_nl", "indicators_de", "indicators_en"} <= set(row)


def test_adoption_copies_indicator_terms_into_the_project(engine):
    with write_session(engine) as s:
        adopt_codebook(s, create_project(s, PROJECT), "value-creation")
    template = builtin_templates()["value-creation"]
    with read_session(engine) as s:
        book = get_codebook(s, get_project(s, PROJECT), "value-creation")
        rows = s.execute(select(Code.key, CodeIndicator.language, CodeIndicator.term)
                         .join(CodeIndicator, CodeIndicator.code_id == Code.id)
                         .where(Code.codebook_id == book.id).order_by(CodeIndicator.id)).all()
        stored = defaultdict(lambda: defaultdict(list))
        for key, language, term in rows:
            stored[key][language].append(term)
        assert {k: dict(v) for k, v in stored.items()} == {c.key: c.indicators for c in template.codes if c.indicators}
        assert "meteen" in stored["vc.immediate"]["nl"] and "vc" not in stored
        # the project's copy reads back as the template it came from
        assert [c.indicators for c in codebook_as_template(book).codes] == [c.indicators for c in template.codes]


def test_indicator_csv_round_trip_through_a_project_and_a_template(engine):
    make_project(engine)
    with read_session(engine) as s:
        exported = export_codebook_csv(s, "proef", get_project(s, PROJECT))
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert rows["proef.sfeer"]["indicators_nl"] == "gezellig; tip; nuttig"
    assert rows["proef.format"]["indicators_nl"] == "*bijeenkomst"
    assert (rows["proef.leren"]["indicators_de"], rows["proef.leren"]["indicators_en"]) == ("lernen", "learn")
    assert rows["proef"]["indicators_nl"] == ""
    assert [(r["key"], r["indicators_nl"]) for r in csv.DictReader(io.StringIO(PROEF_CSV))] == [
        (k, r["indicators_nl"]) for k, r in rows.items()]
    # as a template, adopted into another project, exported again: the same file
    template_csv = exported.replace("proef,", "proef2,").replace("proef.", "proef2.")
    with write_session(engine) as s:
        import_codebook_csv(s, template_csv, filename="proef2.csv")
        adopt_codebook(s, create_project(s, "Ander"), "proef2")
    with read_session(engine) as s:
        again = export_codebook_csv(s, "proef2", get_project(s, "Ander"))
        assert again == export_codebook_csv(s, "proef2")
    assert list(csv.DictReader(io.StringIO(again))) == list(csv.DictReader(io.StringIO(template_csv)))


def test_indicator_terms_are_validated():
    assert template_from_csv(HEADER + "\n" + _row("x", "", "X", " ; ")).codes[0].indicators == {}
    assert template_from_csv(HEADER + "\n" + _row("x", "", "X", "a;b; a ")).codes[0].indicators == {"nl": ["a", "b"]}
    template = builtin_templates()["learning-layers"]
    broken = template_from_csv(template_to_csv(template))
    broken.codes[1].indicators = {"fr": ["conseil"]}
    with pytest.raises(Refused, match="indicator language 'fr'"):
        broken.validate()


# --- suggesting ----------------------------------------------------------------------------------

def test_suggestions_are_exactly_the_expected_sentences(engine):
    make_project(engine)
    text, suggestions = suggest(engine)
    expected = [
        ("proef.leren", "We leerden veel van elkaar.", "leren"),
        ("proef.sfeer", "Het was ook gewoon gezellig.", "gezellig"),
        ("proef.vertrouwen", "Wij vertrouwen de leden.", "vertrouwen"),
        ("proef.sfeer", "Ik kreeg een tip op een netwerkbijeenkomst, echt een nuttige tip.", "tip; nuttig"),
        ("proef.format", "Ik kreeg een tip op een netwerkbijeenkomst, echt een nuttige tip.", "bijeenkomst"),
        ("proef.contact", "Daarna belde ik haar.", "bellen"),
        ("proef.vertrouwen", "Vertrouwen is de basis.", "vertrouwen"),
    ]
    assert [(x.code, x.start, x.end, x.text, x.matched_term) for x in suggestions] == [
        (code, *span(text, sentence), sentence, term) for code, sentence, term in expected]
    merged = suggestions[3]
    assert merged.terms == ("tip", "nuttig") and merged.codebook == "proef"
    tip = text.index("tip op")
    assert [text[a:b] for a, b in merged.matches] == ["tip", "nuttige", "tip"]
    assert merged.matches[0] == (tip, tip + 3)
    assert merged.key == f"proef.sfeer@{merged.start}-{merged.end}"
    assert (merged.role, merged.speaker, merged.language) == ("respondent", "R", "nl")


def test_lemma_matching_and_project_lemma_pairs(engine):
    make_project(engine)
    _, suggestions = suggest(engine)
    learned = [x for x in suggestions if x.code == "proef.leren"]
    assert [x.text[a - x.start:b - x.start] for x in learned for a, b in x.matches] == ["leerden"]
    # a project's own lemma pair ('opgestoken', as in 'iets opsteken') joins a form to an indicator
    with write_session(engine) as s:
        s.add(LemmaPair(project_id=get_project(s, PROJECT).id, language="nl", form="Opgestoken", lemma="Leren"))
    text, suggestions = suggest(engine)
    assert [x.text for x in suggestions if x.code == "proef.leren"] == [
        "We leerden veel van elkaar.", "Wat we hebben opgestoken, schrijven we op."]


def test_lemmatiser_fallback_only_reaches_indicator_words():
    lemmas = _Lemmatiser("nl", {}, {"contact", "tip", "wethouder", "bellen", "vertrouwen", "meten"}, {"bijeenkomst"})
    assert lemmas(["contacten", "tips", "wethouders", "belde", "vertrouw", "geleerd", "netwerkbijeenkomsten",
                   "met", "ging"]) == ["contact", "tip", "wethouder", "bellen", "vertrouwen", "geleerd", "bijeenkomst",
                                       "met", "gaan"]


def test_speaker_labels_are_never_part_of_a_suggestion(engine):
    make_project(engine)
    text, suggestions = suggest(engine)
    assert not [x for x in suggestions if x.code == "proef.bestuur"]  # only the label and a question say 'bestuur'
    text, everyone = suggest(engine, skipped_roles=())
    board = [x for x in everyone if x.code == "proef.bestuur"]
    assert [x.text for x in board] == ["En hoe kijkt het bestuur daarnaar?"]  # the interviewer's words, not the label
    for x in everyone:
        assert not x.text.startswith(("Bestuur:", "R:", "I:")) and ":" not in x.text
        assert text[x.start:x.end] == x.text


def test_existing_codings_of_the_same_code_suppress_a_suggestion(engine):
    make_project(engine)
    with write_session(engine) as s:
        project = get_project(s, PROJECT)
        document = get_document(s, project, "gesprek")
        text = document_text(s, document)
        anja, _ = get_or_create_coder(s, project, "Anja")
        get_or_create_coder(s, project, "Bram")
        start = text.index("vertrouwen de leden")
        apply_coding(s, project, document, anja, start, start + len("vertrouwen"), ["proef.vertrouwen"])
        start = text.index("gewoon gezellig")
        apply_coding(s, project, document, anja, start, start + 6, ["proef.leren"])  # another code: no effect
    text, suggestions = suggest(engine)
    assert [x.text for x in suggestions if x.code == "proef.vertrouwen"] == ["Vertrouwen is de basis."]
    assert len(suggestions) == 6
    with read_session(engine) as s:
        bram = s.scalar(select(Coder).where(Coder.name == "Bram"))
    _, for_bram = suggest(engine, coder=bram)
    assert len(for_bram) == 7
    _, everything = suggest(engine, skip_coded=False)
    assert len(everything) == 7


def test_suggesting_codes_nothing(engine):
    make_project(engine)
    before = counts(engine)
    _, suggestions = suggest(engine)
    assert suggestions and counts(engine) == before


def test_a_project_without_indicators_gets_no_suggestions(engine):
    with write_session(engine) as s:
        project = create_project(s, PROJECT)
        store_import(s, project, preview_import("gesprek.txt", TRANSCRIPT.encode(), language="nl"),
                     cases=[create_case(s, project, "Noord")], language="nl")
    assert suggest(engine)[1] == []


# --- accepting -----------------------------------------------------------------------------------

def test_accepting_codes_with_origin_term_coder_and_event(engine):
    make_project(engine)
    _, suggestions = suggest(engine)
    chosen = [x for x in suggestions if x.code in ("proef.sfeer", "proef.contact")]
    before = counts(engine)
    with write_session(engine) as s:
        project = get_project(s, PROJECT)
        document = get_document(s, project, "gesprek")
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        segments = accept_suggestions(s, project, document, sanne, chosen, actor="sanne@coding-page")
        assert [(g.start, g.end) for g in segments] == [(x.start, x.end) for x in chosen]
    after = counts(engine)
    assert after["segment"] - before["segment"] == 3 and after["coding"] - before["coding"] == 3
    with read_session(engine) as s:
        rows = s.execute(select(Code.key, Coding.origin, Coding.matched_term, Coder.name, Segment.start)
                         .join(Coding, Coding.code_id == Code.id).join(Segment, Coding.segment_id == Segment.id)
                         .join(Coder, Coder.id == Segment.coder_id).order_by(Segment.start)).all()
        assert [tuple(r) for r in rows] == [
            (x.code, "suggestion", x.matched_term, "Sanne", x.start) for x in chosen]
        assert rows[1].matched_term == "tip; nuttig"
        events = s.scalars(select(Event).where(Event.entity == "segment").order_by(Event.id)).all()
        assert [(e.action, e.actor, e.after["origin"], e.after["codes"], e.after["matched_term"], e.after["coder"])
                for e in events] == [("create", "sanne@coding-page", "suggestion", [x.code], x.matched_term, "Sanne")
                                     for x in chosen]
        assert all("text" not in e.after for e in events)
    # accepting again (a rerun) codes nothing twice; the accepted sentences are no longer suggested
    with write_session(engine) as s:
        project = get_project(s, PROJECT)
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        assert accept_suggestions(s, project, get_document(s, project, "gesprek"), sanne, chosen) == []
    assert counts(engine) == after
    _, left = suggest(engine)
    assert [x.key for x in left] == [x.key for x in suggestions if x not in chosen]


def test_manual_codings_keep_origin_manual(engine):
    make_project(engine)
    with write_session(engine) as s:
        project = get_project(s, PROJECT)
        coder, _ = get_or_create_coder(s, project, "Sanne")
        apply_coding(s, project, get_document(s, project, "gesprek"), coder, 3, 10, ["proef.leren"])
        with pytest.raises(Refused, match="origin"):
            apply_coding(s, project, get_document(s, project, "gesprek"), coder, 3, 10, ["proef.leren"],
                         origin="robot")
    with read_session(engine) as s:
        assert s.execute(select(Coding.origin, Coding.matched_term)).all() == [("manual", None)]
        assert s.scalars(select(Event).where(Event.entity == "segment")).one().after["origin"] == "manual"


def test_a_stale_suggestion_is_refused_and_nothing_is_written(engine):
    make_project(engine)
    _, suggestions = suggest(engine)
    good = suggestions[0]
    stale = Suggestion(code=good.code, codebook=good.codebook, start=good.start + 1, end=good.end,
                       text=good.text, matched_term=good.matched_term, text_version=good.text_version)
    before = counts(engine)
    with pytest.raises(Refused, match="no longer matches"):
        with write_session(engine) as s:
            project = get_project(s, PROJECT)
            coder, _ = get_or_create_coder(s, project, "Sanne")
            accept_suggestions(s, project, get_document(s, project, "gesprek"), coder, [good, stale])
    assert counts(engine) == before


# --- the command line ----------------------------------------------------------------------------

def test_cli_suggest_formats(engine, db_url, capsys):
    make_project(engine)
    _, suggestions = suggest(engine)
    before = counts(engine)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--db", db_url, "suggest", "--project", PROJECT, "--document", "gesprek", *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = run("--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert records == [{"code": x.code, "codebook": x.codebook, "start": x.start, "end": x.end, "text": x.text,
                        "term": x.matched_term} for x in suggestions]
    assert set(records[0]) == {"code", "codebook", "start", "end", "text", "term"}
    code, out, _ = run("--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["code"], int(r["start"]), int(r["end"]), r["term"], r["text"]) for r in rows] == [
        (x.code, x.start, x.end, x.matched_term, x.text) for x in suggestions]
    code, out, _ = run("--format", "table")
    assert code == 0 and out.splitlines()[0].split() == ["code", "start", "end", "term", "text"]
    assert len(out.splitlines()) == 2 + len(suggestions)
    code, out, err = run("--format", "json", "--coder", "Niemand")
    assert (code, out) == (1, "") and err.startswith("error: ") and "Niemand" in err
    capsys.readouterr()
    assert cli.main(["--db", db_url, "suggest", "--project", PROJECT, "--document", "weg", "--format", "json"]) == 1
    assert counts(engine) == before


# --- precision and recall on the demo ------------------------------------------------------------

def test_precision_and_recall_against_the_demo_codings(sqlite_url):
    """Suggestions vs the primary coder's codings: a suggestion is right when a gold coding of the same
    code overlaps it; a gold coding is found when a suggestion of its code overlaps it. The terms were
    written from the code definitions, not from the demo's phrases."""
    engine = get_engine(sqlite_url)
    load_demo(engine)
    primary = {doc["file"].split(".")[0]: doc["coders"][0] for _, spec in case_specs() for doc in spec["documents"]}
    tally: dict[str, Counter] = defaultdict(Counter)
    with read_session(engine) as s:
        project = get_project(s, "Demo: lerende regionale netwerken")
        book_of = {c.key: b.key for b in list_project_codebooks(s, project) for c in b.codes}
        gold_all = {d.id: [c for c in list_codings(s, project, document=d) if c.coder == primary[d.title]]
                    for d in list_documents(s, project)}
        used = {c.code for codings in gold_all.values() for c in codings}
        before = s.scalar(select(func.count()).select_from(Coding))
        for document in list_documents(s, project):
            gold = gold_all[document.id]
            suggestions = suggest_codings(s, project, document, skip_coded=False)
            for x in suggestions:
                hit = any(g.code == x.code and g.start < x.end and x.start < g.end for g in gold)
                for scope in (book_of[x.code], "overall", *(["assessed codes"] if x.code in used else [])):
                    tally[scope]["suggested"] += 1
                    tally[scope]["right"] += hit
            for g in gold:
                found = any(g.code == x.code and g.start < x.end and x.start < g.end for x in suggestions)
                for scope in (book_of[g.code], "overall", "assessed codes"):
                    tally[scope]["gold"] += 1
                    tally[scope]["found"] += found
        assert s.scalar(select(func.count()).select_from(Coding)) == before

    def ratio(a: int, b: int) -> str:
        return f"{a / b:.3f} ({a}/{b})" if b else "undefined (0/0)"

    print("\nauto-code suggestions vs the primary coder's demo codings (sentence overlap, same code)")
    for scope in sorted(tally, key=lambda k: (k in ("overall", "assessed codes"), k)):
        t = tally[scope]
        print(f"  {scope:20} precision {ratio(t['right'], t['suggested']):20} recall {ratio(t['found'], t['gold'])}")
    assert tally["overall"]["suggested"] > 0 and tally["overall"]["gold"] > 0
