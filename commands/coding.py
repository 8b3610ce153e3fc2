"""Coding on the command line: code a span, suggestions, codings, retrieval, text search, memos."""

from __future__ import annotations

import argparse
import json

from analysis.framework_undo import cell_undoable
from cases.projects import get_case, get_document, get_or_create_coder, get_project, list_coders
from coding.codings import apply_coding, list_codings
from coding.learned import suggest_learned
from coding.memos import memo_undoable, memo_views
from coding.rejections import reject_suggestion
from coding.suggest import suggest_codings
from coding.undo import redo, redo_offer, undo, undo_offer
from commands.support import CliRefused, acting, emit, notice, open_database, reading, reading_pooled, write_out
from exports.listing import FORMATS, render_records
from focusgroups.feedback import feedback_undoable
from focusgroups.sessions import get_session
from store import history
from store.db import read_session, write_session
from store.errors import Refused
from store.privileges import Permission


def cmd_code(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        document = get_document(s, project, args.document)
        me = acting(args, s, project, Permission.CODE, claimed=args.coder)
        coder, created = get_or_create_coder(s, project, me, actor=me)
        # the coder is who did it: undo --coder NAME takes back exactly these changes
        segment = apply_coding(s, project, document, coder, args.start, args.end, args.code, actor=coder.name)
    if created:  # only once the transaction has committed
        notice(f"created coder '{coder.name}' in project '{project.name}'")
    emit(f"coded {args.start}–{args.end} of '{document.title}' with {', '.join(args.code)} (segment {segment.guid})")


def cmd_undo(args: argparse.Namespace) -> None:
    _undo_or_redo(args, "undo")


def cmd_redo(args: argparse.Namespace) -> None:
    _undo_or_redo(args, "redo")


def _undo_or_redo(args: argparse.Namespace, action: str) -> None:
    """Only this coder's own last change, where they made it: in a document (or anywhere in the project's coding),
    on a framework cell, in the memos or in a focus-group session; --dry-run says which."""
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        coder = acting(args, s, project, Permission.UNDO, claimed=args.coder)
        kind = _page_object(s, project, args)
        if kind is not None:
            found = history.offer(s, project, coder, kind, action)
        else:
            document = get_document(s, project, args.document) if args.document else None
            found = (undo_offer if action == "undo" else redo_offer)(s, project, coder, document=document)
        if args.dry_run:
            if found is None:
                raise CliRefused(f"nothing to {action} for {coder}")
            if found.blocked:
                raise CliRefused(f"cannot {action} {found.description}: {found.blocked}")
            emit(f"would {action}: {found.description}")
            return
        if kind is not None:
            what = (history.take_back if action == "undo" else history.do_again)(s, project, coder, kind)
        else:
            what = (undo if action == "undo" else redo)(s, project, actor=coder, document=document)
    emit(f"{'undid' if action == 'undo' else 'redid'}: {what}")


def _page_object(s, project, args: argparse.Namespace) -> history.Undoable | None:  # type: ignore[no-untyped-def]
    """The object named by --cell, --memos, --session or --stories (None: coding changes, by --document or anywhere)."""
    named = [flag for flag, value in (("--document", args.document), ("--cell", args.cell), ("--memos", args.memos),
                                      ("--session", args.session), ("--stories", args.stories)) if value]
    if len(named) > 1:
        raise CliRefused(f"name one place to undo in, not {' and '.join(named)}")
    if args.cell:
        return cell_undoable(s, project, *args.cell)
    if args.memos:
        return memo_undoable()
    if args.stories:
        from coding.story_undo import story_undoable

        return story_undoable()
    if args.session:
        return feedback_undoable(s, get_session(s, project, args.session))
    return None


def cmd_suggest(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        blind = reading(args, s, project)
        document = get_document(s, project, args.document)
        coder = None
        if args.coder:
            coder = next((c for c in list_coders(s, project) if c.name == args.coder), None)
            if coder is None:
                raise Refused(f"project '{project.name}' has no coder '{args.coder}'")
        if document.id in blind.document_ids:  # coding it blind: only your own codings count as already coded
            coder = next(c for c in list_coders(s, project) if c.id == blind.coder_id)
        if args.method == "learned":
            if not args.codebook:
                raise Refused("learned suggestions are per codebook: give --codebook KEY")
            if blind.active:
                raise Refused(blind.closed("learned suggestions"))
            learned, notes = suggest_learned(s, project, document, args.codebook, skip_coded=not args.include_coded,
                                             coder_id=coder.id if coder is not None else None)
            for note in notes:
                notice(note)
            emit(render_records([x.as_dict() for x in learned], args.format,
                                ["code", "start", "end", "method", "confidence", "words", "text"]))
            return
        suggestions = suggest_codings(s, project, document, coder=coder, skip_coded=not args.include_coded)
    records = [x.as_dict() for x in suggestions]
    emit(render_records(records, args.format, ["code", "start", "end", "term", "text"]))


def cmd_suggest_reject(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        document = get_document(s, project, args.document)
        me = acting(args, s, project, Permission.CODE, claimed=args.coder)
        coder, _ = get_or_create_coder(s, project, me, actor=me)
        new = reject_suggestion(s, project, document, coder, args.code, args.start, args.end,
                                method=args.method, actor=coder.name, codebook=args.codebook, version=args.version)
    emit(f"{'rejected' if new else 'already rejected'}: {args.code} for {args.start}–{args.end} of "
         f"'{document.title}' (by {coder.name}; not suggested to them again, and a negative example)")


def cmd_suggest_eval(args: argparse.Namespace) -> None:
    from analysis.suggestion_eval import evaluate

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading_pooled(args, s, project, "the suggestion evaluation")
        result = evaluate(s, project, args.codebook, held_out=args.hold_out)
    if args.format == "json":
        emit(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    records = [{"code": "(pooled)", "method": m, **sc.as_dict()} for m, sc in result.pooled.items()]
    records += [{"code": c, "method": m, **sc.as_dict()} for c, scores in result.per_code.items()
                for m, sc in scores.items()]
    emit(f"{args.codebook}: {result.sentences:,} sentences, {result.coded_sentences:,} coded; one {args.hold_out} of "
         f"{result.folds} held out at a time")
    emit(render_records(records, args.format, ["code", "method", "precision", "recall", "f1", "tp", "fp", "fn"]))


def cmd_codings(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        blind = reading(args, s, project)
        document = get_document(s, project, args.document) if args.document else None
        coder = None
        if args.coder:
            coder = next((c for c in list_coders(s, project) if c.name == args.coder), None)
            if coder is None:
                raise Refused(f"project '{project.name}' has no coder '{args.coder}'")
        records = [r.as_dict() for r in list_codings(s, project, document=document, coder=coder, blind=blind)]
    emit(render_records(records, args.format, ["document", "case", "code", "coder", "start", "end", "text"]))


def cmd_retrieve(args: argparse.Namespace) -> None:
    from cases.documents import quote_citation
    from coding.retrieval import retrieve_segments

    attribute = None
    if args.attribute:
        target, sep, rest = args.attribute.partition(":")
        name, sep2, value = rest.partition("=")
        if not (sep and sep2):
            raise CliRefused(f"--attribute '{args.attribute}': write TARGET:NAME=VALUE, e.g. case:country=NL")
        attribute = (target.strip(), name.strip(), value.strip())
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        blind = reading(args, s, project)
        rows = retrieve_segments(s, project, code_keys=args.code or [], include_subtrees=not args.no_subcodes,
                                 case=args.case, document=args.document, attribute=attribute,
                                 speaker_role=args.role, person=args.person, coder=args.coder, blind=blind)
    records = [r.as_dict() for r in rows]
    columns = ["case", "document", "turn", "role", "codes", "coder", "start", "end", "text"]
    if any(r.page is not None for r in rows):
        columns.insert(3, "page")  # a PDF's page beside the turn
    if args.format == "table":  # a paragraph without a speaker (a PDF's) reads "¶5", with no role
        for row, record in zip(rows, records):
            if row.speaker is None and row.turn is not None:
                record["turn"], record["role"] = quote_citation(row.turn, None), None
    emit(render_records(records, args.format, columns))


def cmd_search(args: argparse.Namespace) -> None:
    from coding.search import search_text

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading(args, s, project)
        hits = search_text(s, project, args.query, lemma=not args.exact, case=args.case, document=args.document,
                           limit=args.limit)
    emit(render_records([h.as_dict() for h in hits], args.format,
                         ["document", "turn", "start", "end", "left", "text", "right"]))


def cmd_memos(args: argparse.Namespace) -> None:
    if args.format == "docx" and not args.out:
        raise CliRefused("--format docx needs --out FILE.docx")
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        blind = reading(args, s, project)
        case = get_case(s, project, args.case) if args.case else None
        views = memo_views(s, project, target=args.target, case=case, author=args.author, blind=blind)
        if args.format == "docx":
            from exports.memos_docx import build_memos_docx

            filters = [f"{name}: {value}" for name, value in
                       (("on", args.target), ("case", args.case), ("author", args.author)) if value]
            data = build_memos_docx(s, project, views, subtitle=", ".join(filters) or None)
    if args.format == "docx":
        write_out(args.out, data)
        emit(f"wrote {len(views)} memo(s) to {args.out}")
        return
    records = [v.as_dict() for v in views]
    text = render_records(records, args.format, ["target", "target_name", "author", "created_at", "text"])
    if args.out:
        write_out(args.out, (text + "\n").encode("utf-8"))
        emit(f"wrote {len(views)} memo(s) to {args.out}")
    else:
        emit(text)


def register(command) -> None:  # type: ignore[no-untyped-def]
    """Add this module's commands through `commands.build_parser`'s `command(name, handler, help_, listing=)`."""
    p = command("code", cmd_code, "code a span of a document")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True, help="title or guid")
    p.add_argument("--code", required=True, action="append", help="code key (repeat for several codes on one span)")
    p.add_argument("--start", required=True, type=int)
    p.add_argument("--end", required=True, type=int)
    p.add_argument("--coder", required=True)

    for name, handler, help_ in (("undo", cmd_undo, "take back a coder's own last change"),
                                 ("redo", cmd_redo, "do again the change a coder took back last")):
        p = command(name, handler, help_ + " (in --document, else anywhere in the project's coding; or on a "
                    "framework cell, in the memos, or in a focus-group session)")
        p.add_argument("--project", required=True)
        p.add_argument("--coder", required=True, help="whose change: only ever that coder's own")
        p.add_argument("--document", help="title or guid")
        p.add_argument("--cell", nargs=2, metavar=("CASE", "CODE"), help="a framework cell's last change")
        p.add_argument("--memos", action="store_true", help="the last change to a memo")
        p.add_argument("--stories", action="store_true", help="the last change to a value-creation story")
        p.add_argument("--session", help="the last remark recorded in this focus-group session")
        p.add_argument("--dry-run", action="store_true", help="say what it would take back, change nothing")

    p = command("suggest", cmd_suggest, "suggest codes for a document's sentences from indicator terms "
                "(writes nothing)", listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True, help="title or guid")
    p.add_argument("--coder", help="drop only suggestions this coder has already coded (default: anyone)")
    p.add_argument("--include-coded", action="store_true", help="keep suggestions for sentences already coded")
    p.add_argument("--method", choices=("terms", "learned"), default="terms",
                   help="indicator terms (default), or a model learned from the project's own codings")
    p.add_argument("--codebook", help="the codebook a learned model suggests from (with --method learned)")

    p = command("suggest-reject", cmd_suggest_reject, "say no to a suggested code for a sentence: it is not "
                "suggested to you again, and learned suggestions take it as a negative example")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True, help="title or guid")
    p.add_argument("--code", required=True, help="code key (codebook/key where two codebooks share it)")
    p.add_argument("--codebook", help="the code's codebook, where two share the key")
    p.add_argument("--start", type=int, required=True, help="the suggested sentence's start (code points)")
    p.add_argument("--end", type=int, required=True)
    p.add_argument("--method", choices=("terms", "learned"), default="learned", help="what suggested it")
    p.add_argument("--version", type=int, help="the text version the suggestion was made on (refused if the text "
                   "changed since)")
    p.add_argument("--coder", help="who rejects it (local projects; a team project uses --as)")

    p = command("suggest-eval", cmd_suggest_eval, "score learned suggestions against the most frequent code and "
                "the indicator terms, one case (or document) held out at a time", listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--codebook", required=True)
    p.add_argument("--hold-out", choices=("case", "document"), default="case")

    p = command("codings", cmd_codings, "list codings", listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--document")
    p.add_argument("--coder")

    p = command("retrieve", cmd_retrieve, "coded segments for codes (with sub-codes), with their turns",
                listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--code", action="append", help="code key (repeat; none = every coded segment)")
    p.add_argument("--no-subcodes", action="store_true", help="only the codes named, not their sub-codes")
    p.add_argument("--case")
    p.add_argument("--document", help="title or guid")
    p.add_argument("--attribute", help="TARGET:NAME=VALUE, e.g. case:country=NL or person:sector=zorg")
    p.add_argument("--role", help="speaker role, e.g. respondent")
    p.add_argument("--person", help="speaker's person: name, pseudonym or guid")
    p.add_argument("--coder")

    p = command("search", cmd_search, "keyword-in-context text search (lemma-aware for nl/de/en)", listing=True)
    p.add_argument("query")
    p.add_argument("--project", required=True)
    p.add_argument("--case")
    p.add_argument("--document", help="title or guid")
    p.add_argument("--exact", action="store_true", help="match word forms, not lemmas")
    p.add_argument("--limit", type=int)

    p = command("memos", cmd_memos, "list memos, or write them to a Word file")
    p.add_argument("--project", required=True)
    p.add_argument("--target", choices=("project", "case", "document", "code", "segment"))
    p.add_argument("--case", help="memos on this case, its documents and their segments")
    p.add_argument("--author", help="coder name")
    p.add_argument("--format", choices=(*FORMATS, "docx"), default="table")
    p.add_argument("--out", help="write to this file (required for docx)")
