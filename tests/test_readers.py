"""Tests for transcript file readers: encodings, formats, refusals, offsets."""

import io
import zipfile

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from odf import teletype
from odf.opendocument import OpenDocumentText
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.office import Annotation
from odf.text import H, List, ListItem, P, Span

from cases.readers import (
    DEFAULT_MAX_IMPORT_BYTES,
    SUPPORTED_SUFFIXES,
    ImportRefused,
    Paragraph,
    SourceText,
    decode_text_bytes,
    read_source,
)
from cases.textnorm import normalise_text


# ---------------------------------------------------------------- helpers

def para_texts(src: SourceText) -> list[str]:
    return [src.text[p.start:p.end] for p in src.paragraphs]


def content(src: SourceText, p: Paragraph) -> str:
    assert p.content_start is not None
    return src.text[p.content_start:p.end]


def assert_consistent(src: SourceText) -> None:
    """Offsets are inside the normalised text, ordered, trimmed, newline-free."""
    assert normalise_text(src.text) == src.text
    last = 0
    for p in src.paragraphs:
        assert last <= p.start < p.end <= len(src.text)
        piece = src.text[p.start:p.end]
        assert "\n" not in piece and piece == piece.strip()
        if p.content_start is not None:
            assert p.start < p.content_start <= p.end
            assert p.label is not None
            assert src.text[p.start:p.content_start] == f"{p.label}: "
        last = p.end


def docx_bytes(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def refused(filename: str, data: bytes, **kw) -> ImportRefused:
    with pytest.raises(ImportRefused) as info:
        read_source(filename, data, **kw)
    assert info.value.filename == filename
    assert str(info.value) == f"{filename}: {info.value.reason}"
    return info.value


def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


W_DOC = ('<?xml version="1.0" encoding="UTF-8"?>'
         '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
         '<w:body>{}</w:body></w:document>')


# ---------------------------------------------------------------- basics

def test_interface_constants_and_exception():
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".docx", ".vtt", ".srt", ".odt", ".pdf")
    assert DEFAULT_MAX_IMPORT_BYTES == 50 * 1024 * 1024
    e = ImportRefused("a.txt", "the file is empty")
    assert isinstance(e, ValueError)
    assert (e.filename, e.reason, str(e)) == ("a.txt", "the file is empty",
                                              "a.txt: the file is empty")


def test_txt_paragraphs_are_non_empty_lines():
    src = read_source("a.txt", "Eerste regel\n\n  tweede  \n\t\nderde".encode())
    assert src.format == "txt" and src.encoding == "utf-8"
    assert src.text == "Eerste regel\n\n  tweede  \n\t\nderde"
    assert para_texts(src) == ["Eerste regel", "tweede", "derde"]
    assert all(p.label is None and p.content_start is None for p in src.paragraphs)
    assert_consistent(src)


def test_md_suffix_case_insensitive():
    src = read_source("Notities.MD", b"# Kop\nTekst")
    assert src.format == "md"
    assert para_texts(src) == ["# Kop", "Tekst"]


def test_offsets_with_emoji_combining_accents_and_ij():
    raw = "Cafe\u0301 😀 ok\nGröße ĳs en ij\n👩\u200d💻 Zürich"
    src = read_source("x.txt", raw.encode())
    assert src.text == "Café 😀 ok\nGröße ĳs en ij\n👩\u200d💻 Zürich"
    assert para_texts(src) == ["Café 😀 ok", "Größe ĳs en ij", "👩\u200d💻 Zürich"]
    p = src.paragraphs[2]
    assert (p.start, p.end) == (25, 35)  # code points: each emoji is one, ZWJ kept
    assert src.text.index("Zürich") == 29


# ---------------------------------------------------------------- encodings

def test_utf8_with_bom():
    text, enc = decode_text_bytes("\ufeffHallo wereld".encode("utf-8"), "a.txt")
    assert (text, enc) == ("Hallo wereld", "utf-8-sig")
    src = read_source("a.txt", "\ufeffHallo".encode())
    assert src.text == "Hallo" and src.paragraphs == [Paragraph(0, 5)]


@pytest.mark.parametrize("codec,enc", [("utf-16-le", "utf-16-le"),
                                       ("utf-16-be", "utf-16-be")])
def test_utf16_with_bom(codec, enc):
    data = "\ufeffGrüße, 😀 café\r\nR: Ja".encode(codec)
    text, got = decode_text_bytes(data, "t.txt")
    assert got == enc
    assert text == "Grüße, 😀 café\r\nR: Ja"
    src = read_source("t.txt", data)
    assert src.text == "Grüße, 😀 café\nR: Ja"
    assert para_texts(src) == ["Grüße, 😀 café", "R: Ja"]
    assert any("UTF-16" in n for n in src.notices)


def test_utf16_without_bom_detected():
    data = "Hallo wereld, dit is tekst.".encode("utf-16-le")
    text, enc = decode_text_bytes(data, "t.txt")
    assert (text, enc) == ("Hallo wereld, dit is tekst.", "utf-16-le")


def test_cp1252_fallback():
    text, enc = decode_text_bytes(b"caf\xe9 \x93quote\x94 \x80 5", "old.txt")
    assert (text, enc) == ("café “quote” € 5", "cp1252")
    src = read_source("old.txt", b"caf\xe9")
    assert src.text == "café"
    assert src.encoding == "cp1252"
    assert any("Windows-1252" in n for n in src.notices)


def test_strict_utf8_wins_over_cp1252():
    text, enc = decode_text_bytes("café".encode("utf-8"), "a.txt")
    assert (text, enc) == ("café", "utf-8")


def test_double_encoded_utf8_repaired():
    mojibake = "Café in Zürich – ‘top’".encode("utf-8").decode("cp1252").encode("utf-8")
    assert "CafÃ©" in mojibake.decode("utf-8")
    text, enc = decode_text_bytes(mojibake, "m.txt")
    assert text == "Café in Zürich – ‘top’"
    src = read_source("m.txt", mojibake)
    assert src.text == "Café in Zürich – ‘top’"
    assert any("double-encoded" in n for n in src.notices)


def test_double_encoded_right_quote_with_undefined_cp1252_byte():
    # U+201D is E2 80 9D; 0x9D is undefined in cp1252 and survives as U+009D.
    text, _ = decode_text_bytes("“ja” zei ze".encode("utf-8").decode("latin-1")
                                .translate({0x80: "€", 0x9c: "œ"}).encode("utf-8"), "q.txt")
    assert text == "“ja” zei ze"


def test_latin1_style_mojibake_repaired_and_lookalikes_left_alone():
    latin1 = "Größe 😀".encode("utf-8").decode("latin-1").encode("utf-8")
    assert decode_text_bytes(latin1, "m.txt")[0] == "Größe 😀"
    # "ß" + NBSP re-encodes to valid UTF-8 (an NKo letter) but is genuine text.
    assert decode_text_bytes("Fuß\u00a0ball".encode("utf-8"), "m.txt")[0] == "Fuß\u00a0ball"


def test_mojibake_not_repaired_when_it_does_not_round_trip():
    # "Ã©" next to a real emoji cannot be re-encoded to cp1252: leave it alone.
    text, _ = decode_text_bytes("CafÃ© 😀".encode("utf-8"), "m.txt")
    assert text == "CafÃ© 😀"


def test_crlf_and_lone_cr():
    src = read_source("w.txt", b"regel een\r\nregel twee\rregel drie\r\n")
    assert src.text == "regel een\nregel twee\nregel drie\n"
    assert para_texts(src) == ["regel een", "regel twee", "regel drie"]


def test_binary_with_nul_bytes_refused():
    e = refused("foto.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200)
    assert "binary" in e.reason and "NUL" in e.reason


def test_binary_control_characters_refused():
    e = refused("data.txt", bytes(range(1, 9)) * 50 + b"abc")
    assert "binary" in e.reason and "control" in e.reason


def test_few_stray_controls_are_just_removed():
    src = read_source("a.txt", b"Hallo\x07 wereld, dit is een gewone tekst met een bel.")
    assert src.text == "Hallo wereld, dit is een gewone tekst met een bel."


# ---------------------------------------------------------------- refusals

def test_empty_file_refused():
    assert "empty" in refused("a.txt", b"").reason


def test_whitespace_only_refused():
    assert "whitespace" in refused("a.txt", b" \r\n\t \n").reason
    assert "whitespace" in refused("a.txt", "\ufeff\u00a0\u200b\n".encode()).reason


def test_oversize_refused_with_sizes():
    e = refused("big.txt", b"x" * 3 * 1024 * 1024, max_bytes=2 * 1024 * 1024)
    assert "3.0 MB" in e.reason and "2.0 MB" in e.reason


def test_default_limit_is_50_mb_in_message():
    data = b"a" * (DEFAULT_MAX_IMPORT_BYTES + 1)
    e = refused("big.txt", data)
    assert "50.0 MB" in e.reason


def test_unknown_suffix_lists_supported():
    e = refused("rapport.rtf", b"{\\rtf1 hallo}")
    assert "'.rtf'" in e.reason
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in e.reason
    assert "extension" in refused("README", b"hallo").reason


# ---------------------------------------------------------------- docx

def tracked_change_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("Interview netwerk Oost")
    p = d.add_paragraph("Wij ")
    # Edit the XML: a tracked insertion (kept) and a tracked deletion (dropped).
    p._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="1" w:author="Anna" w:date="2024-03-12T10:00:00Z">'
        '<w:r><w:t xml:space="preserve">leerden </w:t></w:r></w:ins>'))
    p._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="2" w:author="Anna" w:date="2024-03-12T10:00:00Z">'
        '<w:r><w:delText xml:space="preserve">nooit </w:delText></w:r></w:del>'))
    p.add_run("veel.")
    return docx_bytes(d)


def test_docx_tracked_changes_keep_insertions_drop_deletions():
    src = read_source("t.docx", tracked_change_docx())
    assert src.format == "docx" and src.encoding is None
    assert para_texts(src) == ["Interview netwerk Oost", "Wij leerden veel."]
    assert "nooit" not in src.text
    assert "2 tracked changes: inserted text kept, deleted text dropped" in src.notices
    assert_consistent(src)


def speaker_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("Interview netwerk Oost")
    p = d.add_paragraph()
    p.add_run("Interviewer:").bold = True
    p.add_run(" Hoe begon het netwerk?")
    p = d.add_paragraph()
    p.add_run("Anna de Vries").bold = True
    p.add_run(": Met koffie 😀 in Zürich,\u00a0ĳs.")
    p = d.add_paragraph()
    p.add_run("Let op").bold = True
    p.add_run(" dit is geen label.")
    table = d.add_table(rows=0, cols=3)
    for who, when, what in [("Spreker", "Tijd", "Tekst"),
                            ("Jan", "00:01:23", "Wij leerden veel van elkaar."),
                            ("Anna", "00:01:30", "Dat klopt, Größe telt."),
                            ("Jan", "1:02:03", "Dank je.")]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = who, when, what
    d.add_paragraph("Slot\nmet een regeleinde")
    other = d.add_table(rows=2, cols=2)
    other.cell(0, 0).text, other.cell(0, 1).text = "Datum", "12 maart 2024"
    other.cell(1, 0).text, other.cell(1, 1).text = "Locatie", "Utrecht"
    d.add_paragraph("Einde.")
    return docx_bytes(d)


def test_docx_bold_labels_speaker_table_and_order():
    src = read_source("s.docx", speaker_docx())
    assert para_texts(src) == [
        "Interview netwerk Oost",
        "Interviewer: Hoe begon het netwerk?",
        "Anna de Vries: Met koffie 😀 in Zürich, ĳs.",
        "Let op dit is geen label.",
        "Jan: Wij leerden veel van elkaar.",
        "Anna: Dat klopt, Größe telt.",
        "Jan: Dank je.",
        "Slot met een regeleinde",
        "Datum\t12 maart 2024",
        "Locatie\tUtrecht",
        "Einde.",
    ]
    ps = src.paragraphs
    assert [p.label for p in ps] == [None, "Interviewer", "Anna de Vries", None, "Jan",
                                     "Anna", "Jan", None, None, None, None]
    assert content(src, ps[1]) == "Hoe begon het netwerk?"
    assert content(src, ps[2]) == "Met koffie 😀 in Zürich, ĳs."
    assert content(src, ps[5]) == "Dat klopt, Größe telt."
    assert [p.start_ms for p in ps[4:7]] == [83_000, 90_000, 3_723_000]
    assert_consistent(src)


def test_docx_bold_via_character_style_and_fully_bold_paragraph():
    d = docx.Document()
    p = d.add_paragraph()
    p.add_run("Interviewer:", style="Strong")
    p.add_run(" Vraag één?")
    d.add_paragraph().add_run("R: Helemaal vet gedrukt.").bold = True
    p = d.add_paragraph()
    p.add_run("Dit is een veel te lange vetgedrukte zin die geen label is:").bold = True
    p.add_run(" tekst.")
    src = read_source("s.docx", docx_bytes(d))
    assert [(p.label, content(src, p) if p.label else None) for p in src.paragraphs] == [
        ("Interviewer", "Vraag één?"), ("R", "Helemaal vet gedrukt."), (None, None)]


def test_docx_two_column_speaker_table_without_header():
    d = docx.Document()
    t = d.add_table(rows=0, cols=2)
    for who, what in [("I", "Wat deed u?"), ("R", "Ik leerde."), ("I", "En toen?"),
                      ("", "Vervolg zonder spreker.")]:
        cells = t.add_row().cells
        cells[0].text, cells[1].text = who, what
    src = read_source("t.docx", docx_bytes(d))
    assert para_texts(src) == ["I: Wat deed u?", "R: Ik leerde.", "I: En toen?",
                               "Vervolg zonder spreker."]
    assert [p.label for p in src.paragraphs] == ["I", "R", "I", None]


def test_docx_comments_and_footnotes_noticed_not_imported():
    d = docx.Document()
    p = d.add_paragraph()
    run = p.add_run("Tekst met commentaar.")
    d.add_comment(run, text="Check dit", author="Anna")
    p2 = d.add_paragraph("Samenwerking")
    p2._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:footnoteReference w:id="1"/></w:r>'))
    src = read_source("c.docx", docx_bytes(d))
    assert para_texts(src) == ["Tekst met commentaar.", "Samenwerking"]
    assert "Check dit" not in src.text
    assert "1 comment ignored" in src.notices
    assert "1 footnote ignored" in src.notices


def test_docx_empty_document_refused():
    assert "no text" in refused("leeg.docx", docx_bytes(docx.Document())).reason


def test_docx_not_a_zip_refused():
    assert "not a valid zip" in refused("x.docx", b"dit is geen zip").reason


def test_docx_truncated_zip_refused():
    data = speaker_docx()
    e = refused("kapot.docx", data[: len(data) // 2])
    assert "corrupt" in e.reason


def test_docx_missing_document_xml_refused():
    e = refused("x.docx", make_zip({"foo.txt": b"hallo"}))
    assert "word/document.xml" in e.reason and "missing" in e.reason


def test_docx_xml_error_refused():
    e = refused("x.docx", make_zip({"word/document.xml": b"<w:document><w:body>"}))
    assert "XML error" in e.reason


def test_docx_entity_declarations_refused():
    evil = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY lol "lol">]>'
            b'<d>&lol;</d>')
    e = refused("x.docx", make_zip({"word/document.xml": evil}))
    assert "DTD" in e.reason or "entit" in e.reason


def test_zip_bomb_ratio_refused():
    bomb = make_zip({"word/document.xml": b"\x00" * (11 * 1024 * 1024)})
    assert len(bomb) < 100_000
    e = refused("bom.docx", bomb)
    assert "zip bomb" in e.reason


def test_zip_total_size_refused():
    chunk = b"\x00" * (10 * 1024 * 1024)  # at the ratio threshold, not over it
    bomb = make_zip({f"word/media/{i}.bin": chunk for i in range(21)})
    e = refused("groot.docx", bomb)
    assert "expands to" in e.reason and "200.0 MB" in e.reason


def test_zip_too_many_members_refused():
    many = make_zip({f"x/{i}": b"" for i in range(10_001)}, zipfile.ZIP_STORED)
    assert "members" in refused("veel.docx", many).reason


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/passwd", "word/../../x.xml"])
def test_zip_unsafe_member_names_refused(name):
    data = make_zip({name: b"x", "word/document.xml": W_DOC.format("").encode()})
    assert "unsafe path" in refused("pad.docx", data).reason


def test_docx_handmade_xml_breaks_tabs_and_skipped_parts():
    body = ('<w:p><w:r><w:t>Regel</w:t><w:br/><w:t>twee</w:t><w:tab/><w:t>tab</w:t>'
            '</w:r><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>'
            '<w:sdt><w:sdtContent><w:p><w:r><w:t>In content control</w:t></w:r></w:p>'
            '</w:sdtContent></w:sdt><w:p/>'
            '<w:p><w:r><w:rPr><w:b w:val="0"/></w:rPr><w:t>Niet vet:</w:t></w:r>'
            '<w:r><w:t xml:space="preserve"> gewoon</w:t></w:r></w:p>')
    src = read_source("h.docx", make_zip({"word/document.xml": W_DOC.format(body).encode()}))
    assert para_texts(src) == ["Regel twee\ttab", "In content control", "Niet vet: gewoon"]
    assert all(p.label is None for p in src.paragraphs)


# ---------------------------------------------------------------- odt

def odt_bytes() -> bytes:
    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Interview Größe"))
    p = P()
    teletype.addTextToElement(p, "I: Twee  spaties\ten tab 😀")
    doc.text.addElement(p)
    p = P(text="R: Ja, ")
    p.addElement(Span(text="ĳs"))
    p.addText(" en Cafe\u0301.")
    ann = Annotation()
    ann.addElement(P(text="commentaar niet importeren"))
    p.addElement(ann)
    doc.text.addElement(p)
    lst = List()
    item = ListItem()
    item.addElement(P(text="Lijstpunt"))
    lst.addElement(item)
    doc.text.addElement(lst)
    doc.text.addElement(P(text=""))
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def test_odt_paragraphs_headings_and_lists_in_order():
    src = read_source("i.odt", odt_bytes())
    assert src.format == "odt"
    assert para_texts(src) == ["Interview Größe", "I: Twee  spaties\ten tab 😀",
                               "R: Ja, ĳs en Café.", "Lijstpunt"]
    assert src.text == "\n".join(para_texts(src))
    assert "commentaar" not in src.text
    assert "1 comment ignored" in src.notices
    assert_consistent(src)


def test_odt_speaker_table():
    doc = OpenDocumentText()
    table = Table(name="Transcript")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for who, what in [("I", "Hoe begon het?"), ("R", "Klein, met vijf bedrijven."),
                      ("I", "En nu?")]:
        row = TableRow()
        for value in (who, what):
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    doc.text.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    src = read_source("t.odt", buf.getvalue())
    assert para_texts(src) == ["I: Hoe begon het?", "R: Klein, met vijf bedrijven.",
                               "I: En nu?"]
    assert [p.label for p in src.paragraphs] == ["I", "R", "I"]
    assert content(src, src.paragraphs[1]) == "Klein, met vijf bedrijven."


def test_odt_missing_content_refused():
    e = refused("x.odt", make_zip({"mimetype": b"application/vnd.oasis.opendocument.text"}))
    assert "content.xml" in e.reason


# ---------------------------------------------------------------- vtt

TEAMS_VTT = """WEBVTT
Kind: captions

NOTE exported by Teams

STYLE
::cue { color: white }

3f1c2a-1
00:00:01.000 --> 00:00:03.500
<v Anna de Vries>Goedemorgen allemaal,</v>

3f1c2a-2
00:00:03.600 --> 00:00:05.000 align:start
<v Anna de Vries>fijn dat <i>jullie</i> er zijn. 😀</v>

3f1c2a-3
00:00:05.500 --> 00:00:08.000
<v Jan Smit>Dank je &amp; graag. Größe!</v>

00:01:00.000 --> 00:01:02.000
<v.loud Anna de Vries>Nog één <c.yellow>vraag</c>.</v>
"""


def test_vtt_teams_voices_merged_with_times():
    src = read_source("teams.vtt", TEAMS_VTT.encode())
    assert src.format == "vtt"
    assert para_texts(src) == [
        "Anna de Vries: Goedemorgen allemaal, fijn dat jullie er zijn. 😀",
        "Jan Smit: Dank je & graag. Größe!",
        "Anna de Vries: Nog één vraag.",
    ]
    a, j, a2 = src.paragraphs
    assert (a.label, a.start_ms, a.end_ms) == ("Anna de Vries", 1000, 5000)
    assert (j.label, j.start_ms, j.end_ms) == ("Jan Smit", 5500, 8000)
    assert (a2.start_ms, a2.end_ms) == (60_000, 62_000)
    assert content(src, a) == "Goedemorgen allemaal, fijn dat jullie er zijn. 😀"
    assert content(src, j) == "Dank je & graag. Größe!"
    assert "NOTE" not in src.text and "cue" not in src.text
    assert_consistent(src)


def test_vtt_two_voices_in_one_cue():
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Anna>Ja?</v>\n<v Jan>Nee.</v>\n\n"
           "00:00:02.000 --> 00:00:03.000\n<v Jan>Echt niet.</v>\n")
    src = read_source("x.vtt", vtt.encode())
    assert para_texts(src) == ["Anna: Ja?", "Jan: Nee. Echt niet."]
    assert src.paragraphs[1].start_ms == 1000 and src.paragraphs[1].end_ms == 3000


ZOOM_VTT = """WEBVTT

1
00:00:01.500 --> 00:00:04.000
Jan van der Berg: Welkom bij dit gesprek.

2
00:00:04.100 --> 00:00:06.000
Jan van der Berg: Zullen we beginnen?

3
00:00:06.500 --> 00:00:09.250
Anna de Vries: Ja, graag. Het netwerk is in 2019 begonnen.
"""


def test_vtt_zoom_name_prefix():
    src = read_source("zoom.vtt", ZOOM_VTT.encode())
    assert para_texts(src) == [
        "Jan van der Berg: Welkom bij dit gesprek. Zullen we beginnen?",
        "Anna de Vries: Ja, graag. Het netwerk is in 2019 begonnen.",
    ]
    first, second = src.paragraphs
    assert (first.label, first.start_ms, first.end_ms) == ("Jan van der Berg", 1500, 6000)
    assert content(src, second) == "Ja, graag. Het netwerk is in 2019 begonnen."
    assert (second.start_ms, second.end_ms) == (6500, 9250)


def test_vtt_blank_line_inside_cue_text_is_continuation():
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nEerste deel\n\ntweede deel.\n\n"
           "00:00:09.000 --> 00:00:10.000\nVolgende.\n")
    src = read_source("x.vtt", vtt.encode())
    assert para_texts(src) == ["Eerste deel tweede deel.", "Volgende."]


def test_vtt_without_hours_and_crlf():
    vtt = "WEBVTT\r\n\r\n01:02.500 --> 01:04.000\r\nKorte tekst.\r\n"
    src = read_source("x.vtt", vtt.encode())
    assert para_texts(src) == ["Korte tekst."]
    assert (src.paragraphs[0].start_ms, src.paragraphs[0].end_ms) == (62_500, 64_000)
    assert src.paragraphs[0].label is None


def test_vtt_header_required():
    e = refused("x.vtt", b"00:00:01.000 --> 00:00:02.000\nHallo\n")
    assert "not a WebVTT file" in e.reason


def test_vtt_malformed_timestamp_names_line():
    vtt = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nGoed\n\n"
           "2\n00:00:xx.000 --> 00:00:04.000\nFout\n")
    e = refused("x.vtt", vtt.encode())
    assert "line 8" in e.reason and "malformed" in e.reason


def test_vtt_seconds_over_59_refused():
    e = refused("x.vtt", b"WEBVTT\n\n00:00:61.000 --> 00:01:02.000\nFout\n")
    assert "line 3" in e.reason


def test_vtt_without_cues_refused():
    e = refused("x.vtt", b"WEBVTT\n\nNOTE alleen een notitie\n")
    assert "no subtitle cues" in e.reason and "line" in e.reason


# ---------------------------------------------------------------- srt

SRT = """1
00:00:01,000 --> 00:00:02,000
Hallo daar,

2
00:00:02,500 --> 00:00:04,000
<i>hoe gaat het</i> met je?

3
00:00:06,000 --> 00:00:08,000
Goed, dank je.
Echt goed.
"""


def test_srt_merges_until_pause_of_two_seconds():
    src = read_source("x.srt", SRT.encode("utf-8"))
    assert src.format == "srt"
    assert para_texts(src) == ["Hallo daar, hoe gaat het met je?", "Goed, dank je. Echt goed."]
    assert [(p.start_ms, p.end_ms) for p in src.paragraphs] == [(1000, 4000), (6000, 8000)]
    assert all(p.label is None for p in src.paragraphs)


def test_srt_long_paragraph_split_after_600_chars():
    sentence = "Dit is een vrij lange zin over samenwerking in het netwerk."  # 59 chars
    cues = []
    for i in range(15):  # 119-character cues, 0.5 s apart
        cues.append(f"{i + 1}\n00:00:{i * 2:02d},000 --> 00:00:{i * 2 + 1:02d},500\n"
                    f"{sentence} {sentence}\n")
    src = read_source("lang.srt", "\n".join(cues).encode())
    # a paragraph takes cues until it is over 600 characters: 6 cues = 719
    assert [len(t) for t in para_texts(src)] == [719, 719, 359]
    assert src.paragraphs[0].start_ms == 0 and src.paragraphs[-1].end_ms == 29_500


def test_srt_zoom_prefix_with_cp1252():
    srt = ("1\r\n00:00:01,000 --> 00:00:02,000\r\nRen\xe9 Maas: Caf\xe9 is open.\r\n\r\n"
           "2\r\n00:00:02,100 --> 00:00:03,000\r\nAnna: Prima.\r\n").encode("latin-1")
    src = read_source("z.srt", srt)
    assert src.encoding == "cp1252"
    assert para_texts(src) == ["René Maas: Café is open.", "Anna: Prima."]
    assert [p.label for p in src.paragraphs] == ["René Maas", "Anna"]


def test_srt_occasional_colon_is_not_a_speaker():
    srt = ("1\n00:00:01,000 --> 00:00:02,000\nLet op: dit is belangrijk.\n\n"
           "2\n00:00:05,000 --> 00:00:06,000\nEn dit ook.\n\n"
           "3\n00:00:09,000 --> 00:00:10,000\nEn verder niets.\n")
    src = read_source("z.srt", srt.encode())
    assert all(p.label is None for p in src.paragraphs)
    assert para_texts(src)[0] == "Let op: dit is belangrijk."


def test_srt_malformed_timing_refused_with_line():
    srt = "1\n00:00:01,000 --> 00:00:02,000\nGoed\n\n2\n00:00:03 --> 00:00:04,000\nFout\n"
    e = refused("x.srt", srt.encode())
    assert "line 6" in e.reason


def test_srt_without_cues_refused():
    e = refused("x.srt", b"1\nGewoon tekst zonder tijden\n")
    assert "line 1" in e.reason


# ---------------------------------------------------------------- properties

TEXTY = st.text(st.sampled_from(list("ab ßé\u0301\r\n\t😀\u00a0\u200b\ufeffĳ:<>")),
                min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(TEXTY)
def test_txt_offsets_always_consistent(raw):
    try:
        src = read_source("p.txt", raw.encode("utf-8"))
    except ImportRefused as e:
        assert "whitespace" in e.reason
        return
    assert_consistent(src)
    assert src.text == normalise_text(raw)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Anna", "Jan", None]), TEXTY), min_size=1,
                max_size=8))
def test_vtt_offsets_always_consistent(cues):
    lines = ["WEBVTT", ""]
    for i, (voice, text) in enumerate(cues):
        text = " ".join(text.replace("<", "").replace(">", "").split()) + " x"
        lines += [f"00:00:{i:02d}.000 --> 00:00:{i:02d}.900",
                  f"<v {voice}>{text}</v>" if voice else text, ""]
    src = read_source("p.vtt", "\n".join(lines).encode("utf-8"))
    assert_consistent(src)
