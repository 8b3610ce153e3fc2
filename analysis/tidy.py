"""The tidy coded-segments table: one row per coding, with everything a spreadsheet reader filters on.

Exports put it beside a matrix so every number can be traced to its codings: the same coder scope, document
kinds, speaker roles and attribute conditions as the matrix (`analysis.matrix_scope.Scope`), so the rows are
exactly the evidence behind the counts. One query; the speaker is the speaker of the turn holding the
segment's start (as on the Retrieve page and in the matrix), and `speaker_key` is the key the anonymiser
numbers ("Respondent 3").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.matrix_scope import Scope, scope_conditions
from analysis.matrix_source import facts_scope_conditions, facts_serve, speakers_by_id
from cases.documents import document_case_names, document_titles, page_at, texts_and_pages, turn_number
from codebooks.service import code_label, get_codebook
from coding.retrieval import SPEAKER_KEY, TURN_OF_SEGMENT
from store.bulk import driver_rows
from store.matrix_facts import FACT
from store.models import (
    Code, Codebook, Coder, Coding, Document, Person, Project, Segment, Speaker, Turn,
    dashed_guid, guid_text,
)


DOCUMENTS_PER_QUERY = 20  # documents whose codings are read, sorted and handed on at a time


@dataclass
class TidyCoding:
    cases: list[str]
    document: str
    document_guid: str
    coder: str
    codebook: str
    code: str
    code_label: str
    start: int
    end: int
    turn: int | None
    role: str
    speaker: str | None  # the label as written in the transcript (may be a name)
    pseudonym: str | None
    speaker_key: int | None  # person id, or -speaker id: what the anonymiser numbers
    text: str
    segment: str
    page: int | None = None  # a PDF's page the segment starts on; None for a transcript

    def as_dict(self) -> dict:
        return {"cases": self.cases, "document": self.document, "coder": self.coder, "codebook": self.codebook,
                "code": self.code, "code_label": self.code_label, "start": self.start, "end": self.end,
                "turn": turn_number(self.turn), "turn_ordinal": self.turn, "page": self.page, "role": self.role,
                "speaker": self.pseudonym or self.speaker, "text": self.text, "segment": self.segment}


def tidy_codings(session: Session, project: Project, *, codebooks: list[str] | None = None,
                 scope: Scope | None = None, language: str = "en", read_path: str = "auto") -> list[TidyCoding]:
    """Every in-scope coding (of the named codebooks, or all), in document, position and codebook order.

    `scope` None means every coder's codings, unfiltered; pass a matrix's scope to get that matrix's evidence.
    """
    return list(iter_tidy_codings(session, project, codebooks=codebooks, scope=scope, language=language,
                                  read_path=read_path))


def iter_tidy_codings(session: Session, project: Project, *, codebooks: list[str] | None = None,
                      scope: Scope | None = None, language: str = "en",
                      documents_per_query: int = DOCUMENTS_PER_QUERY, read_path: str = "auto") -> Iterator[TidyCoding]:
    """`tidy_codings` a group of documents at a time, in the order of their titles, so an export holds one group's
    rows, not every coding of the project. Read from the matrices' read path where it serves (`read_path` as for
    `build_matrix`): its rows carry the quote, the turn and the page, so no text is read and sliced."""
    books = ([get_codebook(session, project, key) for key in codebooks] if codebooks
             else session.scalars(select(Codebook).where(Codebook.project_id == project.id)).all())
    codes = {code.id: (book.id, book.key, code.position, code.key, code_label(code, language))
             for book in books for code in session.scalars(select(Code).where(Code.codebook_id == book.id))}
    documents = document_titles(session, project)
    coders = dict(session.execute(select(Coder.id, Coder.name).where(Coder.project_id == project.id)).all())
    case_names = document_case_names(session, project)
    ordered = sorted(documents, key=lambda d: (documents[d][0].casefold(), documents[d][0]))  # titles are unique
    groups = [ordered[k:k + documents_per_query] for k in range(0, len(ordered), documents_per_query)]
    read = (_from_facts if facts_serve(session, project, scope, read_path, what="the tidy table")
            else _from_tables)(session, project, scope, [book.id for book in books], sorted(codes))
    for ids in groups:
        rows = []
        for (guid, doc_id, coder_id, code_id, start, end, turn, role, label, pseudonym, speaker_key, text,
             page) in read(ids):
            book_id, book_key, position, key, code_text = codes[code_id]
            title, doc_guid = documents[doc_id]
            rows.append((book_id, position, TidyCoding(
                cases=case_names.get(doc_id, []), document=title, document_guid=doc_guid, coder=coders[coder_id],
                codebook=book_key, code=key, code_label=code_text, start=start, end=end,
                turn=turn, role=role or "unknown", speaker=label, pseudonym=pseudonym or None,
                speaker_key=speaker_key, text=text, segment=guid, page=page)))
        rows.sort(key=lambda r: (r[2].document.casefold(), r[2].document, r[2].start, r[2].end, r[0], r[1],
                                 r[2].code, r[2].coder.casefold(), r[2].coder))
        for row in rows:
            yield row[2]


Read = Callable[[list[int]], Iterable[tuple]]  # document ids -> (guid, document, coder, code, start, end, turn,
# role, label, pseudonym, speaker key, text, page) per coding


def _from_facts(session: Session, project: Project, scope: Scope | None, book_ids: list[int],
                code_ids: list[int]) -> Read:
    """A coding has a row per case of its document there: each is taken once."""
    stmt = (select(FACT.coding_id, FACT.segment_guid, FACT.document_id, FACT.coder_id, FACT.code_id, FACT.start,
                   FACT.end, FACT.turn, FACT.speaker_id, FACT.text, FACT.page)
            .where(FACT.codebook_id.in_(book_ids), (FACT.code_id + 0).in_(code_ids)))
    if scope is not None:
        stmt = stmt.where(*facts_scope_conditions(session, project, scope))
    speakers = speakers_by_id(session, project)
    nobody = ("unknown", None, None, None)

    def read(ids: list[int]) -> Iterator[tuple]:
        seen: set[int] = set()
        for coding_id, guid, doc_id, coder_id, code_id, start, end, turn, speaker_id, text, page in driver_rows(
                session, stmt.where(FACT.document_id.in_(ids))):
            if coding_id not in seen:
                seen.add(coding_id)
                yield (guid, doc_id, coder_id, code_id, start, end, turn, *speakers.get(speaker_id, nobody), text,
                       page)
    return read


def _from_tables(session: Session, project: Project, scope: Scope | None, book_ids: list[int],
                 code_ids: list[int]) -> Read:
    """Plain columns only: each code, document and coder is resolved once, not loaded with every row; each text is
    read once per group of documents and sliced here."""
    stmt = (select(guid_text(Segment.guid), Segment.document_id, Segment.coder_id, Coding.code_id, Segment.start,
                   Segment.end, Turn.ordinal, Speaker.role, Speaker.label, Person.pseudonym, SPEAKER_KEY,
                   Segment.text_version_id)
            .select_from(Coding)
            .join(Segment, Coding.segment_id == Segment.id)
            .join(Document, Segment.document_id == Document.id)
            .outerjoin(Turn, TURN_OF_SEGMENT)
            .outerjoin(Speaker, Turn.speaker_id == Speaker.id)
            .outerjoin(Person, Speaker.person_id == Person.id)
            .where(Document.project_id == project.id, (Coding.code_id + 0).in_(code_ids)))  # see matrix
    if scope is not None:
        stmt = stmt.where(*scope_conditions(session, project, scope))

    def read(ids: list[int]) -> Iterator[tuple]:
        found = session.execute(stmt.where(Segment.document_id.in_(ids))).all()
        texts = texts_and_pages(session, (r[-1] for r in found))
        for *row, version_id in found:
            start = row[4]
            text, pages = texts[version_id]
            yield (dashed_guid(row[0]), *row[1:], text[start:row[5]], page_at(pages, start))
    return read
