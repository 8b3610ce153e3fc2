"""Auto-code suggestions: indicator terms matched on lemmas, offered sentence by sentence.

A code may carry indicator terms per language (`CodeIndicator`, adopted with the
codebook). `suggest_codings` tokenises every stored sentence of a document with
the blank spaCy pipeline of the sentence's language, gives each token its lookup
lemma (`cases.nlp.lemmatise`, overridden by the project's own `LemmaPair`s), and
runs a `PhraseMatcher(attr="LEMMA")` whose patterns are the indicator terms,
lemmatised the same way, so the term "leren" finds "leerden". Each suggestion is
the whole sentence that holds the match: sentences lie inside a turn's content,
so a speaker label is never part of one.

The lookup tables miss many plural and verb forms (nl "contacten", "tips",
"vertrouwde"), so a word the table does not know is also tried without a
common inflection ending; this can only ever map it onto a word that is an
indicator term, never onto anything else. A term written with a leading "*"
("*bijeenkomst") also matches as the last part of a compound
("netwerkbijeenkomst"), for Dutch and German compounding.

Suggesting writes nothing. `accept_suggestions` codes the chosen suggestions
through `apply_coding(origin="suggestion", matched_term=...)`, so the coding
records who accepted it and why; a rejected suggestion is simply not applied.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.documents import TurnView, current_text_version, turns_with_sentences
from cases.language import SUPPORTED_LANGUAGES
from cases.nlp import lemmatise, sentence_pipeline
from coding.codings import apply_coding
from coding.rejections import rejections, sentence_hash
from coding.search import project_lemma_pairs
from store.errors import Refused
from store.models import (
    Code,
    Codebook,
    CodeIndicator,
    Coder,
    Coding,
    Document,
    Project,
    Segment,
)

TERM_SEPARATOR = "; "
COMPOUND_MARK = "*"
# Interviewers' questions are the researcher's words, not data about the case.
DEFAULT_SKIPPED_ROLES = ("interviewer",)
_MIN_COMPOUND_HEAD = 3


@dataclass(frozen=True)
class Suggestion:
    """One code proposed for one sentence; offsets are code points of the current text, end exclusive."""

    code: str
    codebook: str
    start: int
    end: int
    text: str
    matched_term: str  # the indicator terms that matched, joined by "; " (stored on the coding when accepted)
    terms: tuple[str, ...] = ()
    matches: tuple[tuple[int, int], ...] = ()  # where the matched words are, for highlighting
    language: str = ""
    turn: int | None = None
    speaker: str | None = None
    role: str = "unknown"
    text_version: int | None = None

    @property
    def key(self) -> str:
        """Stable within a text version: lets a page remember which suggestions were rejected."""
        return f"{self.code}@{self.start}-{self.end}"

    @property
    def sentence_start(self) -> int:
        return self.start

    @property
    def sentence_end(self) -> int:
        return self.end

    def as_dict(self) -> dict:
        """The CLI/JSON shape."""
        return {"code": self.code, "codebook": self.codebook, "start": self.start, "end": self.end,
                "text": self.text, "term": self.matched_term}


@dataclass
class _Indicator:
    code_id: int
    code_key: str
    codebook_key: str
    order: tuple[int, int]
    term: str  # as written, without the compound mark
    compound: bool


@dataclass
class _Found:
    indicator: _Indicator
    terms: list[str] = field(default_factory=list)
    matches: list[tuple[int, int]] = field(default_factory=list)


# --- lemmas -------------------------------------------------------------------------------------

def _endings(word: str, lang: str) -> list[str]:
    """Candidate base forms of a word the lookup table does not know (most specific first)."""
    out: list[str] = []
    if lang == "nl":
        stems: list[str] = [word]  # a bare verb stem: "ik vertrouw" -> vertrouwen
        for suffix in ("'s", "’s", "tjes", "jes", "tje", "je", "s", "en", "e", "den", "ten", "de", "te", "d", "t"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                stems.append(word[: -len(suffix)])
        if word.startswith("ge") and word.endswith(("d", "t")) and len(word) > 5:
            stems.append(word[2:-1])  # participle ge-X-d/t
        for stem in stems:
            if stem != word:
                out.append(stem)
            if len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiou":
                out.append(stem[:-1])  # bussen -> bus, belde -> bel(len)
            if len(stem) >= 2 and stem[-1] not in "aeiou" and stem[-2] in "aeiou" and (
                    len(stem) < 3 or stem[-3] not in "aeiou"):
                out.append(stem[:-1] + stem[-2] + stem[-1])  # bomen -> boom
            out.append(stem + "en")  # verb stem -> infinitive
            if len(stem) >= 3 and stem[-2] == stem[-3] and stem[-2] in "aeiou":
                out.append(stem[:-2] + stem[-1] + "en")  # leer -> leren
            if len(stem) >= 2 and stem[-1] not in "aeiou":
                out.append(stem + stem[-1] + "en")  # bel -> bellen
    elif lang == "de":
        for suffix in ("ern", "en", "er", "es", "e", "n", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                out.append(word[: -len(suffix)])
    elif lang == "en":
        for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                out.append(word[: -len(suffix)] + repl)
    return out


class _Lemmatiser:
    """Lemmas for matching: project pairs, then the lookup table, then endings/compounds onto known terms."""

    def __init__(self, lang: str, pairs: dict[str, str], vocabulary: AbstractSet[str] = frozenset(),
                 tails: AbstractSet[str] = frozenset()) -> None:
        self.lang, self.pairs, self.vocabulary, self.tails = lang, pairs, vocabulary, tails
        self.stop_words = sentence_pipeline(lang).Defaults.stop_words
        self._cache: dict[str, str] = {}

    def __call__(self, words: Sequence[str]) -> list[str]:
        todo = [w for w in dict.fromkeys(words) if w not in self._cache]
        for word, lemma in zip(todo, lemmatise(todo, self.lang)):
            self._cache[word] = self._refine(word, lemma)
        return [self._cache[w] for w in words]

    def _refine(self, word: str, lemma: str) -> str:
        low = word.lower()
        if low in self.pairs:
            return self.pairs[low]
        if not self.vocabulary or lemma in self.vocabulary or lemma != low or low in self.stop_words:
            return lemma  # a known lemma (table or term) or a function word ("met") is never second-guessed
        candidates = _endings(low, self.lang)
        for candidate in candidates:
            if candidate in self.vocabulary and candidate not in self.stop_words:
                return candidate
        for candidate in (low, *candidates):
            for tail in self.tails:
                if candidate.endswith(tail) and len(candidate) - len(tail) >= _MIN_COMPOUND_HEAD:
                    return tail
        return lemma


def _lemmatised(doc: Doc, lemmas: _Lemmatiser) -> Doc:
    for token, lemma in zip(doc, lemmas([t.text for t in doc])):
        token.lemma_ = lemma
    return doc


# --- suggesting ---------------------------------------------------------------------------------

def _indicators(session: Session, project: Project) -> dict[str, list[_Indicator]]:
    """Indicator terms of the project's codable, switched-on codes, by language, in codebook order."""
    stmt = (
        select(Code.id, Code.key, Codebook.key, Codebook.id, Code.position, CodeIndicator.language, CodeIndicator.term)
        .join(Code, Code.id == CodeIndicator.code_id)
        .join(Codebook, Codebook.id == Code.codebook_id)
        .where(Codebook.project_id == project.id, Code.codable.is_(True), Code.enabled.is_(True))
        .order_by(Codebook.id, Code.position, CodeIndicator.id)
    )
    out: dict[str, list[_Indicator]] = {}
    for code_id, code_key, book_key, book_id, position, language, term in session.execute(stmt):
        compound = term.startswith(COMPOUND_MARK)
        clean = term.lstrip(COMPOUND_MARK).strip()
        if clean:
            out.setdefault(language, []).append(
                _Indicator(code_id, code_key, book_key, (book_id, position), clean, compound and " " not in clean))
    return out


class _LanguageMatcher:
    def __init__(self, lang: str, indicators: list[_Indicator], pairs: dict[str, str]) -> None:
        self.nlp = sentence_pipeline(lang)
        plain = _Lemmatiser(lang, pairs)
        patterns = [(ind, _lemmatised(self.nlp.make_doc(ind.term), plain)) for ind in indicators]
        vocabulary = {t.lemma_ for _, doc in patterns for t in doc}
        tails = {doc[0].lemma_ for ind, doc in patterns if ind.compound and len(doc) == 1}
        self.lemmas = _Lemmatiser(lang, pairs, vocabulary, tails)
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.by_key: dict[str, _Indicator] = {}
        for index, (ind, doc) in enumerate(patterns):
            if len(doc):
                key = f"kruispunt-indicator:{lang}:{index}"
                self.by_key[key] = ind
                self.matcher.add(key, [doc])

    def find(self, sentences: list[tuple[int, str]]) -> Iterable[tuple[int, _Indicator, int, int]]:
        """(sentence index, indicator, absolute start, absolute end) for every match."""
        strings = self.nlp.vocab.strings
        for index, doc in enumerate(self.nlp.tokenizer.pipe(text for _, text in sentences)):
            offset = sentences[index][0]
            for match_id, a, b in self.matcher(_lemmatised(doc, self.lemmas)):
                span = doc[a:b]
                yield index, self.by_key[strings[match_id]], offset + span.start_char, offset + span.end_char


def suggest_codings(
    session: Session,
    project: Project,
    document: Document,
    *,
    coder: Coder | None = None,
    skip_coded: bool = True,
    skipped_roles: Collection[str] = DEFAULT_SKIPPED_ROLES,
) -> list[Suggestion]:
    """Suggestions for the document's current text, in text order; nothing is written.

    A suggestion is dropped when the same code already codes a segment overlapping its sentence
    (anyone's, or only `coder`'s when given, e.g. for blind double coding); `skip_coded=False`
    keeps them all. One that `coder` rejected earlier is dropped too. Turns of speakers with a role in
    `skipped_roles` are not searched.
    """
    if document.project_id != project.id:
        raise Refused(f"document '{document.title}' is not in project '{project.name}'")
    version = current_text_version(session, document)
    text = version.text
    by_language = _indicators(session, project)
    if not by_language:
        return []
    pairs = project_lemma_pairs(session, project)
    units: dict[str, list[tuple[int, int, TurnView]]] = {}
    for turn, sentences in turns_with_sentences(session, document):
        if turn.role in skipped_roles:
            continue
        lang = turn.language or document.language
        if lang not in SUPPORTED_LANGUAGES or lang not in by_language:
            continue
        for start, end in sentences:
            if start >= turn.content_start and end <= turn.end:
                units.setdefault(lang, []).append((start, end, turn))

    found: dict[tuple[int, int], _Found] = {}  # (code id, sentence start) -> matches
    sentence_of: dict[int, tuple[int, int, TurnView, str]] = {}
    for lang, sentences in units.items():
        matcher = _LanguageMatcher(lang, by_language[lang], pairs.get(lang, {}))
        for index, indicator, m_start, m_end in matcher.find([(s, text[s:e]) for s, e, _ in sentences]):
            s, e, turn = sentences[index]
            sentence_of[s] = (s, e, turn, lang)
            entry = found.setdefault((indicator.code_id, s), _Found(indicator))
            if indicator.term not in entry.terms:
                entry.terms.append(indicator.term)
            if (m_start, m_end) not in entry.matches:
                entry.matches.append((m_start, m_end))

    coded = _coded_spans(session, document, version.id, coder) if skip_coded else {}
    said_no = {(r.codebook, r.code_key, r.sentence_hash) for r in rejections(
        session, project, document_ids=[document.id], coder_id=coder.id)} if coder is not None else set()
    out: list[tuple[tuple, Suggestion]] = []
    for (code_id, s), entry in found.items():
        start, end, turn, lang = sentence_of[s]
        if any(a < end and start < b for a, b in coded.get(code_id, ())):
            continue
        ind = entry.indicator
        if said_no and (ind.codebook_key, ind.code_key, sentence_hash(text[start:end])) in said_no:
            continue
        suggestion = Suggestion(
            code=ind.code_key, codebook=ind.codebook_key, start=start, end=end, text=text[start:end],
            matched_term=TERM_SEPARATOR.join(entry.terms), terms=tuple(entry.terms),
            matches=tuple(sorted(entry.matches)), language=lang, turn=turn.ordinal,
            speaker=turn.label, role=turn.role, text_version=version.version,
        )
        out.append(((start, ind.order), suggestion))
    out.sort(key=lambda item: item[0])
    return [s for _, s in out]


def _coded_spans(session: Session, document: Document, version_id: int,
                 coder: Coder | None) -> dict[int, list[tuple[int, int]]]:
    stmt = (select(Coding.code_id, Segment.start, Segment.end).join(Segment, Coding.segment_id == Segment.id)
            .where(Segment.document_id == document.id, Segment.text_version_id == version_id))
    if coder is not None:
        stmt = stmt.where(Segment.coder_id == coder.id)
    out: dict[int, list[tuple[int, int]]] = {}
    for code_id, start, end in session.execute(stmt):
        out.setdefault(code_id, []).append((start, end))
    return out


# --- accepting ----------------------------------------------------------------------------------

def accept_suggestions(
    session: Session,
    project: Project,
    document: Document,
    coder: Coder,
    suggestions: Iterable[Suggestion],
    actor: str | None = None,
) -> list[Segment]:
    """Code each accepted suggestion as its own segment by `coder` (origin "suggestion", with its terms).

    A suggestion made on another text version, or whose text no longer matches, is refused
    (suggest again); one this coder has already applied to exactly that sentence is skipped, so
    accepting twice (a rerun) codes nothing twice. Returns the new segments.
    """
    version = current_text_version(session, document)
    text = version.text
    done = {
        (key, start, end)
        for key, start, end in session.execute(
            select(Code.key, Segment.start, Segment.end).join(Coding, Coding.code_id == Code.id)
            .join(Segment, Coding.segment_id == Segment.id)
            .where(Segment.document_id == document.id, Segment.text_version_id == version.id,
                   Segment.coder_id == coder.id)
        )
    }
    segments: list[Segment] = []
    for suggestion in suggestions:
        stale = suggestion.text_version is not None and suggestion.text_version != version.version
        if stale or text[suggestion.start:suggestion.end] != suggestion.text:
            raise Refused(f"suggestion {suggestion.key} no longer matches the text of '{document.title}'; "
                          "suggest again")
        if (suggestion.code, suggestion.start, suggestion.end) in done:
            continue
        segments.append(apply_coding(
            session, project, document, coder, suggestion.start, suggestion.end, [suggestion.code],
            actor=actor, origin="suggestion", matched_term=suggestion.matched_term,
        ))
        done.add((suggestion.code, suggestion.start, suggestion.end))
    return segments
