"""Within-case report: one case's coded segments under its codebooks' headings, as a Word document.

Every case gets the same headings in the same order (the project's codebooks in
project order, codes depth-first in codebook order), so reports can be read side
by side. A code without segments in this case still gets its heading and says
"no coded segments": zero is a finding, not a gap. Codes switched off in the
project are left out unless they (or a child) hold segments of this case.

Headings use Word's built-in heading styles by depth (codebook = Heading 1, a
root code = Heading 2, ...), so Word's table of contents and navigation pane work.

Transcript and memo text only ever go in as plain runs: python-docx escapes
XML, and characters XML 1.0 cannot hold are dropped first.

With `anonymise=True`:
- speakers appear as role and pseudonym, never by name or speaker label;
- document titles (which often carry a surname) become "interview 1", "observation 1", ...;
- the full names of the project's persons are replaced by "[pseudonym]" (or "[person]") in quotes and memos.
Other identifying details in the quoted words are not removed; read the report before sharing it.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import takewhile

from exports.story_chapter import add_stories_chapter
from exports.docx_appender import new_document
from docx.shared import Pt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.documents import list_documents, page_at, page_starts, quote_citation
from codebooks.service import code_label, code_tree, list_project_codebooks
from coding.memos import MemoView, memo_views
from store.errors import Refused
from store.models import (
    Case,
    Code,
    Codebook,
    Coder,
    Coding,
    Document,
    Person,
    Project,
    Segment,
    Speaker,
    TextVersion,
    Turn,
)
from store.spreadsheet import xml_safe

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NO_SEGMENTS = "no coded segments"
MAX_HEADING_LEVEL = 9
INTERVIEWEE_ROLES = ("respondent", "participant")

@dataclass
class Quote:
    document_id: int
    document_title: str
    start: int
    end: int
    text: str
    reference: str
    coders: list[str] = field(default_factory=list)


@dataclass
class _TurnRow:
    ordinal: int
    start: int
    end: int
    role: str | None
    label: str | None
    name: str | None
    pseudonym: str | None
    person_role: str | None


def speaker_reference(role: str | None, *, person_role: str | None = None, name: str | None = None,
                      pseudonym: str | None = None, label: str | None = None, anonymise: bool = False) -> str:
    """'respondent, coordinator (B-R1, Ruud Hofstede)'; anonymised 'respondent, coordinator (B-R1)'.

    Without a linked person the speaker label stands in for the name (never when anonymising).
    """
    text = role or "unknown"
    if person_role and person_role != role:
        text += f", {person_role}"
    who = [p for p in (pseudonym, None if anonymise else (name or label)) if p]
    if who:
        text += f" ({', '.join(who)})"
    return text


class _Names:
    """Replaces the project's persons' full names by their pseudonym when anonymising."""

    def __init__(self, persons: list[tuple[str, str, str]], active: bool) -> None:
        self.active = active and bool(persons)
        by_length = sorted(persons, key=lambda p: -len(p[0]))
        self.replacement = {name.casefold(): f"[{pseudonym or 'person'}]" for name, pseudonym, _ in by_length}
        self.pattern = re.compile(
            r"(?<!\w)(" + "|".join(re.escape(name) for name, _, _ in by_length) + r")(?!\w)", re.IGNORECASE
        ) if self.active else None

    def __call__(self, text: str) -> str:
        if not self.pattern:
            return text
        return self.pattern.sub(lambda m: self.replacement[m.group(0).casefold()], text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _chosen_codebooks(session: Session, project: Project, keys: list[str] | None) -> list[Codebook]:
    books = list_project_codebooks(session, project)
    if not keys:
        return books
    known = {b.key for b in books}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise Refused(f"project '{project.name}' has no codebook {', '.join(repr(k) for k in unknown)} "
                      f"(it has: {', '.join(b.key for b in books) or 'none'})")
    wanted = set(keys)
    return [b for b in books if b.key in wanted]


def _turns(session: Session, version_ids: set[int]) -> dict[int, list[_TurnRow]]:
    out: dict[int, list[_TurnRow]] = defaultdict(list)
    if not version_ids:
        return out
    stmt = (
        select(Turn.text_version_id, Turn.ordinal, Turn.start, Turn.end, Speaker.role, Speaker.label, Person.name,
               Person.pseudonym, Person.role)
        .outerjoin(Speaker, Turn.speaker_id == Speaker.id)
        .outerjoin(Person, Speaker.person_id == Person.id)
        .where(Turn.text_version_id.in_(version_ids))
        .order_by(Turn.text_version_id, Turn.start)
    )
    for version_id, *rest in session.execute(stmt):
        out[version_id].append(_TurnRow(*rest))
    return out


def _reference(turns: list[_TurnRow], starts: list[int], title: str, start: int, end: int, anonymise: bool,
               page: int | None = None) -> str:
    """'respondent (A-R1) · interview title · turn 3 · characters 120–180'; a PDF's paragraph (no speaker) is
    'plan · p. 2 · ¶5 · characters 120–180'."""
    first = max(bisect_right(starts, start) - 1, 0)
    hit = [t for t in takewhile(lambda t: t.start < end, turns[first:]) if start < t.end]
    if not hit and turns:
        hit = [turns[first]]
    parts: list[str] = []
    speakers = list(dict.fromkeys(
        speaker_reference(t.role, person_role=t.person_role, name=t.name, pseudonym=t.pseudonym, label=t.label,
                          anonymise=anonymise)
        for t in hit if t.role is not None
    ))
    if speakers:
        parts.append(" / ".join(speakers))
    parts.append(title)
    if hit or page is not None:
        speaker = next((t.label for t in hit if t.role is not None), None)
        parts.append(quote_citation(hit[0].ordinal if hit else None, speaker, page=page,
                                    last_turn=hit[-1].ordinal if hit else None))
    parts.append(f"characters {start}–{end}")
    return " · ".join(parts)


def case_quotes(
    session: Session, case: Case, codes: list[Code], titles: dict[int, str], *, anonymise: bool = False,
) -> dict[int, list[Quote]]:
    """{code id: quotes in document and text order}; one quote per span, listing every coder of it."""
    doc_ids = set(titles)
    code_ids = {c.id for c in codes}
    if not doc_ids or not code_ids:
        return {}
    stmt = (
        select(Coding.code_id, Segment.document_id, Segment.text_version_id, Segment.start, Segment.end, Coder.name,
               func.substr(TextVersion.text, Segment.start + 1, Segment.end - Segment.start))
        .join(Segment, Coding.segment_id == Segment.id)
        .join(Coder, Segment.coder_id == Coder.id)
        .join(TextVersion, Segment.text_version_id == TextVersion.id)
        .where(Segment.document_id.in_(doc_ids), Coding.code_id.in_(code_ids))
    )
    rows = session.execute(stmt).all()
    turns = _turns(session, {r[2] for r in rows})
    pages = page_starts(session, (r[2] for r in rows))  # a PDF's page starts
    starts = {v: [t.start for t in ts] for v, ts in turns.items()}
    order = {d: i for i, d in enumerate(sorted(doc_ids, key=lambda d: (titles[d].casefold(), titles[d])))}
    grouped: dict[tuple[int, int, int, int, int], Quote] = {}
    for code_id, doc_id, version_id, start, end, coder, text in rows:
        key = (code_id, doc_id, version_id, start, end)
        quote = grouped.get(key)
        if quote is None:
            reference = _reference(turns.get(version_id, []), starts.get(version_id, []), titles[doc_id], start, end,
                                   anonymise, page_at(pages.get(version_id), start))
            quote = grouped[key] = Quote(doc_id, titles[doc_id], start, end, text or "", reference)
        if coder not in quote.coders:
            quote.coders.append(coder)
    out: dict[int, list[Quote]] = defaultdict(list)
    for (code_id, *_), quote in sorted(grouped.items(), key=lambda kv: (order[kv[0][1]], kv[0][3], kv[0][4], kv[0][2])):
        quote.coders.sort(key=str.casefold)
        out[code_id].append(quote)
    return out


def _method_facts(session: Session, case: Case, documents: list[Document], anonymise: bool) -> dict:
    doc_ids = [d.id for d in documents]
    kinds: dict[str, int] = {}
    for d in documents:
        kinds[d.kind] = kinds.get(d.kind, 0) + 1
    interviewees: dict[object, str] = {}
    coders: list[tuple[str, int]] = []
    if doc_ids:
        stmt = (
            select(Speaker.id, Speaker.role, Speaker.label, Person.id, Person.name, Person.pseudonym, Person.role)
            .outerjoin(Person, Speaker.person_id == Person.id)
            .where(Speaker.document_id.in_(doc_ids), Speaker.role.in_(INTERVIEWEE_ROLES))
            .order_by(Speaker.id)
        )
        for speaker_id, role, label, person_id, name, pseudonym, person_role in session.execute(stmt):
            key = ("person", person_id) if person_id is not None else ("speaker", speaker_id)
            interviewees.setdefault(key, speaker_reference(role, person_role=person_role, name=name,
                                                           pseudonym=pseudonym, label=None if anonymise else label,
                                                           anonymise=anonymise))
        coders = [(name, n) for name, n in session.execute(
            select(Coder.name, func.count(Segment.id)).join(Segment, Segment.coder_id == Coder.id)
            .where(Segment.document_id.in_(doc_ids)).group_by(Coder.name)
        )]
        coders.sort(key=lambda c: (c[0].casefold(), c[0]))
    return {"kinds": kinds, "interviewees": list(interviewees.values()), "coders": coders}


def build_case_report(
    session: Session,
    project: Project,
    case: Case,
    *,
    codebook_keys: list[str] | None = None,
    anonymise: bool = False,
    language: str = "en",
) -> bytes:
    """The within-case report of `case` as .docx bytes (see the module docstring)."""
    if case.project_id != project.id:
        raise Refused(f"case '{case.name}' is not in project '{project.name}'")
    books = _chosen_codebooks(session, project, codebook_keys)
    documents = list_documents(session, project, case)
    persons = [(p.name, p.pseudonym, p.role)
               for p in session.scalars(select(Person).where(Person.project_id == project.id))]
    names = _Names(persons, anonymise)
    titles: dict[int, str] = {}
    counters: dict[str, int] = {}
    for d in documents:
        if anonymise:
            counters[d.kind] = counters.get(d.kind, 0) + 1
            titles[d.id] = f"{d.kind} {counters[d.kind]}"
        else:
            titles[d.id] = d.title
    trees = [(book, code_tree(book)) for book in books]
    all_codes = [row.code for _, rows in trees for row in rows]
    quotes = case_quotes(session, case, all_codes, titles, anonymise=anonymise)
    facts = _method_facts(session, case, documents, anonymise)

    doc = new_document()
    doc.core_properties.title = xml_safe(f"Within-case report: {case.name}")
    doc.core_properties.author = "Kruispunt"
    doc.add_heading(xml_safe(f"Within-case report: {case.name}"), level=0)
    doc.add_paragraph().add_run(xml_safe(f"Project: {project.name}")).italic = True
    if case.description:
        doc.add_paragraph(xml_safe(names(case.description)))

    kinds = ", ".join(_plural(n, kind) for kind, n in sorted(facts["kinds"].items()))
    interviewees = facts["interviewees"]
    method = [
        f"Documents: {len(documents)}" + (f" ({kinds})" if kinds else ""),
        f"interviewees: {len(interviewees)}" + (f" ({'; '.join(interviewees)})" if interviewees else ""),
        "coders: " + (", ".join(f"{name} ({_plural(n, 'segment')})" for name, n in facts["coders"]) or "none"),
        "codebooks: " + (", ".join(f"{b.name_en or b.key} ({b.key}) v{b.version}" for b in books) or "none"),
    ]
    doc.add_heading("Method", level=1)
    doc.add_paragraph(xml_safe("; ".join(method) + "."))
    note = ("Quotes are the coded spans as stored; a reference gives the speaker, document, turn (¶ for a "
            "paragraph without a speaker, after a PDF's page: p. 3 · ¶5) and the span's "
            "character offsets (code points, end exclusive) in the text version it was coded on. "
            "Codes switched off in the project are left out unless they hold segments of this case.")
    if anonymise:
        note += (" Anonymised: speakers by role and pseudonym, documents by kind and number, persons' full names "
                 "replaced by their pseudonym; other identifying details in quotes are not removed.")
    doc.add_paragraph().add_run(note).italic = True

    for book, rows in trees:
        doc.add_heading(xml_safe(f"{book.name_en or book.key} ({book.key} v{book.version})"), level=1)
        holding = {row.path for row in rows if quotes.get(row.code.id)}
        for row in rows:
            code = row.code
            has_quotes = any(path == row.path or path.startswith(row.path + "/") for path in holding)
            if not code.enabled and not has_quotes:
                continue
            level = min(row.depth + 2, MAX_HEADING_LEVEL)
            doc.add_heading(xml_safe(f"{code_label(code, language)} ({code.key})"), level=level)
            code_quotes = quotes.get(code.id, [])
            if not code_quotes:
                if code.codable:
                    doc.add_paragraph().add_run(NO_SEGMENTS).italic = True
                continue
            for quote in code_quotes:
                doc.add_paragraph(xml_safe(names(quote.text)), style="Quote")
                reference = quote.reference + " · coded by " + ", ".join(quote.coders)
                run = doc.add_paragraph().add_run(xml_safe(names(reference)))
                run.italic = True
                run.font.size = Pt(9)

    by_guid = {str(d.guid): titles[d.id] for d in documents}
    add_stories_chapter(doc, session, project, case=case, reach_cases=False, authors=not anonymise,
                        clean=lambda t: xml_safe(names(t)),
                        document=lambda step: by_guid.get(step.document_guid, "a document outside this case"
                                                          if anonymise else step.document))
    _memo_section(doc, session, project, case, titles, names, anonymise, language)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


_MEMO_SECTIONS = (("case", "Case memos"), ("document", "Document memos"), ("segment", "Segment memos"))


def _memo_section(doc, session: Session, project: Project, case: Case,  # type: ignore[no-untyped-def]
                  titles: dict[int, str], names: _Names, anonymise: bool, language: str) -> None:
    memos = memo_views(session, project, case=case, language=language)
    doc.add_heading("Memos", level=1)
    for kind, heading in _MEMO_SECTIONS:
        doc.add_heading(heading, level=2)
        mine = [m for m in memos if m.target == kind]
        if not mine:
            doc.add_paragraph().add_run("none").italic = True
            continue
        for memo in mine:
            write_memo(doc, memo, target=_memo_target(memo, titles, anonymise), clean=names)


def _memo_target(memo: MemoView, titles: dict[int, str], anonymise: bool) -> str:
    if memo.target == "document" and memo.document_id in titles:
        return titles[memo.document_id]
    if memo.target == "segment" and memo.document_id in titles:
        return f"{titles[memo.document_id]}, characters {memo.segment_start}–{memo.segment_end}: “{memo.excerpt}”"
    return memo.target_name


def write_memo(doc, memo: MemoView, *, target: str | None = None,  # type: ignore[no-untyped-def]
               with_target: bool = True, clean=lambda s: s) -> None:
    """One memo: its text as plain paragraphs, then 'author · date · on target' in small italics."""
    for line in (memo.text.split("\n\n") if memo.text else [""]):
        doc.add_paragraph(xml_safe(clean(line)))
    meta = [memo.author or "unknown author", memo.created_at.date().isoformat()]
    if (memo.updated_at - memo.created_at).total_seconds() > 60:
        meta.append(f"edited {memo.updated_at.date().isoformat()}")
    if with_target:
        meta.append(f"on {memo.target}: {target if target is not None else memo.target_name}")
    run = doc.add_paragraph().add_run(xml_safe(clean(" · ".join(meta))))
    run.italic = True
    run.font.size = Pt(9)

