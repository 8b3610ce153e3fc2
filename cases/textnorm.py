"""The one versioned text normalisation applied before any offsets are computed.

Codings are character ranges on frozen, normalised text, so every importer runs
``normalise_text`` exactly once and stores ``NORMALISATION_VERSION`` with the
document; changing the rules below means bumping the version.

Decisions (version 1):

* U+FEFF (BOM / zero-width no-break space) is removed everywhere, not only at
  the start: Word and Teams exports sprinkle it into the middle of text.
* CRLF and lone CR become LF, so offsets do not depend on the platform.
* NFC, so "e" + combining acute and the precomposed "é" are the same text and
  searches match.
* Removed: C0 control characters except TAB and LF, DEL, C1 controls
  (U+0080-U+009F), lone surrogates and the noncharacters U+FFFE/U+FFFF. They
  are invisible and make docx/xlsx/XML exports invalid.
* NBSP U+00A0, narrow NBSP U+202F and figure space U+2007 become an ordinary
  space: they come from word processors, not from speakers, and break search.
* Zero-width space U+200B, word joiner U+2060 and soft hyphen U+00AD are
  removed: they are layout hints that split words for search.
* ZWJ U+200D and ZWNJ U+200C are kept: they are part of emoji sequences and of
  the spelling of some scripts.
* Nothing else changes: trailing whitespace at line ends and blank lines stay.

The function is idempotent: ``normalise_text(normalise_text(s)) ==
normalise_text(s)``.
"""

from __future__ import annotations

import unicodedata

NORMALISATION_VERSION = 1

_REMOVE = (
    [c for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x0D)]
    + [0x7F]
    + list(range(0x80, 0xA0))
    + list(range(0xD800, 0xE000))
    + [0xFFFE, 0xFFFF, 0xFEFF, 0x200B, 0x2060, 0x00AD]
)
_TABLE: dict[int, str | None] = {c: None for c in _REMOVE}
_TABLE.update({0x00A0: " ", 0x202F: " ", 0x2007: " "})


def normalise_text(raw: str) -> str:
    """Return ``raw`` normalised by the version-1 rules in the module docstring."""
    # Removal first, so NFC can compose characters that were separated by a
    # removed one; NFC never produces a removed character, hence idempotence.
    text = raw.translate(_TABLE)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text
