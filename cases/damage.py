"""Spot traces of PDF extraction damage in imported text, and propose a repair for each, without changing it.

Text copied out of PDFs carries line-end hyphens, page numbers and running
headers, ligatures, glued footnote numbers, font-substitution mojibake and
cut-off endings. Coding on such text silently breaks search and quotes, so
the importer shows these warnings and lets a person decide; nothing here
edits the text. The checks are deliberately conservative: ordinary clean
interview text yields no warnings.

Each warning carries the repair a person may accept (a replacement of one range of the text) or none where no
repair is safe (font substitution, truncation: only the source can say what stood there):
- hyphenation: the hyphen and the line break after it go, so the word is whole and the rest of its line follows
  it on the same line ("samen-\nwerking was" -> "samenwerking was");
- page furniture: the line goes with the shorter run of line breaks beside it, so the longer one stays: a header
  between two lines of a paragraph leaves one line break, a page number on a paragraph of its own leaves one
  blank line between the paragraphs around it;
- ligature: the letters it stands for ("ﬁ" -> "fi", "ĳ" -> "ij");
- footnote marker: the digits go.
Accepting them is coding.damage_repair's work (through the text-editing path, so segments follow).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from cases.sources import ParagraphList, line_spans, trimmed
from store.errors import Refused


@dataclass(frozen=True)
class Repair:
    """What accepting a warning does: ``text[start:end]`` becomes ``replacement``."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class DamageWarning:
    """One suspicious place: ``text[start:end]``, with context, an explanation and the repair proposed (None:
    reported only); ``preview`` is the context as the repair leaves it."""

    kind: str  # hyphenation, page_furniture, font_substitution, ligature,
    #            footnote_marker, truncation
    start: int
    end: int
    excerpt: str
    message: str
    repair: Repair | None = None
    preview: str | None = None

    @property
    def id(self) -> str:
        """Unique among one text's warnings (two kinds may start at one place): "hyphenation:139"."""
        return f"{self.kind}:{self.start}"


_CONTEXT = 20
# Words after "voor- " / "Vor- " that make it a suspended compound, not a break.
_CONJUNCTIONS = {"en", "of", "tot", "noch", "als", "und", "oder", "bis", "sowie", "wie",
                 "and", "or", "to", "nor", "as", "&", "resp", "c.q"}
_LINE_END_HYPHEN = re.compile(r"(?<=[^\W\d_])[-\u2010\u2011\u00ad][ \t]*\n[ \t]*")
_WORD_BEFORE = re.compile(r"[^\W\d_]+$")
_WORD_AT = re.compile(r"[^\W\d_]+")
_LETTER_DIGIT = re.compile(r"[^\W\d_]\d")
_PAGE_NUMBER = re.compile(
    r"^(?:\d{1,4}|[-–—]\s*\d{1,4}\s*[-–—]|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:pagina|page|seite|blz\.?|blad|p\.|s\.)\s*\d{1,4}"
    r"(?:\s*(?:van|of|von|/|uit)\s*\d{1,4})?)$", re.IGNORECASE)
_SHORT_LINE = 80
_REPEATS = 3
_LABEL_START = re.compile(r"^\S[^:]{0,40}:\s")
_LIGATURES = re.compile("[\u0132\u0133\ufb00-\ufb06]")
_FOOTNOTE = re.compile(r"(?<![\w])([^\W\d_]{4,})(\d{1,3})(?=[\s.,;:!?)\]]|$)")
_TOKEN = re.compile(r"\S+")
_ODD = re.compile("[\u0100-\u0131\u0134-\u024f\u0370-\u03ff\u0400-\u04ff]")
_BASIC = re.compile("[A-Za-z]")
_URLISH = re.compile(r"(?:://|www\.|@|\.(?:nl|de|com|org|eu|be)\b)", re.IGNORECASE)
_FINAL = set(".!?…")
_LINE = re.compile(r"[^\n]*[^\s][^\n]*")
_DIGITS = re.compile(r"\d+")
_PAGE_SHARE = 0.6  # a line at the top or bottom of at least this share of the pages (and of 3) is furniture
_CLOSERS = "\"'”’»«›)]}*"


def _excerpt(text: str, start: int, end: int) -> str:
    s = text[max(0, start - _CONTEXT):min(len(text), end + _CONTEXT)]
    return s.replace("\n", "⏎")


def _warn(text: str, kind: str, start: int, end: int, message: str) -> DamageWarning:
    return DamageWarning(kind, start, end, _excerpt(text, start, end), message)


def _hyphenation(text: str) -> list[DamageWarning]:
    out = []
    # Anchored on the rare hyphen-at-line-end, not on every word: transcripts are long.
    for hyphen in _LINE_END_HYPHEN.finditer(text):
        head_match = _WORD_BEFORE.search(text, max(0, hyphen.start() - 80), hyphen.start())
        tail_match = _WORD_AT.match(text, hyphen.end())
        if head_match is None or tail_match is None:
            continue
        head, tail = head_match.group(), tail_match.group()
        if not tail[0].islower() or tail.casefold() in _CONJUNCTIONS:
            continue
        token_start = text.rfind(" ", 0, head_match.start()) + 1
        token_start = max(token_start, text.rfind("\n", 0, head_match.start()) + 1)
        if _URLISH.search(text[token_start:hyphen.start() + 1]):
            continue
        out.append(_warn(text, "hyphenation", head_match.start(), tail_match.end(), f"line-end hyphen may "
                         f"split one word: '{head}-' + '{tail}' -> '{head}{tail}'?"))
    return out


def _page_furniture(text: str) -> list[DamageWarning]:
    lines = line_spans(text)  # offsets only: a million-line file's lines are sliced when looked at
    out = []
    flagged: set[int] = set()
    for k, span in enumerate(lines):
        line = text[span.start:span.end]
        if _PAGE_NUMBER.match(line):
            flagged.add(k)
            out.append(_warn(text, "page_furniture", span.start, span.end,
                             f"looks like a page number: '{line}'"))
    groups: dict[str, list[int]] = {}
    for k, span in enumerate(lines):
        if k in flagged or span.end - span.start > _SHORT_LINE:
            continue
        line = text[span.start:span.end]
        if line[-1] not in _FINAL and not line.endswith(":") and not _LABEL_START.match(line):
            groups.setdefault(line, []).append(k)
    for line, ks in groups.items():
        if len(ks) < _REPEATS:
            continue
        # Headers and footers land mid-sentence; speaker-name lines do not.
        if not any(_mid_sentence(text, lines, k) for k in ks):
            continue
        for k in ks:
            span = lines[k]
            out.append(_warn(text, "page_furniture", span.start, span.end, f"short line repeated "
                             f"{len(ks)} times, probably a running header or footer"))
    return out


def _mid_sentence(text: str, lines: ParagraphList, k: int) -> bool:
    if k == 0 or k == len(lines) - 1:
        return False
    before, after = lines[k - 1], lines[k + 1]
    return text[before.start:before.end].rstrip(_CLOSERS)[-1:] not in _FINAL and text[after.start].islower()


def _font_substitution(text: str) -> list[DamageWarning]:
    if not _ODD.search(text):  # the usual case: no suspicious character anywhere
        return []
    out = []
    for m in _TOKEN.finditer(text):
        token = m.group()
        odd = len(_ODD.findall(token))
        if odd >= 2 and _BASIC.search(token):
            out.append(_warn(text, "font_substitution", m.start(), m.end(),
                             f"'{token}' mixes Latin letters with {odd} unusual "
                             "characters; a broken PDF font map?"))
    return out


def _ligatures(text: str) -> list[DamageWarning]:
    return [_warn(text, "ligature", m.start(), m.end(),
                  f"ligature character '{m.group()}' (U+{ord(m.group()):04X}) breaks search")
            for m in _LIGATURES.finditer(text)]


def _footnotes(text: str) -> list[DamageWarning]:
    if not _LETTER_DIGIT.search(text):  # the usual case: no digit glued to a letter anywhere
        return []
    out = []
    for m in _FOOTNOTE.finditer(text):
        if m.group(1).islower():
            out.append(_warn(text, "footnote_marker", m.start(2), m.end(2),
                             f"'{m.group()}' looks like a footnote number glued to "
                             f"'{m.group(1)}'"))
    return out


def _truncation(text: str) -> list[DamageWarning]:
    body = text.rstrip()
    if not body:
        return []
    tail = body.rstrip(_CLOSERS)
    if tail and tail[-1] in _FINAL:
        return []
    last_line = body[body.rfind("\n") + 1:].strip()
    if re.fullmatch(r"[\[(].*[\])]", last_line):  # "[einde opname]"
        return []
    # Point at the unfinished fragment: after the last sentence end or line break.
    start = max(len(body) - 2 * _CONTEXT,
                max(body.rfind(c) for c in ("\n", ".", "!", "?", "…")) + 1, 0)
    while body[start].isspace():
        start += 1
    return [_warn(text, "truncation", start, len(body),
                  "the text ends mid-sentence; the file may be truncated")]


def _page_edges(text: str, pages: Sequence[int]) -> list[DamageWarning]:
    """Short lines repeated (digits aside) as the first or last line of most pages (a PDF's page starts): running
    headers, footers and page numbers, each occurrence one warning."""
    bounds = [*pages, len(text)]
    edges: list[tuple[int, list[tuple[int, int]]]] = []  # (page from 1, its first and last line)
    for number, (a, b) in enumerate(pairwise(bounds), start=1):
        lines = [trimmed(text, m.start(), m.end()) for m in _LINE.finditer(text, a, min(b, len(text)))]
        if lines:
            edges.append((number, [(a, b) for a, b in dict.fromkeys([lines[0], lines[-1]]) if b - a <= _SHORT_LINE]))
    if len(edges) < _REPEATS:
        return []
    counts = Counter(shape for _, spans in edges for shape in {_shape(text[a:b]) for a, b in spans})
    needed = max(_REPEATS, _PAGE_SHARE * len(edges))
    return [_warn(text, "page_furniture", a, b, f"'{text[a:b][:60]}' stands at the top or bottom of "
                  f"{counts[_shape(text[a:b])]} of {len(edges)} pages (page {number} here): a running header, "
                  "footer or page number")
            for number, spans in edges for a, b in spans if counts[_shape(text[a:b])] >= needed]


def _shape(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split()).casefold())


# --- repairs --------------------------------------------------------------------------------------------------

def line_drops(text: str, start: int, end: int) -> list[Repair]:
    """Ways to take the line ``text[start:end]`` out with the line breaks on one side of it, the better first:
    the shorter run of breaks goes and the longer one stays (at the text's start or end, the only one there is).
    None for a line that is all the text."""
    a = start
    while a > 0 and text[a - 1] in " \t\n":
        a -= 1
    b = end
    while b < len(text) and text[b] in " \t\n":
        b += 1
    line_start, line_end = start, end  # with the line's own spaces, short of its line breaks
    while line_start > a and text[line_start - 1] in " \t":
        line_start -= 1
    while line_end < b and text[line_end] in " \t":
        line_end += 1
    before = Repair(a, line_end, "") if "\n" in text[a:start] else None
    after = Repair(line_start, text.rindex("\n", end, b) + 1, "") if "\n" in text[end:b] else None
    if before is None or after is None:
        return [r for r in (before, after) if r is not None]
    if text.count("\n", a, start) < text.count("\n", end, b):
        return [before, after]
    return [after, before]


_EXPANSIONS = {"\u0132": "IJ", "\u0133": "ij", "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
               "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}


def proposed_repair(text: str, warning: DamageWarning) -> Repair | None:
    """The repair for one warning of ``text`` (None where no repair is safe)."""
    if warning.kind == "hyphenation":
        hyphen = _LINE_END_HYPHEN.search(text, warning.start, warning.end)
        return Repair(hyphen.start(), hyphen.end(), "") if hyphen else None
    if warning.kind == "page_furniture":
        drops = line_drops(text, warning.start, warning.end)
        return drops[0] if drops else None
    if warning.kind == "ligature":
        expansion = _EXPANSIONS.get(text[warning.start:warning.end])
        return Repair(warning.start, warning.end, expansion) if expansion else None
    if warning.kind == "footnote_marker":
        return Repair(warning.start, warning.end, "")
    return None


def with_repair(text: str, warning: DamageWarning, repair: Repair | None) -> DamageWarning:
    """The warning with this repair proposed, and its context as the repair leaves it (the excerpt's stretch of
    text, so the two can be read side by side)."""
    if repair is None:
        return replace(warning, repair=None, preview=None)
    after = (text[max(0, min(warning.start, repair.start) - _CONTEXT):repair.start] + repair.replacement
             + text[repair.end:max(warning.end, repair.end) + _CONTEXT])
    return replace(warning, repair=repair, preview=after.replace("\n", "⏎"))


def plan_repairs(text: str, warnings: Iterable[DamageWarning],
                 fit: Callable[[DamageWarning], DamageWarning] | None = None) -> tuple[list[Repair], list[str]]:
    """The repairs of these warnings of ``text`` as one edit, in text order, and the ids of those taken in by
    another: a repair inside another one's deletion (a ligature in a dropped running header), and a line of page
    furniture next to another (a footer and the next page's header) whose drops overlap: those two lines go as
    one, with the shorter run of line breaks beside them (``fit`` proposes that repair; by default as
    `proposed_repair` does). Any other overlap is refused."""
    fit = fit or (lambda w: with_repair(text, w, proposed_repair(text, w)))
    kept: list[tuple[DamageWarning, Repair]] = []  # the warning (furniture: its lines so far) and its repair
    taken: list[str] = []
    for warning in sorted(warnings, key=lambda w: (w.repair.start, -w.repair.end) if w.repair else (0, 0)):
        repair = warning.repair
        if repair is None:
            raise Refused(f"{warning.id} has no proposed repair ({warning.kind}): correct the text by hand")
        if kept and repair.start < kept[-1][1].end:
            outer, covering = kept[-1]
            if covering.replacement == "" and covering.start <= repair.start and repair.end <= covering.end:
                taken.append(warning.id)
                continue
            if outer.kind == warning.kind == "page_furniture" and not text[outer.end:warning.start].strip():
                lines = fit(replace(outer, end=warning.end))
                if lines.repair is not None:
                    kept[-1] = (lines, lines.repair)
                    taken.append(warning.id)
                    continue
            raise Refused(f"the repairs of {outer.id} and {warning.id} overlap: accept one of them, look again, "
                          "then the other")
        kept.append((warning, repair))
    for (first, a), (second, b) in pairwise(kept):
        if b.start < a.end:  # two lines of furniture taken as one now reach an earlier repair
            raise Refused(f"the repairs of {first.id} and {second.id} overlap: accept one of them, look again, "
                          "then the other")
    return [r for _, r in kept], taken


def detect_damage(text: str, pages: Sequence[int] | None = None) -> list[DamageWarning]:
    """All warnings for ``text``, each with its proposed repair, sorted by start offset. With a PDF's page
    starts, lines at the top or bottom of most pages are page furniture too."""
    found = (_hyphenation(text) + _page_furniture(text) + _font_substitution(text)
             + _ligatures(text) + _footnotes(text) + _truncation(text))
    edges = _page_edges(text, pages) if pages else []
    taken = {(w.kind, w.start) for w in edges}
    found = edges + [w for w in found if (w.kind, w.start) not in taken]
    return sorted((with_repair(text, w, proposed_repair(text, w)) for w in found),
                  key=lambda w: (w.start, w.end, w.kind))
