"""Adjudication on the Agreement page: an owner starts the consensus coding of one document compared between two
coders, then settles each disagreement beside its spans (keep A's, keep B's, keep both, or a consensus span)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from analysis.adjudication import CONSENSUS, consensus_of, decide, decisions, reopen, start_adjudication
from analysis.agreement import AgreementReport, Disagreement, unit_key
from cases.projects import get_document
from store.db import read_session
from store.models import Project
from store.privileges import Permission
from ui.identity import refusal
from ui.state import actor, engine, md_escape, my_name, run_write


def adjudication_section(project: Project, request: dict, report: AgreementReport,
                         document_guid: str | None) -> Callable[[Disagreement], None] | None:
    """The start button, and (once started) the controls each disagreement gets; None when there is nothing to
    adjudicate here (not two coders on one document, or not an owner)."""
    coders = request["coders"]
    if len(coders) != 2 or CONSENSUS in coders or document_guid is None or refusal(Permission.MANAGE) is not None:
        return None
    unit = unit_key(request["unit"])
    st.subheader("Adjudication")
    with read_session(engine()) as s:
        consensus = consensus_of(s, project)
        document = get_document(s, project, document_guid)
        started = consensus is not None and document.primary_coder_id == consensus.id
        decided = decisions(s, project, document_guid, coders, unit) if started else {}
    if not started:
        st.caption(md_escape(f"Settle {coders[0]}'s and {coders[1]}'s disagreements on '{document.title}' into a "
                             f"consensus coding ('{CONSENSUS}'), which then becomes the document's primary coding: "
                             "the matrices count it instead of either coder's."))
        if st.button("Start adjudication", key="adjudication_start"):
            def start(session) -> str:  # type: ignore[no-untyped-def]
                copied = start_adjudication(session, project, document_guid, coders, unit=unit,
                                            actor=actor(Permission.MANAGE))
                return f"Started: {copied} agreed span(s) copied into the consensus coding."

            run_write(start)
        return None
    open_count = sum(1 for d in report.disagreements if (d.code, d.start, d.end) not in decided)
    st.caption(md_escape(f"Consensus coding of '{document.title}': {len(decided)} disagreement(s) settled, "
                         f"{open_count} open. It is the document's primary coding."))
    a, b = coders

    def settle(d: Disagreement, choice: str, said: str, span: tuple[int, int] | None = None) -> None:
        def change(session) -> str:  # type: ignore[no-untyped-def]
            decide(session, project, document_guid, coders, code=d.code, start=d.start, end=d.end, unit=unit,
                   decision=choice, span=span, actor=actor(Permission.MANAGE))
            return f"Settled disagreement #{d.number}: {said}."

        run_write(change)

    def take_back(d: Disagreement) -> None:
        def change(session) -> str:  # type: ignore[no-untyped-def]
            reopen(session, project, document_guid, coders, code=d.code, start=d.start, end=d.end, unit=unit,
                   actor=actor(Permission.MANAGE))
            return f"Reopened disagreement #{d.number}."

        run_write(change)

    def controls(d: Disagreement) -> None:
        decision = decided.get((d.code, d.start, d.end))
        if decision is not None:
            st.caption(md_escape(f"Settled: {decision.words}, by {decision.decided_by} ({decision.decided_at})"))
            if decision.decided_by == my_name() and st.button("Reopen", key=f"reopen_{d.number}"):
                take_back(d)
            return
        k1, k2, k3, k4 = st.columns(4)
        for column, (label, choice) in zip((k1, k2, k3), ((f"Keep {a}'s", "a"), (f"Keep {b}'s", "b"),
                                                           ("Keep both", "both"))):
            if column.button(label, key=f"decide_{choice}_{d.number}"):
                settle(d, choice, label.lower())
        with k4.popover("Consensus span"):
            low = min([d.start, *(s.start for s in d.spans)])
            high = max([d.end, *(s.end for s in d.spans)])
            start = st.number_input("From character", 0, value=low, key=f"cstart_{d.number}")
            end = st.number_input("To character", 0, value=high, key=f"cend_{d.number}")
            if st.button("Code this span", key=f"decide_consensus_{d.number}"):
                settle(d, "consensus", f"a consensus span {int(start)}–{int(end)}", (int(start), int(end)))

    return controls
