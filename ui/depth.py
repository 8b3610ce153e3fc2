"""One depth picker for every page that shows codes as columns (Matrices, Charts, Framework matrix).

The default is the same everywhere, depth 1: each top code counts the distinct segments of its whole subtree, so
"Potential value" reads the same number on every page. "All codable codes" shows each code on its own, and a code
with sub-codes then counts only what is coded with it directly; its column says so ("(direct only)").
"""

from __future__ import annotations

DEFAULT_DEPTH = 1
HELP = ("Depth 1: each top code counts the coded segments of its whole subtree. All codable codes: each code on "
        "its own; a code with sub-codes then counts only what is coded with it directly, marked (direct only).")


def depth_label(depth: int) -> str:
    return "all codable codes" if depth == 0 else ("depth 1 (top codes)" if depth == 1 else f"depth {depth}")


def depth_choice(column, label: str, key: str, max_depth: int) -> int | None:  # type: ignore[no-untyped-def]
    """A select of depths 1..max_depth and "all codable codes" (0), depth 1 first; None means all codable."""
    depths = [*range(1, max(max_depth, 1) + 1), 0]
    return column.selectbox(label, depths, index=depths.index(DEFAULT_DEPTH), key=key, format_func=depth_label,
                            help=HELP) or None
