"""PDF documents (policy documents, network plans, reports): their text layer, page by page, with the damage
extraction brings named, never silently repaired.

pdfplumber (on pdfminer.six) gives each page's text lines with their positions. A vertical gap wider than the page's
usual line spacing starts a new paragraph (a blank line), and each page starts a new one, so the importer's units
follow the document's paragraphs; each page's start offset is kept (`SourceText.pages`) so that a quote can cite
its page. Page furniture (a running header or footer, a page number) is found by position from those page starts
(cases.damage, also for the stored text later): the same short line, digits aside, at the top or bottom of most
pages; it is reported with the other damage warnings and stays in the text until the researcher accepts its
removal. A PDF without a text layer (a scan), an encrypted one and a broken one
are refused with the reason, before anything is written.
"""

from __future__ import annotations

import io
import statistics

from cases.sources import ImportRefused, ParagraphList, SourceText
from cases.textnorm import normalise_text

MAX_PAGES = 2_000


def read_pdf(filename: str, data: bytes, *, max_pages: int = MAX_PAGES) -> SourceText:
    """The PDF's text layer as a SourceText with page starts; ImportRefused for a scan, an encrypted or a broken
    file, or one over the page limit."""
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
    paragraphs, starts, pieces, pos = ParagraphList(), [], [], 0
    for lines in pages:  # paragraphs are separated by a blank line, their lines by a line break
        starts.append(pos + 2 if pieces else pos)
        for block in _blocks(lines):
            if pieces:
                pieces.append("\n\n")
                pos += 2
            body = "\n".join(block)
            pieces.append(body)
            paragraphs.add(pos, pos + len(body))
            pos += len(body)
    notices = [f"{len(pages)} page(s) read from the PDF's text layer"]
    empty = [str(n) for n, lines in enumerate(pages, start=1) if not lines]
    if empty:
        notices.append(f"page(s) {', '.join(empty[:10])}{' …' if len(empty) > 10 else ''} have no text (an image "
                       "or a scan?); nothing of them is in the document")
    text = "".join(pieces)
    source = SourceText(filename, "pdf", None, text, paragraphs, notices)
    source.pages = tuple(starts)
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
