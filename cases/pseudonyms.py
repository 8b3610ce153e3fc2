"""The replacement list for pseudonymising transcripts, and finding its names in text.

The list is the project's mask list (names, organisations, places with their pseudonyms, `MaskTerm`) together
with every registered person (name → pseudonym, or "[person]"). A Dutch or German name with particles ("Jan de
Vries", "Anna von Weber") is also found as its surname with its particles, however they are capitalised ("De
Vries", "de Vries", "Von Weber"), and "ß" and "ss" are the same letter. Matching is whole-word and keeps the
names' own capitals (a surname "Smit" is not the word "smit"), except for the particles.

Candidates for the list are suggested from the text: speaker labels and e-mail addresses, phone numbers and Dutch
postcodes, and capitalised words that are not at a sentence's start and that the language's lemma tables do not
know (ordinary words are in them; names mostly are not). The researcher decides; nothing is added unasked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.nlp import lemma_table, main_language
from store.models import Document, MaskTerm, Person, Project, Speaker, TextVersion

PARTICLES = {"van", "de", "der", "den", "het", "ten", "ter", "te", "op", "in", "t", "'t", "von", "vom", "zu", "zum",
             "zur", "und", "la", "le", "du", "di", "da"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<!\w)(?:\+\d{2}[\s-]?|0)\d(?:[\s-]?\d){7,10}(?!\w)")
POSTCODE_NL = re.compile(r"(?<!\w)\d{4}\s?[A-Z]{2}(?!\w)")
CAPITALISED = re.compile(r"(?<![\w'’-])[A-ZÀ-ÖØ-Þ][\w'’-]+")
SENTENCE_END = re.compile(r"[.!?:;…]\s*$|^\s*$")


@dataclass(frozen=True)
class Replacement:
    real: str
    pseudonym: str
    kind: str
    source: str  # "list", "person", or "surname of NAME"


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    real: str  # the list's entry it matched
    text: str  # as it stands in the text
    pseudonym: str


@dataclass(frozen=True)
class Candidate:
    text: str
    kind: str
    count: int
    example: str


def replacement_list(session: Session, project: Project) -> list[Replacement]:
    """The mask list, the registered persons, and the surnames-with-particles of both, longest first."""
    out: dict[str, Replacement] = {}
    for term, kind, replacement in session.execute(select(MaskTerm.term, MaskTerm.kind, MaskTerm.replacement)
                                                   .where(MaskTerm.project_id == project.id)):
        out.setdefault(term.casefold(), Replacement(term, replacement or f"[{kind}]", kind, "list"))
    for name, pseudonym in session.execute(select(Person.name, Person.pseudonym)
                                           .where(Person.project_id == project.id)):
        out.setdefault(name.casefold(), Replacement(name, pseudonym or "[person]", "person", "person"))
    for entry in list(out.values()):
        surname = _surname_with_particles(entry.real)
        if surname and entry.kind == "person":
            out.setdefault(surname.casefold(), Replacement(surname, entry.pseudonym, "person",
                                                           f"surname of {entry.real}"))
    return sorted(out.values(), key=lambda r: (-len(r.real), r.real.casefold()))


def _surname_with_particles(name: str) -> str | None:
    """"Jan de Vries" → "de Vries"; None when the name has no particle before its last word."""
    words = name.split()
    first = next((i for i, w in enumerate(words) if w.casefold() in PARTICLES), None)
    if first is None or first == 0 or first == len(words) - 1:
        return None
    return " ".join(words[first:])


def _term_pattern(term: str) -> str:
    parts = []
    for word in term.split():
        piece = re.sub("ß|ss", "(?:ß|ss)", re.escape(word))
        parts.append(f"(?i:{piece})" if word.casefold() in PARTICLES else piece)
    return r"\s+".join(parts)


class Matcher:
    """Finds the list's names in text: whole words, longest first, particles in any capitals, ß = ss."""

    def __init__(self, replacements: Sequence[Replacement]) -> None:
        self.replacements = [r for r in replacements if r.real.strip()]
        self._pattern = re.compile(
            r"(?<!\w)(?:" + "|".join(f"(?P<t{i}>{_term_pattern(r.real)})" for i, r in enumerate(self.replacements))
            + r")(?!\w)") if self.replacements else None

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[Found]:
        if self._pattern is None:
            return []
        found = []
        for match in self._pattern.finditer(text, start, len(text) if end is None else end):
            entry = self.replacements[int(match.lastgroup[1:])]
            found.append(Found(match.start(), match.end(), entry.real, match.group(0), entry.pseudonym))
        return found

    def replace(self, text: str) -> str:
        return self._pattern.sub(lambda m: self.replacements[int(m.lastgroup[1:])].pseudonym, text) \
            if self._pattern is not None else text


def suggest_candidates(session: Session, project: Project, limit: int = 200) -> list[Candidate]:
    """What in the project's current texts looks like personal data and is not on the list yet."""
    known = Matcher(replacement_list(session, project))
    counts: Counter = Counter()
    kinds: dict[str, str] = {}
    examples: dict[str, str] = {}
    documents = session.execute(select(TextVersion.text, Document.language).join(
        Document, (Document.id == TextVersion.document_id) & (TextVersion.version == Document.current_version))
        .where(Document.project_id == project.id)).all()
    table = lemma_table(main_language(lang for _, lang in documents))
    for text, _ in documents:
        for kind, start, end in _looks_personal(text, table):
            word = text[start:end]
            if known.find(word):
                continue
            counts[word] += 1
            kinds.setdefault(word, kind)
            examples.setdefault(word, " ".join(text[max(0, start - 40):end + 40].split()))
    for label, in session.execute(select(Speaker.label).join(Document).where(Document.project_id == project.id)):
        if len(label) > 2 and label[:1].isupper() and not known.find(label) and label.casefold() not in _ROLES:
            counts[label] += 1
            kinds.setdefault(label, "person")
            examples.setdefault(label, f"speaker label '{label}'")
    return [Candidate(word, kinds[word], n, examples[word]) for word, n in counts.most_common(limit)]


_ROLES = {"interviewer", "respondent", "participant", "facilitator", "observer", "moderator", "speaker", "spreker",
          "deelnemer", "interviewerin", "teilnehmer", "befragte", "befragter"}


def _looks_personal(text: str, table) -> Iterable[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    for kind, pattern in (("other", EMAIL), ("other", PHONE), ("place", POSTCODE_NL)):
        for m in pattern.finditer(text):
            yield kind, m.start(), m.end()
    for m in CAPITALISED.finditer(text):
        word = m.group(0).rstrip("'’-")
        if SENTENCE_END.search(text[max(0, m.start() - 3):m.start()]):
            continue  # a sentence's (or a line's) first word is capitalised anyway
        if table is not None and (word in table or word.lower() in table):
            continue
        yield "person", m.start(), m.start() + len(word)
