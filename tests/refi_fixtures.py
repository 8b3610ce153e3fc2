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


def every_element_project() -> bytes:
    """A .qdpx holding every element type of the standard (what Kruispunt keeps and what it reports), written as
    a careful tool would: a wrapper root; notes on the project, a code, a source, a selection and a coding; a
    selection with a memo but no code (its start 2 characters off, as its name shows); a case's code and
    selection references; a set of codes and sources; a link; a graph; and PDF, picture, audio and video sources
    with their selections."""
    text = "Kennis delen in het netwerk levert nieuwe contacten op.\n"
    guid = "40000000-0000-0000-0000-0000000000b1"
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Every element" origin="Careful Tool 2.0"
 creatingUserGUID="10000000-0000-0000-0000-0000000000b1">
 <Users><User guid="10000000-0000-0000-0000-0000000000b1" name="Bo"/></Users>
 <CodeBook><Codes><Code guid="20000000-0000-0000-0000-0000000000b0" name="All codes" isCodable="false">
  <Code guid="20000000-0000-0000-0000-0000000000b1" name="Kennis" isCodable="true" color="#112233">
   <Description>Knowledge shared</Description><NoteRef targetGUID="a0000000-0000-0000-0000-0000000000b3"/>
  </Code>
  <Code guid="20000000-0000-0000-0000-0000000000b2" name="Thema's" isCodable="false"/>
 </Code></Codes></CodeBook>
 <Variables><Variable guid="30000000-0000-0000-0000-0000000000b1" name="Since" typeOfVariable="Date"/>
  <Variable guid="30000000-0000-0000-0000-0000000000b2" name="Share" typeOfVariable="Float"/>
  <Variable guid="30000000-0000-0000-0000-0000000000b3" name="Seen" typeOfVariable="DateTime"/></Variables>
 <Cases><Case guid="d0000000-0000-0000-0000-0000000000b1" name="Netwerk B"><Description>Een netwerk</Description>
  <CodeRef targetGUID="20000000-0000-0000-0000-0000000000b1"/>
  <VariableValue><VariableRef targetGUID="30000000-0000-0000-0000-0000000000b1"/><DateValue>2019-05-01</DateValue>
  </VariableValue>
  <VariableValue><VariableRef targetGUID="30000000-0000-0000-0000-0000000000b2"/><FloatValue>0.25</FloatValue>
  </VariableValue>
  <SourceRef targetGUID="{guid}"/><SelectionRef targetGUID="50000000-0000-0000-0000-0000000000b1"/></Case></Cases>
 <Sources>
  <TextSource guid="{guid}" name="Notulen.txt" plainTextPath="internal://{guid}.txt">
   <Description>Minutes of the May meeting</Description>
   <PlainTextSelection guid="50000000-0000-0000-0000-0000000000b1" name="Kennis delen" startPosition="0"
    endPosition="12" creatingUser="10000000-0000-0000-0000-0000000000b1">
    <Description>Said twice</Description>
    <Coding guid="60000000-0000-0000-0000-0000000000b1"><CodeRef targetGUID="20000000-0000-0000-0000-0000000000b1"/>
     <NoteRef targetGUID="a0000000-0000-0000-0000-0000000000b4"/></Coding>
    <Coding guid="60000000-0000-0000-0000-0000000000b2"><CodeRef targetGUID="20000000-0000-0000-0000-0000000000b2"/>
    </Coding></PlainTextSelection>
   <PlainTextSelection guid="50000000-0000-0000-0000-0000000000b2" name="nieuwe contacten" startPosition="37"
    endPosition="53"><Description>An uncoded passage with a memo</Description></PlainTextSelection>
   <PlainTextSelection guid="50000000-0000-0000-0000-0000000000b3" startPosition="500" endPosition="510">
    <Coding guid="60000000-0000-0000-0000-0000000000b3"><CodeRef targetGUID="20000000-0000-0000-0000-0000000000b1"/>
    </Coding></PlainTextSelection>
   <NoteRef targetGUID="a0000000-0000-0000-0000-0000000000b2"/>
   <VariableValue><VariableRef targetGUID="30000000-0000-0000-0000-0000000000b3"/>
    <DateTimeValue>2019-05-01T10:00:00Z</DateTimeValue></VariableValue>
  </TextSource>
  <PDFSource guid="40000000-0000-0000-0000-0000000000b2" name="plan.pdf" path="internal://plan.pdf">
   <PDFSelection guid="50000000-0000-0000-0000-0000000000b4" page="0" firstX="1" firstY="1" secondX="9" secondY="9">
    <Coding guid="60000000-0000-0000-0000-0000000000b4"><CodeRef targetGUID="20000000-0000-0000-0000-0000000000b1"/>
    </Coding></PDFSelection></PDFSource>
  <PictureSource guid="40000000-0000-0000-0000-0000000000b3" name="foto.jpg" path="internal://foto.jpg"/>
  <AudioSource guid="40000000-0000-0000-0000-0000000000b4" name="gesprek.m4a" path="relative:///gesprek.m4a">
   <AudioSelection guid="50000000-0000-0000-0000-0000000000b5" begin="0" end="10"/></AudioSource>
  <VideoSource guid="40000000-0000-0000-0000-0000000000b5" name="clip.mp4" path="absolute:///clip.mp4"/>
 </Sources>
 <Notes>
  <Note guid="a0000000-0000-0000-0000-0000000000b1" name="Projectmemo">
   <PlainTextContent>Over het project</PlainTextContent></Note>
  <Note guid="a0000000-0000-0000-0000-0000000000b2" name="Bronmemo">
   <PlainTextContent>Over de notulen</PlainTextContent></Note>
  <Note guid="a0000000-0000-0000-0000-0000000000b3" name="Codememo">
   <PlainTextContent>Over de code</PlainTextContent></Note>
  <Note guid="a0000000-0000-0000-0000-0000000000b4" name="Coderingsmemo">
   <PlainTextContent>Over de codering</PlainTextContent></Note>
 </Notes>
 <Links><Link guid="b0000000-0000-0000-0000-0000000000b1" name="rel" direction="OneWay"
  originGUID="a0000000-0000-0000-0000-0000000000b1" targetGUID="50000000-0000-0000-0000-0000000000b1"/></Links>
 <Sets><Set guid="c0000000-0000-0000-0000-0000000000b1" name="Vergaderingen">
  <MemberCode targetGUID="20000000-0000-0000-0000-0000000000b1"/>
  <MemberSource targetGUID="{guid}"/></Set></Sets>
 <Graphs><Graph guid="e0000000-0000-0000-0000-0000000000b1" name="Model">
  <Vertex guid="e1000000-0000-0000-0000-0000000000b1" representedGUID="20000000-0000-0000-0000-0000000000b1"
   firstX="1" firstY="1"/></Graph></Graphs>
 <Description>A project using every element</Description>
 <NoteRef targetGUID="a0000000-0000-0000-0000-0000000000b1"/>
</Project>"""
    return archive_of({"project.qde": xml.encode("utf-8"), f"sources/{guid}.txt": text.encode("utf-8"),
                       "sources/plan.pdf": b"%PDF-1.4 not read", "sources/foto.jpg": b"\xff\xd8 not read"})
