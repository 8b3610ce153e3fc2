"""Spot traces of PDF extraction damage in imported text, without changing it.

Text copied out of PDFs carries line-end hyphens, page numbers and running
headers, ligatures, glued footnote numbers, font-substitution mojibake and
cut-off endings. Coding on such text silently breaks search and quotes, so
the importer shows these warnings and lets a person decide; nothing here
edits the text. The checks are deliberately conservative: ordinary clean
interview text yields no warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cases.sources import ParagraphList, line_spans


@dataclass(frozen=True)
class DamageWarning:
    """One suspicious place: ``text[start:end]``, with context and an explanation."""

    kind: str  # hyphenation, page_furniture, font_substitution, ligature,
    #            footnote_marker, truncation
    start: int
    end: int
    excerpt: str
    message: str


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


def detect_damage(text: str) -> list[DamageWarning]:
    """All warnings for ``text``, sorted by start offset."""
    found = (_hyphenation(text) + _page_furniture(text) + _font_substitution(text)
             + _ligatures(text) + _footnotes(text) + _truncation(text))
    return sorted(found, key=lambda w: (w.start, w.end, w.kind))
