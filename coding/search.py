"""Text search across transcripts, lemma-aware for nl/de/en, with keyword-in-context hits.

Words are found with a regular expression (no spaCy pipeline per word); each
distinct word form is lemmatised once through spaCy's lookup tables
(`cases.nlp.lemmatise`), after the project's own lemma pairs, which win where
the tables miss a form (nl `geleerd` -> `leren`). A query word matches a text
word when their lemmas are equal after casefolding, so `leren` finds `leerden`
and `leerde`. A query of several words matches the same number of consecutive
words inside one turn, with nothing but spaces or light punctuation between
them (no sentence end).

A word's language is its turn's language (turns in another language than the
document are tagged at import), else the document's. Only turn content is
searched, never speaker labels. Offsets are code points in the current text
version. The word index of a text version is immutable and kept in a small
per-process cache keyed by the version's guid; lemma pairs are applied at
query time, so adding one needs no cache invalidation.
"""

from __future__ import annotations

import re
import threading
import uuid
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.documents import turn_number
from cases.language import SUPPORTED_LANGUAGES
from cases.nlp import lemmatise
from cases.projects import find_case, get_document, get_or_create_coder
from coding.codings import apply_coding
from store.errors import Refused
from store.events import record_event
from store.models import (
    Case,
    CaseDocument,
    Code,
    Coding,
    Document,
    LemmaPair,
    Project,
    Segment,
    Sentence,
    Speaker,
    TextVersion,
    Turn,
)

CONTEXT_CHARS = 60
# Letters and digits (not "_"), with combining marks, joined by an inner apostrophe (zo'n, auto's, it's).
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_LETTERS = rf"[^\W_](?:[^\W_]|[{_MARKS}])*"
_WORD = re.compile(rf"{_LETTERS}(?:['’]{_LETTERS})*")
_SENTENCE_BREAK = re.compile(r"[.!?;:…\n]")
CODE_UNITS = ("match", "sentence", "turn")


def words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) for every word of the text, offsets in code points."""
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


@dataclass
class Hit:
    document: str
    document_guid: uuid.UUID
    cases: list[str]
    start: int
    end: int
    text: str
    left: str
    right: str
    turn: int | None
    speaker: str | None
    role: str
    sentence_start: int
    sentence_end: int
    turn_start: int  # the turn's content (without the speaker label)
    turn_end: int
    text_version: int

    @property
    def case(self) -> str | None:
        return self.cases[0] if self.cases else None

    def as_dict(self) -> dict:
        return {"document": self.document, "document_guid": str(self.document_guid), "case": self.case,
                "start": self.start, "end": self.end, "text": self.text, "left": self.left, "right": self.right,
                "turn": turn_number(self.turn), "turn_ordinal": self.turn, "speaker": self.speaker, "role": self.role}

    @property
    def ref(self) -> str:
        """A stable reference to this hit (document guid, start, end) for selections across reruns."""
        return f"{self.document_guid}:{self.start}:{self.end}"


# --- the per-version word index -------------------------------------------------------------------

@dataclass
class _Unit:
    ordinal: int
    content_start: int
    end: int
    speaker: str | None
    role: str
    language: str | None


@dataclass
class _Index:
    text: str
    starts: array
    ends: array
    forms: list[str]  # distinct word forms as written
    form_of: array  # token -> form id
    postings: dict[int, array]  # form id -> token indexes
    unit_of: array  # token -> unit index (-1 outside turns)
    units: list[_Unit]
    sentences: list[tuple[int, int]]


_CACHE_SIZE = 128
_cache: OrderedDict[uuid.UUID, _Index] = OrderedDict()
_cache_lock = threading.Lock()


def _index(text: str, units: list[_Unit], sentences: list[tuple[int, int]]) -> _Index:
    form_ids: dict[str, int] = {}
    forms: list[str] = []
    starts, ends, form_of, unit_of = array("l"), array("l"), array("l"), array("l")
    postings: dict[int, array] = {}
    for u_index, unit in enumerate(units):
        for m in _WORD.finditer(text, unit.content_start, unit.end):
            word = m.group()
            fid = form_ids.get(word)
            if fid is None:
                fid = form_ids[word] = len(forms)
                forms.append(word)
                postings[fid] = array("l")
            postings[fid].append(len(starts))
            starts.append(m.start())
            ends.append(m.end())
            form_of.append(fid)
            unit_of.append(u_index)
    return _Index(text, starts, ends, forms, form_of, postings, unit_of, units, sentences)


def _cached(version_guid: uuid.UUID) -> _Index | None:
    with _cache_lock:
        found = _cache.get(version_guid)
        if found is not None:
            _cache.move_to_end(version_guid)
        return found


def _remember(version_guid: uuid.UUID, index: _Index) -> None:
    with _cache_lock:
        _cache[version_guid] = index
        _cache.move_to_end(version_guid)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _load_indexes(session: Session, versions: dict[int, uuid.UUID]) -> dict[int, _Index]:
    """The word index of each text version (id -> guid): cached ones as they are, the others in three queries."""
    out: dict[int, _Index] = {}
    missing = {}
    for vid, vguid in versions.items():
        found = _cached(vguid)
        if found is None:
            missing[vid] = vguid
        else:
            out[vid] = found
    if not missing:
        return out
    ids = list(missing)
    texts = dict(session.execute(select(TextVersion.id, TextVersion.text).where(TextVersion.id.in_(ids))).all())
    units: dict[int, list[_Unit]] = {vid: [] for vid in ids}
    for vid, ordinal, content_start, end, label, role, lang in session.execute(
        select(Turn.text_version_id, Turn.ordinal, Turn.content_start, Turn.end, Speaker.label, Speaker.role,
               Turn.language)
        .outerjoin(Speaker, Turn.speaker_id == Speaker.id)
        .where(Turn.text_version_id.in_(ids))
    ):
        units[vid].append(_Unit(ordinal, content_start, end, label, role or "unknown", lang))
    sentences: dict[int, list[tuple[int, int]]] = {vid: [] for vid in ids}
    for vid, start, end in session.execute(
        select(Sentence.text_version_id, Sentence.start, Sentence.end).where(Sentence.text_version_id.in_(ids))
    ):
        sentences[vid].append((start, end))
    for vid in ids:
        text = texts[vid]
        turn_units = sorted(units[vid], key=lambda u: u.ordinal)
        if not turn_units:  # no turns stored: the whole text is one unit
            turn_units = [_Unit(-1, 0, len(text), None, "unknown", None)]
        index = _index(text, turn_units, sorted(sentences[vid]))
        _remember(missing[vid], index)
        out[vid] = index
    return out


# --- lemmas ---------------------------------------------------------------------------------------

@lru_cache(maxsize=200_000)
def _table_lemma(word: str, language: str) -> str:
    return lemmatise([word], language)[0].casefold()


def _lemma_key(word: str, language: str | None, pairs: dict[str, dict[str, str]], lemma: bool) -> str:
    folded = word.casefold()
    if not lemma:
        return folded
    if language in SUPPORTED_LANGUAGES:
        own = pairs.get(language, {}).get(folded)
        if own is not None:
            return own
        return _table_lemma(word, language)
    return folded


def project_lemma_pairs(session: Session, project: Project) -> dict[str, dict[str, str]]:
    """{language: {form: lemma}} of the project's own pairs, casefolded (search and suggestions share them)."""
    out: dict[str, dict[str, str]] = {}
    for language, form, lemma in session.execute(
        select(LemmaPair.language, LemmaPair.form, LemmaPair.lemma).where(LemmaPair.project_id == project.id)
    ):
        out.setdefault(language, {})[form.casefold()] = lemma.casefold()
    return out


# --- lemma pairs ----------------------------------------------------------------------------------

def _one_word(value: str, what: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise Refused(f"the {what} is empty")
    found = words(value)
    if len(found) != 1 or found[0][2] != value:
        raise Refused(f"the {what} must be one word, not '{value}'")
    return value


def add_lemma_pair(session: Session, project: Project, language: str, form: str, lemma: str, *,
                   actor: str = "system") -> LemmaPair:
    """The project's own form -> lemma for one language (replaces an earlier lemma for the same form)."""
    if language not in SUPPORTED_LANGUAGES:
        raise Refused(f"lemma pairs are for {', '.join(SUPPORTED_LANGUAGES)}, not '{language}'")
    form = _one_word(form, "word form").casefold()
    lemma = _one_word(lemma, "lemma").casefold()
    pair = session.scalar(select(LemmaPair).where(LemmaPair.project_id == project.id, LemmaPair.language == language,
                                                  LemmaPair.form == form))
    before = None
    if pair is None:
        pair = LemmaPair(project_id=project.id, language=language, form=form, lemma=lemma)
        session.add(pair)
        action = "create"
    else:
        if pair.lemma == lemma:
            return pair
        before = {"language": language, "form": form, "lemma": pair.lemma}
        pair.lemma = lemma
        action = "update"
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action=action, entity="lemma_pair",
                 entity_guid=pair.guid, before=before, after={"language": language, "form": form, "lemma": lemma})
    return pair


def list_lemma_pairs(session: Session, project: Project) -> list[LemmaPair]:
    pairs = session.scalars(select(LemmaPair).where(LemmaPair.project_id == project.id))
    return sorted(pairs, key=lambda p: (p.language, p.form, p.lemma))


def remove_lemma_pair(session: Session, project: Project, language: str, form: str, *, actor: str = "system") -> None:
    pair = session.scalar(select(LemmaPair).where(LemmaPair.project_id == project.id, LemmaPair.language == language,
                                                  LemmaPair.form == form.strip().casefold()))
    if pair is None:
        raise Refused(f"project '{project.name}' has no {language} lemma pair for '{form}'")
    record_event(session, project_guid=project.guid, actor=actor, action="delete", entity="lemma_pair",
                 entity_guid=pair.guid, before={"language": pair.language, "form": pair.form, "lemma": pair.lemma})
    session.delete(pair)
    session.flush()


# --- search ---------------------------------------------------------------------------------------

def search_text(
    session: Session,
    project: Project,
    query: str,
    *,
    lemma: bool = True,
    case: str | None = None,
    document: str | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """Keyword-in-context hits of `query` in the current text of the project's documents (or of one case or
    document), ordered by document title and position. `lemma=False` matches word forms (casefolded) only."""
    query_words = [w for _, _, w in words(query)]
    if not query_words:
        raise Refused("type a word to search for")
    stmt = (select(Document.id, Document.title, Document.guid, Document.language, TextVersion.id, TextVersion.guid,
                   TextVersion.version)
            .join(TextVersion, (TextVersion.document_id == Document.id)
                  & (TextVersion.version == Document.current_version))
            .where(Document.project_id == project.id))
    if case is not None:
        found = find_case(session, project, case)
        if found is None:
            raise Refused(f"project '{project.name}' has no case '{case}'")
        stmt = stmt.where(Document.id.in_(select(CaseDocument.document_id).where(CaseDocument.case_id == found.id)))
    if document is not None:
        stmt = stmt.where(Document.id == get_document(session, project, document).id)
    docs = sorted(session.execute(stmt).all(), key=lambda d: (d[1].casefold(), d[1], str(d[2])))
    if not docs:
        return []
    pairs = project_lemma_pairs(session, project) if lemma else {}
    indexes = _load_indexes(session, {d[4]: d[5] for d in docs})
    case_names = _case_names(session, [d[0] for d in docs])

    hits: list[Hit] = []
    for doc_id, title, doc_guid, doc_language, version_id, _vguid, version in docs:
        index = indexes[version_id]
        for i, n in _matches(index, query_words, doc_language, pairs, lemma):
            hits.append(_hit(index, i, n, title, doc_guid, case_names.get(doc_id, []), version))
            if limit is not None and len(hits) >= limit:
                return hits
    return hits


def _matches(index: _Index, query: list[str], doc_language: str | None, pairs: dict[str, dict[str, str]],
             lemma: bool) -> list[tuple[int, int]]:
    """(first token, number of tokens) of every match, in text order."""
    languages = {u.language or doc_language for u in index.units}
    wanted = {lang: [_lemma_key(w, lang, pairs, lemma) for w in query] for lang in languages}
    key_cache: dict[tuple[int, str | None], str] = {}

    def key(token: int) -> str:
        fid = index.form_of[token]
        lang = index.units[index.unit_of[token]].language or doc_language
        k = key_cache.get((fid, lang))
        if k is None:
            k = key_cache[(fid, lang)] = _lemma_key(index.forms[fid], lang, pairs, lemma)
        return k

    first_keys = {keys[0] for keys in wanted.values()}
    candidates: list[int] = []
    for fid, form in enumerate(index.forms):
        if any(_lemma_key(form, lang, pairs, lemma) in first_keys for lang in languages):
            candidates.extend(index.postings[fid])
    candidates.sort()
    n = len(query)
    out = []
    for i in candidates:
        lang = index.units[index.unit_of[i]].language or doc_language
        keys = wanted[lang]
        if key(i) != keys[0] or i + n > len(index.starts):
            continue
        ok = True
        for j in range(1, n):
            t = i + j
            if (index.unit_of[t] != index.unit_of[i] or key(t) != keys[j]
                    or _SENTENCE_BREAK.search(index.text, index.ends[t - 1], index.starts[t])):
                ok = False
                break
        if ok:
            out.append((i, n))
    return out


def _hit(index: _Index, i: int, n: int, title: str, doc_guid: uuid.UUID, cases: list[str], version: int) -> Hit:
    text = index.text
    start, end = index.starts[i], index.ends[i + n - 1]
    unit = index.units[index.unit_of[i]]
    left_from = max(unit.content_start, start - CONTEXT_CHARS)
    right_to = min(unit.end, end + CONTEXT_CHARS)
    # Do not cut a word in half at the far edges of the context.
    while left_from > unit.content_start and left_from < start and not text[left_from - 1].isspace():
        left_from += 1
    while right_to < unit.end and right_to > end and not text[right_to].isspace():
        right_to -= 1
    s_start, s_end = next(((a, b) for a, b in index.sentences if a <= start < b), (unit.content_start, unit.end))
    return Hit(document=title, document_guid=doc_guid, cases=cases, start=start, end=end, text=text[start:end],
               left=text[left_from:start], right=text[end:right_to], turn=unit.ordinal if unit.ordinal >= 0 else None,
               speaker=unit.speaker, role=unit.role, sentence_start=s_start, sentence_end=max(s_end, end),
               turn_start=unit.content_start, turn_end=unit.end, text_version=version)


def _case_names(session: Session, doc_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for doc_id, name in session.execute(
        select(CaseDocument.document_id, Case.name).join(Case, Case.id == CaseDocument.case_id)
        .where(CaseDocument.document_id.in_(doc_ids))
    ):
        out.setdefault(doc_id, []).append(name)
    for names in out.values():
        names.sort(key=lambda n: (n.casefold(), n))
    return out


# --- coding hits directly -------------------------------------------------------------------------

@dataclass
class HitCodingResult:
    created: int
    skipped: int  # spans this coder had already coded with these codes


def hit_span(hit: Hit, unit: str) -> tuple[int, int]:
    if unit == "match":
        return hit.start, hit.end
    if unit == "sentence":
        return hit.sentence_start, hit.sentence_end
    if unit == "turn":
        return hit.turn_start, hit.turn_end
    raise Refused(f"code a hit as one of: {', '.join(CODE_UNITS)} (not '{unit}')")


def code_hits(session: Session, project: Project, hits: list[Hit], code_keys: list[str], *, coder: str,
              unit: str = "match", actor: str | None = None) -> HitCodingResult:
    """Code search hits (the match, its sentence or its turn) in one transaction: one segment per distinct span,
    skipping spans this coder already coded with exactly these codes."""
    if not hits:
        raise Refused("choose at least one hit to code")
    if not code_keys:
        raise Refused("no code given")
    coder_name = coder.strip()
    if not coder_name:
        raise Refused("say who you are (coder name) before coding")
    who, _created = get_or_create_coder(session, project, coder_name, actor=actor or coder_name)
    doc_guids = {h.document_guid for h in hits}
    documents = {d.guid: d for d in session.scalars(
        select(Document).where(Document.project_id == project.id, Document.guid.in_(doc_guids)))}
    spans: dict[tuple[uuid.UUID, int, int], Hit] = {}
    for hit in hits:
        doc = documents.get(hit.document_guid)
        if doc is None:
            raise Refused(f"project '{project.name}' has no document '{hit.document}'")
        if doc.current_version != hit.text_version:
            raise Refused(f"document '{hit.document}' changed since the search; search again")
        start, end = hit_span(hit, unit)
        spans.setdefault((hit.document_guid, start, end), hit)
    wanted_codes = set(dict.fromkeys(code_keys))
    existing: dict[tuple[int, int, int], set[str]] = {}
    for doc_id, start, end, key in session.execute(
        select(Segment.document_id, Segment.start, Segment.end, Code.key)
        .join(Coding, Coding.segment_id == Segment.id).join(Code, Coding.code_id == Code.id)
        .join(TextVersion, Segment.text_version_id == TextVersion.id)
        .join(Document, Segment.document_id == Document.id)
        .where(Segment.coder_id == who.id, Segment.document_id.in_([d.id for d in documents.values()]),
               TextVersion.version == Document.current_version)
    ):
        existing.setdefault((doc_id, start, end), set()).add(key)
    created = skipped = 0
    for (doc_guid, start, end) in sorted(spans, key=lambda s: (str(s[0]), s[1], s[2])):
        doc = documents[doc_guid]
        if wanted_codes <= existing.get((doc.id, start, end), set()):
            skipped += 1
            continue
        apply_coding(session, project, doc, who, start, end, list(dict.fromkeys(code_keys)),
                     actor=actor or coder_name)
        created += 1
    return HitCodingResult(created, skipped)
