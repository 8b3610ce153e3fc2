"""Load the demo study through the same import and coding functions a user's actions go through.

Codings are anchored to phrases that are looked up in the stored text at load
time; a phrase that is missing, or that falls outside a speaker's words, stops
the load (in one transaction, so nothing half-loaded remains). Framework cells
pin quotes by phrase too: a pin must be the primary coder's coded segment of
that cell, or the load stops. Mask terms must occur in the case's documents. Story steps name a phrase inside one
coded segment of the case (by one coder, where two coded it).
"""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path
from typing import Any

from docx import Document as DocxDocument
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from analysis.framework_matrix import cell_segment_candidates, pin_quote, save_cell
from cases.attributes import set_attribute
from cases.documents import document_turns, document_text
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_person, create_project, get_or_create_coder
from codebooks.service import adopt_codebook, find_code
from coding.codings import apply_coding
from coding.coding_flags import set_coding_flags
from coding.memos import add_memo
from coding.stories import add_step, create_story
from focusgroups.anonymise import add_mask_term
from store.db import write_session
from store.errors import Refused
from store.models import Case, Coder, Coding, Document, Person, Project, Segment

DEMO_DIR = Path(__file__).resolve().parent / "data"
DEMO_PROJECT = "Demo: lerende regionale netwerken"
DEMO_CODEBOOKS = ("value-creation", "network-conditions", "learning-layers", "collective-impact", "learning-levels")
_LABEL = re.compile(r"^([^:\n]{1,60}:)(\s*)")


class DemoDataError(Refused):
    """The demo data files contradict themselves (a phrase or label that is not there)."""


def build_docx(text: str) -> bytes:
    """A Word file with one paragraph per line and the leading 'Label:' as a bold run."""
    doc = DocxDocument()
    for line in text.splitlines():
        if not line.strip():
            continue
        paragraph = doc.add_paragraph()
        match = _LABEL.match(line)
        if match:
            paragraph.add_run(match.group(1)).bold = True
            paragraph.add_run(match.group(2) + line[match.end():])
        else:
            paragraph.add_run(line)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def source_file(folder: Path, name: str) -> tuple[str, bytes]:
    """(file name as imported, bytes); 'x.docx.txt' becomes the Word file 'x.docx'."""
    path = folder / name
    if name.endswith(".docx.txt"):
        return name[: -len(".txt")], build_docx(path.read_text(encoding="utf-8"))
    return name, path.read_bytes()


def find_phrase(text: str, phrase: str, occurrence: int = 1) -> tuple[int, int]:
    """Code-point span of the n-th occurrence of `phrase` in `text`."""
    start = -1
    for _ in range(occurrence):
        start = text.find(phrase, start + 1)
        if start < 0:
            raise DemoDataError(f"phrase not found (occurrence {occurrence}): {phrase[:60]!r}")
    return start, start + len(phrase)


def case_specs() -> list[tuple[Path, dict[str, Any]]]:
    specs = []
    for path in sorted(DEMO_DIR.glob("*/case.toml")):
        with path.open("rb") as fh:
            specs.append((path.parent, tomllib.load(fh)))
    if not specs:
        raise DemoDataError(f"no demo data under {DEMO_DIR}")
    return specs


def load_demo(engine: Engine, *, project_name: str = DEMO_PROJECT, actor: str = "demo") -> dict[str, Any]:
    """Create the demo project in one transaction and return what it holds."""
    summary = {"project": project_name, "cases": 0, "documents": 0, "persons": 0, "codings": 0, "memos": 0,
               "framework_cells": 0, "pinned_quotes": 0, "masks": 0, "stories": 0}
    with write_session(engine) as session:
        project = create_project(
            session, project_name, actor=actor,
            description="Synthetic ten-month study of how three regional networks learn and create value "
                        "(fictional people and organisations).",
        )
        for key in DEMO_CODEBOOKS:
            adopt_codebook(session, project, key, actor=actor)
        for folder, spec in case_specs():
            case, documents = _load_case(session, project, folder, spec, actor, summary)
            _load_codings(session, project, spec, documents, actor, summary)
            _load_memos(session, project, spec, case, documents, actor, summary)
            _load_framework(session, project, spec, case, documents, actor, summary)
            _load_masks(session, project, spec, case, documents, actor, summary)
            _load_stories(session, project, spec, case, documents, actor, summary)
    return summary


def document_title(file_name: str) -> str:
    """The title a demo source file is stored under: its name without extension ('x.docx.txt' -> 'x')."""
    return Path(file_name.removesuffix(".txt") if file_name.endswith(".docx.txt") else file_name).stem


def _load_case(session, project: Project, folder: Path, spec: dict, actor: str, summary: dict):  # type: ignore[no-untyped-def]
    meta = spec["case"]
    case = create_case(session, project, meta["name"], description=meta.get("description", ""), actor=actor)
    summary["cases"] += 1
    for name, value in meta.get("attributes", {}).items():
        set_attribute(session, project, case, name, value, actor=actor)
    for person_spec in spec.get("persons", []):
        person = create_person(session, project, person_spec["name"], pseudonym=person_spec.get("pseudonym", ""),
                               role=person_spec.get("role", ""), case=case, actor=actor)
        summary["persons"] += 1
        for name, value in person_spec.get("attributes", {}).items():
            set_attribute(session, project, person, name, value, actor=actor)
    documents: dict[str, Document] = {}
    for doc_spec in spec.get("documents", []):
        filename, data = source_file(folder, doc_spec["file"])
        preview = preview_import(filename, data, language=doc_spec.get("language"))
        detected = {c.label for c in preview.labels}
        speakers = {}
        for label, decision in doc_spec.get("speakers", {}).items():
            if label not in detected:
                raise DemoDataError(f"{filename}: speaker label {label!r} was not detected (found: {sorted(detected)})")
            speakers[label] = SpeakerDecision(role=decision["role"], person=decision.get("person"))
        document = store_import(session, project, preview, cases=[case], kind=doc_spec.get("kind", "interview"),
                                language=doc_spec.get("language"), speakers=speakers,
                                document_date=doc_spec.get("date"), actor=actor)
        for name, value in doc_spec.get("attributes", {}).items():
            set_attribute(session, project, document, name, value, actor=actor)
        documents[document.title] = document
        summary["documents"] += 1
    return case, documents


def _load_codings(session, project: Project, spec: dict, documents: dict[str, Document], actor: str, summary: dict) -> None:  # type: ignore[no-untyped-def]
    texts: dict[str, str] = {}
    units: dict[str, list[tuple[int, int]]] = {}
    speakers_of: dict[str, bool] = {}
    for item in spec.get("codings", []):
        title = item["document"]
        document = documents.get(title)
        if document is None:
            raise DemoDataError(f"coding refers to unknown document {title!r}")
        if title not in texts:
            texts[title] = document_text(session, document)
            turns = document_turns(session, document)
            units[title] = [(t.content_start, t.end) for t in turns]
            speakers_of[title] = any(t.label for t in turns)
        try:
            start, end = find_phrase(texts[title], item["phrase"], item.get("occurrence", 1))
        except DemoDataError as exc:
            raise DemoDataError(f"{title}: {exc}") from exc
        if speakers_of[title] and not any(s <= start and end <= e for s, e in units[title]):
            raise DemoDataError(f"{title}: phrase is not inside one speaker's words: {item['phrase'][:60]!r}")
        coder, _ = get_or_create_coder(session, project, item["coder"], actor=actor)
        segment = apply_coding(session, project, document, coder, start, end, list(item["codes"]), actor=actor)
        summary["codings"] += len(set(item["codes"]))
        if item.get("memo"):
            add_memo(session, project, item["memo"], target=segment, author=coder, actor=actor)
            summary["memos"] += 1
        if item.get("aspirational") or item.get("beneficiary"):  # marks on each of the segment's codings
            for coding_guid in session.scalars(select(Coding.guid).where(Coding.segment_id == segment.id)):
                set_coding_flags(session, project, coding_guid, actor=coder.name,
                                 aspirational=bool(item.get("aspirational")), beneficiary=item.get("beneficiary"))


def _load_memos(session, project: Project, spec: dict, case: Case, documents: dict[str, Document], actor: str, summary: dict) -> None:  # type: ignore[no-untyped-def]
    for item in spec.get("memos", []):
        author, _ = get_or_create_coder(session, project, item["author"], actor=actor)
        on = item["on"]
        if on == "project":
            target = None
        elif on == "case":
            target = case
        elif on == "document":
            target = documents.get(item["target"])
            if target is None:
                raise DemoDataError(f"memo refers to unknown document {item['target']!r}")
        elif on == "code":
            target = find_code(session, project, item["target"])
        else:
            raise DemoDataError(f"memo on unknown target kind {on!r}")
        add_memo(session, project, item["text"], target=target, author=author, actor=actor)
        summary["memos"] += 1


def _load_framework(session: Session, project: Project, spec: dict, case: Case, documents: dict[str, Document],
                    actor: str, summary: dict) -> None:
    """Each [[framework]] entry is one case x cycle cell: state, rating, summary, validation, then its pins in order."""
    primary = {document_title(d["file"]): d["coders"][0] for d in spec.get("documents", []) if d.get("coders")}
    sources = [(document, get_or_create_coder(session, project, primary[title])[0].id,
                document_text(session, document)) for title, document in documents.items() if title in primary]
    for item in spec.get("framework", []):
        code = item["code"]
        try:
            save_cell(session, project, case.name, code, state=item["state"], rating=item.get("rating"),
                      summary=item.get("summary", ""), validation=item.get("validation"), actor=actor)
        except Refused as exc:
            raise DemoDataError(f"{case.name}: framework cell {code}: {exc}") from exc
        summary["framework_cells"] += 1
        candidates = cell_segment_candidates(session, project, case.id, find_code(session, project, code))
        for phrase in item.get("pins", []):
            segment = _pinned_segment(session, sources, candidates, phrase)
            if segment is None:
                raise DemoDataError(f"{case.name}: framework cell {code}: pin phrase is not a segment coded {code} "
                                    f"(or below) by the primary coder in this case: {phrase[:60]!r}")
            pin_quote(session, project, case.name, code, str(segment.guid), actor=actor)
            summary["pinned_quotes"] += 1


def _pinned_segment(session: Session, sources: list[tuple[Document, int, str]], candidates: set[int],
                    phrase: str) -> Segment | None:
    """The primary coder's segment spanning exactly `phrase` among the cell's own segments (code or one below it)."""
    for document, coder_id, text in sources:
        occurrence = 1
        while True:
            try:
                start, end = find_phrase(text, phrase, occurrence)
            except DemoDataError:
                break
            segment = session.scalar(select(Segment).where(
                Segment.document_id == document.id, Segment.coder_id == coder_id,
                Segment.start == start, Segment.end == end))
            if segment is not None and segment.id in candidates:
                return segment
            occurrence += 1
    return None


def _load_masks(session: Session, project: Project, spec: dict, case: Case, documents: dict[str, Document],
                actor: str, summary: dict) -> None:
    """[[masks]] go on the project's mask list; a term must occur in one of this case's documents."""
    texts = [document_text(session, d).casefold() for d in documents.values()]
    for item in spec.get("masks", []):
        term = item["term"]
        if not any(term.casefold() in text for text in texts):
            raise DemoDataError(f"{case.name}: masked name {term!r} does not occur in any of the case's documents")
        try:
            add_mask_term(session, project, term, item.get("kind", "other"), item.get("replacement", ""), actor=actor)
        except Refused as exc:
            raise DemoDataError(f"{case.name}: masked name {term!r}: {exc}") from exc
        summary["masks"] += 1


def _load_stories(session: Session, project: Project, spec: dict, case: Case, documents: dict[str, Document],
                  actor: str, summary: dict) -> None:
    """Value-creation stories, written by their author: each step a phrase inside one coded segment of the case."""
    for item in spec.get("stories", []):
        person = session.scalar(select(Person).where(Person.project_id == project.id,
                                                     Person.name == item["person"])) if item.get("person") else None
        if item.get("person") and person is None:
            raise DemoDataError(f"story {item['title']!r}: unknown person {item['person']!r}")
        story = create_story(session, project, case, item["title"], person=person, actor=actor,
                             author=item["author"])
        for step in item["steps"]:
            segment = _segment_holding(session, documents, step)
            add_step(session, project, story, segment.guid, cycle=step.get("cycle"), note=step.get("note", ""),
                     actor=actor, as_owner=True)  # the loader writes what the author wrote
        summary["stories"] += 1


def _segment_holding(session: Session, documents: dict[str, Document], step: dict) -> Segment:
    document = documents.get(step["document"])
    if document is None:
        raise DemoDataError(f"story step refers to unknown document {step['document']!r}")
    start, end = find_phrase(document_text(session, document), step["phrase"])
    stmt = (select(Segment).join(Coder, Segment.coder_id == Coder.id)
            .where(Segment.document_id == document.id, Segment.start <= start, end <= Segment.end))
    if step.get("coder"):
        stmt = stmt.where(Coder.name == step["coder"])
    found = list(session.scalars(stmt))
    if len(found) != 1:
        raise DemoDataError(f"{step['document']}: story step phrase {step['phrase'][:50]!r} lies in {len(found)} "
                            "coded segments (name its coder)" if found else
                            f"{step['document']}: story step phrase {step['phrase'][:50]!r} is in no coded segment")
    return found[0]
