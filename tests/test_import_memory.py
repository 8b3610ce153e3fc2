"""Bounded import memory (issue 11): paragraphs and turns are held as columns, subtitle files are read as they
are walked, and turns and sentences are stored a batch at a time, with exactly the rows of one batch.

Memory is counted with tracemalloc (Python's own allocations, deterministic for a given input), never timed;
the figures for the largest files are in bench/README.md (bench/large_import_bench.py).
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from xml.sax.saxutils import escape

import pytest
from docx import Document as DocxDocument
from odf.opendocument import OpenDocumentText
from odf.text import P
from sqlalchemy import select

from cases import importer
from cases.importer import preview_import, store_import
from cases.projects import create_case, create_project, get_case, get_project
from cases.readers import read_source
from cases.sources import Paragraph, ParagraphList
from cases.speakers import DetectedTurn, TurnList
from store.db import read_session, write_session
from store.models import Document, Project, Sentence, Speaker, TextVersion, Turn

WORDS = ["ja", "nee", "precies", "dat klopt", "goed zo, dank je", "wij deden dat samen met de gemeente."]


def _stamp(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def subtitles(cues: int) -> bytes:
    """Two speakers taking turns cue by cue (Zoom style), so every cue is its own turn."""
    lines = ["WEBVTT", ""]
    for i in range(cues):
        lines += [f"{_stamp(i * 1000)} --> {_stamp(i * 1000 + 900)}", f"{'AB'[i % 2]}: {WORDS[i % len(WORDS)]}", ""]
    return "\n".join(lines).encode("utf-8")


def preview_peak(filename: str, data: bytes) -> tuple[int, int]:
    """(peak bytes allocated while previewing and cutting turns, number of turns), after a warm-up."""
    preview_import("warm.vtt", subtitles(3)).turns()  # language tables and regexes are loaded once
    tracemalloc.start()
    try:
        turns = len(preview_import(filename, data).turns())
        return tracemalloc.get_traced_memory()[1], turns
    finally:
        tracemalloc.stop()


def test_a_subtitle_file_is_previewed_in_about_a_hundred_bytes_a_cue():
    # Before: each cue's lines, cue, paragraph and turn were objects, about 1,080 bytes a cue at the peak.
    peak, turns = preview_peak("zoom.vtt", subtitles(50_000))
    assert turns == 50_000
    assert peak / turns < 250, f"{peak / turns:.0f} bytes a cue"


def test_a_plain_text_of_many_short_lines_is_previewed_without_an_object_per_line():
    data = "\n".join(f"{'IR'[i % 2]}: {WORDS[i % len(WORDS)]}" for i in range(50_000)).encode("utf-8")
    peak, turns = preview_peak("kort.txt", data)
    assert turns == 50_000
    assert peak / turns < 250, f"{peak / turns:.0f} bytes a line"


def test_columns_give_back_the_records_they_were_given():
    given = [Paragraph(0, 5), Paragraph(6, 20, "Anna de Vries", 21, 1_500, 3_000), Paragraph(21, 30, "A", 24)]
    paragraphs = ParagraphList(given)
    assert list(paragraphs) == given and paragraphs == given
    assert (paragraphs[1], paragraphs[-1], paragraphs[1:]) == (given[1], given[-1], given[1:])
    assert len(paragraphs) == 3 and not ParagraphList()
    turns = TurnList()
    turns.add(0, 9, 3, "I", None, 400)
    assert turns == [DetectedTurn(0, 9, 3, "I", None, 400)]


def _stored_rows(engine, project_name: str) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        version = s.scalar(select(TextVersion.id).join(Document).join(Project, Document.project_id == Project.id)
                           .where(Project.name == project_name))
        turns = s.execute(select(Turn.ordinal, Turn.start, Turn.end, Turn.content_start, Turn.language,
                                 Speaker.label).outerjoin(Speaker, Turn.speaker_id == Speaker.id)
                          .where(Turn.text_version_id == version).order_by(Turn.ordinal)).all()
        sentences = s.execute(select(Sentence.ordinal, Sentence.start, Sentence.end, Turn.ordinal)
                              .join(Turn, Sentence.turn_id == Turn.id)
                              .where(Sentence.text_version_id == version).order_by(Sentence.ordinal)).all()
    return [tuple(r) for r in turns], [tuple(r) for r in sentences]


@pytest.mark.parametrize("turn_batch,sentence_batch", [(7, 5), (1, 1)])
def test_storing_in_batches_gives_the_rows_of_one_batch(engine, monkeypatch, turn_batch, sentence_batch):
    text = "\n".join(f"{'IR'[i % 2]}: Zin een van beurt {i}. Zin twee! En drie? {WORDS[i % len(WORDS)]}"
                     for i in range(40))
    preview = preview_import("batches.txt", text.encode("utf-8"))
    stored = {}
    for name, batches in (("whole", (10_000, 10_000)), ("batched", (turn_batch, sentence_batch))):
        monkeypatch.setattr(importer, "TURN_BATCH", batches[0])
        monkeypatch.setattr(importer, "SENTENCE_BATCH", batches[1])
        with write_session(engine) as s:
            create_case(s, create_project(s, name), "Netwerk")
        with write_session(engine) as s:
            project = get_project(s, name)
            store_import(s, project, preview, cases=[get_case(s, project, "Netwerk")])
        stored[name] = _stored_rows(engine, name)
    turns, sentences = stored["whole"]
    assert len(turns) == 40 and len(sentences) == 160
    assert [t[0] for t in turns] == list(range(40)) and [s[0] for s in sentences] == list(range(160))
    assert {t[5] for t in turns} == {"I", "R"}
    assert stored["batched"] == stored["whole"]


def _with_blocks(data: bytes, member: str, before: str, blocks: str) -> bytes:
    """The same package with `blocks` inserted into `member` just before the first `before`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == member:
                xml = content.decode("utf-8")
                at = xml.index(before)
                content = (xml[:at] + blocks + xml[at:]).encode("utf-8")
            target.writestr(info, content)
    return out.getvalue()


def docx_bytes(doc) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _read_peak(filename: str, data: bytes) -> tuple[int, int]:
    """(peak bytes allocated while reading, number of paragraphs)."""
    tracemalloc.start()
    try:
        paragraphs = len(read_source(filename, data).paragraphs)
        return tracemalloc.get_traced_memory()[1], paragraphs
    finally:
        tracemalloc.stop()


def _runs(i: int, run: str) -> str:
    return "".join(run.format(escape(word)) for word in f"{'IR'[i % 2]}: {WORDS[i % len(WORDS)]} {i}".split())


def test_a_word_file_of_tiny_runs_is_read_a_block_at_a_time():
    doc = DocxDocument()
    doc.add_paragraph("Interview")
    run = '<w:r><w:rPr><w:lang w:val="nl-NL"/></w:rPr><w:t xml:space="preserve">{} </w:t></w:r>'
    blocks = "".join(f"<w:p>{_runs(i, run)}</w:p>" for i in range(8_000))
    data = _with_blocks(docx_bytes(doc), "word/document.xml", "<w:sectPr", blocks)
    peak, paragraphs = _read_peak("runs.docx", data)
    assert paragraphs == 8_001
    # As one tree the XML (about 1.7 MB here) took about ten times its size; a block at a time, a fraction of it.
    assert peak < len(blocks) // 2, f"{peak:,} bytes at the peak for {len(blocks):,} bytes of XML"


def test_an_opendocument_file_of_tiny_spans_is_read_a_block_at_a_time():
    doc = OpenDocumentText()
    doc.text.addElement(P(text="Interview"))
    buffer = io.BytesIO()
    doc.write(buffer)
    run = '<text:span text:style-name="T1">{} </text:span>'
    blocks = "".join(f"<text:p>{_runs(i, run)}</text:p>" for i in range(8_000))
    data = _with_blocks(buffer.getvalue(), "content.xml", "</office:text>", blocks)
    peak, paragraphs = _read_peak("runs.odt", data)
    assert paragraphs == 8_001
    assert peak < len(blocks) // 2, f"{peak:,} bytes at the peak for {len(blocks):,} bytes of XML"
