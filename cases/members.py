"""Accounts, project members and who is acting: the identity every write is recorded under.

A project without members is local: whoever reaches its database acts as its owner, under the name they gave
once (local mode) or `--as` (the CLI). Once a project has members, only they see it, each acts under the coder
their membership links, and what they may change is their role's (`store.privileges`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.projects import clean_name, get_or_create_coder
from store.bulk import insert_unless_present
from store.errors import Refused
from store.events import record_event
from store.models import Account, Coder, Member, Project
from store.privileges import Permission, Role

LOCAL_ISSUER = "local"
LOCAL_SUBJECT = "researcher"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Acting:
    """Someone acting in one project: the name their work is recorded as, and their role."""

    name: str | None  # None: nobody has said who they are (may read, never write)
    role: Role
    show_names: bool = True
    refused: str = ""  # why this person may change nothing here at all (not a member)

    def require(self, permission: Permission) -> str:
        """The name to record, or a refusal saying what the role does not allow."""
        if self.refused:
            raise Refused(self.refused)
        if self.name is None:
            raise Refused("say who you are first: every change records who made it")
        if not permission.allows(self.role):
            raise Refused(f"{self.name} is a {self.role.value} in this project and may not {permission.words}; "
                          "ask an owner")
        return self.name


# -- accounts ---------------------------------------------------------------------------------------------------

def local_account(session: Session) -> Account | None:
    """Local mode's one researcher, once they have given their name."""
    return session.scalar(select(Account).where(Account.issuer == LOCAL_ISSUER, Account.subject == LOCAL_SUBJECT))


def remember_local_name(session: Session, name: str) -> Account:
    """Local mode asks the researcher's name once; this keeps it (and changes it when they correct it)."""
    return _account_of(session, LOCAL_ISSUER, LOCAL_SUBJECT, clean_name(name, "your"), "")


def _account_of(session: Session, issuer: str, subject: str, name: str, email: str) -> Account:
    """The account of this identity, made when it is new (two first sign-ins at once make one), with its name
    and e-mail address as last given."""
    found = select(Account).where(Account.issuer == issuer, Account.subject == subject)
    account = session.scalar(found)
    if account is None:
        insert_unless_present(session, Account, ("issuer", "subject"), issuer=issuer, subject=subject, name=name,
                              email=email)
        account = session.scalars(found.execution_options(populate_existing=True)).one()
    account.name, account.email = name, email
    return account


def signed_in_account(session: Session, issuer: str, subject: str, *, name: str = "", email: str = "",
                      email_verified: bool = True) -> Account:
    """The account of an OpenID Connect identity (issuer + subject), made at its first sign-in; invitations sent
    to its e-mail address are taken up then (only when the provider vouches for the address)."""
    if not issuer or not subject:
        raise Refused("the identity provider gave no issuer or subject: cannot tell who signed in")
    email = (email or "").strip().lower()[:320]
    shown = " ".join((name or "").split())[:200] or email or subject[:200]
    account = _account_of(session, issuer, subject, shown, email)
    if email and email_verified:
        for invitation in session.scalars(select(Member).where(Member.email == email, Member.account_id.is_(None))):
            taken = session.scalar(select(Member.id).where(Member.project_id == invitation.project_id,
                                                           Member.account_id == account.id))
            if taken is None:
                invitation.account_id = account.id
    return account


# -- members ----------------------------------------------------------------------------------------------------

def is_team_project(session: Session, project: Project) -> bool:
    return session.scalar(select(func.count()).select_from(Member).where(Member.project_id == project.id)) > 0


def list_members(session: Session, project: Project) -> list[tuple[Member, Coder, Account | None]]:
    rows = session.execute(select(Member, Coder, Account).join(Coder, Member.coder_id == Coder.id)
                           .outerjoin(Account, Member.account_id == Account.id)
                           .where(Member.project_id == project.id))
    return sorted(((m, c, a) for m, c, a in rows), key=lambda r: (ROLE_ORDER[r[0].role], r[1].name.casefold()))


ROLE_ORDER = {role.value: k for k, role in enumerate(Role)}


def projects_of(session: Session, account: Account) -> list[Project]:
    """The projects someone belongs to (all a team server shows them)."""
    stmt = select(Project).join(Member, Member.project_id == Project.id).where(Member.account_id == account.id)
    return sorted(session.scalars(stmt), key=lambda p: p.name.casefold())


def add_member(session: Session, project: Project, email: str, role: str, *, coder: str | None = None,
               actor: str) -> Member:
    """Invite someone by e-mail with a role; their work is recorded as `coder` (default: the e-mail's name part).

    An existing coder of that name (from an import, or before the project was shared) is linked to them, unless
    another member has it already.
    """
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise Refused(f"'{email}' is not an e-mail address")
    role_ = _role(role)
    if session.scalar(select(Member.id).where(Member.project_id == project.id, Member.email == email)):
        raise Refused(f"{email} is already a member of project '{project.name}'")
    coder_row, _ = get_or_create_coder(session, project, coder or email.split("@")[0], actor=actor)
    holder = session.scalar(select(Member).where(Member.coder_id == coder_row.id))
    if holder is not None:
        raise Refused(f"coder '{coder_row.name}' is already {holder.email}'s; choose another coder name")
    account = session.scalar(select(Account).where(Account.email == email, Account.issuer != LOCAL_ISSUER))
    made = insert_unless_present(session, Member, ("project_id", "email"), project_id=project.id, email=email,
                                 coder_id=coder_row.id, role=role_.value, show_names=False,
                                 account_id=account.id if account is not None else None)
    if made is None:
        raise Refused(f"{email} is already a member of project '{project.name}'")
    member = session.get_one(Member, made)
    record_event(session, project_guid=project.guid, actor=actor, action="add", entity="member",
                 entity_guid=member.guid, after={"email": email, "role": role_.value, "coder": coder_row.name})
    return member


def get_member(session: Session, project: Project, ref: str) -> Member:
    """A member by e-mail or coder name (case does not matter)."""
    wanted = " ".join((ref or "").split()).casefold()
    for member, coder, _ in list_members(session, project):
        if wanted in (member.email, coder.name.casefold()):
            return member
    raise Refused(f"project '{project.name}' has no member '{ref}'")


def set_member_role(session: Session, project: Project, ref: str, role: str, *, show_names: bool | None = None,
                    actor: str) -> Member:
    member = get_member(session, project, ref)
    new_role = _role(role)
    before = {"role": member.role, "show_names": member.show_names}
    if member.role == Role.OWNER.value and new_role is not Role.OWNER:
        _keep_an_owner(session, project, member)
    member.role = new_role.value
    if show_names is not None:
        member.show_names = show_names
    after = {"role": member.role, "show_names": member.show_names}
    if after != before:
        record_event(session, project_guid=project.guid, actor=actor, action="update", entity="member",
                     entity_guid=member.guid, before=before, after=after)
    return member


def remove_member(session: Session, project: Project, ref: str, *, actor: str) -> str:
    """Take someone out of the project; their coder and everything they coded stay, recorded under their name."""
    member = get_member(session, project, ref)
    if member.role == Role.OWNER.value:
        _keep_an_owner(session, project, member)
    record_event(session, project_guid=project.guid, actor=actor, action="remove", entity="member",
                 entity_guid=member.guid, before={"email": member.email, "role": member.role})
    session.delete(member)
    return member.email


def _keep_an_owner(session: Session, project: Project, leaving: Member) -> None:
    owners = session.scalar(select(func.count()).select_from(Member).where(
        Member.project_id == project.id, Member.role == Role.OWNER.value, Member.id != leaving.id))
    if not owners:
        raise Refused(f"project '{project.name}' needs at least one owner: make someone else owner first")


def _role(role: str) -> Role:
    try:
        return Role((role or "").strip().lower())
    except ValueError:
        raise Refused(f"no role '{role}': choose one of {', '.join(r.value for r in Role)}") from None


# -- who is acting ----------------------------------------------------------------------------------------------

def acting_as_account(session: Session, project: Project, account: Account | None) -> Acting:
    """Someone signed in (or local mode's researcher) in one project."""
    if not is_team_project(session, project):
        return Acting(account.name if account is not None else None, Role.OWNER)
    member = None if account is None else session.scalar(
        select(Member).where(Member.project_id == project.id, Member.account_id == account.id))
    if member is None:
        raise Refused(f"you are not a member of project '{project.name}'")
    return _acting(session, member)


def acting_as_named(session: Session, project: Project, name: str | None) -> Acting:
    """The command line: `--as NAME` (a member's e-mail or coder name in a team project; any name in a local
    one, where it defaults to local mode's researcher)."""
    if not is_team_project(session, project):
        given = " ".join((name or "").split())
        local = local_account(session)
        return Acting(given or (local.name if local is not None else None), Role.OWNER)
    if not name:
        raise Refused(f"project '{project.name}' has members: say which one you are with --as NAME")
    return _acting(session, get_member(session, project, name))


def _acting(session: Session, member: Member) -> Acting:
    coder = session.get_one(Coder, member.coder_id)
    return Acting(coder.name, Role(member.role), member.show_names)


def make_owner(session: Session, project: Project, account: Account, *, actor: str) -> Member:
    """Whoever creates a project on a team server owns it."""
    member = add_member(session, project, account.email or f"{account.subject}@{LOCAL_ISSUER}.invalid",
                        Role.OWNER.value, coder=account.name, actor=actor)
    member.account_id = account.id
    return member
