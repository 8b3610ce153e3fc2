"""A project's members and their roles on the command line (an owner's work; the first owner of a local project
is added by whoever has its database, which makes it a team project)."""

from __future__ import annotations

import argparse

from cases.members import add_member, list_members, remove_member, set_member_role
from cases.projects import get_project
from commands.support import acting, emit, listing, open_database
from exports.listing import render_records
from store.db import read_session, write_session
from store.privileges import Permission, Role


def cmd_members(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        listing(args, s, project)
        records = [{"email": m.email, "coder": c.name, "role": m.role, "show_names": m.show_names,
                    "signed_in": a is not None, "name": a.name if a is not None else "", "guid": str(m.guid)}
                   for m, c, a in list_members(s, project)]
    emit(render_records(records, args.format, ["email", "coder", "role", "signed_in", "show_names"]))


def cmd_member_add(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        member = add_member(s, project, args.email, args.role, coder=args.coder,
                            actor=acting(args, s, project, Permission.MANAGE))
        emit(f"added {member.email} to '{project.name}' as {member.role}")


def cmd_member_role(args: argparse.Namespace) -> None:
    show = {"show": True, "hide": False}.get(args.names or "")
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        member = set_member_role(s, project, args.member, args.role, show_names=show,
                                 actor=acting(args, s, project, Permission.MANAGE))
        emit(f"{member.email} is now {member.role}" + (" (sees real names)" if member.show_names else ""))


def cmd_member_remove(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        email = remove_member(s, project, args.member, actor=acting(args, s, project, Permission.MANAGE))
    emit(f"removed {email} from '{project.name}' (their coding stays, under their name)")


def register(command) -> None:  # type: ignore[no-untyped-def]
    """Add this module's commands through `commands.build_parser`'s `command(name, handler, help_, listing=)`."""
    roles = [r.value for r in Role]
    p = command("members", cmd_members, "list a project's members and roles", listing=True)
    p.add_argument("--project", required=True)
    p = command("member-add", cmd_member_add, "invite someone (by e-mail) into a project with a role")
    p.add_argument("--project", required=True)
    p.add_argument("email")
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--coder", help="the coder name their work is recorded under (default: the e-mail's name part; "
                                   "an existing coder of that name is linked to them)")
    p = command("member-role", cmd_member_role, "change a member's role")
    p.add_argument("--project", required=True)
    p.add_argument("member", help="e-mail or coder name")
    p.add_argument("role", choices=roles)
    p.add_argument("--names", choices=["show", "hide"], help="facilitators: show real names in quotes, or not")
    p = command("member-remove", cmd_member_remove, "take someone out of a project")
    p.add_argument("--project", required=True)
    p.add_argument("member", help="e-mail or coder name")
