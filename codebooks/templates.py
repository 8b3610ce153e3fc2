"""Codebook templates: the built-in frameworks shipped as TOML, and the CSV exchange format.

A template is plain data. A project never codes against a template: it adopts a
copy (see `codebooks.service`), so a project's edits never leak into another.

Built-in codes get a stable guid, `uuid5(BUILTIN_CODE_NAMESPACE, "<codebook key>/<code key>")`,
so the same built-in code has the same guid in every project and every export.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from store.errors import Refused
from store.spreadsheet import from_spreadsheet_text, spreadsheet_text

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
BUILTIN_CODE_NAMESPACE = uuid.UUID("6f1c2b1e-6a8e-5d0c-9f38-4b7275697370")
HORIZONS = ("before", "short", "medium", "long")
INDICATOR_LANGUAGES = ("nl", "de", "en")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_KEY = KEY_PATTERN


def builtin_code_guid(codebook_key: str, code_key: str) -> uuid.UUID:
    return uuid.uuid5(BUILTIN_CODE_NAMESPACE, f"{codebook_key}/{code_key}")


@dataclass
class CodeTemplate:
    key: str
    parent: str | None
    label_en: str
    label_nl: str = ""
    label_de: str = ""
    definition: str = ""
    include: str = ""
    exclude: str = ""
    example: str = ""
    colour: str = "#999999"
    rank: float | None = None
    horizon: str | None = None
    source: str = ""
    codable: bool = True
    enabled: bool = True
    guid: uuid.UUID | None = None
    # Terms that suggest this code, per language ("nl", "de", "en"); matched on lemmas, a leading "*" also
    # matches the word as the last part of a compound ("*bijeenkomst": "netwerkbijeenkomst"). Suggestions only.
    indicators: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class CodebookTemplate:
    key: str
    prefix: str
    version: str
    ordered: bool
    name_en: str
    name_nl: str = ""
    name_de: str = ""
    source: str = ""
    description: str = ""
    origin: str = "builtin"
    codes: list[CodeTemplate] = field(default_factory=list)

    def validate(self, locate: Callable[[int], str] | None = None) -> None:
        """Refuse a template whose tree or fields are broken, naming the first problem.

        `locate(i)` names where code i came from (e.g. "codebook.csv: row 5").
        """
        if not _KEY.match(self.key):
            raise Refused(f"codebook key '{self.key}' must be lower-case letters, digits, '.', '-' or '_'")
        seen: set[str] = set()
        for index, code in enumerate(self.codes):
            where = f"{locate(index)}, code '{code.key}'" if locate else f"codebook '{self.key}', code '{code.key}'"
            if not code.key or not _KEY.match(code.key):
                raise Refused(f"{where}: keys are lower-case letters, digits, '.', '-' or '_'")
            if code.key in seen:
                raise Refused(f"{where}: the key occurs twice")
            if code.parent is not None and code.parent not in seen:
                raise Refused(f"{where}: parent '{code.parent}' must come before it")
            if not code.label_en and not code.label_nl:
                raise Refused(f"{where}: needs an English or Dutch label")
            if not _COLOUR.match(code.colour):
                raise Refused(f"{where}: colour '{code.colour}' is not #RRGGBB")
            if code.horizon is not None and code.horizon not in HORIZONS:
                raise Refused(f"{where}: horizon '{code.horizon}' is not one of {', '.join(HORIZONS)}")
            for lang, terms in code.indicators.items():
                if lang not in INDICATOR_LANGUAGES:
                    known = ", ".join(INDICATOR_LANGUAGES)
                    raise Refused(f"{where}: indicator language '{lang}' is not one of {known}")
                if any(not isinstance(t, str) or not t.strip(" *") or ";" in t or len(t) > 200 for t in terms):
                    raise Refused(f"{where}: indicator terms ({lang}) must be non-empty text without ';'")
            seen.add(code.key)


def _parent_of(key: str) -> str | None:
    return key.rsplit(".", 1)[0] if "." in key else None


BUILTIN_ORDER = ("value-creation", "learning-levels", "4i", "network-conditions", "collective-impact", "learning-layers")


@lru_cache(maxsize=1)
def builtin_templates() -> dict[str, CodebookTemplate]:
    """Every built-in codebook by key, in the order of DOMAIN §2 (then any other file by name)."""
    paths = sorted(BUILTIN_DIR.glob("*.toml"), key=lambda p: (
        BUILTIN_ORDER.index(p.stem) if p.stem in BUILTIN_ORDER else len(BUILTIN_ORDER), p.stem))
    templates = [_load_toml(path) for path in paths]
    return {t.key: t for t in templates}


def _load_toml(path: Path) -> CodebookTemplate:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    meta = data["codebook"]
    template = CodebookTemplate(
        key=meta["key"], prefix=meta.get("prefix", ""), version=str(meta.get("version", "1.0")),
        ordered=bool(meta.get("ordered", False)), name_en=meta.get("name_en", ""), name_nl=meta.get("name_nl", ""),
        name_de=meta.get("name_de", ""), source=meta.get("source", ""), description=meta.get("description", ""),
    )
    for raw in data["codes"]:
        template.codes.append(CodeTemplate(
            key=raw["key"], parent=_parent_of(raw["key"]),
            label_en=raw.get("label_en", ""), label_nl=raw.get("label_nl", ""), label_de=raw.get("label_de", ""),
            definition=raw.get("definition", ""), include=raw.get("include", ""), exclude=raw.get("exclude", ""),
            example=raw.get("example", ""), colour=raw.get("colour", "#999999"),
            rank=float(raw["rank"]) if "rank" in raw else None, horizon=raw.get("horizon"),
            source=raw.get("source", ""), codable=bool(raw.get("codable", True)),
            enabled=bool(raw.get("enabled", True)), guid=builtin_code_guid(template.key, raw["key"]),
            indicators=_clean_indicators(raw.get("indicators", {})),
        ))
    template.validate()
    return template


# --- CSV exchange -----------------------------------------------------------------------------

CSV_COLUMNS = (
    "codebook", "codebook_name_en", "codebook_name_nl", "codebook_name_de", "codebook_version", "codebook_ordered",
    "codebook_source", "codebook_description",
    "key", "parent", "label_en", "label_nl", "label_de", "definition", "include", "exclude", "example",
    "colour", "rank", "horizon", "codable", "enabled", "source", "guid",
    "indicators_nl", "indicators_de", "indicators_en",
)
INDICATOR_SEPARATOR = "; "


def _clean_indicators(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """Stripped, de-duplicated terms per language (order kept); languages without terms dropped."""
    out: dict[str, list[str]] = {}
    for lang, terms in raw.items():
        kept = list(dict.fromkeys(t.strip() for t in terms if isinstance(t, str) and t.strip()))
        if kept:
            out[lang] = kept
    return out


def template_to_csv(template: CodebookTemplate) -> str:
    """UTF-8 CSV (the caller adds a BOM for spreadsheets if wanted), one row per code in codebook order."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for code in template.codes:
        writer.writerow({column: value if column == "rank" else spreadsheet_text(value) for column, value in {
            "codebook": template.key, "codebook_name_en": template.name_en, "codebook_name_nl": template.name_nl,
            "codebook_name_de": template.name_de, "codebook_version": template.version,
            "codebook_ordered": _yes(template.ordered), "codebook_source": template.source,
            "codebook_description": template.description, "key": code.key, "parent": code.parent or "",
            "label_en": code.label_en, "label_nl": code.label_nl, "label_de": code.label_de,
            "definition": code.definition, "include": code.include, "exclude": code.exclude, "example": code.example,
            "colour": code.colour, "rank": "" if code.rank is None else f"{code.rank:g}",
            "horizon": code.horizon or "", "codable": _yes(code.codable), "enabled": _yes(code.enabled),
            "source": code.source, "guid": str(code.guid) if code.guid else "",
            **{f"indicators_{lang}": INDICATOR_SEPARATOR.join(code.indicators.get(lang, []))
               for lang in INDICATOR_LANGUAGES},
        }.items()})
    return buffer.getvalue()


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _flag(value: str, where: str, default: bool) -> bool:
    value = (value or "").strip().casefold()
    if not value:
        return default
    if value in ("yes", "true", "1", "ja"):
        return True
    if value in ("no", "false", "0", "nee"):
        return False
    raise Refused(f"{where}: '{value}' is not yes/no")


def template_from_csv(text: str, filename: str = "codebook.csv") -> CodebookTemplate:
    """Parse the CSV exchange format; a clear refusal names the row and column that are wrong."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise Refused(f"{filename}: empty file")
    missing = [c for c in ("codebook", "key", "label_en") if c not in reader.fieldnames]
    if missing:
        raise Refused(f"{filename}: missing column(s) {', '.join(missing)}")
    template: CodebookTemplate | None = None
    for number, row in enumerate(reader, start=2):
        where = f"{filename}: row {number}"
        row = {k: from_spreadsheet_text((v or "").strip()) for k, v in row.items() if k is not None}
        if template is None:
            template = CodebookTemplate(
                key=row["codebook"], prefix="", version=row.get("codebook_version") or "1.0",
                ordered=_flag(row.get("codebook_ordered", ""), where, False),
                name_en=row.get("codebook_name_en") or row["codebook"], name_nl=row.get("codebook_name_nl", ""),
                name_de=row.get("codebook_name_de", ""), source=row.get("codebook_source", ""),
                description=row.get("codebook_description", ""), origin="imported",
            )
        elif row["codebook"] != template.key:
            raise Refused(f"{where}: codebook '{row['codebook']}' differs from '{template.key}' (one codebook per file)")
        try:
            rank = float(row["rank"].replace(",", ".")) if row.get("rank") else None
        except ValueError as exc:
            raise Refused(f"{where}: rank '{row['rank']}' is not a number") from exc
        guid = None
        if row.get("guid"):
            try:
                guid = uuid.UUID(row["guid"].strip("{}"))
            except ValueError as exc:
                raise Refused(f"{where}: guid '{row['guid']}' is not a GUID") from exc
        template.codes.append(CodeTemplate(
            key=row["key"], parent=row.get("parent") or None, label_en=row.get("label_en", ""),
            label_nl=row.get("label_nl", ""), label_de=row.get("label_de", ""),
            definition=row.get("definition", ""), include=row.get("include", ""), exclude=row.get("exclude", ""),
            example=row.get("example", ""), colour=row.get("colour") or "#999999", rank=rank,
            horizon=row.get("horizon") or None, source=row.get("source", ""),
            codable=_flag(row.get("codable", ""), where, True), enabled=_flag(row.get("enabled", ""), where, True),
            guid=guid, indicators=_clean_indicators(
                {lang: row.get(f"indicators_{lang}", "").split(";") for lang in INDICATOR_LANGUAGES}),
        ))
    if template is None:
        raise Refused(f"{filename}: no codes")
    template.prefix = min((c.key for c in template.codes if c.parent is None), key=len, default="")
    template.validate(lambda index: f"{filename}: row {index + 2}")
    return template
