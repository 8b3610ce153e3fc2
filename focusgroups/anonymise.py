"""Anonymised quotes for participants and shared reports: speakers as role + number, names masked.

Masked are the project's mask list (persons, organisations, places, each with an optional replacement)
and every person's registered name. Numbers are stable: speakers are numbered per role in document-title
order, so "Respondent 3" is the same person on every screen and in every export of the project. Coders are
people too: in an anonymised output each is "Coder N" (numbered by name), as "coded by" and wherever the name
occurs in the text.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.documents import list_documents
from coding.retrieval import SPEAKER_KEY
from store.errors import Refused
from store.events import record_event
from store.models import MASK_KINDS, Coder, Document, MaskTerm, Person, Project, Speaker

ROLE_NAMES = {"respondent": "Respondent", "interviewer": "Interviewer", "co-interviewer": "Co-interviewer",
              "facilitator": "Facilitator", "participant": "Participant", "observer": "Observer",
              "unknown": "Speaker"}


@dataclass
class Anonymiser:
    aliases: dict[int, str]  # speaker key (person id, or -speaker id) -> "Respondent 3"
    pattern: re.Pattern[str] | None
    replacements: dict[str, str]  # casefolded term -> replacement
    coders: dict[str, str] = field(default_factory=dict)  # coder name -> "Coder 2"
    documents: dict[str, str] = field(default_factory=dict)  # document guid -> "interview 3"

    def speaker(self, speaker_key: int | None, role: str) -> str:
        if speaker_key is not None and speaker_key in self.aliases:
            return self.aliases[speaker_key]
        return ROLE_NAMES.get(role, role.capitalize() or "Speaker")

    def mask(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.replacements[m.group(0).casefold()], text)

    def mask_name(self, name: str) -> str:
        return self.mask(name)

    def document(self, guid: str, title: str) -> str:
        """A document as kind + number ("interview 3"), numbered per kind in title order like the speakers."""
        return self.documents.get(str(guid)) or self.mask(title)

    def coder(self, name: str) -> str:
        """A coder as role + number; a name that is no coder of the project is masked like any text."""
        return self.coders.get(name) or self.mask(name)


def build_anonymiser(session: Session, project: Project) -> Anonymiser:
    speakers = session.execute(
        select(SPEAKER_KEY, Speaker.role, Document.title, Speaker.label)
        .join(Document, Speaker.document_id == Document.id).where(Document.project_id == project.id)).all()
    speakers.sort(key=lambda s: (s[2].casefold(), s[2], s[3]))
    aliases: dict[int, str] = {}
    numbers: dict[str, int] = {}
    for key, role, _, _ in speakers:
        if key in aliases:
            continue
        role = role or "unknown"
        numbers[role] = numbers.get(role, 0) + 1
        aliases[key] = f"{ROLE_NAMES.get(role, role.capitalize())} {numbers[role]}"
    replacements: dict[str, str] = {}
    originals: dict[str, str] = {}  # the pattern uses the terms as written: casefold turns "ß" into "ss"
    for term, kind, replacement in session.execute(
            select(MaskTerm.term, MaskTerm.kind, MaskTerm.replacement).where(MaskTerm.project_id == project.id)):
        replacements[term.casefold()] = replacement or f"[{kind}]"
        originals[term.casefold()] = term
    for name, in session.execute(select(Person.name).where(Person.project_id == project.id)):
        replacements.setdefault(name.casefold(), "[person]")
        originals.setdefault(name.casefold(), name)
    names = sorted(session.scalars(select(Coder.name).where(Coder.project_id == project.id)),
                   key=lambda n: (n.casefold(), n))
    coders = {name: f"Coder {number}" for number, name in enumerate(names, start=1)}
    for name, alias in coders.items():
        replacements.setdefault(name.casefold(), alias)
        originals.setdefault(name.casefold(), name)
    terms = sorted((t for t in originals.values() if t.strip()), key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)", re.IGNORECASE) \
        if terms else None
    # Matches are looked up casefolded; make sure every casefold variant of a match maps back.
    counters: dict[str, int] = {}
    documents: dict[str, str] = {}
    for document in list_documents(session, project):
        counters[document.kind] = counters.get(document.kind, 0) + 1
        documents[str(document.guid)] = f"{document.kind} {counters[document.kind]}"
    return Anonymiser(aliases=aliases, pattern=pattern, replacements=_CaseFoldedDict(replacements), coders=coders,
                      documents=documents)


def case_letters(count: int) -> list[str]:
    """"Case A", "Case B", … "Case Z", "Case AA", …: how the other networks appear in one network's outputs."""
    letters = string.ascii_uppercase
    return [f"Case {letters[k]}" if k < 26 else f"Case {letters[k // 26 - 1]}{letters[k % 26]}"
            for k in range(count)]


@dataclass
class CaseHider:
    """Replaces other cases' names by their letters in any text (a summary, a quote, a remark)."""

    aliases: dict[str, str]  # case name -> "Case B"

    def __post_init__(self) -> None:
        names = sorted(self.aliases, key=len, reverse=True)
        self._folded = {n.casefold(): alias for n, alias in self.aliases.items()}
        self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)",
                                   re.IGNORECASE) if names else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._folded.get(m.group(0).casefold(), "another case"), text)


class _CaseFoldedDict(dict):
    def __missing__(self, key: str) -> str:
        return super().get(key.casefold(), "[masked]")


def add_mask_term(session: Session, project: Project, term: str, kind: str = "other", replacement: str = "",
                  *, actor: str = "system") -> MaskTerm:
    term = " ".join(term.split())
    if not term or len(term) > 200:
        raise Refused("a masked name needs 1 to 200 characters")
    if kind not in MASK_KINDS:
        raise Refused(f"a masked name is one of {', '.join(MASK_KINDS)}, not '{kind}'")
    if any(t.casefold() == term.casefold() for t in session.scalars(
            select(MaskTerm.term).where(MaskTerm.project_id == project.id))):
        raise Refused(f"'{term}' is already on the mask list (masking ignores case)")
    row = MaskTerm(project_id=project.id, term=term, kind=kind, replacement=" ".join(replacement.split())[:200])
    session.add(row)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="mask_term",
                 entity_guid=row.guid, after={"kind": kind, "replacement": row.replacement})
    return row


def list_mask_terms(session: Session, project: Project) -> list[MaskTerm]:
    return sorted(session.scalars(select(MaskTerm).where(MaskTerm.project_id == project.id)),
                  key=lambda t: (t.kind, t.term.casefold()))


def delete_mask_term(session: Session, project: Project, term: str, *, actor: str = "system") -> None:
    row = session.scalar(select(MaskTerm).where(MaskTerm.project_id == project.id,
                                                MaskTerm.term == " ".join(term.split())))
    if row is None:
        raise Refused(f"'{term}' is not on the mask list")
    record_event(session, project_guid=project.guid, actor=actor, action="delete", entity="mask_term",
                 entity_guid=row.guid, before={"kind": row.kind})
    session.delete(row)
