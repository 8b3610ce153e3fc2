"""Value-creation stories on the command line, and the marks a value-creation coding carries (aspirational,
beneficiary) that the stories' checks read."""

from __future__ import annotations

import argparse
import json
import uuid

from cases.projects import get_case, get_person, get_project
from commands.support import CliRefused, acting, emit, open_database, reading_pooled
from exports.listing import render_records
from store.db import read_session, write_session
from store.models import BENEFICIARIES
from store.privileges import Permission


def _writer(args: argparse.Namespace, s, project) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    """Who changes a story, and whether they may change anyone's (an owner; in a local project, everyone)."""
    from cases.members import acting_as_named

    name = acting(args, s, project, Permission.CODE)
    return name, acting_as_named(s, project, getattr(args, "as_name", None) or name).role.can_delete()


def _segment_guid(s, project, args: argparse.Namespace) -> str:  # type: ignore[no-untyped-def]
    """--segment GUID, or the coded segment at --document D --start S --end E (by --coder where two coded it)."""
    from sqlalchemy import select

    from cases.projects import get_document
    from store.errors import Refused
    from store.models import Coder, Segment

    if getattr(args, "segment", None):
        return args.segment
    if not args.document or args.start is None or args.end is None:
        raise CliRefused("name the segment with --segment GUID, or --document D --start S --end E")
    document = get_document(s, project, args.document)
    stmt = (select(Segment.guid, Coder.name).join(Coder, Segment.coder_id == Coder.id)
            .where(Segment.document_id == document.id, Segment.start == args.start, Segment.end == args.end))
    if args.coder:
        stmt = stmt.where(Coder.name == args.coder)
    found = s.execute(stmt).all()
    if not found:
        raise Refused(f"no coded segment at {args.start}–{args.end} of '{document.title}'"
                      + (f" by {args.coder}" if args.coder else ""))
    if len(found) > 1:
        raise Refused(f"{', '.join(sorted(n for _, n in found))} each coded {args.start}–{args.end} of "
                      f"'{document.title}': name one with --coder")
    return str(found[0][0])


def _span_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--document", help=f"{what} by its document (title or guid), --start and --end")
    p.add_argument("--start", type=int, help="the segment's start (code points)")
    p.add_argument("--end", type=int, help="the segment's end (code points, exclusive)")
    p.add_argument("--coder", help="whose segment, where several coders coded the same span")


def _step_ref(args: argparse.Namespace) -> str | int:
    if (args.position is None) == (args.segment is None):
        raise CliRefused("name the step with --position K or --segment GUID (one of them)")
    return args.position if args.position is not None else args.segment


def cmd_story_create(args: argparse.Namespace) -> None:
    from coding.stories import create_story

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.CODE)
        case = get_case(s, project, args.case)
        person = get_person(s, project, args.person) if args.person else None
        story = create_story(s, project, case, args.title, person=person, actor=me)
        title, guid = story.title, story.guid
    emit(f"created story '{title}' of case '{case.name}' ({guid})")


def _story_change(args: argparse.Namespace, change):  # type: ignore[no-untyped-def]
    """Run `change(session, project, story, actor, as_owner)` on the story --story names, in one write
    transaction; returns (the story's title afterwards, what `change` returned)."""
    from sqlalchemy import select

    from coding.stories import get_story
    from store.models import Story

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me, owner = _writer(args, s, project)
        story = get_story(s, project, args.story)
        story_id, title = story.id, story.title
        result = change(s, project, story, me, owner)
        position = result.position + 1 if hasattr(result, "position") else None
        # read again: renamed, or (moved to the bin) gone
        return s.scalar(select(Story.title).where(Story.id == story_id)) or title, position


def cmd_story_add(args: argparse.Namespace) -> None:
    from coding.stories import add_step

    title, position = _story_change(args, lambda s, project, story, me, owner: add_step(
        s, project, story, _segment_guid(s, project, args), cycle=args.cycle, note=args.note or "",
        position=args.position, actor=me, as_owner=owner))
    emit(f"added step {position} to story '{title}'")


def cmd_story_remove(args: argparse.Namespace) -> None:
    from coding.stories import remove_step

    title, _ = _story_change(args, lambda s, project, story, me, owner: remove_step(
        s, project, story, _step_ref(args), actor=me, as_owner=owner))
    emit(f"removed a step from story '{title}' (the segment and its codings stay)")


def cmd_story_move(args: argparse.Namespace) -> None:
    from coding.stories import move_step

    title, _ = _story_change(args, lambda s, project, story, me, owner: move_step(
        s, project, story, _step_ref(args), args.to, actor=me, as_owner=owner))
    emit(f"moved the step to position {args.to} of story '{title}'")


def cmd_story_step(args: argparse.Namespace) -> None:
    from coding.stories import edit_step

    if args.note is None and args.cycle is None:
        raise CliRefused("give --note TEXT and/or --cycle KEY to change")
    title, position = _story_change(args, lambda s, project, story, me, owner: edit_step(
        s, project, story, _step_ref(args), note=args.note, cycle=args.cycle, actor=me, as_owner=owner))
    emit(f"changed step {position} of story '{title}'")


def cmd_story_edit(args: argparse.Namespace) -> None:
    from coding.stories import edit_story

    if args.title is None and args.person is None and not args.no_person:
        raise CliRefused("give --title NEW, --person NAME or --no-person")
    if args.person and args.no_person:
        raise CliRefused("--person and --no-person exclude each other")
    title, _ = _story_change(args, lambda s, project, story, me, owner: edit_story(
        s, project, story, title=args.title, actor=me, as_owner=owner,
        person=None if args.no_person else (get_person(s, project, args.person) if args.person else False)))
    emit(f"story '{title}' saved")


def cmd_story_delete(args: argparse.Namespace) -> None:
    from coding.stories import delete_story

    guids: list[str] = []

    def delete(s, project, story, me, owner) -> None:  # type: ignore[no-untyped-def]
        guids.append(str(story.guid))
        delete_story(s, project, story, actor=me, as_owner=owner)

    title, _ = _story_change(args, delete)
    emit(f"deleted story '{title}' to the bin: restore it with cli.py restore --project '{args.project}' {guids[0]}")


def cmd_stories(args: argparse.Namespace) -> None:
    from coding.story_views import story_views

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading_pooled(args, s, project, "the stories")
        case = get_case(s, project, args.case) if args.case else None
        views = story_views(s, project, case=case)
    if args.format == "json":
        emit(json.dumps([v.as_dict() for v in views], ensure_ascii=False, indent=2))
        return
    records = [{"story": v.title, "case": v.case, "person": v.person or "", "step": step.position,
                "cycle": step.cycle, "document": step.document, "turn": step.turn, "text": step.text,
                "note": step.note, "warnings": "; ".join(step.warnings + (v.warnings if step.position == 1 else []))}
               for v in views for step in v.steps]
    records += [{"story": v.title, "case": v.case, "person": v.person or "", "step": None, "cycle": "",
                 "document": "", "turn": None, "text": "", "note": "", "warnings": "; ".join(v.warnings)}
                for v in views if not v.steps]
    emit(render_records(records, args.format, ["story", "case", "person", "step", "cycle", "document", "turn",
                                               "text", "note", "warnings"]))


def cmd_coding_mark(args: argparse.Namespace) -> None:
    from coding.coding_flags import KEEP, flags_text, set_coding_flags

    if args.aspirational is None and args.beneficiary is None:
        raise CliRefused("give --aspirational, --not-aspirational and/or --beneficiary WHO")
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.CODE)
        coding_guid = args.coding or _coding_at(s, project, args)
        coding = set_coding_flags(s, project, coding_guid, actor=me,
                                  aspirational=KEEP if args.aspirational is None else args.aspirational,
                                  beneficiary=KEEP if args.beneficiary is None else args.beneficiary)
        said = flags_text({"aspirational": coding.aspirational, "beneficiary": coding.beneficiary})
    emit(f"coding {coding_guid}: {said}")


def _coding_at(s, project, args: argparse.Namespace) -> str:  # type: ignore[no-untyped-def]
    """The coding with --code on the segment at --document --start --end."""
    from sqlalchemy import select

    from codebooks.service import find_code
    from store.errors import Refused
    from store.models import Coding, Segment

    if not args.code:
        raise CliRefused("name the coding with --coding GUID, or --document D --start S --end E --code KEY")
    segment = _segment_guid(s, project, args)
    guid = s.scalar(select(Coding.guid).join(Segment, Coding.segment_id == Segment.id).where(
        Segment.guid == uuid.UUID(segment), Coding.code_id == find_code(s, project, args.code).id))
    if guid is None:
        raise Refused(f"the segment at {args.start}–{args.end} has no code '{args.code}'")
    return str(guid)


def register(command) -> None:  # type: ignore[no-untyped-def]
    p = command("story-create", cmd_story_create, "start a value-creation story of a case (and a person)")
    p.add_argument("--project", required=True)
    p.add_argument("--case", required=True)
    p.add_argument("--person", help="the person the story follows (name or guid)")
    p.add_argument("title", metavar="TITLE")

    p = command("story-add", cmd_story_add, "add a coded segment of the case as a step of a story")
    p.add_argument("--project", required=True)
    p.add_argument("--story", required=True, help="title or guid")
    p.add_argument("--segment", help="the segment's guid (cli.py codings lists them)")
    _span_options(p, "or the segment")
    p.add_argument("--cycle", help="the cycle it stands for (key, e.g. vc.applied); needed when the segment is "
                                   "coded with several cycles or none")
    p.add_argument("--note", help="how it follows from the step before")
    p.add_argument("--position", type=int, help="where it goes (1 = first; default: last)")

    for name, handler, help_ in (("story-remove", cmd_story_remove, "take a step out of a story"),
                                 ("story-move", cmd_story_move, "move a step of a story"),
                                 ("story-step", cmd_story_step, "change a step's note or cycle")):
        p = command(name, handler, help_)
        p.add_argument("--project", required=True)
        p.add_argument("--story", required=True, help="title or guid")
        p.add_argument("--position", type=int, help="the step by its position (1 = first)")
        p.add_argument("--segment", help="the step by its segment's guid")
        if name == "story-move":
            p.add_argument("--to", type=int, required=True, help="its new position (1 = first)")
        if name == "story-step":
            p.add_argument("--note", help="the new link note")
            p.add_argument("--cycle", help="the cycle it stands for")

    p = command("story-edit", cmd_story_edit, "rename a story or change its person")
    p.add_argument("--project", required=True)
    p.add_argument("--story", required=True, help="title or guid")
    p.add_argument("--title", help="the new title")
    p.add_argument("--person", help="the person it follows (name or guid)")
    p.add_argument("--no-person", action="store_true", help="follow no one person")

    p = command("story-delete", cmd_story_delete, "move a story with its steps to the bin")
    p.add_argument("--project", required=True)
    p.add_argument("--story", required=True, help="title or guid")

    p = command("stories", cmd_stories, "list value-creation stories with their steps and checks", listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--case")

    p = command("coding-mark", cmd_coding_mark, "mark a coding aspirational and/or say who its value is for")
    p.add_argument("--project", required=True)
    p.add_argument("--coding", help="the coding's guid (cli.py codings lists them)")
    _span_options(p, "or the coding")
    p.add_argument("--code", help="with --document, --start and --end: which code on that segment")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--aspirational", dest="aspirational", action="store_true", default=None,
                       help="a hope or plan, not something done")
    group.add_argument("--not-aspirational", dest="aspirational", action="store_false")
    p.add_argument("--beneficiary", help=f"who the value is for: {', '.join(BENEFICIARIES)}, or none")

