"""Links into the transcript: the Coding page opened at a document's turn."""

from __future__ import annotations

import streamlit as st

CODING_PAGE = "pages/coding.py"


def coding_link(project_guid: str, document_guid: str, turn: int | None) -> dict[str, str]:
    """Query parameters that open the Coding page at this turn (its ordinal)."""
    params = {"project": project_guid, "document": document_guid}
    if turn is not None:
        params["turn"] = str(turn)
    return params


def show_link(params: dict[str, str], label: str = "Open in transcript") -> None:
    st.page_link(CODING_PAGE, label=label, icon="↗", query_params=params)
