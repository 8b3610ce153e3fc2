"""Storing imported transcripts: preview, then one transaction with document, text version, speakers, turns, sentences."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select, text

from cases.documents import (
    current_text_version,
    document_sentences,
    document_speakers,
    document_text,
    document_turns,
    list_documents,
)
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.staged_import import import_files
from cases.projects import create_case, create_project, get_case, get_project
from cases.readers import ImportRefused
from cases.textnorm import NORMALISATION_VERSION
from store.db import read_session, write_session
from store.models import Base, Case, CaseDocument, Document, Person, Sentence, Speaker, TextVersion, Turn

INTERVIEW = (
    "Interview met Jan de Boer, 12 maart 2025\r\n"
    "\r\n"
    "I: Goedemiddag, fijn dat u tijd heeft. Kunt u iets vertellen over het netwerk?\r\n"
    "R: Ja, natuurlijk. Wij zijn in 2019 begonnen met een klein groepje bedrijven. Nu zijn we met veertig leden.\r\n"
    "I: Wat levert het netwerk u op?\r\n"
    "R: Vooral contacten. En het vertrouwen dat je iemand kunt bellen als er iets is.\r\n"
    "Conclusie: het netwerk werkt goed voor de leden.\r\n"
)
INTERVIEW_BYTES = INTERVIEW.encode("utf-8")


def row_counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def setup_project(engine, cases=("Grenzeloos",)) -> None:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Importstudie")
        for name in cases:
            create_case(s, project, name)


def store(engine, filename="interview_deboer.txt", data=INTERVIEW_BYTES, **kwargs) -> Document:  # type: ignore[no-untyped-def]
    preview = preview_import(filename, data)
    with write_session(engine) as s:
        project = get_project(s, "Importstudie")
        return store_import(s, project, preview, cases=[get_case(s, project, "Grenzeloos")], **kwargs)


# --- preview -------------------------------------------------------------------------------------

def test_preview_touches_no_database_and_reports_labels():
    preview = preview_import("interview_deboer.txt", INTERVIEW_BYTES)
    assert preview.title == "interview_deboer"
    assert preview.sha256 == hashlib.sha256(INTERVIEW_BYTES).hexdigest()
    assert preview.language == "nl"
    labels = {c.label: c for c in preview.labels}
    assert (labels["I"].suggested_role, labels["I"].count, labels["I"].likely_false) == ("interviewer", 2, False)
    assert (labels["R"].suggested_role, labels["R"].count, labels["R"].likely_false) == ("respondent", 2, False)
    assert labels["Conclusie"].likely_false is True
    assert set(preview.default_speakers()) == {"I", "R"}
    assert "\r" not in preview.source.text


# --- store ---------------------------------------------------------------------------------------

def test_store_import_writes_document_version_speakers_turns_sentences(engine):
    setup_project(engine)
    stored = store(engine, actor="maria")
    with read_session(engine) as s:
        document = s.get(Document, stored.id)
        project = get_project(s, "Importstudie")
        assert (document.title, document.kind, document.language, document.source_filename,
                document.source_format, document.current_version) == (
            "interview_deboer", "interview", "nl", "interview_deboer.txt", "txt", 1)
        assert document.source_encoding in ("utf-8", "utf8")
        assert document.original_bytes == INTERVIEW_BYTES  # the file as uploaded, CRLF and all
        assert document.sha256 == hashlib.sha256(INTERVIEW_BYTES).hexdigest()
        assert document.file_size == len(INTERVIEW_BYTES)
        assert [c.name for c in document.cases] == ["Grenzeloos"]
        assert [d.title for d in list_documents(s, project, get_case(s, project, "Grenzeloos"))] == [
            "interview_deboer"]

        version = current_text_version(s, document)
        body = version.text
        assert body == INTERVIEW.replace("\r\n", "\n")  # normalised: CRLF became LF, nothing else changed
        assert (version.version, version.length, version.normalisation_version) == (
            1, len(body), NORMALISATION_VERSION)
        assert document_text(s, document) == body

        speakers = {sp.label: (sp.role, person) for sp, person in document_speakers(s, document)}
        assert speakers == {"I": ("interviewer", None), "R": ("respondent", None)}

        turns = document_turns(s, document)
        assert [t.label for t in turns] == [None, "I", "R", "I", "R"]
        assert [t.role for t in turns] == ["unknown", "interviewer", "respondent", "interviewer", "respondent"]
        assert [t.ordinal for t in turns] == [0, 1, 2, 3, 4]
        assert body[turns[0].content_start:turns[0].end] == "Interview met Jan de Boer, 12 maart 2025"
        assert body[turns[1].start:turns[1].content_start] == "I: "
        assert body[turns[1].content_start:turns[1].end] == (
            "Goedemiddag, fijn dat u tijd heeft. Kunt u iets vertellen over het netwerk?")
        assert body[turns[3].content_start:turns[3].end] == "Wat levert het netwerk u op?"
        # the false label "Conclusie:" is not a speaker: its line stays in the respondent's turn
        assert body[turns[4].content_start:turns[4].end] == (
            "Vooral contacten. En het vertrouwen dat je iemand kunt bellen als er iets is.\n"
            "Conclusie: het netwerk werkt goed voor de leden.")
        for a, b in zip(turns, turns[1:]):
            assert a.end <= b.start
        assert all(t.language == "nl" for t in turns[1:])

        sentences = document_sentences(s, document)
        sentence_texts = [body[a:b] for a, b in sentences]
        assert "Ja, natuurlijk." in sentence_texts
        assert "Nu zijn we met veertig leden." in sentence_texts
        assert "Wat levert het netwerk u op?" in sentence_texts
        rows = s.execute(select(Sentence, Turn).join(Turn, Sentence.turn_id == Turn.id)
                         .where(Sentence.text_version_id == version.id).order_by(Sentence.ordinal)).all()
        assert len(rows) == len(sentences) >= 8
        for sentence, turn in rows:
            assert turn.content_start <= sentence.start < sentence.end <= turn.end
            assert body[sentence.start:sentence.end] == body[sentence.start:sentence.end].strip()
        assert [r[0].ordinal for r in rows] == list(range(len(rows)))

        # the raw column really holds the bytes on both databases
        raw = s.execute(text("SELECT original_bytes FROM document WHERE id = :i"), {"i": document.id}).scalar()
        assert bytes(raw) == INTERVIEW_BYTES


def test_speaker_decisions_with_persons_and_custom_roles(engine):
    setup_project(engine)
    decisions = {"I": SpeakerDecision("interviewer", person="Sanne de Wit"),
                 "R": SpeakerDecision("respondent", person="Jan de Boer")}
    stored = store(engine, speakers=decisions, title="Gesprek De Boer", kind="interview", language="nl")
    with read_session(engine) as s:
        document = s.get(Document, stored.id)
        assert document.title == "Gesprek De Boer"
        found = {sp.label: (sp.role, p.name if p else None) for sp, p in document_speakers(s, document)}
        assert found == {"I": ("interviewer", "Sanne de Wit"), "R": ("respondent", "Jan de Boer")}
        jan = s.scalar(select(Person).where(Person.name == "Jan de Boer"))
        assert jan.case_id == s.scalar(select(Case.id).where(Case.name == "Grenzeloos"))
        turns = document_turns(s, document)
        assert [t.person for t in turns] == [None, "Sanne de Wit", "Jan de Boer", "Sanne de Wit", "Jan de Boer"]


def test_accepting_a_false_label_on_request_makes_it_a_speaker(engine):
    setup_project(engine)
    decisions = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent"),
                 "Conclusie": SpeakerDecision("observer")}
    stored = store(engine, speakers=decisions)
    with read_session(engine) as s:
        turns = document_turns(s, s.get(Document, stored.id))
        assert [t.label for t in turns] == [None, "I", "R", "I", "R", "Conclusie"]
        assert turns[-1].role == "observer"


def test_the_same_bytes_again_refused_naming_the_existing_document(engine):
    setup_project(engine)
    first = store(engine)
    before = row_counts(engine)
    with pytest.raises(ImportRefused) as info:
        store(engine, filename="kopie.txt")  # another name, same bytes
    message = str(info.value)
    assert message.startswith("kopie.txt: already imported into project 'Importstudie'")
    assert "'interview_deboer'" in message and str(first.guid) in message
    assert row_counts(engine) == before


def test_title_clash_refused(engine):
    setup_project(engine)
    store(engine)
    before = row_counts(engine)
    with pytest.raises(ImportRefused, match="project 'Importstudie' already has a document titled 'interview_deboer'"):
        store(engine, data=INTERVIEW_BYTES + b"R: Nog een zin.\r\n")
    assert row_counts(engine) == before
    # with another title the same new file is welcome
    store(engine, data=INTERVIEW_BYTES + b"R: Nog een zin.\r\n", title="interview_deboer_2")
    assert row_counts(engine)["document"] == 2


def test_unknown_role_and_kind_refused(engine):
    setup_project(engine)
    before = row_counts(engine)
    with pytest.raises(ImportRefused, match="speaker 'R': unknown role 'boss'"):
        store(engine, speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("boss")})
    with pytest.raises(ImportRefused, match="unknown kind 'podcast'"):
        store(engine, kind="podcast")
    assert row_counts(engine) == before


def test_cp1252_file_keeps_its_bytes_and_stores_unicode_text(engine):
    setup_project(engine)
    data = "I: Hoe ging het in België?\nR: Heel goed, de coöperatie groeide snel. Daarna kwam een café erbij.\n"
    raw = data.encode("cp1252")
    stored = store(engine, filename="belgie.txt", data=raw)
    with read_session(engine) as s:
        document = s.get(Document, stored.id)
        assert document.source_encoding == "cp1252"
        assert document.original_bytes == raw
        assert "coöperatie" in document_text(s, document)
        assert document.sha256 == hashlib.sha256(raw).hexdigest()


def test_text_without_speakers_becomes_one_unit_per_paragraph(engine):
    setup_project(engine)
    data = ("Observatie fieldlab De Hoven\n\nDe deelnemers bespraken de planning. Er was veel energie.\n\n"
            "Na de pauze volgde een rondleiding.\n").encode()
    stored = store(engine, filename="observatie.txt", data=data, kind="observation")
    with read_session(engine) as s:
        document = s.get(Document, stored.id)
        body = document_text(s, document)
        turns = document_turns(s, document)
        assert [body[t.content_start:t.end] for t in turns] == [
            "Observatie fieldlab De Hoven", "De deelnemers bespraken de planning. Er was veel energie.",
            "Na de pauze volgde een rondleiding."]
        assert all(t.label is None for t in turns)
        assert s.scalar(select(func.count()).select_from(Speaker)) == 0
        assert document.kind == "observation"


# --- batches -------------------------------------------------------------------------------------

def test_batch_with_one_good_and_one_bad_file(engine):
    setup_project(engine)
    before = row_counts(engine)
    progress = []
    outcomes = import_files(
        engine, "Importstudie",
        [("leeg.txt", b""), ("deboer.txt", INTERVIEW_BYTES), ("plaatje.png", b"\x89PNG\r\n")],
        case_name="Grenzeloos", role_map={"I": "interviewer", "R": "respondent"}, actor="cli",
        on_progress=lambda i, o: progress.append((i, o.filename, o.error is None)),
    )
    assert [(o.filename, o.document_title) for o in outcomes] == [
        ("leeg.txt", None), ("deboer.txt", "deboer"), ("plaatje.png", None)]
    assert outcomes[0].error.startswith("leeg.txt: ") and "empty" in outcomes[0].error
    assert outcomes[2].error.startswith("plaatje.png: ") and "unsupported file type '.png'" in outcomes[2].error
    assert outcomes[1].error is None and outcomes[1].turns == 5
    assert progress == [(1, "leeg.txt", False), (2, "deboer.txt", True), (3, "plaatje.png", False)]
    after = row_counts(engine)
    assert after["document"] == before["document"] + 1
    assert after["text_version"] == before["text_version"] + 1
    assert after["case"] == before["case"]
    with read_session(engine) as s:
        document = s.scalar(select(Document))
        assert document.title == "deboer"
        assert [sp.role for sp, _ in document_speakers(s, document)] == ["interviewer", "respondent"]


def test_batch_duplicate_file_reported_and_nothing_written(engine):
    setup_project(engine)
    import_files(engine, "Importstudie", [("deboer.txt", INTERVIEW_BYTES)], case_name="Grenzeloos")
    before = row_counts(engine)
    outcomes = import_files(engine, "Importstudie", [("deboer_kopie.txt", INTERVIEW_BYTES)], case_name="Nieuw")
    assert "already imported into project 'Importstudie' as document 'deboer'" in outcomes[0].error
    assert row_counts(engine) == before  # not even the case "Nieuw" was created


def test_batch_creates_a_missing_case_once(engine):
    setup_project(engine)
    created = []
    second = INTERVIEW_BYTES.replace(b"Goedemiddag", b"Goedemorgen")
    outcomes = import_files(engine, "Importstudie", [("een.txt", INTERVIEW_BYTES), ("twee.txt", second)],
                            case_name="Stedenband", on_case_created=created.append)
    assert [o.error for o in outcomes] == [None, None]
    assert created == ["Stedenband"]
    with read_session(engine) as s:
        project = get_project(s, "Importstudie")
        case = get_case(s, project, "Stedenband")
        assert [d.title for d in list_documents(s, project, case)] == ["een", "twee"]
        assert s.scalar(select(func.count()).select_from(CaseDocument)) == 2


def test_batch_with_an_unknown_role_in_the_role_map_or_unknown_project(engine):
    setup_project(engine)
    before = row_counts(engine)
    outcomes = import_files(engine, "Importstudie", [("deboer.txt", INTERVIEW_BYTES)], case_name="Grenzeloos",
                            role_map={"I": "baas"})
    assert "unknown role(s) in role map" in outcomes[0].error and "baas" in outcomes[0].error
    outcomes = import_files(engine, "Bestaat niet", [("deboer.txt", INTERVIEW_BYTES)], case_name="Grenzeloos")
    assert outcomes[0].error == "deboer.txt: no project 'Bestaat niet'"
    assert row_counts(engine) == before


def test_refused_import_leaves_no_partial_rows(engine):
    """A failure after the document row was flushed still rolls everything back."""
    setup_project(engine)
    before = row_counts(engine)
    preview = preview_import("deboer.txt", INTERVIEW_BYTES)
    with pytest.raises(RuntimeError):
        with write_session(engine) as s:
            project = get_project(s, "Importstudie")
            store_import(s, project, preview, cases=[get_case(s, project, "Grenzeloos")])
            assert s.scalar(select(func.count()).select_from(Turn)) == 5
            raise RuntimeError("stop")
    assert row_counts(engine) == before
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(TextVersion)) == 0

