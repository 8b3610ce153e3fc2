"""Adjudication: two coders' disagreements on a document settled into a consensus coding the matrices count.

Starting gives the document a consensus coder ("Consensus") holding what the two agree on (each span of the
first coder that no disagreement touches) and makes it the document's primary coder, so the matrices count the
consensus from then on. Each disagreement is then settled: keep A's spans, keep B's, keep both, or a consensus
span written by the adjudicator. A decision is stored (who, when, what) and logged, and the codings it made are
its own logged events; reopening a decision takes exactly those codings back. The coders' own codings are never
touched, so agreement between them stays what it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.agreement import AgreementReport, Disagreement, coders_named, compute_agreement, unit_key
from analysis.matrix_scope import set_primary_coder
from cases.projects import get_document, get_or_create_coder
from codebooks.service import find_code
from coding.codings import apply_coding
from coding.workspace import remove_coding
from store.errors import Refused
from store.events import record_event
from store.models import ADJUDICATION_DECISIONS, Adjudication, Code, Coder, Coding, Document, Project, Segment

CONSENSUS = "Consensus"
DECISION_WORDS = {"a": "keep {a}'s", "b": "keep {b}'s", "both": "keep both", "consensus": "consensus span"}


@dataclass(frozen=True)
class Decision:
    code: str
    start: int
    end: int
    decision: str
    words: str
    consensus: tuple[int, int] | None
    decided_by: str
    decided_at: str


def _pair(session: Session, project: Project, coders: Sequence[str]) -> tuple[Coder, Coder]:
    if len(coders) != 2:
        raise Refused("adjudication settles the disagreements of exactly two coders")
    if any(" ".join(c.split()).casefold() == CONSENSUS.casefold() for c in coders):
        raise Refused(f"'{CONSENSUS}' is the adjudicated coding, not a coder to compare")
    a, b = coders_named(session, project, [" ".join(c.split()) for c in coders])
    return a, b


def pair_report(session: Session, project: Project, document: Document, a: Coder, b: Coder,
            unit: str) -> AgreementReport:
    """Agreement of A and B on every code either used on this document."""
    keys = sorted(set(session.scalars(
        select(Code.key).join(Coding, Coding.code_id == Code.id).join(Segment, Segment.id == Coding.segment_id)
        .where(Segment.document_id == document.id, Segment.coder_id.in_([a.id, b.id])))))
    if not keys:
        raise Refused(f"neither {a.name} nor {b.name} has coded '{document.title}'")
    return compute_agreement(session, project, [a.name, b.name], unit=unit, code_keys=keys,
                             document_refs=[str(document.guid)])


def consensus_of(session: Session, project: Project) -> Coder | None:
    return session.scalar(select(Coder).where(Coder.project_id == project.id, Coder.name == CONSENSUS))


def start_adjudication(session: Session, project: Project, document_ref: str, coders: Sequence[str], *,
                       unit: str = "characters", actor: str) -> int:
    """Make the consensus coding of the document from what A and B agree on, and make it the primary coding;
    returns how many spans it copied (0 when it was started before)."""
    unit = unit_key(unit)
    document = get_document(session, project, document_ref)
    a, b = _pair(session, project, coders)
    consensus, _ = get_or_create_coder(session, project, CONSENSUS, actor=actor)
    started = session.scalar(select(Segment.id).where(Segment.document_id == document.id,
                                                      Segment.coder_id == consensus.id).limit(1))
    copied = 0
    if started is None:
        report = pair_report(session, project, document, a, b, unit)
        touched = {(d.code, s.segment) for d in report.disagreements for s in d.spans
                   if s.start < d.end and s.end > d.start}
        by_code: dict[tuple[int, int], list[str]] = {}
        for guid, start, end, key in session.execute(
                select(Segment.guid, Segment.start, Segment.end, Code.key)
                .join(Coding, Coding.segment_id == Segment.id).join(Code, Code.id == Coding.code_id)
                .where(Segment.document_id == document.id, Segment.coder_id == a.id)
                .order_by(Segment.start, Segment.end)):
            if (key, str(guid)) not in touched:
                by_code.setdefault((start, end), []).append(key)
        for (start, end), keys in by_code.items():
            apply_coding(session, project, document, consensus, start, end, sorted(set(keys)), actor=actor)
            copied += 1
    if document.primary_coder_id != consensus.id:
        set_primary_coder(session, project, document, CONSENSUS, actor=actor)
    record_event(session, project_guid=project.guid, actor=actor, action="start", entity="adjudication",
                 entity_guid=document.guid, after={"coders": [a.name, b.name], "unit": unit, "copied": copied})
    return copied


def _find(report: AgreementReport, code: str, start: int, end: int) -> Disagreement:
    found = next((d for d in report.disagreements if (d.code, d.start, d.end) == (code, start, end)), None)
    if found is None:
        raise Refused(f"there is no disagreement on {code} at {start}–{end} any more (the codings changed); "
                      "look at the list again")
    return found


def decide(session: Session, project: Project, document_ref: str, coders: Sequence[str], *, code: str,
           start: int, end: int, decision: str, span: tuple[int, int] | None = None,
           unit: str = "characters", actor: str) -> Adjudication:
    """Settle one disagreement (found by its code and range) into the consensus coding."""
    unit = unit_key(unit)
    if decision not in ADJUDICATION_DECISIONS:
        raise Refused(f"unknown decision '{decision}' (use one of: {', '.join(ADJUDICATION_DECISIONS)})")
    document = get_document(session, project, document_ref)
    a, b = _pair(session, project, coders)
    consensus = consensus_of(session, project)
    if consensus is None or document.primary_coder_id != consensus.id:
        raise Refused(f"start the adjudication of '{document.title}' first")
    disagreement = _find(pair_report(session, project, document, a, b, unit), code, start, end)
    code_row = find_code(session, project, code)
    earlier = _decision_row(session, document, code_row, a, b, unit, start, end)
    if earlier is not None:
        raise Refused(f"this disagreement was settled by {earlier.decided_by} "
                      f"({DECISION_WORDS[earlier.decision].format(a=a.name, b=b.name)}); reopen it to decide again")
    if decision == "consensus":
        if span is None or not 0 <= span[0] < span[1]:
            raise Refused("a consensus span needs a start before its end")
        spans = [span]
    else:
        spans = _kept_spans(disagreement, decision, a, b)
    made = []
    for s_start, s_end in spans:
        if _has(session, document, consensus, s_start, s_end, code_row.id):
            continue  # an earlier decision or the agreed copy already holds it (reopen leaves it to them)
        segment = apply_coding(session, project, document, consensus, s_start, s_end, [code], actor=actor)
        made += [str(g) for g in session.scalars(select(Coding.guid).where(Coding.segment_id == segment.id,
                                                                           Coding.code_id == code_row.id))]
    row = Adjudication(project_id=project.id, document_id=document.id, code_id=code_row.id, coder_a_id=a.id,
                       coder_b_id=b.id, unit=unit, region_start=start, region_end=end, decision=decision,
                       consensus_start=span[0] if decision == "consensus" and span else None,
                       consensus_end=span[1] if decision == "consensus" and span else None,
                       consensus_codings=" ".join(made), decided_by=actor)
    session.add(row)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="decide", entity="adjudication",
                 entity_guid=row.guid,
                 after={"document": str(document.guid), "code": code, "start": start, "end": end,
                        "decision": decision, "coders": [a.name, b.name], "unit": unit, "spans": spans,
                        "codings": made})
    return row


def _kept_spans(disagreement: Disagreement, decision: str, a: Coder, b: Coder) -> list[tuple[int, int]]:
    """The spans a decision keeps: the chosen coders' spans with the code that overlap the region or touch it
    (a span the start left out because a disagreement touched it holds what both coded next to the region)."""
    keep = {"a": {a.name}, "b": {b.name}, "both": {a.name, b.name}}[decision]
    return sorted({(s.start, s.end) for s in disagreement.spans if s.coder in keep
                   and s.start <= disagreement.end and s.end >= disagreement.start})


def _decision_row(session: Session, document: Document, code: Code, a: Coder, b: Coder, unit: str, start: int,
                  end: int) -> Adjudication | None:
    """The decision on one disagreement, locked: two adjudicators deciding at once go one after the other."""
    return session.scalar(select(Adjudication).where(
        Adjudication.document_id == document.id, Adjudication.code_id == code.id, Adjudication.coder_a_id == a.id,
        Adjudication.coder_b_id == b.id, Adjudication.unit == unit, Adjudication.region_start == start,
        Adjudication.region_end == end).with_for_update())


def _has(session: Session, document: Document, coder: Coder, start: int, end: int, code_id: int) -> bool:
    return session.scalar(select(Coding.id).join(Segment, Segment.id == Coding.segment_id).where(
        Segment.document_id == document.id, Segment.coder_id == coder.id, Segment.start == start,
        Segment.end == end, Coding.code_id == code_id).limit(1)) is not None


def reopen(session: Session, project: Project, document_ref: str, coders: Sequence[str], *, code: str,
           start: int, end: int, unit: str = "characters", actor: str) -> None:
    """Take a decision back: the consensus codings it made go (only by whoever decided), then the decision."""
    unit = unit_key(unit)
    document = get_document(session, project, document_ref)
    a, b = _pair(session, project, coders)
    code_row = find_code(session, project, code)
    row = _decision_row(session, document, code_row, a, b, unit, start, end)
    if row is None:
        raise Refused(f"no decision on {code} at {start}–{end} to reopen")
    if row.decided_by != actor:
        raise Refused(f"{row.decided_by} settled this disagreement; only they can reopen it")
    needed = _still_needed(session, project, document, a, b, unit, row)
    for guid in row.consensus_codings.split():
        found = session.execute(select(Segment.start, Segment.end).join(Coding, Coding.segment_id == Segment.id)
                                .where(Coding.guid == uuid.UUID(guid))).first()
        if found is None:
            continue
        heir = needed.get((found.start, found.end))
        if heir is None:
            remove_coding(session, project, guid, actor=actor, owner=CONSENSUS)
        else:  # another decision keeps this span too: the coding is its now, to take back if it is reopened
            heir.consensus_codings = " ".join([*heir.consensus_codings.split(), guid])
    record_event(session, project_guid=project.guid, actor=actor, action="reopen", entity="adjudication",
                 entity_guid=row.guid, before={"decision": row.decision, "code": code, "start": start, "end": end})
    session.delete(row)
    session.flush()


def _still_needed(session: Session, project: Project, document: Document, a: Coder, b: Coder, unit: str,
                  leaving: Adjudication) -> dict[tuple[int, int], Adjudication]:
    """The spans (of the leaving decision's code) that the document's other decisions keep, with one of them."""
    others = [r for r in session.scalars(select(Adjudication).where(
        Adjudication.document_id == document.id, Adjudication.code_id == leaving.code_id,
        Adjudication.id != leaving.id))]
    if not others:
        return {}
    code = session.get_one(Code, leaving.code_id).key
    regions = {(d.start, d.end): d for d in pair_report(session, project, document, a, b, unit).disagreements
               if d.code == code}
    needed: dict[tuple[int, int], Adjudication] = {}
    for other in others:
        if other.decision == "consensus":
            needed.setdefault((other.consensus_start, other.consensus_end), other)
        elif (other.region_start, other.region_end) in regions:
            for kept in _kept_spans(regions[other.region_start, other.region_end], other.decision, a, b):
                needed.setdefault(kept, other)
    return needed


def decisions(session: Session, project: Project, document_ref: str, coders: Sequence[str],
              unit: str = "characters") -> dict[tuple[str, int, int], Decision]:
    """The decisions taken on this document between these two coders, by (code, start, end)."""
    unit = unit_key(unit)
    document = get_document(session, project, document_ref)
    a, b = _pair(session, project, coders)
    rows = session.execute(select(Adjudication, Code.key).join(Code, Code.id == Adjudication.code_id).where(
        Adjudication.document_id == document.id, Adjudication.coder_a_id == a.id, Adjudication.coder_b_id == b.id,
        Adjudication.unit == unit)).all()
    return {(key, r.region_start, r.region_end): Decision(
        key, r.region_start, r.region_end, r.decision, DECISION_WORDS[r.decision].format(a=a.name, b=b.name),
        (r.consensus_start, r.consensus_end) if r.consensus_start is not None else None, r.decided_by,
        r.decided_at.strftime("%Y-%m-%d %H:%M")) for r, key in rows}


def report_decisions(session: Session, project: Project, report: AgreementReport
                     ) -> dict[tuple[str, str, int, int], Decision]:
    """The decisions on a report's disagreements, by (document guid, code, start, end): for the reports."""
    if len(report.coders) != 2 or CONSENSUS in report.coders:  # comparing a coder with the consensus itself
        return {}
    guids = {d.document_guid for d in report.disagreements}
    out = {}
    for guid in guids:
        for (code, start, end), decision in decisions(session, project, guid, report.coders, report.unit_key).items():
            out[guid, code, start, end] = decision
    return out
