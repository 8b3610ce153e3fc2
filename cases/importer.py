"""Transcript import in two steps: a preview the user confirms, then one transaction that stores it.

The preview reads the file, detects speaker labels, language and damage without
touching the database; `store_import` writes the document, its first text
version, speakers, turns and sentences, or nothing at all.
"""

from __future__ import annotations

import hashlib
import uuid
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.damage import DamageWarning, detect_damage
from cases.language import detect_language
from cases.nlp import iter_sentences, main_language
from cases.projects import create_person, find_person
from cases.readers import DEFAULT_MAX_IMPORT_BYTES, ImportRefused, Paragraph, SourceText, read_source
from cases.sources import ParagraphList
from cases.speakers import ROLES, DetectedTurn, LabelCandidate, TurnList, build_turns, detect_labels
from cases.textnorm import NORMALISATION_VERSION
from store.bulk import insert_rows, new_guids
from store.events import record_event
from store.models import DOCUMENT_KINDS, Case, CaseDocument, Document, Project, Sentence, Speaker, TextVersion, Turn


@dataclass
class ImportPreview:
    """Everything the user confirms before a document is stored."""

    source: SourceText
    data: bytes
    sha256: str
    title: str
    language: str | None
    language_scores: dict[str, float]
    labels: list[LabelCandidate]
    warnings: list[DamageWarning]
    _turns: dict[frozenset[str], TurnList] = field(default_factory=dict, repr=False)

    @property
    def filename(self) -> str:
        return self.source.filename

    def default_speakers(self) -> dict[str, SpeakerDecision]:
        """Accept every label not flagged as a likely false one, with its suggested role."""
        return {c.label: SpeakerDecision(role=c.suggested_role) for c in self.labels if not c.likely_false}

    def turns(self, speakers: dict[str, SpeakerDecision] | None = None) -> TurnList:
        """The turns these speaker decisions give (computed once per set of accepted labels)."""
        accepted = frozenset((speakers if speakers is not None else self.default_speakers()).keys())
        if accepted not in self._turns:
            self._turns[accepted] = turns_for(self.source, set(accepted))
        return self._turns[accepted]


@dataclass
class SpeakerDecision:
    role: str
    person: str | None = None  # an existing person's name, or a new person to create


def title_from_filename(filename: str) -> str:
    """'Interview Jan.docx' -> 'Interview Jan'; '.docx.txt' style double suffixes lose only the last one."""
    return Path(filename).stem.strip() or filename


def preview_import(
    filename: str, data: bytes, *, language: str | None = None, max_bytes: int = DEFAULT_MAX_IMPORT_BYTES
) -> ImportPreview:
    """Read and analyse a file; raises ImportRefused with the reason for bad input."""
    source = read_source(filename, data, max_bytes=max_bytes)
    detected, scores = detect_language(source.text)
    return ImportPreview(
        source=source, data=data, sha256=hashlib.sha256(data).hexdigest(), title=title_from_filename(filename),
        language=language or detected, language_scores=scores,
        labels=detect_labels(source) if source.format != "pdf" else [],  # a PDF is a document: no speakers
        warnings=_merged(source.warnings, detect_damage(source.text, source.pages)),  # a PDF's page edges too
    )


def _merged(layout: list[DamageWarning], found: list[DamageWarning]) -> list[DamageWarning]:
    """The reader's layout warnings (a PDF's furniture) and those found in the text, one per place and kind."""
    taken = {(w.kind, w.start) for w in layout}
    return sorted(layout + [w for w in found if (w.kind, w.start) not in taken], key=lambda w: (w.start, w.end, w.kind))


def turns_for(source: SourceText, accepted: set[str]) -> TurnList:
    """Turns by accepted labels; a text without speakers gets one unit per paragraph.

    In plain text a paragraph is a block of lines between blank lines (a PDF
    extract breaks lines mid-sentence); in Word, ODT and subtitles it is the
    format's own paragraph or cue.
    """
    if accepted:
        return build_turns(source, accepted)
    paragraphs = source.paragraphs
    if source.format in ("txt", "md", "pdf"):
        paragraphs = _blank_line_blocks(source.text, paragraphs)
    turns = TurnList()
    for p in paragraphs:
        turns.add(p.start, p.end, p.start, None, p.start_ms, p.end_ms)
    return turns


def _blank_line_blocks(text: str, lines: Sequence[Paragraph]) -> ParagraphList:
    blocks = ParagraphList()
    start = end = None
    for line in lines:
        if end is not None and text[end:line.start].count("\n") < 2:
            end = line.end
            continue
        if end is not None:
            blocks.add(start, end)
        start, end = line.start, line.end
    if end is not None:
        blocks.add(start, end)
    return blocks


def find_duplicate(session: Session, project: Project, sha256: str) -> Document | None:
    return session.scalar(select(Document).where(Document.project_id == project.id, Document.sha256 == sha256))


def store_import(
    session: Session,
    project: Project,
    preview: ImportPreview,
    *,
    cases: list[Case],
    kind: str = "interview",
    language: str | None = None,
    speakers: dict[str, SpeakerDecision] | None = None,
    title: str | None = None,
    document_date: date | None = None,
    actor: str = "system",
    guid: uuid.UUID | None = None,
    prepared: PreparedRows | None = None,
) -> Document:
    """Store a previewed file in the current transaction (the caller's `write_session`): the demo and tests.
    People's imports go through `cases.staged_import`, in short transactions."""
    speakers = preview.default_speakers() if speakers is None else speakers
    title = checked_title(session, project, preview, kind=kind, title=title, speakers=speakers)
    language = language or preview.language
    prepared = prepared or prepare_rows(preview, speakers, language)  # made beforehand outside the transaction
    document, version = new_document(session, project.id, preview, title=title, kind=kind, language=language,
                                     document_date=document_date, guid=guid)
    for case in cases:
        session.add(CaseDocument(case_id=case.id, document_id=document.id))
    speaker_ids = store_speakers(session, document, prepared.turns, speakers)
    link_persons(session, project, document, speakers, cases, actor)
    turn_count, sentence_count = _store_turns_and_sentences(session, version.id, prepared, speaker_ids)
    record_import(session, project, document, preview, cases, actor, turn_count, sentence_count)
    return document


def checked_title(session: Session, project: Project, preview: ImportPreview, *, kind: str, title: str | None,
                  speakers: dict[str, SpeakerDecision]) -> str:
    """Everything that refuses an import before anything is written; returns the document's title."""
    filename = preview.filename
    if kind not in DOCUMENT_KINDS:
        raise ImportRefused(filename, f"unknown kind '{kind}' (use one of: {', '.join(DOCUMENT_KINDS)})")
    existing = find_duplicate(session, project, preview.sha256)
    if existing is not None:
        raise ImportRefused(filename, f"already imported into project '{project.name}' as document "
                                      f"'{existing.title}' ({existing.guid})")
    title = (title or "").strip() or preview.title.strip()
    if not title or len(title) > 300:
        raise ImportRefused(filename, "a document title must be 1 to 300 characters")
    if session.scalar(select(Document.id).where(Document.project_id == project.id, Document.title == title)):
        raise ImportRefused(filename, f"project '{project.name}' already has a document titled '{title}'")
    for label, decision in speakers.items():
        if decision.role not in ROLES:
            raise ImportRefused(filename, f"speaker '{label}': unknown role '{decision.role}' "
                                          f"(use one of: {', '.join(ROLES)})")
    return title


def new_document(session: Session, project_id: int, preview: ImportPreview, *, title: str, kind: str,
                 language: str | None, document_date: date | None, guid: uuid.UUID | None = None
                 ) -> tuple[Document, TextVersion]:
    text = preview.source.text
    document = Document(
        project_id=project_id, title=title, kind=kind, language=language, source_filename=preview.filename,
        source_format=preview.source.format, source_encoding=preview.source.encoding, sha256=preview.sha256,
        file_size=len(preview.data), original_bytes=preview.data, document_date=document_date, current_version=1,
    )
    if guid is not None:  # a document carried in from a project file keeps its identity
        document.guid = guid
    session.add(document)
    session.flush()
    version = TextVersion(document_id=document.id, version=1, text=text, length=len(text),
                          normalisation_version=NORMALISATION_VERSION, pages=list(preview.source.pages) or None)
    session.add(version)
    session.flush()
    return document, version


def record_import(session: Session, project: Project, document: Document, preview: ImportPreview,
                  cases: list[Case], actor: str, turns: int, sentences: int) -> None:
    record_event(session, project_guid=project.guid, actor=actor, action="import", entity="document",
                 entity_guid=document.guid,
                 after={"title": document.title, "source_filename": preview.filename, "sha256": preview.sha256,
                        "kind": document.kind, "language": document.language, "cases": [str(c.guid) for c in cases],
                        "turns": turns, "sentences": sentences, "length": len(preview.source.text),
                        "normalisation_version": NORMALISATION_VERSION})


TURN_BATCH = 50_000  # turns stored, and their sentences split, at a time
SENTENCE_BATCH = 50_000  # sentence rows built and sent to the driver at a time
_TURN_COLUMNS = ("guid", "text_version_id", "ordinal", "speaker_id", "start", "end", "content_start", "start_ms",
                 "end_ms", "language")
_SENTENCE_COLUMNS = ("guid", "text_version_id", "turn_id", "ordinal", "start", "end")


@dataclass
class PreparedRows:
    """What an import writes beyond the document row, worked out before its transaction opens (each turn's
    language, the sentences), so that the transaction only inserts rows and holds the write lock briefly (on
    SQLite, every other coder's write waits while it is held)."""

    turns: Sequence[DetectedTurn]
    languages: list[str | None]
    sentence_starts: array = field(default_factory=lambda: array("i"))
    sentence_ends: array = field(default_factory=lambda: array("i"))
    sentence_turns: array = field(default_factory=lambda: array("i"))  # the turn's index in `turns`


def prepare_rows(preview: ImportPreview, speakers: dict[str, SpeakerDecision] | None = None,
                 language: str | None = None) -> PreparedRows:
    """Turns, their languages and their sentences, a batch of turns at a time (so that no list of tuples grows
    with the file: a subtitle file of a million cues has a million turns); sentences are kept as int columns."""
    speakers = preview.default_speakers() if speakers is None else speakers
    text, language = preview.source.text, language or preview.language
    turns = preview.turns(speakers)
    prepared = PreparedRows(turns, [_turn_language(text[t.content_start:t.end], language) for t in turns])
    pipeline = main_language(prepared.languages)  # one pipeline for the whole text, as split_sentences chooses it
    for first in range(0, len(turns), TURN_BATCH):
        spans = [(t.content_start, t.end, lang) for t, lang in zip(turns[first:first + TURN_BATCH],
                                                                   prepared.languages[first:first + TURN_BATCH])]
        for start, end, index in iter_sentences(text, spans, pipeline):
            prepared.sentence_starts.append(start)
            prepared.sentence_ends.append(end)
            prepared.sentence_turns.append(first + index)
    return prepared


def _store_turns_and_sentences(session: Session, version_id: int, prepared: PreparedRows,
                               speaker_ids: dict[str | None, int]) -> tuple[int, int]:
    """Turn and sentence rows, a batch at a time; returns how many of each were stored."""
    sentences = 0
    for first in range(0, len(prepared.turns), TURN_BATCH):
        sentences += store_turn_range(session, version_id, prepared, speaker_ids, first, first + TURN_BATCH)
    return len(prepared.turns), sentences


def store_turn_range(session: Session, version_id: int, prepared: PreparedRows, speaker_ids: dict[str | None, int],
                     first: int, last: int) -> int:
    """Turns [first, last) and their sentences; returns how many sentences. Thousands of rows go straight to
    the driver (see store.bulk)."""
    turns, languages, owners = prepared.turns, prepared.languages, prepared.sentence_turns
    batch, batch_languages = turns[first:last], languages[first:last]
    last = first + len(batch)
    insert_rows(session, Turn.__table__, _TURN_COLUMNS, [
        (guid, version_id, first + i, speaker_ids.get(t.label), t.start, t.end, t.content_start, t.start_ms,
         t.end_ms, lang)
        for i, (guid, t, lang) in enumerate(zip(new_guids(len(batch)), batch, batch_languages))])
    turn_ids = session.scalars(select(Turn.id).where(
        Turn.text_version_id == version_id, Turn.ordinal >= first, Turn.ordinal < last)
        .order_by(Turn.ordinal)).all()
    sentence, end = bisect_left(owners, first), bisect_left(owners, last)  # sentences come in turn order
    stored = end - sentence
    starts, ends = prepared.sentence_starts, prepared.sentence_ends
    while sentence < end:
        stop = min(end, sentence + SENTENCE_BATCH)
        insert_rows(session, Sentence.__table__, _SENTENCE_COLUMNS,
                    [(guid, version_id, turn_ids[owners[k] - first], k, starts[k], ends[k])
                     for guid, k in zip(new_guids(stop - sentence), range(sentence, stop))])
        sentence = stop
    return stored


# A turn needs three different distinguishing stop words to get its own language; shorter turns cannot.
_MIN_WORDS_FOR_OWN_LANGUAGE = 6


def _turn_language(content: str, fallback: str | None) -> str | None:
    """A turn's own language where its stop words say so clearly, else the document's."""
    if content.count(" ") < _MIN_WORDS_FOR_OWN_LANGUAGE - 1:
        return fallback
    detected, _scores = detect_language(content)
    return detected or fallback


def store_speakers(session: Session, document: Document, turns: Sequence[DetectedTurn],
                   speakers: dict[str, SpeakerDecision]) -> dict[str | None, int]:
    """The document's speaker rows (their persons are linked by `link_persons`); their ids by label."""
    ids: dict[str | None, int] = {}
    for turn in turns:
        if turn.label is None or turn.label in ids:
            continue
        decision = speakers.get(turn.label, SpeakerDecision("unknown"))
        speaker = Speaker(document_id=document.id, label=turn.label, role=decision.role)
        session.add(speaker)
        session.flush()
        ids[turn.label] = speaker.id
    return ids


def link_persons(session: Session, project: Project, document: Document, speakers: dict[str, SpeakerDecision],
                 cases: list[Case], actor: str) -> None:
    for speaker in session.scalars(select(Speaker).where(Speaker.document_id == document.id)):
        decision = speakers.get(speaker.label)
        if decision is not None and decision.person:
            # Person.role is the role in the network (member, alderman), not the speaker role: left for the user.
            person = find_person(session, project, decision.person) or create_person(
                session, project, decision.person, case=cases[0] if cases else None, actor=actor)
            speaker.person_id = person.id
