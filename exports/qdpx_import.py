"""Bringing a REFI-QDA project (.qdpx / .qde from NVivo, ATLAS.ti, MAXQDA, QualCoder, f4, …) into Kruispunt.

Lenient and honest: whatever the file holds that Kruispunt can keep is stored in one transaction under the file's
own guids (so importing the same file again updates instead of duplicating), and everything else is named in the
report with a reason, never dropped silently. Positions are converted from the producer's counting convention,
checked against the selections' names and word boundaries (exports.refi_positions). The report is also saved as a
project memo, so it stays with the project.
"""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.importer import ImportPreview, PreparedRows, prepare_rows, preview_import
from cases.projects import create_project
from cases.readers import ImportRefused, decode_text_bytes
from cases.refi_archive import open_refi
from cases.refi_read import ProjectRecord, Source, read_project
from exports import qdpx_notes
from exports.qdpx_selections import Selections
from exports.qdpx_store import Store
from exports.refi_positions import (
    SourcePositions,
    choose_convention,
    convention_for_origin,
    name_matches,
    place_selection,
)
from store.errors import Refused
from store.models import Project

Step = Callable[[int, int, str], None]
SAMPLE = 3_000  # selections scored per convention


@dataclass
class ImportReport:
    """What a REFI-QDA import read, kept, changed and left out (the JSON the CLI writes and the page shows)."""

    filename: str
    origin: str
    project: str = ""
    convention: str = ""
    read: dict[str, int] = field(default_factory=dict)
    imported: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    skipped: list[dict] = field(default_factory=list)
    adjusted: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, element: str, guid: object, reason: str, name: str = "") -> None:
        self.skipped.append({"element": element, "guid": str(guid or ""), "name": name, "reason": reason})

    def adjust(self, element: str, guid: object, reason: str, name: str = "") -> None:
        self.adjusted.append({"element": element, "guid": str(guid or ""), "name": name, "reason": reason})

    def as_json(self) -> dict:
        return {"origin": self.origin, "file": self.filename, "project": self.project,
                "convention": self.convention, "read": dict(sorted(self.read.items())),
                "imported": dict(sorted(self.imported.items())), "unchanged": dict(sorted(self.unchanged.items())),
                "skipped": self.skipped, "adjusted": self.adjusted, "notes": self.notes}

    def summary(self) -> str:
        imported = ", ".join(f"{n:,} {k}" for k, n in sorted(self.imported.items()) if n) or "nothing new"
        return (f"{self.filename} ({self.origin or 'unknown producer'}): imported {imported}; "
                f"{len(self.skipped):,} item(s) left out, {len(self.adjusted):,} adjusted")

    def as_text(self) -> str:
        """The report as a memo: a summary, then each left-out and adjusted item with its reason."""
        lines = [f"REFI-QDA import of {self.filename}", self.summary(),
                 f"Positions read as: {self.convention or 'n/a'}", ""]
        lines += ["Read: " + ", ".join(f"{k} {n:,}" for k, n in sorted(self.read.items()))]
        if self.unchanged:
            lines += ["Already in the project (kept as they are): "
                      + ", ".join(f"{n:,} {k}" for k, n in sorted(self.unchanged.items()))]
        for title, items in (("Left out", self.skipped), ("Adjusted", self.adjusted)):
            if items:
                lines += ["", f"{title}:"]
                lines += [f"- {i['element']} {i['name'] or i['guid']}: {i['reason']}" for i in items]
        if self.notes:
            lines += ["", "Notes:"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class SourceText:
    """One text source's file as decoded (for the producer's positions), and as Kruispunt will store it: the
    import preview and its turn and sentence rows, made before the write transaction starts."""

    source: Source
    data: bytes
    raw: str
    title: str = ""
    preview: ImportPreview | None = None
    rows: PreparedRows | None = None
    positions: SourcePositions | None = None


@dataclass
class ProjectFile:
    """A project file read and prepared, nothing written yet."""

    filename: str
    record: ProjectRecord
    report: ImportReport
    texts: list[SourceText]


def import_qdpx(session: Session, filename: str, data: bytes, *, project: Project | None = None,
                new_name: str | None = None, actor: str = "system", folder: Path | None = None,
                on_step: Step | None = None) -> tuple[Project, ImportReport]:
    """Read and store a project file in the caller's transaction (`read_qdpx`, then `store_qdpx`)."""
    return store_qdpx(session, read_qdpx(filename, data, folder=folder, on_step=on_step), project=project,
                      new_name=new_name, actor=actor, on_step=on_step)


def read_qdpx(filename: str, data: bytes, *, folder: Path | None = None, on_step: Step | None = None
              ) -> ProjectFile:
    """Everything that needs no database, before the write transaction (so it holds the database only while
    rows are written): the archive checked and parsed, each text decoded, previewed and split into turns and
    sentences. A hostile or broken file is refused here."""
    package = open_refi(filename, data, folder=folder)
    record = read_project(package.root)
    report = ImportReport(filename=filename, origin=record.origin, read=dict(record.read))
    for problem in record.problems:
        report.skip(problem["element"], problem["guid"], problem["reason"])
    _note_texts(record, package)
    texts = _source_texts(record, package, report, bare=not package.archive and not package.has_sources_folder)
    prepared = []
    for done, item in enumerate(texts):
        if on_step is not None:
            on_step(done, 3 * len(texts), f"reading text {done + 1} of {len(texts)}: {item.source.name}")
        item.title = _title(item.source)
        try:
            item.preview = preview_import(f"{item.title}.txt", item.data)
        except ImportRefused as exc:
            report.skip("TextSource", item.source.guid, f"not imported: {exc.reason}", item.title)
            continue
        item.rows = prepare_rows(item.preview)
        prepared.append(item)
    return ProjectFile(filename, record, report, prepared)


def store_qdpx(session: Session, project_file: ProjectFile, *, project: Project | None = None,
               new_name: str | None = None, actor: str = "system", on_step: Step | None = None
               ) -> tuple[Project, ImportReport]:
    """Store a read project file into `project`, or as a new project (named `new_name`, else as the file names
    it), in the caller's transaction; returns the project and the report (also stored as a project memo)."""
    # A fresh copy of what reading found: a transaction tried again (the database was busy) starts the report anew
    record, report, texts = project_file.record, copy.deepcopy(project_file.report), project_file.texts
    filename = project_file.filename
    if project is None:
        name = " ".join((new_name or record.name or Path(filename).stem).split())
        if session.scalar(select(Project.id).where(Project.name == name)):
            raise Refused(f"a project named '{name}' exists already; import into it (--project) or give another "
                          "name (--new)")
        project = create_project(session, name, description=record.description, actor=actor)
    report.project = project.name
    store = Store(session, project, record, report, actor)
    store.coders()
    store.codebooks(fallback_name=record.name or Path(filename).stem)
    store.cases()
    documents = {}
    steps = 3 * len(texts)  # each text read, imported, and its selections coded
    for done, item in enumerate(texts):
        if on_step is not None:
            on_step(len(texts) + done, steps, f"text {done + 1} of {len(texts)}: {item.source.name}")
        document = store.document(item)
        if document is not None:
            documents[item.source.guid] = (item, document)
    _place_and_code(store, Selections(store), record, documents, report, lambda done, name: on_step(
        2 * len(texts) + done, steps, f"codings of {name}") if on_step is not None else None)
    qdpx_notes.notes(store)
    qdpx_notes.sets(store)
    qdpx_notes.leftovers(store)
    if on_step is not None:
        on_step(steps, steps, "done")
    qdpx_notes.save_report(store)
    return project, report


def _title(source: Source) -> str:
    """The document title a source's name gives: a file name loses its extension."""
    title = source.name or f"Source {source.raw_guid[:8]}"
    for suffix in (".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf"):
        if title.lower().endswith(suffix) and len(title) > len(suffix):
            return title[: -len(suffix)].strip()
    return title


def _source_texts(record: ProjectRecord, package, report: ImportReport, *, bare: bool  # type: ignore[no-untyped-def]
                  ) -> list[SourceText]:
    """Each text source's bytes; every other kind of source is reported. A source whose text the archive should
    hold but does not refuses the whole import (a broken archive); a bare .qde has no texts to hold."""
    texts = []
    for source in record.sources:
        label = source.name or source.raw_guid
        if source.kind != "TextSource":
            what = {"PDFSource": "a PDF (Kruispunt imports no PDF sources yet)",
                    "PictureSource": "a picture", "AudioSource": "audio", "VideoSource": "video"}.get(
                source.kind, source.kind)
            held = f", with its {source.other_selections} selection(s) and their codings" \
                if source.other_selections else ""
            report.skip(source.kind, source.raw_guid, f"{what}: not imported{held}", label)
            continue
        if source.guid is None:
            report.skip("TextSource", source.raw_guid, "its guid is not a GUID", label)
            continue
        if source.content is None and not source.path:
            report.skip("TextSource", source.guid, "it names no text file and holds no text", label)
            continue
        data = source.content.encode("utf-8") if source.content is not None else package.source_bytes(source.path)
        if data is None:
            if bare:
                report.skip("TextSource", source.guid, f"its text ({source.path or 'no path'}) is not in a .qde "
                            f"without its sources folder; {len(source.selections)} selection(s) left out", label)
                continue
            raise Refused(f"{report.filename}: source '{label}' names '{source.path}', which the archive does not "
                          "hold; nothing was imported")
        try:
            raw, _ = decode_text_bytes(data, label)
        except ImportRefused as exc:
            report.skip("TextSource", source.guid, f"its text cannot be read ({exc.reason})", label)
            continue
        texts.append(SourceText(source, data, raw))
    return texts


def _note_texts(record: ProjectRecord, package) -> None:  # type: ignore[no-untyped-def]
    """A note's text kept in its own file (f4, MAXQDA) read from the archive where it came along."""
    for note in record.notes:
        if note.text is None and note.path:
            data = package.source_bytes(note.path)
            if data is not None:
                try:
                    note.text = decode_text_bytes(data, note.name or note.raw_guid)[0]
                except ImportRefused:
                    note.text = None


def _place_and_code(store: Store, selections: Selections, record: ProjectRecord, documents: dict, report: ImportReport,
                    step: Callable[[int, str], None]) -> None:
    """Positions converted by the convention the selections themselves confirm, then one segment per selection
    and coder."""
    declared = convention_for_origin(record.origin)
    candidates = []
    for item, document in documents.values():
        stored = store.text_of(document)
        if stored is None:
            continue
        item.positions = SourcePositions(item.raw, stored)
        candidates += [(item.positions, stored, s.start, s.end, s.name) for s in item.source.selections
                       if s.start is not None and s.end is not None]
    sample = candidates[:: max(1, len(candidates) // SAMPLE)]  # evenly spread: enough to tell conventions apart
    convention, scores = choose_convention(sample, declared) if sample else (declared, {})
    report.convention = convention
    if convention != declared:
        report.notes.append(f"positions read as '{convention}', not as '{declared}' that the producer "
                            f"('{record.origin}') suggests: the selections' names and word boundaries fit it "
                            f"better (scores {scores})")
    names_are_text = _names_are_text(sample, convention)
    if not names_are_text:
        example = next((c[4] for c in sample if c[4]), None)
        report.notes.append(f"the selections' names are labels (e.g. '{example}'), not the selected text, so "
                            "positions were checked by word boundaries only")
    for done, (item, document) in enumerate(documents.values()):
        step(done, document.title)
        stored = store.text_of(document)
        for selection in item.source.selections:
            label = (selection.name or "")[:60]
            if stored is None:
                report.skip("PlainTextSelection", selection.raw_guid, "its document's text in the project differs "
                            "from the file's, so its position cannot be trusted", label)
                continue
            if selection.start is None or selection.end is None:
                report.skip("PlainTextSelection", selection.raw_guid, "no readable start and end", label)
                continue
            if selection.guid is None:
                selection.guid = uuid.uuid4()
                report.adjust("PlainTextSelection", selection.raw_guid, "its guid is not a GUID; a new one was "
                              "made", label)
            placed = place_selection(item.positions, stored, selection.start, selection.end,
                                     selection.name if names_are_text else None, convention)
            if placed.status == "outside":
                report.skip("PlainTextSelection", selection.guid, f"outside the text ({placed.reason}); its "
                            f"{len(selection.codings)} coding(s) left out", label)
                continue
            if placed.status != "exact":
                report.adjust("PlainTextSelection", selection.guid, placed.reason, label)
            selections.place(document, selection, placed.start, placed.end, stored)
        selections.flush()  # the document's selections coded in one go


def _names_are_text(sample: list, convention: str) -> bool:
    """Whether the selections' names quote their text (most tools) or label it (qc's 'line:6'): when fewer than
    a fifth of the named ones match anywhere near their position, they are labels."""
    named = [c for c in sample if c[4]]
    if not named:
        return True
    matching = 0
    for positions, stored, start, end, name in named:
        s, e = positions.to_stored(start, convention), positions.to_stored(end, convention, side="end")
        if s is not None and e is not None and name_matches(name, stored[s:e]):
            matching += 1
    return matching * 5 >= len(named)
