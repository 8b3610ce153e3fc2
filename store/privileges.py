"""Who may do what in a project: the one place that says it.

Every write in the app and the CLI names the permission it needs; `Permission.allows(role)` asks the role's
`can_*` predicate. Pages, command modules and tests read these predicates and never list roles themselves.
"""

from __future__ import annotations

import enum


class Role(enum.Enum):
    OWNER = "owner"
    CODER = "coder"
    FACILITATOR = "facilitator"
    VIEWER = "viewer"

    def can_read_transcripts(self) -> bool:
        """Documents, codings, retrieval and matrices with their quotes (a facilitator sees masked quotes only)."""
        return self is not Role.FACILITATOR

    def can_code(self) -> bool:
        """Code and recode, write memos, undo and redo their own work."""
        return self in (Role.OWNER, Role.CODER)

    def can_undo(self) -> bool:
        """Undo and redo their own last changes (a viewer has none)."""
        return self is not Role.VIEWER

    def can_build(self) -> bool:
        """Shape the project: import documents, create cases and persons, set attributes, edit codebooks and codes,
        rename, write framework summaries, ratings and pins."""
        return self in (Role.OWNER, Role.CODER)

    def can_present(self) -> bool:
        """Run focus-group sessions and record what participants say back onto the cells."""
        return self in (Role.OWNER, Role.CODER, Role.FACILITATOR)

    def can_delete(self) -> bool:
        """Move things to the bin, restore them, merge cases and codes, empty the bin, delete the project."""
        return self is Role.OWNER

    def can_manage(self) -> bool:
        """Add and remove members and set their roles, set primary coders, the rating scale and the masking list."""
        return self is Role.OWNER

    def sees_names(self, allowed: bool) -> bool:
        """Whether quotes are shown with real names: everyone but a facilitator, unless an owner allowed it."""
        return self is not Role.FACILITATOR or allowed


class Permission(enum.Enum):
    """What a write needs, named by the predicate that decides it and said in words when refused."""

    CODE = ("code and write memos", Role.can_code)
    UNDO = ("undo or redo", Role.can_undo)
    BUILD = ("change the project's documents, cases, attributes or codebooks", Role.can_build)
    PRESENT = ("run focus-group sessions and record feedback", Role.can_present)
    DELETE = ("delete, merge or restore", Role.can_delete)
    MANAGE = ("manage members, primary coders and the masking list", Role.can_manage)

    def __init__(self, words: str, predicate) -> None:  # type: ignore[no-untyped-def]
        self.words = words
        self.predicate = predicate

    def allows(self, role: Role) -> bool:
        return bool(self.predicate(role))
