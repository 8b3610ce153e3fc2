"""Inter-coder agreement between two or more coders on chosen documents and codes (DOMAIN §4).

Computed on demand from the codings, never stored. Every figure states its unit, threshold, N and coders, and every
disagreement points at the text it came from (document, turn, both coders' spans). Codes are compared exactly: a
sub-code is a code of its own. Only segments on a document's current text are compared.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from analysis.agreement_math import (
    Figure,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    prevalence_warning,
)
from analysis.agreement_units import (
    CHARACTERS,
    MULTIPLE,
    OVERLAP,
    UNITS,
    Span,
    UnitDocument,
    categorical_data,
    unit_data,
)
from cases.documents import turn_number
from cases.projects import get_document, list_coders
from codebooks.service import code_tree, find_code, get_codebook
from store.errors import Refused
from store.models import Code, Coder, Coding, Document, Project, Segment, Sentence, TextVersion, Turn

NO_TRUE_NEGATIVES = "the overlap unit has no true negatives (no unit both coders left uncoded), so only percent " \
                    "agreement is meaningful"
FORMULAS = {
    "percent": "PA = units on which all coders agree / N",
    "cohen_kappa": "κ = (p_o − p_e) / (1 − p_e), p_e = Σ_k p_A(k)·p_B(k)",
    "fleiss_kappa": "κ = (P̄ − P̄e) / (1 − P̄e), P_i = (Σ_j n_ij² − n) / (n(n − 1)), P̄e = Σ_j p_j²",
    "alpha": "α = 1 − D_o / D_e over the coincidence matrix; nominal δ² = [c ≠ k], ordinal δ² = "
             "(Σ_{g=c..k} n_g − (n_c + n_k)/2)²; units with fewer than two values are dropped",
}


@dataclass(frozen=True)
class Coefficients:
    """One row of figures: per code, pooled over codes, or categorical. None where a coefficient does not apply
    (Cohen's κ with three coders, Fleiss' κ with two, ordinal α on an unordered codebook)."""

    n: float
    percent: Figure
    cohen_kappa: Figure | None
    fleiss_kappa: Figure | None
    alpha_nominal: Figure
    alpha_ordinal: Figure | None = None
    warning: str | None = None

    def figures(self) -> dict[str, Figure | None]:
        return {"percent": self.percent, "cohen_kappa": self.cohen_kappa, "fleiss_kappa": self.fleiss_kappa,
                "alpha_nominal": self.alpha_nominal, "alpha_ordinal": self.alpha_ordinal}

    def undefined_reason(self) -> str | None:
        reasons = dict.fromkeys(f.reason for f in self.figures().values() if f is not None and f.reason)
        return "; ".join(r for r in reasons if r) or None


@dataclass(frozen=True)
class CodedSpan:
    coder: str
    start: int
    end: int
    text: str
    segment: str


@dataclass
class Disagreement:
    """A place where the coders disagree on one code: the range, who coded it there and who did not, and every
    compared coder's spans with that code in the same turn(s), for reading side by side."""

    number: int
    document: str
    document_guid: str
    turn: int | None  # as people count turns ("turn 4")
    ordinal: int | None  # the turn's ordinal, for a link into the transcript
    code: str
    start: int
    end: int
    text: str
    coded_by: list[str]
    not_coded_by: list[str]
    spans: list[CodedSpan] = field(default_factory=list)


@dataclass
class AgreementReport:
    unit: str
    threshold: float | None
    coders: list[str]
    documents: list[str]
    codes: list[str]
    n_units: float
    uncoded_units: float
    per_code: dict[str, Coefficients]
    pooled: Coefficients
    categorical: Coefficients | None
    several_codes_units: float
    disagreements: list[Disagreement]
    warnings: list[str]

    @property
    def unit_key(self) -> str:
        return _unit_key(self.unit, self.threshold)

    def unit_words(self) -> str:
        """The unit as every figure states it."""
        if self.unit == OVERLAP:
            return f"coded segments overlapping ≥ {self.threshold:.0%} (checked both ways; no true negatives)"
        return {CHARACTERS: "characters", "sentence": "sentences", "turn": "turns",
                "document": "documents (code present anywhere in the document)"}[self.unit]


def parse_unit(text: str) -> tuple[str, float | None]:
    """"characters", "sentence", "turn", "document", or "overlap:90" (percent; "overlap" alone is 90)."""
    name, _, threshold = text.strip().lower().partition(":")
    aliases = {"character": CHARACTERS, "chars": CHARACTERS, "sentences": "sentence", "turns": "turn",
               "documents": "document"}
    name = aliases.get(name, name)
    if name not in UNITS:
        raise Refused(f"unknown unit '{text}' (use characters, sentence, turn, overlap:90 or document)")
    if name != OVERLAP:
        if threshold:
            raise Refused(f"only the overlap unit takes a threshold, not '{text}'")
        return name, None
    try:
        value = float(threshold or 90)
    except ValueError:
        raise Refused(f"the overlap threshold must be a percentage, not '{threshold}'") from None
    if not 0 < value <= 100:
        raise Refused(f"the overlap threshold must be above 0 and at most 100, not {value:g}")
    return name, value / 100


def unit_key(text: str) -> str:
    """The unit as one canonical word ("overlap:90"), to store and compare decisions by."""
    return _unit_key(*parse_unit(text))


def _unit_key(name: str, threshold: float | None) -> str:
    return f"{name}:{round(threshold * 100):d}" if threshold is not None else name


def compute_agreement(session: Session, project: Project, coder_names: Sequence[str], *, unit: str = CHARACTERS,
                      threshold: float | None = None, codebook: str | None = None,
                      code_keys: Sequence[str] = (), document_refs: Sequence[str] = (),
                      categorical: bool = False) -> AgreementReport:
    """Agreement of the named coders on the chosen codes (a codebook's codable codes, or keys) in the chosen
    documents (by default every document each of them coded). `unit` as `parse_unit` reads it ("overlap:90")."""
    unit, parsed = parse_unit(unit)
    threshold = threshold if threshold is not None else parsed
    coders = _coders(session, project, coder_names)
    codes = _codes(session, project, codebook, code_keys)
    if categorical and unit == OVERLAP:
        raise Refused("categorical mode needs units every coder sees: characters, sentence, turn or document")
    documents = _documents(session, project, coders, document_refs)
    loaded, texts = _load(session, coders, codes, documents)
    keys = [c.key for c in codes]
    data = unit_data(loaded, keys, len(coders), unit, threshold or 0.9)
    per_code = {key: _coefficients(data.per_code[key], len(coders), unit) for key in keys}
    pooled_ratings: Counter = Counter()
    for ratings in data.per_code.values():
        pooled_ratings.update(ratings)
    pooled = _coefficients(pooled_ratings, len(coders), unit)
    warnings = [f"{key}: {row.warning}" for key, row in per_code.items() if row.warning]
    category, several = None, 0.0
    if categorical:
        ratings, several = categorical_data(loaded, keys, len(coders), unit)
        order = _order(codes)
        category = _coefficients(ratings, len(coders), unit, order=order, binary=False)
        if several:
            warnings.append(f"{several:g} unit(s) were given several codes of the compared codes by one coder; "
                            f"categorical mode counts '{MULTIPLE}' as a category of its own there")
    uncoded_share = data.uncoded / data.units if data.units else 0
    if unit != OVERLAP and uncoded_share > 0.5:
        warnings.append(f"{uncoded_share:.0%} of the units are coded by nobody with these codes: they count as "
                        "agreement on 'not coded'")
    return AgreementReport(
        unit=unit, threshold=threshold if unit == OVERLAP else None, coders=[c.name for c in coders],
        documents=[d.title for d in documents], codes=keys, n_units=data.units, uncoded_units=data.uncoded,
        per_code=per_code, pooled=pooled, categorical=category, several_codes_units=several,
        disagreements=_disagreements(data.regions, loaded, texts, coders, documents), warnings=warnings)


def _coefficients(ratings: Counter, coders: int, unit: str, *, order: list | None = None,
                  binary: bool = True) -> Coefficients:
    n = sum(w for values, w in ratings.items() if sum(v is not None for v in values) >= 2)
    percent = percent_agreement(ratings)
    if unit == OVERLAP:
        undefined = Figure.undefined(NO_TRUE_NEGATIVES, n)
        return Coefficients(n, percent, undefined if coders == 2 else None, undefined if coders > 2 else None,
                            undefined)
    ordinal = None
    if order is not None:
        ranked: Counter = Counter()  # "several codes" has no rank: a missing value for the ordinal α
        for values, w in ratings.items():
            ranked[tuple(None if v == MULTIPLE else v for v in values)] += w
        ordinal = krippendorff_alpha(ranked, order=order)
    alpha = krippendorff_alpha(ratings)
    warning = prevalence_warning(ratings) if binary and alpha.value is not None else None
    return Coefficients(n, percent, cohen_kappa(ratings) if coders == 2 else None,
                        fleiss_kappa(ratings) if coders > 2 else None, alpha, ordinal, warning)


def _coders(session: Session, project: Project, names: Sequence[str]) -> list[Coder]:
    wanted = [" ".join(n.split()) for n in names if n.strip()]
    if len(set(wanted)) < 2:
        raise Refused("agreement compares at least two coders")
    coders = list({c.id: c for c in coders_named(session, project, wanted)}.values())  # each coder once
    if len(coders) < 2:
        raise Refused("agreement compares at least two coders")
    return coders


def _codes(session: Session, project: Project, codebook: str | None, keys: Sequence[str]) -> list[Code]:
    if keys:
        return list({c.id: c for c in (find_code(session, project, k, codebook) for k in keys)}.values())
    if not codebook:
        raise Refused("say which codes to compare: a codebook or code keys")
    codes = [row.code for row in code_tree(get_codebook(session, project, codebook)) if row.code.codable]
    if not codes:
        raise Refused(f"codebook '{codebook}' has no codable codes")
    return codes


def _order(codes: list[Code]) -> list | None:
    """The codes' keys lowest rank first, when they all come from one ordered codebook and all have a rank."""
    if len({c.codebook_id for c in codes}) != 1 or not codes[0].codebook.ordered or any(c.rank is None for c in codes):
        return None
    return [c.key for c in sorted(codes, key=lambda c: (c.rank, c.position))]


def documents_coded_by_all(session: Session, project: Project, coders: Sequence[Coder]) -> list[Document]:
    """The documents every one of these coders has coded (on the current text): the ones to compare by default."""
    if not coders:
        return []
    current = (select(Segment.document_id, Segment.coder_id).join(Document, Document.id == Segment.document_id)
               .join(TextVersion, TextVersion.id == Segment.text_version_id)
               .where(Document.project_id == project.id, TextVersion.version == Document.current_version,
                      Segment.coder_id.in_([c.id for c in coders])).distinct())
    by_document: dict[int, set[int]] = {}
    for document_id, coder_id in session.execute(current):
        by_document.setdefault(document_id, set()).add(coder_id)
    ids = [d for d, who in by_document.items() if len(who) == len(coders)]
    found = list(session.scalars(select(Document).where(Document.id.in_(ids)))) if ids else []
    return sorted(found, key=lambda d: (d.title.casefold(), d.title))


def coders_named(session: Session, project: Project, names: Sequence[str]) -> list[Coder]:
    """The project's coders by name: exactly as written, else in any case where that names only one; refused in
    one line when one is unknown (or, differing only in case, ambiguous)."""
    coders = list_coders(session, project)
    exact = {c.name: c for c in coders}
    folded: dict[str, list[Coder]] = {}
    for coder in coders:
        folded.setdefault(coder.name.casefold(), []).append(coder)
    found, missing = [], []
    for name in names:
        matches = [exact[name]] if name in exact else folded.get(name.casefold(), [])
        if len(matches) != 1:
            missing.append(name)
        else:
            found.append(matches[0])
    if missing:
        raise Refused(f"project '{project.name}' has no coder " + ", ".join(f"'{n}'" for n in missing)
                      + " (names are matched exactly where several differ only in case)")
    return found


def _documents(session: Session, project: Project, coders: list[Coder], refs: Sequence[str]) -> list[Document]:
    if refs:
        found = list({d.id: d for d in (get_document(session, project, r) for r in refs)}.values())
        return sorted(found, key=lambda d: (d.title.casefold(), d.title))
    found = documents_coded_by_all(session, project, coders)
    if not found:
        raise Refused("no document has been coded by all of " + ", ".join(c.name for c in coders)
                      + "; choose documents")
    return found


def _load(session: Session, coders: list[Coder], codes: list[Code],
          documents: list[Document]) -> tuple[list[UnitDocument], dict[int, str]]:
    """Each document's current text, turns, sentences and the compared coders' spans of the compared codes."""
    versions = dict(session.execute(select(TextVersion.document_id, TextVersion.id).where(
        tuple_(TextVersion.document_id, TextVersion.version).in_([(d.id, d.current_version) for d in documents])))
        .all())
    texts = dict(session.execute(select(TextVersion.document_id, TextVersion.text)
                                 .where(TextVersion.id.in_(list(versions.values())))).all())
    loaded = {d.id: UnitDocument(d.id, len(texts[d.id]), [], []) for d in documents}
    document_of = {v: d for d, v in versions.items()}
    rows = session.connection()  # plain rows, without the ORM's per-row work
    for version, start, end in rows.execute(select(Turn.text_version_id, Turn.content_start, Turn.end)
                                               .where(Turn.text_version_id.in_(document_of)).order_by(Turn.ordinal)):
        loaded[document_of[version]].turns.append((start, end))
    for version, start, end in rows.execute(select(Sentence.text_version_id, Sentence.start, Sentence.end)
                                               .where(Sentence.text_version_id.in_(document_of))
                                               .order_by(Sentence.start)):
        loaded[document_of[version]].sentences.append((start, end))
    position = {c.id: i for i, c in enumerate(coders)}
    key_of = {c.id: c.key for c in codes}
    spans = (select(Segment.guid, Segment.document_id, Segment.coder_id, Segment.start, Segment.end, Coding.code_id)
             .join(Coding, Coding.segment_id == Segment.id)
             # "+ 0" keeps SQLite on the documents' segments and each segment's codings (probing the coding
             # index once per segment), not on every segment of the coders or one probe per code
             .where(Segment.text_version_id.in_(document_of), (Segment.coder_id + 0).in_(position),
                    (Coding.code_id + 0).in_(key_of)))
    for guid, document_id, coder_id, start, end, code_id in rows.execute(spans):
        loaded[document_id].spans.append(Span(str(guid), position[coder_id], key_of[code_id], start, end))
    return [loaded[d.id] for d in documents], texts


def _disagreements(regions, loaded: list[UnitDocument], texts: dict[int, str], coders: list[Coder],
                   documents: list[Document]) -> list[Disagreement]:  # type: ignore[no-untyped-def]
    by_id = {d.id: d for d in documents}
    units = {u.key: u for u in loaded}
    spans_of: dict[tuple[int, str], list[Span]] = {}  # each document's spans of one code, by start
    for unit in loaded:
        for span in unit.spans:
            spans_of.setdefault((unit.key, span.code), []).append(span)
    for spans in spans_of.values():
        spans.sort(key=lambda s: (s.start, s.coder))
    turn_starts = {u.key: [s for s, _ in u.turns] for u in loaded}
    out = []
    for number, region in enumerate(sorted(regions, key=lambda r: (by_id[r.document].title, r.start, r.code)), 1):
        unit, text, document = units[region.document], texts[region.document], by_id[region.document]
        starts = turn_starts[region.document]
        first = bisect_right(starts, region.start) - 1 if unit.turns else -1
        last = bisect_right(starts, max(region.start, region.end - 1)) - 1 if unit.turns else -1
        low = min(unit.turns[first][0] if first >= 0 else region.start, region.start)
        high = max(unit.turns[last][1] if last >= 0 else region.end, region.end)
        spans = [CodedSpan(coders[s.coder].name, s.start, s.end, text[s.start:s.end], s.segment)
                 for s in sorted((s for s in spans_of.get((region.document, region.code), ())
                                  if s.start < high and s.end > low), key=lambda s: (s.coder, s.start))]
        out.append(Disagreement(
            number=number, document=document.title, document_guid=str(document.guid),
            turn=turn_number(first) if first >= 0 else None, ordinal=first if first >= 0 else None,
            code=region.code, start=region.start, end=region.end,
            text=text[region.start:region.end], coded_by=[c.name for c, v in zip(coders, region.values) if v],
            not_coded_by=[c.name for c, v in zip(coders, region.values) if not v], spans=spans))
    return out
