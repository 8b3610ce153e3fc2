"""PDF documents (policy documents, network plans, reports): their text layer, page by page, with the damage
extraction brings named, never silently repaired.

pdfplumber (on pdfminer.six) gives each page's text lines with their positions. A vertical gap wider than the page's
usual line spacing starts a new paragraph (a blank line), and each page starts a new one, so the importer's units
follow the document's paragraphs; each page's start offset is kept (`SourceText.pages`) so that a quote can cite
its page. Page furniture (a running header or footer, a page number) is found by position: the same line, digits
aside, at the top or bottom of most pages; it is reported with the other damage warnings and stays in the text
until the researcher accepts its removal. A PDF without a text layer (a scan), an encrypted one and a broken one
are refused with the reason, before anything is written.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter

from cases.damage import DamageWarning
from cases.sources import ImportRefused, ParagraphList, SourceText
from cases.textnorm import normalise_text

MAX_PAGES = 2_000
FURNITURE_SHARE = 0.6  # a line at the top or bottom of at least this share of the pages (and of 3) is furniture
_EDGE_LINES = 1  # lines looked at on each page's top and bottom (a body line is never furniture)
_DIGITS = re.compile(r"\d+")


def read_pdf(filename: str, data: bytes, *, max_pages: int = MAX_PAGES) -> SourceText:
    """The PDF's text layer as a SourceText with page starts and layout warnings; ImportRefused for a scan, an
    encrypted or a broken file, or one over the page limit."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many kinds for a damaged file; each means the same to the user
        cause = exc.__cause__ or (exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc)
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise ImportRefused(filename, "the PDF is encrypted (password-protected); save an unprotected copy "
                                          "and import that") from None
        raise ImportRefused(filename, f"not a readable PDF ({cause.__class__.__name__})") from None
    with pdf:
        try:
            count = len(pdf.pages)
            if count > max_pages:
                raise ImportRefused(filename, f"the PDF has {count:,} pages, over the limit of {max_pages:,}")
            pages = [_page_lines(page) for page in pdf.pages]
        except ImportRefused:
            raise
        except Exception as exc:
            raise ImportRefused(filename, f"a page of the PDF cannot be read ({exc.__class__.__name__})") from None
    if not any(lines for lines in pages):
        raise ImportRefused(filename, "the PDF has no text layer (a scan?); run text recognition (OCR) on it "
                                      "first")
    paragraphs, starts, placed, pieces, pos = ParagraphList(), [], [], [], 0
    for lines in pages:  # paragraphs are separated by a blank line, their lines by a line break
        starts.append(pos + 2 if pieces else pos)
        spans: list[tuple[int, int, list[str]]] = []
        for block in _blocks(lines):
            if pieces:
                pieces.append("\n\n")
                pos += 2
            body = "\n".join(block)
            pieces.append(body)
            paragraphs.add(pos, pos + len(body))
            spans.append((pos, pos + len(body), block))
            pos += len(body)
        placed.append(spans)
    notices = [f"{len(pages)} page(s) read from the PDF's text layer"]
    empty = [str(n) for n, lines in enumerate(pages, start=1) if not lines]
    if empty:
        notices.append(f"page(s) {', '.join(empty[:10])}{' …' if len(empty) > 10 else ''} have no text (an image "
                       "or a scan?); nothing of them is in the document")
    text = "".join(pieces)
    source = SourceText(filename, "pdf", None, text, paragraphs, notices)
    source.pages = tuple(starts)
    source.warnings = _furniture(text, pages, placed)
    return source


def _blocks(lines: list[tuple[str, bool]]) -> list[list[str]]:
    """The page's lines, normalised, grouped into paragraphs where a wider gap comes before a line."""
    blocks: list[list[str]] = []
    for text, gap_before in lines:
        line = " ".join(normalise_text(text).split())
        if not line:
            continue
        if gap_before or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return blocks


def _page_lines(page) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """The page's text lines, each with whether a wider gap than usual comes before it."""
    lines = [(line["text"], line["top"], line["bottom"]) for line in page.extract_text_lines(return_chars=False)
             if line["text"].strip()]
    if not lines:
        return []
    gaps = [b[1] - a[2] for a, b in zip(lines, lines[1:])]
    usual = max(0.0, sorted(gaps)[len(gaps) // 4]) if gaps else 0.0  # the line spacing: most gaps are that small
    height = statistics.median(bottom - top for _, top, bottom in lines)
    return [(text, i > 0 and gaps[i - 1] > usual + 0.5 * height) for i, (text, _, _) in enumerate(lines)]


def _furniture(text: str, pages: list[list[tuple[str, bool]]], placed: list[list[tuple[int, int, list[str]]]]
               ) -> list[DamageWarning]:
    """Lines repeated (digits aside) among the first or last lines of most pages: headers, footers, page
    numbers. Each occurrence is one warning, with where it is in the text."""
    with_text = [i for i, lines in enumerate(pages) if lines]
    if len(with_text) < 3:
        return []
    edges: Counter = Counter()
    for i in with_text:
        texts = [t for t, _ in pages[i]]
        edges.update({_shape(t) for t in texts[:_EDGE_LINES] + texts[-_EDGE_LINES:]})
    needed = max(3, FURNITURE_SHARE * len(with_text))
    repeated = {shape for shape, n in edges.items() if n >= needed}
    out = []
    for i in with_text:
        lines = [pair for start, _, chunk in placed[i] for pair in _line_starts(text, start, chunk)]
        edge = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
        for line, start in dict.fromkeys(edge):
            if _shape(line) in repeated:
                end = start + len(line)
                out.append(DamageWarning(
                    "page_furniture", start, end, text[max(0, start - 20):end + 20],
                    f"'{line.strip()[:60]}' stands at the top or bottom of {edges[_shape(line)]} of "
                    f"{len(with_text)} pages (page {i + 1} here): a running header, footer or page number"))
    return out


def _line_starts(text: str, start: int, lines: list[str]) -> list[tuple[str, int]]:
    out, at = [], start
    for line in lines:
        found = text.find(line.strip(), at)
        if found < 0:
            continue
        out.append((line.strip(), found))
        at = found + len(line.strip())
    return out


def _shape(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split()).casefold())
