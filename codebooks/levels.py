"""A codebook's codes down to a depth, the deepest level rolled up: what a matrix shows as columns and what a
value-creation story's cycles are (the top codes, each with every code under it)."""

from __future__ import annotations

from dataclasses import dataclass

from codebooks.service import code_tree
from store.errors import Refused
from store.models import Code, Codebook


@dataclass(frozen=True)
class RolledCode:
    code: Code
    level: int  # 0 = a top code (below a codebook's one folder named after it)
    members: frozenset[int]  # the code ids it counts: itself, or its subtree when rolled up
    has_children: bool


def rolled_up_codes(codebook: Codebook, depth: int | None = None) -> list[RolledCode]:
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
