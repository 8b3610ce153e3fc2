"""Where the coding benchmark's time goes (bench/coding_bench.py, information only).

An unprofiled breakdown of what the Coding page computes, a cProfile of Coding-page reruns and of applying
codings; kept apart from the timed kinds (bench/coding_kinds.py) and the report.
"""

from __future__ import annotations

import cProfile
import gc
import json
import os
import pstats
import sqlite3
import statistics
import time
import uuid

from bench.coding_kinds import PAGE_CODER, ApplyRuns, PageRuns
from bench.measure import RESULTS, ROOT

# document_segments' query (coding/workspace.py), for a reference timing without the ORM
SEGMENTS_SQL = (
    'SELECT segment.guid, segment.start, segment."end", coder.name, coding.guid, code.*, coding.origin '
    "FROM segment JOIN coder ON segment.coder_id = coder.id JOIN coding ON coding.segment_id = segment.id "
    "JOIN code ON coding.code_id = code.id WHERE segment.document_id = ? AND segment.text_version_id = ?"
)


# ---------------------------------------------------------------------------------------------
# Where the Coding page's time goes
# ---------------------------------------------------------------------------------------------

def page_stages(db: dict, repeats: int = 5) -> dict[str, float]:
    """Unprofiled wall time of what the Coding page computes, through the same functions, outside Streamlit.

    Mirrors ui/coding_view.coding_page (minus widgets). What a rerun runs is listed plainly; what the page keeps in
    resource caches keyed on the project's latest event id (recomputed only after a change) is bracketed.
    """
    from cases.documents import document_case_names, document_text, document_turns, list_documents
    from cases.projects import get_document, get_project, list_coders
    from coding.picker import code_choices
    from coding.undo import redo_offer, undo_offer
    from coding.workspace import document_segments, project_revision, recent_code_keys
    from store.db import read_session
    from ui.coding_view import transcript_payload
    from ui.keyboard_coding import picker_codes
    from ui.transcript_component import _component_data, highlights_for_turns
    from ui.transcript_window import char_starts, outline, window_around

    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    from store.migrate import current_revision

    engine = db["engine"]
    project_guid, document_guid = uuid.UUID(db["project_guid"]), uuid.UUID(db["document_guid"])
    raw = sqlite3.connect(db["path"])

    def once() -> dict[str, float]:
        out: dict[str, float] = {}

        def lap(name: str, t: float) -> float:
            now = time.perf_counter()
            out[name] = now - t
            return now

        t = time.perf_counter()
        cache = ScriptCache()
        cache.get_bytecode(str(ROOT / "app.py"))
        cache.get_bytecode(str(ROOT / "pages" / "coding.py"))
        t = lap("AppTest only: compile + Streamlit magic of app.py and pages/coding.py (a new ScriptCache per "
                "AppTest run; the server keeps its cache)", t)
        current_revision(engine)
        t = lap("(every 30 s) app.py engine_or_stop: current_revision (connection + alembic_version)", t)
        project_revision(engine, project_guid)
        project_revision(engine, project_guid, document_guid)
        t = lap("page top and fragment: coding.workspace.project_revision, twice (one driver statement each)", t)
        with read_session(engine) as s:
            project = get_project(s, db["project_guid"])
            list_documents(s, project)
            document_case_names(s, project)
            coders = list_coders(s, project)
        t = lap("(cached on the revision) project, documents, case names, coders", t)
        with read_session(engine) as s:
            document = get_document(s, project, db["document_guid"])
            text, turns = document_text(s, document), document_turns(s, document)
        t = lap("(cached on the text version) text + turns", t)
        with read_session(engine) as s:
            coder = next(c for c in coders if c.name == PAGE_CODER)
            segments = document_segments(s, document, coder=None, language="en")
            t = lap("(cached on the revision) document_segments (1,500 codings)", t)
            raw.execute(SEGMENTS_SQL, (db["document_id"], db["text_version_id"])).fetchall()
            t = lap("(reference, not on the page) the same join in raw sqlite3, all Code columns as the ORM "
                    "loads them", t)
            choices = code_choices(s, project, language="en")
            recent = recent_code_keys(s, project, coder)
            undoable = undo_offer(s, project, PAGE_CODER, document=document)
            redoable = redo_offer(s, project, PAGE_CODER, document=document)
            t = lap("(cached on the revision) code_choices, recent_code_keys, undo_offer, redo_offer", t)
        turn_rows, highlights = transcript_payload(text, turns, segments)
        per_turn = highlights_for_turns(highlights, turn_rows)
        starts = char_starts(turn_rows)
        shape = outline(starts)
        codes = picker_codes(choices, recent)
        t = lap("(cached on the revision) transcript_payload, highlights_for_turns, char_starts, outline, "
                "picker_codes", t)
        first, end = window_around(starts, 0)
        data = _component_data(turn_rows[first:end], per_turn, None, 640, {**shape, "first": first}, codes=codes)
        t = lap("the first window's component data (window_around, _component_data)", t)
        json.dumps(data)
        json.dumps(data, sort_keys=True)
        lap("json.dumps of the component data, twice (Streamlit: payload and element identity)", t)
        out["_keep"] = float(len(choices) + len(starts) + bool(undoable) + bool(redoable))  # alive until here
        return out

    once()
    runs = [once() for _ in range(repeats)]
    raw.close()
    return {k: statistics.median(r[k] for r in runs) for k in runs[0] if not k.startswith("_")}


def _label(filename: str, line: int, func: str) -> str:
    root = str(ROOT) + os.sep
    shown = os.path.relpath(filename, ROOT) if filename.startswith(root) else filename
    site = shown.find("site-packages/")
    if site >= 0:
        shown = shown[site + len("site-packages/"):]
    return f"{shown}:{line}({func})"


def _own(filename: str) -> bool:
    root = str(ROOT) + os.sep
    return filename.startswith(root) and not filename.startswith((str(ROOT / ".venv"), str(ROOT / "bench")))


def _aggregate(profiles: list[cProfile.Profile], keep) -> list[dict]:  # type: ignore[no-untyped-def]
    """Rows per function label, averaged over the profiles (one per rerun).

    Each AppTest rerun compiles app.py and the page anew, so their code objects differ from run to run;
    pstats keys by (file, line, name) and would keep one run's entry. Summing per profile avoids that.
    """
    total: dict[tuple, list[float]] = {}
    for prof in profiles:
        for key, (cc, nc, tt, ct, _callers) in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
            row = total.setdefault(key, [0, 0.0, 0.0])
            row[0] += nc
            row[1] += tt
            row[2] += ct
    n = len(profiles)
    return [{"function": _label(*key), "own": _own(key[0]), "file": key[0], "name": key[2], "ncalls": round(nc / n),
             "tottime_s": tt / n, "cumtime_s": ct / n} for key, (nc, tt, ct) in total.items() if keep(key)]


def profile_page(pages: PageRuns, runs: int = 3) -> dict:
    """cProfile Coding-page reruns in the script thread (where the page runs), one profiler per rerun."""
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    profiles: list[cProfile.Profile] = []
    original = LocalScriptRunner._run_script_thread
    script_wall: list[float] = []

    def profiled(self) -> None:  # type: ignore[no-untyped-def]
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        try:
            original(self)
        finally:
            prof.disable()
            script_wall.append(time.perf_counter() - t0)
            profiles.append(prof)

    LocalScriptRunner._run_script_thread = profiled  # type: ignore[method-assign]
    try:
        pages.run_coding()  # warm-up with the profiler on
        profiles.clear()
        script_wall.clear()
        total_wall = []
        for _ in range(runs):
            gc.collect()  # so that a full collection (reported in the table) does not land in one function here
            total_wall.append(pages.run_coding()["seconds"])
    finally:
        LocalScriptRunner._run_script_thread = original  # type: ignore[method-assign]
    RESULTS.mkdir(parents=True, exist_ok=True)
    profiles[-1].dump_stats(str(RESULTS / "coding_page_profile.prof"))
    with open(RESULTS / "coding_page_profile.txt", "w") as fh:
        fh.write("script thread, last of the profiled Coding-page reruns\n")
        pstats.Stats(profiles[-1], stream=fh).sort_stats("cumulative").print_stats(70)
        pstats.Stats(profiles[-1], stream=fh).sort_stats("tottime").print_stats(40)
    rows = _aggregate(profiles, lambda k: True)
    own = sorted((r for r in rows if r["own"]), key=lambda r: r["cumtime_s"], reverse=True)
    by_self = sorted(rows, key=lambda r: r["tottime_s"], reverse=True)

    def cum(where: str) -> float:
        """Cumulative time of 'path/ending.py:function' (matched without line numbers: the files change)."""
        path, name = where.rsplit(":", 1)
        return max((r["cumtime_s"] for r in rows if r["name"] == name and r["file"].endswith(path)), default=0.0)

    script = statistics.median(script_wall)
    groups = {
        "app.py, whole script (sidebar, navigation, the page)": cum("app.py:<module>"),
        "ui/coding_view.coding_page, whole page": cum("ui/coding_view.py:coding_page"),
        "ui/coding_view._workspace (the st.fragment)": cum("ui/coding_view.py:_workspace"),
        "AppTest only: compile + Streamlit magic of app.py and the page (ScriptCache is new per AppTest run; "
        "the server caches it)": cum("scriptrunner/script_cache.py:get_bytecode"),
        "ui/state.engine_or_stop": cum("ui/state.py:engine_or_stop"),
        "ui/state.project_picker (sidebar)": cum("ui/state.py:project_picker"),
        "coding/workspace.project_revision": cum("coding/workspace.py:project_revision"),
        "ui/transcript_component.transcript_view (mounting the component with one part)":
            cum("ui/transcript_component.py:transcript_view"),
        "  of which bidi_component (JSON of the data, identity, proto)":
            cum("bidi_component/main.py:_bidi_component"),
        "ui/coding_view._segments_panel": cum("ui/coding_view.py:_segments_panel"),
        "ui/coding_view._coding_panel": cum("ui/coding_view.py:_coding_panel"),
        "ui/coding_view._suggestions_panel": cum("ui/coding_view.py:_suggestions_panel"),
        "ui/coding_view._memo_panel": cum("ui/coding_view.py:_memo_panel"),
    }
    return {"runs": runs, "rerun_wall_s": statistics.median(total_wall), "script_thread_wall_s": script,
            "apptest_outside_script_s": statistics.median(total_wall) - script,
            "groups_cum_s": groups, "top_project_cumulative": own[:25], "top_self": by_self[:15],
            "note": "profiler overhead included; per rerun, averaged over the profiled reruns"}


def profile_apply(applies: ApplyRuns) -> dict:
    """Where one apply goes: unprofiled laps per step, then a cProfile of a whole sample (per coding)."""
    from coding.codings import _Dialect, _Writer

    engine, project_guid, document_guid = applies.engine, applies.db["project_guid"], applies.db["document_guid"]
    project_hex, document = uuid.UUID(project_guid).hex, uuid.UUID(document_guid)
    rows = applies.plan()
    laps: dict[str, list[float]] = {}
    marks = applies._watermarks()
    for start, end, me, key in rows:  # code_span's steps, one by one
        t = time.perf_counter()
        steps = []
        pooled = engine.raw_connection()
        steps.append(("pool checkout", time.perf_counter()))
        writer = _Writer(pooled.cursor(), _Dialect.of(engine.dialect))
        writer.cursor.execute("BEGIN IMMEDIATE")
        steps.append(("BEGIN IMMEDIATE", time.perf_counter()))
        target, codes = writer.target(project_hex, document.hex, me, [key], start, end)
        steps.append(("lookup: project, document, text version, coder, code, duplicate (one SELECT)",
                      time.perf_counter()))
        writer.insert(project_guid=project_hex, document_id=target.document_id, document_guid=str(document),
                      version_id=target.version_id, version=target.version, coder_id=target.coder_id,
                      coder_name=me, start=start, end=end, codes=codes, actor=me, origin="manual", matched_term=None)
        steps.append(("INSERT segment, coding, event", time.perf_counter()))
        pooled.commit()
        steps.append(("COMMIT", time.perf_counter()))
        pooled.close()
        steps.append(("pool checkin", time.perf_counter()))
        for name, now in steps:
            laps.setdefault(name, []).append(now - t)
            t = now
    applies._cleanup(marks)
    stages = {name: statistics.median(v) for name, v in laps.items()}
    prof = cProfile.Profile()
    marks = applies._watermarks()
    rows = applies.plan()
    prof.enable()
    applies.apply_rows(rows)
    prof.disable()
    applies._cleanup(marks)
    prof.dump_stats(str(RESULTS / "apply_profile.prof"))
    n = len(rows)
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    all_rows = [{"function": _label(*key), "own": _own(key[0]), "ncalls": nc / n, "tottime_s": tt / n,
                 "cumtime_s": ct / n} for key, (cc, nc, tt, ct, _c) in stats.items()]
    own = sorted((r for r in all_rows if r["own"]), key=lambda r: r["cumtime_s"], reverse=True)
    by_self = sorted(all_rows, key=lambda r: r["tottime_s"], reverse=True)
    sql = sum(r["ncalls"] for r in all_rows if "method 'execute' of 'sqlite3.Cursor'" in r["function"])
    callees: dict[str, list[dict]] = {}
    for parent_name in ("code_span", "insert"):
        parent = next((k for k in stats if k[2] == parent_name and _own(k[0])), None)
        found = []
        for key, (_cc, _nc, _tt, _ct, callers) in stats.items():
            if parent is not None and parent in callers:
                cc, nc, tt, ct = callers[parent]
                found.append({"function": _label(*key), "ncalls": nc / n, "cumtime_s": ct / n})
        callees[parent_name] = sorted(found, key=lambda r: r["cumtime_s"], reverse=True)[:8]
    return {"stages_median_s": stages, "top_project_cumulative": own[:12], "top_self": by_self[:10],
            "callees": callees,
            "sqlite_execute_calls_per_coding": sql,
            "sqlite_execute_s_per_coding": sum(r["tottime_s"] for r in all_rows
                                               if "method 'execute' of 'sqlite3.Cursor'" in r["function"]),
            "commit_s_per_coding": sum(r["tottime_s"] for r in all_rows
                                       if "method 'commit' of 'sqlite3.Connection'" in r["function"])}
