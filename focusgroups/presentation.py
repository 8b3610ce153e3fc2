"""What a focus group sees in presentation mode: the framework matrix as plain display text, anonymised quotes.

The facilitator steps case by case and then shows all cases side by side. Each cell is shown in one of four
modes (summary, rating, "k of n", quote); counts stay hidden unless asked for. Quotes go to participants, so
they are anonymised by default: speakers become role + number ("Respondent 3"), document titles are left out,
and names from the project's mask list and person register are masked in the text. No streamlit here: the
page only lays these values out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from analysis.framework_matrix import (
    FrameworkCellView, FrameworkMatrix, ProfileBand, build_framework_matrix, value_cycle_profile,
)
from analysis.matrix import STATE_LABELS, MatrixSpec, Quote, build_matrix, cell_segments
from codebooks.service import code_tree, get_codebook
from focusgroups.anonymise import Anonymiser, CaseHider, build_anonymiser, case_letters
from focusgroups.feedback import FeedbackRecord, codebook_walk, list_feedback
from store.errors import Refused
from store.models import FocusGroupSession, Project

MODES = ("summary", "rating", "k_of_n", "quote")
MODE_LABELS = {"summary": "Summary", "rating": "Rating", "k_of_n": "k of n", "quote": "Quote"}
CARD_QUOTE_CHARS = 180
GRID_CHARS = 80  # a cell of the side-by-side matrix is narrow
NOT_STORED = "not yet assessed"


@dataclass
class PresentedQuote:
    segment: str
    text: str  # masked when anonymised
    speaker: str  # "Respondent 3" when anonymised, else the label as written (with pseudonym)
    where: str  # "" when anonymised (document titles can carry names), else "document · turn 12" ("plan · p. 3 · ¶5")
    pinned: bool


@dataclass
class PresentedColumn:
    key: str
    label: str
    horizon: str | None
    band: str | None


@dataclass
class PresentedCell:
    case: str
    code: str
    code_label: str
    text: str  # what the cell shows in the chosen mode
    short: str  # the same, shortened for the side-by-side matrix (a quote keeps its speaker)
    counts: str  # coded segments, documents, k of n, feedback: shown only when the facilitator asks
    counts_short: str  # the same in a few words, for the side-by-side matrix
    state: str | None


@dataclass
class PresentedCase:
    name: str  # the case itself (feedback is recorded on it)
    cells: list[PresentedCell]
    label: str = ""  # what the room sees: the name, or "Case B" when the session is for another network

    def __post_init__(self) -> None:
        self.label = self.label or self.name


@dataclass
class Presentation:
    codebook: str
    mode: str
    show_counts: bool
    ladder: bool  # columns in value-cycle ladder order with horizon bands
    columns: list[PresentedColumn]
    bands: list[ProfileBand]
    cases: list[PresentedCase]
    framework: FrameworkMatrix
    hide_cases: CaseHider = field(default_factory=lambda: CaseHider({}))
    hidden: frozenset[str] = frozenset()  # the other networks' cases: always anonymised, names never shown

    def position(self, case: str, code: str) -> tuple[int, int]:
        """(row, column) of a cell, for drilling down into its quotes."""
        rows = [r.label for r in self.framework.matrix.rows]
        keys = [c.key for c in self.columns]
        if case not in rows or code not in keys or case not in {c.name for c in self.cases}:
            raise Refused(f"the matrix has no cell '{case}' x '{code}'")
        return rows.index(case), keys.index(code)


def build_presentation(session: Session, project: Project, *, codebook: str = "vc", depth: int | None = 1,
                       mode: str = "summary", show_counts: bool = False, language: str = "en",
                       cases: list[str] | None = None, own_case: str | None = None) -> Presentation:
    """Cases x codes as display text; a ranked codebook at depth 1 comes in ladder order with horizon bands.

    `cases` chooses which cases the room sees (all when None), in matrix order; with `own_case` (a session for
    one network) every other case appears as Case A, B, … with anonymised quotes, and their names are replaced
    in every text shown, as in that network's Word report."""
    if mode not in MODES:
        raise Refused(f"a cell shows one of {', '.join(MODES)}, not '{mode}'")
    ladder = False
    bands: list[ProfileBand] = []
    framework = None
    if depth == 1:
        try:
            framework, bands = value_cycle_profile(session, project, codebook=codebook, language=language)
            ladder = True
        except Refused:
            framework = None  # no ranked codes: codebook order instead
    if framework is None:
        framework = build_framework_matrix(session, project, codebook, depth=depth, language=language)
    matrix = framework.matrix
    band_of = {j: band.label for band in bands for j in band.columns}
    columns = [PresentedColumn(c.key, c.label, c.horizon, band_of.get(j)) for j, c in enumerate(matrix.columns)]
    headline = _headline_quotes(session, project, framework, codebook, depth, language) if mode == "quote" else {}
    anonymiser = build_anonymiser(session, project) if mode == "quote" else None
    names = [row.label for row in matrix.rows if row.sql_key is not None]
    unknown = [c for c in (cases or []) + ([own_case] if own_case else []) if c not in names]
    if unknown:
        raise Refused(f"project '{project.name}' has no case {', '.join(repr(c) for c in unknown)}")
    shown = [n for n in names if cases is None or n in cases or n == own_case]
    others = [n for n in shown if own_case is not None and n != own_case]
    hide = CaseHider(dict(zip(others, case_letters(len(others)))))
    presented = []
    for i, row in enumerate(matrix.rows):
        if row.label not in shown:
            continue
        cells = []
        for j, column in enumerate(columns):
            view = framework.cells[i][j]
            quote = None
            if mode == "quote":
                quote = _card_quote(view, headline.get((row.label, column.key)), anonymiser)
            cells.append(PresentedCell(case=row.label, code=column.key, code_label=column.label,
                                       text=hide(cell_display(view, mode, quote)),
                                       short=hide(cell_display(view, mode, quote, limit=GRID_CHARS)),
                                       counts=counts_line(view), counts_short=counts_line(view, short=True),
                                       state=view.state))
        presented.append(PresentedCase(row.label, cells, hide.aliases.get(row.label, row.label)))
    return Presentation(codebook=codebook, mode=mode, show_counts=show_counts, ladder=ladder, columns=columns,
                        bands=bands, cases=presented, framework=framework, hide_cases=hide,
                        hidden=frozenset(others))


def _state_word(view: FrameworkCellView) -> str | None:
    """The stored state in words where it says more than a number would (never a bare 0)."""
    if view.state is None:
        return None
    if view.state == "assessed":
        return None
    return STATE_LABELS.get(view.state, view.state.replace("_", " "))


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def cell_display(view: FrameworkCellView, mode: str, quote: PresentedQuote | None = None, *,
                 limit: int | None = None) -> str:
    """The text a cell shows in a mode: the analyst's summary, the rating, k of n, or its headline quote."""
    state = _state_word(view)
    if mode == "summary":
        if view.summary:
            return _shorten(view.summary, limit) if limit else view.summary
        return state or ("no summary yet" if view.state == "assessed" else NOT_STORED)
    if mode == "rating":
        if view.rating is not None:
            return f"{view.rating_label} ({view.rating})"
        return state or ("not rated" if view.state == "assessed" else NOT_STORED)
    if mode == "k_of_n":
        if view.count == 0 and state:
            return state
        return f"{view.k} of {view.n}"
    if mode == "quote":
        if quote is None:
            return state or "no quote"
        return f"“{_shorten(quote.text, limit or CARD_QUOTE_CHARS)}” — {quote.speaker}"
    raise Refused(f"a cell shows one of {', '.join(MODES)}, not '{mode}'")


def counts_line(view: FrameworkCellView, *, short: bool = False) -> str:
    """The derived numbers behind a cell (hidden unless the facilitator shows counts)."""
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if short:
        return " · ".join([f"{view.count} coded", f"{view.k} of {view.n}"]
                          + ([plural(view.feedback, "remark")] if view.feedback else []))
    parts = [plural(view.count, "coded segment"), plural(view.documents, "document"),
             f"{view.k} of {view.n} interviewees"]
    if view.feedback:
        parts.append(plural(view.feedback, "feedback remark"))
    if view.pooled:
        parts.append("codings of several coders pooled")
    return " · ".join(parts)


def _headline_quotes(session: Session, project: Project, framework: FrameworkMatrix, codebook: str,
                     depth: int | None, language: str) -> dict[tuple[str, str], Quote]:
    """A cell without a pinned quote shows its first respondent segment (one query for the whole matrix)."""
    matrix = build_matrix(session, project, MatrixSpec(rows="cases", codebook=codebook, depth=depth,
                                                       measure="quotes", scope=framework.matrix.spec.scope),
                          language=language)
    out: dict[tuple[str, str], Quote] = {}
    for i, row in enumerate(matrix.rows):
        for j, column in enumerate(matrix.columns):
            quotes = matrix.quotes[i][j] if matrix.quotes else []
            chosen = next((q for q in quotes if q.role == "respondent"), quotes[0] if quotes else None)
            if chosen is not None:
                out[(row.label, column.key)] = chosen
    return out


def _card_quote(view: FrameworkCellView, fallback: Quote | None, anonymiser: Anonymiser | None
                ) -> PresentedQuote | None:
    """The headline pinned quote, else the cell's first respondent segment."""
    if view.quotes:
        quote, pinned = view.quotes[0], True
    elif fallback is not None:
        quote, pinned = fallback, False
    else:
        return None
    return _present(quote.segment, quote.text, quote.speaker, quote.pseudonym, quote.role, quote.speaker_key,
                    quote.citation(), pinned, anonymiser)


UNSPOKEN = "document text"  # who a quote from a paragraph without a speaker is attributed to


def _present(segment: str, text: str, speaker: str | None, pseudonym: str | None, role: str,
             speaker_key: int | None, where: str, pinned: bool, anonymiser: Anonymiser | None) -> PresentedQuote:
    if speaker is None and speaker_key is None:  # a paragraph of a document (a PDF's): nobody said it
        return PresentedQuote(segment=segment, text=anonymiser.mask(text) if anonymiser else text,
                              speaker=UNSPOKEN, where="" if anonymiser else where, pinned=pinned)
    if anonymiser is not None:
        return PresentedQuote(segment=segment, text=anonymiser.mask(text),
                              speaker=anonymiser.speaker(speaker_key, role),
                              where="", pinned=pinned)
    who = speaker or role
    if pseudonym:
        who = f"{who} ({pseudonym})"
    return PresentedQuote(segment=segment, text=text, speaker=who, where=where, pinned=pinned)


def cell_quotes(session: Session, project: Project, presentation: Presentation, case: str, code: str, *,
                show_names: bool = False) -> list[PresentedQuote]:
    """A cell's quotes as participants see them: the pinned exemplars (headline first), else its segments."""
    i, j = presentation.position(case, code)
    view = presentation.framework.cells[i][j]
    # another network's quotes are anonymised even when the facilitator shows names
    anonymiser = None if show_names and case not in presentation.hidden else build_anonymiser(session, project)
    if view.quotes:
        quotes = [_present(q.segment, q.text, q.speaker, q.pseudonym, q.role, q.speaker_key, q.citation(), True,
                           anonymiser) for q in view.quotes]
    else:
        quotes = [_present(str(r.segment), r.text, r.speaker, r.pseudonym, r.role, r.speaker_key, r.citation(),
                           False, anonymiser)
                  for r in cell_segments(session, project, presentation.framework.matrix, i, j)]
    hide = presentation.hide_cases
    return [replace(q, text=hide(q.text), where=hide(q.where)) for q in quotes]


# --- feedback in the drawer ---------------------------------------------------------------------

def attendee_roles(fg: FocusGroupSession) -> list[str]:
    """The participant roles the facilitator can attribute a remark to (from the session's attendees)."""
    return sorted(fg.attendees or {}, key=lambda role: (-int(fg.attendees[role]), role))


def feedback_on(session: Session, project: Project, fg: FocusGroupSession, *, code: str,
                case: str | None = None) -> list[FeedbackRecord]:
    """What this session recorded on one cell (case + code), or on the code itself when no case is given."""
    records = list_feedback(session, project, fg=fg, case=case, code=code)
    return [r for r in records if r.case == case]


# --- session 1: walking the codebook ------------------------------------------------------------

@dataclass
class WalkCode:
    key: str
    label_nl: str
    label_en: str
    label_de: str
    definition: str
    order: int  # 1-based position in the walk
    rank: float | None
    horizon: str | None
    depth: int  # 0 = a top code of the walk


@dataclass
class WalkSummaryLine:
    code: str | None  # None: concepts the codebook misses as a whole
    label: str
    recognised: int
    not_recognised: int
    missing: list[str]


def walk_codes(session: Session, project: Project, codebook: str) -> list[WalkCode]:
    """The codebook's enabled codes in codebook order; a single non-codable root folder (vc) is skipped."""
    book = get_codebook(session, project, codebook)
    rows = [r for r in code_tree(book) if r.code.enabled]
    roots = [r for r in rows if r.depth == 0]
    offset = 0
    if len(roots) == 1 and not roots[0].code.codable:
        rows = [r for r in rows if r.depth > 0]
        offset = 1
    return [WalkCode(key=r.code.key, label_nl=r.code.label_nl, label_en=r.code.label_en, label_de=r.code.label_de,
                     definition=r.code.definition, order=n, rank=r.code.rank, horizon=r.code.horizon,
                     depth=r.depth - offset)
            for n, r in enumerate(rows, start=1)]


def walk_summary(session: Session, project: Project, fg: FocusGroupSession, codebook: str) -> list[WalkSummaryLine]:
    """Every walked code with its tally (zeros included), then remarks on codes outside it and the codebook at large."""
    lines = {line.code: line for line in codebook_walk(session, project, fg)}
    out = []
    for code in walk_codes(session, project, codebook):
        line = lines.pop(code.key, None)
        out.append(WalkSummaryLine(code.key, code.label_en or code.label_nl or code.key,
                                   line.recognised if line else 0, line.not_recognised if line else 0,
                                   list(line.missing) if line else []))
    for key, line in sorted(lines.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        out.append(WalkSummaryLine(key, key or "the codebook as a whole", line.recognised, line.not_recognised,
                                   list(line.missing)))
    return out
