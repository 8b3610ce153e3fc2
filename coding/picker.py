"""The code picker's choices: codable, enabled codes, recently used first, filtered on any label or the definition."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


from sqlalchemy.orm import Session

from codebooks.service import code_label, code_tree, list_project_codebooks
from store.models import Project


@dataclass(frozen=True)
class CodeChoice:
    key: str
    label: str
    codebook: str
    depth: int
    colour: str
    definition: str
    include: str
    exclude: str
    searchable: str


def fold_for_search(text: str) -> str:
    """Case- and accent-insensitive form for matching ('Potentiële' ~ 'potentiele')."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def code_choices(session: Session, project: Project, *, language: str = "en") -> list[CodeChoice]:
    """Every codable, enabled code of the project, in codebook order."""
    choices = []
    for book in list_project_codebooks(session, project):
        for row in code_tree(book):
            code = row.code
            if not (code.codable and code.enabled):
                continue
            haystack = " ".join([code.key, code.label_en, code.label_nl, code.label_de, code.definition])
            choices.append(CodeChoice(code.key, code_label(code, language), book.key, row.depth, code.colour,
                                      code.definition, code.include_rule, code.exclude_rule, fold_for_search(haystack)))
    return choices


def pick_order(choices: list[CodeChoice], *, query: str = "", recent: list[str] | None = None) -> list[CodeChoice]:
    """Choices matching every word of `query` (key, any label or the definition), recently used ones first."""
    words = fold_for_search(query).split()
    matching = [c for c in choices if all(w in c.searchable for w in words)]
    rank = {key: i for i, key in enumerate(recent or [])}
    first = sorted((c for c in matching if c.key in rank), key=lambda c: rank[c.key])
    return first + [c for c in matching if c.key not in rank]



