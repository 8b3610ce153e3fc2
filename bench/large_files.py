"""The large files of the bounded-import benchmark (issue 11), generated seeded and in memory.

Each kind is the shape the issue measured: a 50 MB plain-text transcript, a one-million-cue subtitle file
(about 43 MB, two Zoom-style speakers taking turns cue by cue, so every cue is a turn; as SubRip the same cues
number themselves), a .docx whose document.xml expands to about 45 MB of real-looking runs, a small .docx
(about 130 KB here; the issue's was 72 KB) whose XML is mostly markup, and an .odt like the large .docx. Text comes from the import benchmark's corpus generator (Dutch-like words, some German).
"""

from __future__ import annotations

import io
import random
import zipfile
from xml.sax.saxutils import escape

from bench.corpus import generate_corpus

KINDS = ("text", "vtt", "srt", "docx", "docx-small", "odt")


def _corpus_lines(words: int, seed: int) -> list[str]:
    corpus = generate_corpus(words, 1, seed)
    return corpus["files"][0][1].decode("utf-8").splitlines()


def text_file(megabytes: float = 50, seed: int = 7) -> tuple[str, bytes]:
    """Alternating I:/R: turns of sentences, cut to just under `megabytes` MB (10^6 bytes)."""
    limit = int(megabytes * 1_000_000)
    data = "\n".join(_corpus_lines(int(limit / 4.4), seed)).encode("utf-8")  # about 4.7 bytes a word
    cut = data.rfind(b"\n", 0, limit)
    return "large.txt", data[:cut if cut > 0 else limit] + b"\n"


def vtt_file(cues: int = 1_000_000, seed: int = 7, srt: bool = False) -> tuple[str, bytes]:
    """WebVTT (or SubRip) with `cues` short cues, "A: ..." and "B: ..." taking turns (each cue its own turn).
    SubRip numbers its cues and writes a comma before the milliseconds, so the same cues make a larger file."""
    rng = random.Random(seed)
    words = " ".join(_corpus_lines(max(2_000, cues // 20), seed)).split()
    words = [w for w in words if w not in ("I:", "R:")]
    out = io.StringIO()
    if not srt:
        out.write("WEBVTT\n\n")
    ms = 0
    for i in range(cues):
        length = rng.randint(900, 2_400)
        start, ms = ms, ms + length
        text = " ".join(words[(i * 3 + k) % len(words)] for k in range(rng.randint(1, 2)))
        number = f"{i + 1}\n" if srt else ""
        out.write(f"{number}{_stamp(start, srt)} --> {_stamp(ms, srt)}\n{'AB'[i % 2]}: {text}\n\n")
    return ("large.srt" if srt else "large.vtt"), out.getvalue().encode("utf-8")


def _stamp(ms: int, srt: bool = False) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1_000)
    return f"{h:02d}:{m:02d}:{s:02d}{',' if srt else '.'}{milli:03d}"


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>')
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_RUN_PROPS = ('<w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:cs="Calibri"/>'
              '<w:sz w:val="22"/><w:lang w:val="nl-NL"/></w:rPr>')


def _body_xml(xml_megabytes: float, seed: int, words_per_run: int, run: str, paragraph: str) -> str:
    """Paragraphs (`paragraph` around their runs) of corpus turns cut into runs (`run` around `words_per_run`
    escaped words), up to about `xml_megabytes` MB."""
    target = int(xml_megabytes * 1_000_000)
    per_word = 6 + (len(run) + len(paragraph) / 20) / words_per_run  # rough XML bytes per word
    lines = _corpus_lines(max(200, int(1.25 * target / per_word)), seed)  # enough; cut at the target below
    body = io.StringIO()
    size = 0
    for line in lines:
        words = line.split(" ")
        runs = "".join(run.format(escape(" ".join(words[k:k + words_per_run])))
                       for k in range(0, len(words), words_per_run))
        xml = paragraph.format(runs)
        if size + len(xml) > target:
            break
        body.write(xml)
        size += len(xml)
    return body.getvalue()


def docx_file(xml_megabytes: float = 45, seed: int = 7, words_per_run: int = 8,
              name: str = "large.docx") -> tuple[str, bytes]:
    """A .docx whose document.xml is about `xml_megabytes` MB: paragraphs of turns cut into formatted runs
    of `words_per_run` words, as Word writes after spelling checks and edits."""
    body = _body_xml(xml_megabytes, seed, words_per_run, f'<w:r>{_RUN_PROPS}<w:t xml:space="preserve">{{}} </w:t></w:r>',
                     '<w:p><w:pPr><w:spacing w:after="120"/></w:pPr>{}</w:p>')
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
                f"{body}<w:sectPr/></w:body></w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/document.xml", document)
    return name, out.getvalue()


_ODT_CONTENT = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
                'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
                "<office:body><office:text>{}</office:text></office:body></office:document-content>")


def odt_file(xml_megabytes: float = 45, seed: int = 7, words_per_span: int = 8) -> tuple[str, bytes]:
    """An OpenDocument text whose content.xml is about `xml_megabytes` MB of paragraphs of styled spans."""
    body = _body_xml(xml_megabytes, seed, words_per_span, '<text:span text:style-name="T1">{} </text:span>',
                     '<text:p text:style-name="P1">{}</text:p>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")  # stored, first
        zf.writestr("content.xml", _ODT_CONTENT.format(body))
    return "large.odt", out.getvalue()


def small_docx_file(seed: int = 7) -> tuple[str, bytes]:
    """About 72 KB of .docx that expands to a few MB of XML: one word per run, so markup outweighs text."""
    return docx_file(xml_megabytes=6, seed=seed, words_per_run=1, name="small.docx")


def make(kind: str, seed: int = 7) -> tuple[str, bytes]:
    """The file of one kind (see KINDS)."""
    if kind == "text":
        return text_file(seed=seed)
    if kind == "vtt":
        return vtt_file(seed=seed)
    if kind == "srt":
        return vtt_file(seed=seed, srt=True)
    if kind == "odt":
        return odt_file(seed=seed)
    if kind == "docx":
        return docx_file(seed=seed)
    if kind == "docx-small":
        return small_docx_file(seed=seed)
    raise ValueError(f"unknown kind {kind!r} (use one of: {', '.join(KINDS)})")
