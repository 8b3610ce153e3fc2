"""A codebook's codes down to a depth, the deepest level rolled up: what a matrix shows as columns and what a
value-creation story's cycles are (the top codes, each with every code under it)."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from codebooks.service import code_tree, get_codebook
from store.errors import Refused
from store.models import Code, Codebook, Project

CODE_COLUMNS = ("id", "key", "parent_id", "position", "codable", "enabled", "label_en", "label_nl", "label_de",
                "rank", "horizon", "colour")
# A code as a plain tuple of CODE_COLUMNS: its fields are read a dozen times per code and matrix, and a tuple's are
# read at C speed (a result row's by name cost twice the whole walk of the code tree).
PlainCode = namedtuple("PlainCode", CODE_COLUMNS)


@dataclass(frozen=True)
class CodebookCodes:
    """A codebook's id, key and version with its codes as plain tuples (PlainCode): what a matrix reads on
    every view. ORM objects for a codebook's codes were a fifth of a count matrix's fixed work."""

    id: int
    key: str
    version: str
    codes: list[PlainCode] | list[Code]


def load_codebook_codes(session: Session, project: Project | None, key: str) -> CodebookCodes:
    """The codebook `key` names (as codebooks.service.get_codebook: by key or code prefix) and its codes, in one
    query where the key matches; a change the session has not flushed yet is seen, as an ORM query sees it."""
    if project is not None:
        book, code = Codebook.__table__, Code.__table__
        rows = session.execute(  # through the Session: what it holds unflushed is flushed first, as the ORM does
            select(book.c.id.label("book_id"), book.c.key.label("book_key"), book.c.version.label("book_version"),
                   *[code.c[c] for c in CODE_COLUMNS])
            .select_from(book.outerjoin(code, code.c.codebook_id == book.c.id))
            .where(book.c.project_id == project.id, book.c.key == key)
            .order_by(code.c.position, code.c.id)).all()
        if rows:
            first = rows[0]
            return CodebookCodes(first.book_id, first.book_key, first.book_version,
                                 [PlainCode(*tuple(r)[3:]) for r in rows if r.id is not None])
    found = get_codebook(session, project, key)  # by prefix, or refused with the reason
    return CodebookCodes(found.id, found.key, found.version, list(found.codes))


@dataclass(frozen=True)
class RolledCode:
    code: Code | PlainCode
    level: int  # 0 = a top code (below a codebook's one folder named after it)
    members: frozenset[int]  # the code ids it counts: itself, or its subtree when rolled up
    has_children: bool


def rolled_up_codes(codebook: Codebook | CodebookCodes, depth: int | None = None) -> list[RolledCode]:
    """Codable, switched-on codes in codebook order; with `depth`, the codes above it as they are and those at it
    rolled up with everything under them (a folder counts there too)."""
    if depth is not None and depth < 1:
        raise Refused(f"depth must be 1 or more (1 = the top codes of '{codebook.key}'), not {depth}")
    tree = code_tree(codebook)
    children: dict[int | None, list[int]] = {}
    for row in tree:
        children.setdefault(row.code.parent_id, []).append(row.code.id)

    def subtree(code_id: int) -> frozenset[int]:
        ids, stack = {code_id}, [code_id]
        while stack:
            for child in children.get(stack.pop(), []):
                ids.add(child)
                stack.append(child)
        return frozenset(ids)

    # A codebook whose codes hang under one folder named after it (vc -> vc.immediate ...) starts below it.
    roots = [row for row in tree if row.depth == 0]
    base = 1 if len(roots) == 1 and not roots[0].code.codable else 0
    out = []
    for row in tree:
        code, level = row.code, row.depth - base
        if level < 0:
            continue
        if depth is None or level < depth - 1:
            if not (code.codable and code.enabled):
                continue
            members = frozenset({code.id})
        elif level == depth - 1:
            if not code.enabled:
                continue
            members = subtree(code.id)
        else:
            continue
        out.append(RolledCode(code, level, members, bool(children.get(code.id))))
    return out
