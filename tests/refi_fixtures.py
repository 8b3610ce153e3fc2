"""Small REFI-QDA project files built in the test run, the way other tools write them (their quirks included).

`vendor_project` writes one interview with CRLF line ends, an emoji and an accented name, selections whose
positions count as the named vendor counts, and every element type Kruispunt reads.
"""

from __future__ import annotations

import io
import zipfile

TEXT = ("I: Welkom bij het gesprek 😀 over het netwerk.\r\n"
        "R: José vertelt: de fieldlab-sessie gaf nieuwe contacten.\r\n"
        "R: Daarna veranderde ons idee van succes.\r\n")
SOURCE_GUID = "40000000-0000-0000-0000-00000000000a"
PHRASES = ("gesprek 😀 over", "fieldlab-sessie gaf nieuwe contacten", "veranderde ons idee van succes")


def lf_text() -> str:
    return TEXT.replace("\r\n", "\n")


def position(text: str, index: int, convention: str) -> int:
    """Where code point `index` of `text` (as written, CRLF) lies in a vendor's counting."""
    before = text[:index]
    if convention == "utf16":
        return len(before.encode("utf-16-le")) // 2
    if convention == "utf8":
        return len(before.encode("utf-8"))
    if convention == "lf":
        return len(before.replace("\r\n", "\n"))
    return len(before)


def vendor_project(*, origin: str = "NVivo 14", convention: str = "utf16", guid_style: str = "upper",
                   folder: str = "Sources", qde_name: str = "Project Export.qde", wrapper: bool = True,
                   empty_sets: bool = True, names: bool = True) -> bytes:
    """A .qdpx as `origin` writes it: positions in `convention`, GUIDs upper-case or braced, its folder name."""

    def g(guid: str) -> str:
        return {"upper": guid.upper(), "braced": "{" + guid + "}"}.get(guid_style, guid)

    selections = []
    for n, phrase in enumerate(PHRASES, start=1):
        start = TEXT.index(phrase)
        end = start + len(phrase)
        name = f' name="{phrase}"' if names else ""
        code = "20000000-0000-0000-0000-000000000002" if n != 3 else "20000000-0000-0000-0000-000000000003"
        note = '<NoteRef targetGUID="%s"/>' % g("a0000000-0000-0000-0000-000000000002") if n == 2 else ""
        selections.append(
            f'<PlainTextSelection guid="{g(f"50000000-0000-0000-0000-00000000000{n}")}"{name} '
            f'startPosition="{position(TEXT, start, convention)}" endPosition="{position(TEXT, end, convention)}" '
            f'creatingUser="{g("10000000-0000-0000-0000-000000000001")}">'
            f'<Coding guid="{g(f"60000000-0000-0000-0000-00000000000{n}")}" '
            f'creatingUser="{g("10000000-0000-0000-0000-000000000001")}"><CodeRef targetGUID="{g(code)}"/>'
            f'</Coding>{note}</PlainTextSelection>')
    codes = (f'<Code guid="{g("20000000-0000-0000-0000-000000000002")}" name="Potential value" isCodable="true" '
             'color="#33CC33"><Description>Knowledge, contacts</Description></Code>'
             f'<Code guid="{g("20000000-0000-0000-0000-000000000003")}" name="Transformative value" '
             'isCodable="true"/>')
    if wrapper:
        wrapper_guid = g("20000000-0000-0000-0000-000000000001")
        codes = f'<Code guid="{wrapper_guid}" name="Nodes" isCodable="false">{codes}</Code>'
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Vendor study" origin="{origin}"
  creatingUserGUID="{g('10000000-0000-0000-0000-000000000001')}">
 <Users><User guid="{g('10000000-0000-0000-0000-000000000001')}" name="Anna"/></Users>
 <CodeBook><Codes>{codes}</Codes></CodeBook>
 <Variables><Variable guid="{g('30000000-0000-0000-0000-000000000001')}" name="Region" typeOfVariable="Text"/>
  <Variable guid="{g('30000000-0000-0000-0000-000000000002')}" name="Members" typeOfVariable="Integer"/></Variables>
 <Cases><Case guid="{g('d0000000-0000-0000-0000-000000000001')}" name="Fieldlab network">
  <VariableValue><VariableRef targetGUID="{g('30000000-0000-0000-0000-000000000001')}"/><TextValue>Twente</TextValue>
  </VariableValue>
  <VariableValue><VariableRef targetGUID="{g('30000000-0000-0000-0000-000000000002')}"/><IntegerValue>42</IntegerValue>
  </VariableValue>
  <SourceRef targetGUID="{g(SOURCE_GUID)}"/></Case></Cases>
 <Sources><TextSource guid="{g(SOURCE_GUID)}" name="Interview José" plainTextPath="internal://{SOURCE_GUID}.txt">
  {''.join(selections)}<NoteRef targetGUID="{g('a0000000-0000-0000-0000-000000000001')}"/></TextSource></Sources>
 <Notes><Note guid="{g('a0000000-0000-0000-0000-000000000001')}" name="Interview memo">
   <PlainTextContent>Long pause after the question about success.</PlainTextContent></Note>
  <Note guid="{g('a0000000-0000-0000-0000-000000000002')}" name="On fieldlab">
   <PlainTextContent>The fieldlab is where contacts start.</PlainTextContent></Note></Notes>
 {'<Sets/>' if empty_sets else ''}
</Project>"""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(qde_name, xml.encode("utf-8"))
        archive.writestr(f"{folder}/{SOURCE_GUID}.txt", b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    return data.getvalue()


def archive_of(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return data.getvalue()
