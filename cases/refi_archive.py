"""Opening a REFI-QDA project (.qdpx archive or bare .qde) without trusting it.

A project file comes from another tool or another person, so everything is checked before a byte is read into
memory in full: zip entries with absolute or `..` paths (zip-slip), more entries or more uncompressed bytes than a
project plausibly holds, and compression ratios only a zip bomb has are refused by the sizes the archive declares,
and each read is capped at the declared size, so a lying header cannot inflate past it. XML goes through
defusedxml, which refuses DTDs, entities and external references. Vendors differ in small ways that are all
accepted: any `.qde` name, a `sources/` or `Sources/` folder, `internal://` missing from a path.
"""

from __future__ import annotations

import io
import lzma
import re
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from defusedxml import ElementTree as SafeET

from store.errors import Refused

MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024  # the file itself (audio and video in it are never unpacked)
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # everything read from it: the .qde, the texts and notes
MAX_ENTRY_BYTES = 200 * 1024 * 1024  # one entry read (the .qde of 100,000 codings is about 40 MB)
MAX_ENTRIES = 50_000
MAX_RATIO = 200  # uncompressed / compressed for any entry over 1 MB; text compresses 3-10x, a bomb 1000x
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def local(tag: str) -> str:
    """An element's name without its namespace (vendors use several, or none)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_guid(text: str | None) -> uuid.UUID | None:
    """A GUID in any case, with or without braces; None when it is not one."""
    match = _GUID.match((text or "").strip())
    return uuid.UUID(match.group(1)) if match else None


def parse_xml(data: bytes, filename: str):  # type: ignore[no-untyped-def]
    """The root element, or a one-line refusal: not XML, or XML with a DTD, entities or external references."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except SafeET.ParseError as exc:
        raise Refused(f"{filename}: not a readable XML file ({exc})") from None
    except Exception as exc:  # defusedxml's DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
        raise Refused(f"{filename}: refused, it declares a DTD or entities, which a REFI-QDA file never needs "
                      f"({exc.__class__.__name__})") from None


@dataclass
class RefiPackage:
    """A project's XML root and the source files that came with it (looked up by the name a path ends in)."""

    filename: str
    root: object
    files: dict[str, bytes] = field(default_factory=dict)  # a bare .qde's sources folder: lower-cased name -> bytes
    has_sources_folder: bool = False
    archive: bool = False  # a .qdpx (its sources must be in it), not a bare .qde
    _zip: zipfile.ZipFile | None = None
    _entries: dict[str, zipfile.ZipInfo] = field(default_factory=dict)  # the archive's sources, read when named
    _read_bytes: int = 0

    @property
    def origin(self) -> str:
        return (self.root.get("origin") or "").strip()  # type: ignore[attr-defined]

    def source_bytes(self, path: str | None) -> bytes | None:
        """The file a `plainTextPath` names: `internal://X.txt`, or `X.txt` without the scheme (qc, others)."""
        if not path:
            return None
        name = path.strip()
        for scheme in ("internal://", "relative://", "file://"):
            if name.lower().startswith(scheme):
                name = name[len(scheme):]
                break
        name = PurePosixPath(name.replace("\\", "/")).name.lower()
        if self._zip is None or name not in self._entries:
            return self.files.get(name)
        entry = self._entries[name]
        self._read_bytes += entry.file_size
        if self._read_bytes > MAX_UNPACKED_BYTES:
            raise Refused(f"{self.filename}: its texts unpack to more than {MAX_UNPACKED_BYTES // 2**20} MB; refused")
        return _read(self._zip, entry, self.filename)


def open_refi(filename: str, data: bytes, *, folder: Path | None = None) -> RefiPackage:
    """Read a .qdpx (zip) or a bare .qde; `folder` is where a .qde on disk lies, to find its `sources/` beside it."""
    if not data:
        raise Refused(f"{filename}: the file is empty")
    if len(data) > MAX_ARCHIVE_BYTES:
        raise Refused(f"{filename}: {len(data) / 1e6:.0f} MB is over the {MAX_ARCHIVE_BYTES // 2**20} MB limit "
                      "for a project file")
    if data[:4] == b"PK\x03\x04" or zipfile.is_zipfile(io.BytesIO(data)):
        return _open_archive(filename, data)
    root = parse_xml(data, filename)
    _check_root(root, filename)
    package = RefiPackage(filename, root)
    if folder is not None:
        for name in ("sources", "Sources"):
            sources = folder / name
            if sources.is_dir():
                package.has_sources_folder = True
                total = 0
                for path in sorted(sources.iterdir()):
                    if path.is_file():
                        total += path.stat().st_size
                        if total > MAX_UNPACKED_BYTES:
                            raise Refused(f"{filename}: its sources folder holds over "
                                          f"{MAX_UNPACKED_BYTES // 2**20} MB")
                        package.files[path.name.lower()] = path.read_bytes()
                break
    return package


def _check_root(root, filename: str) -> None:  # type: ignore[no-untyped-def]
    if local(root.tag) != "Project":
        raise Refused(f"{filename}: not a REFI-QDA project (its root is <{local(root.tag)}>, not <Project>)"
                      + ("; a codebook (.qdc) is imported on the Codebooks page or with qdc-import"
                         if local(root.tag) == "CodeBook" else ""))


def _open_archive(filename: str, data: bytes) -> RefiPackage:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Refused(f"{filename}: not a readable zip archive ({exc})") from None
    if len(entries) > MAX_ENTRIES:
        raise Refused(f"{filename}: holds {len(entries):,} files, more than a project file can "
                      f"({MAX_ENTRIES:,})")
    for entry in entries:
        _check_entry_name(filename, entry.filename)
    entries = [e for e in entries if not _is_debris(e.filename)]
    projects = [e for e in entries if not e.is_dir() and e.filename.lower().endswith(".qde")]
    if not projects:
        raise Refused(f"{filename}: the archive holds no .qde project file")
    if len(projects) > 1:
        raise Refused(f"{filename}: the archive holds {len(projects)} .qde files "
                      f"({', '.join(e.filename for e in projects[:3])}); a project file has one")
    qde = projects[0]
    root = parse_xml(_read(archive, qde, filename), f"{filename}: {qde.filename}")
    _check_root(root, filename)
    package = RefiPackage(filename, root, archive=True, _zip=archive, _read_bytes=qde.file_size)
    base = PurePosixPath(qde.filename).parent
    for entry in entries:
        path = PurePosixPath(entry.filename)
        if entry.is_dir() or entry is qde or path.parent.parent != base or path.parent.name.lower() != "sources":
            continue
        package.has_sources_folder = True
        package._entries[path.name.lower()] = entry
    return package


def _is_debris(name: str) -> bool:
    """What macOS's Finder adds to an archive it makes (resource forks), never part of a project."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.parts[:1] == ("__MACOSX",) or path.name.startswith("._")


def _check_entry_name(filename: str, name: str) -> None:
    """Refuse what could point outside a folder it was unpacked into: the archive itself is never unpacked to disk,
    but such a name only comes from a crafted file, and a crafted file is not read any further."""
    clean = name.replace("\\", "/")
    parts = PurePosixPath(clean).parts
    if clean.startswith("/") or re.match(r"^[A-Za-z]:", clean) or ".." in parts or "\x00" in name:
        raise Refused(f"{filename}: holds an entry with an unsafe path ('{name}'); refused")


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, filename: str) -> bytes:
    """The entry's bytes, checked by its declared sizes first and never read past its declared size (a forged size
    stops the read, not the machine)."""
    if entry.file_size > MAX_ENTRY_BYTES:
        raise Refused(f"{filename}: '{entry.filename}' unpacks to more than {MAX_ENTRY_BYTES // 2**20} MB; refused "
                      "as a possible zip bomb")
    ratio = entry.file_size // max(1, entry.compress_size)
    if entry.file_size > 2**20 and ratio > MAX_RATIO:
        raise Refused(f"{filename}: '{entry.filename}' is compressed {ratio:,} to 1, as only a zip bomb is; refused")
    try:
        with archive.open(entry) as stream:
            data = stream.read(entry.file_size + 1)
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, EOFError, ValueError, zlib.error,
            lzma.LZMAError) as exc:
        raise Refused(f"{filename}: '{entry.filename}' cannot be read, the archive is damaged ({exc})") from None
    if len(data) > entry.file_size:
        raise Refused(f"{filename}: '{entry.filename}' holds more than its declared size; refused")
    return data
