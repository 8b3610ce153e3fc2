"""Roles against every write of the command line, on both databases: each role may do what its column says
and is refused, in one line naming the role, everything else; a refused write leaves the database as it was.

The table below is written out by hand (not read from store.privileges), so that a change to who may do what
fails here until someone decides it on purpose.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cli  # noqa: E402
from store.db import get_engine, read_session  # noqa: E402
from store.models import Event  # noqa: E402

P = "Rollen"
TRANSCRIPT = ("I: Wat leverde de bijeenkomst op?\n"
              "R: We leerden elkaar kennen en wisselden meteen ideeën uit over de grensregio2.\n"  # damage: a footnote
              "I: En daarna?\n"
              "R: Daarna hebben we samen een subsidie aangevraagd.\n")

# (command and its arguments after --as; {me} is the acting member's coder name, {doc} the document's guid,
#  {feedback} a remark's guid) -> the roles that may run it: O owner, C coder, F facilitator, V viewer
WRITES: list[tuple[list[str], str]] = [
    (["case-create", "--project", P, "Nieuw"], "OC"),
    (["person-create", "--project", P, "Piet"], "OC"),
    (["attribute-set", "--project", P, "--case", "Alfa", "regio", "Twente"], "OC"),
    (["attribute-import", "--project", P, "--target", "case", "{sheet}"], "OC"),
    (["import", "--project", P, "--case", "Alfa", "{transcript}"], "OC"),
    (["document-date", "--project", P, "--document", "{doc}", "2026-01-05"], "OC"),
    (["document-link", "--project", P, "--document", "{doc}", "--case", "Beta"], "OC"),
    (["document-rename", "--project", P, "{doc}", "Gesprek met Jan"], "OC"),
    (["case-rename", "--project", P, "Gamma", "Gamma-2"], "OC"),
    (["person-rename", "--project", P, "Jan", "--pseudonym", "R1"], "OC"),
    (["attribute-rename", "--project", P, "--target", "case", "sector", "branche"], "OC"),
    (["code-add", "--project", P, "--codebook", "value-creation", "--label-en", "Spin-off", "vc.spin"], "OC"),
    (["code-rename", "--project", P, "--codebook", "value-creation", "--en", "Right away", "vc.immediate"], "OC"),
    (["code-move", "--project", P, "--codebook", "value-creation", "--parent", "vc.applied", "vc.verplaats"], "OC"),
    (["code", "--project", P, "--document", "{doc}", "--code", "vc.immediate", "--start", "0", "--end", "10",
      "--coder", "{me}"], "OC"),
    (["cell", "--project", P, "--case", "Alfa", "--code", "vc.immediate", "--summary", "Kennismaking"], "OC"),
    (["feedback-promote", "--project", P, "--codebook", "value-creation", "--key", "vc.nieuw", "--label", "Nieuw",
      "{feedback}"], "OC"),
    (["fg-session-create", "--project", P, "--date", "2026-02-01", "FG2"], "OCF"),
    (["fg-session-rename", "--project", P, "FG0", "FG0-a"], "OCF"),
    (["feedback-add", "--project", P, "--session", "FG1", "--code", "vc.immediate", "--case", "Alfa",
      "--stance", "agree"], "OCF"),
    (["undo", "--project", P, "--coder", "{me}", "--session", "FG1"], "OCF"),
    (["text-edit", "--project", P, "--document", "{doc}", "--turn", "1", "--text", "Wat leverde het echt op?"], "OC"),
    (["speaker-set", "--project", P, "--document", "{doc}", "--label", "I", "--role", "co-interviewer"], "OC"),
    (["damage-repair", "--project", P, "--document", "{doc}", "--all"], "OC"),
    (["pseudonyms", "--project", P, "--add", "Jan=[naam]"], "O"),
    (["pseudonymise", "--project", P, "--document", "{doc}"], "O"),
    (["purge-originals", "--project", P, "--document", "{doc}", "--confirm", P], "O"),
    (["mask-add", "--project", P, "Hoekstra"], "O"),
    (["assign", "--project", P, "--coder", "{me}", "--documents", "{doc}", "--open"], "O"),
    (["rating-scale", "--project", P, "--level", "1", "--label", "Zwak"], "O"),
    (["primary-coder", "--project", P, "--document", "{doc}", "--coder", "none"], "O"),
    (["member-add", "--project", P, "nieuw@uni.nl", "--role", "viewer"], "O"),
    (["member-role", "--project", P, "nieuw@uni.nl", "coder"], "O"),
    (["member-remove", "--project", P, "nieuw@uni.nl"], "O"),
    (["code-merge", "--project", P, "--codebook", "value-creation", "vc.samen", "vc.applied"], "O"),
    (["code-delete", "--project", P, "--codebook", "value-creation", "vc.leeg"], "O"),
    (["case-merge", "--project", P, "Delta", "Beta"], "O"),
    (["case-delete", "--project", P, "Epsilon"], "O"),
    (["restore", "--project", P, "Weg"], "O"),
    (["bin-empty", "--project", P, "--confirm", P], "O"),
    (["project-rename", P, "Rollen-2"], "O"),
]
ROLES = {"O": "owner", "C": "coder", "F": "facilitator", "V": "viewer"}


def run(capsys, url: str, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = cli.main(["--db", url, *args])
    return code, capsys.readouterr().err


def ok(capsys, url: str, *args: str) -> str:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = cli.main(["--db", url, *args])
    out, err = capsys.readouterr()
    assert code == 0, (args, err)
    return out


def team_project(capsys, url: str, tmp_path: Path, letter: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A local project built the way a researcher would, then shared: an owner, and one member in the role."""
    (tmp_path / "gesprek.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "tweede.txt").write_text(TRANSCRIPT.replace("subsidie", "cursus"), encoding="utf-8")
    (tmp_path / "cases.csv").write_text("case,provincie\nAlfa,Overijssel\n", encoding="utf-8")
    ok(capsys, url, "project-create", P, "--codebooks", "value-creation")
    for case in ("Alfa", "Beta", "Gamma", "Delta", "Epsilon"):
        ok(capsys, url, "case-create", "--project", P, case)
    ok(capsys, url, "import", "--project", P, "--case", "Alfa", str(tmp_path / "gesprek.txt"))
    for person in ("Jan", "Weg"):
        ok(capsys, url, "person-create", "--project", P, person)
    ok(capsys, url, "person-delete", "--project", P, "Weg")
    ok(capsys, url, "attribute-set", "--project", P, "--case", "Alfa", "sector", "zorg")
    for name in ("FG0", "FG1"):
        ok(capsys, url, "fg-session-create", "--project", P, "--date", "2026-01-20", name)
    ok(capsys, url, "feedback-add", "--project", P, "--session", "FG1", "--code", "vc.potential", "--case", "Alfa",
       "--stance", "add", "--note", "Er ontbreekt iets")
    for key in ("vc.leeg", "vc.verplaats", "vc.samen"):
        ok(capsys, url, "code-add", "--project", P, "--codebook", "value-creation", "--label-en", key, key)
    ok(capsys, url, "member-add", "--project", P, "eigenaar@uni.nl", "--role", "owner", "--coder", "Olga")
    me = "Olga"
    if letter != "O":
        me = "Rolf"
        ok(capsys, url, "--as", "Olga", "member-add", "--project", P, "rolf@uni.nl", "--role", ROLES[letter],
           "--coder", me)
    document = json.loads(ok(capsys, url, "--as", "Olga", "documents", "--project", P, "--format", "json"))[0]
    feedback = json.loads(ok(capsys, url, "--as", "Olga", "feedback", "--project", P, "--format", "json"))[0]
    return {"me": me, "doc": document["guid"], "feedback": feedback["guid"], "sheet": str(tmp_path / "cases.csv"),
            "transcript": str(tmp_path / "tweede.txt")}


def events(url: str) -> int:
    with read_session(get_engine(url)) as s:
        return s.scalar(select(func.count()).select_from(Event))


@pytest.mark.parametrize("letter", list(ROLES))
def test_each_role_against_each_write_of_the_command_line(capsys, db_url, tmp_path, letter):
    values = team_project(capsys, db_url, tmp_path, letter)
    role = ROLES[letter]
    wrong = []
    for template, allowed in WRITES:
        args = [a.format(**values) for a in template]
        before = events(db_url)
        code, err = run(capsys, db_url, "--as", values["me"], *args)
        if letter in allowed:
            if code != 0:
                wrong.append(f"{role} refused {args[0]}: {err.strip()}")
        elif code != 1 or f"is a {role} in this project and may not" not in err or events(db_url) != before:
            wrong.append(f"{role} not refused {args[0]} in words: rc {code}, {err.strip()!r}")
    assert wrong == []


def test_a_team_project_needs_a_member_to_change_it_and_records_them(capsys, db_url, tmp_path):
    values = team_project(capsys, db_url, tmp_path, "C")
    code, err = run(capsys, db_url, "case-create", "--project", P, "Anoniem")
    assert (code, err.strip()) == (1, f"error: project '{P}' has members: say which one you are with --as NAME")
    code, err = run(capsys, db_url, "--as", "iemand@elders.nl", "case-create", "--project", P, "Anoniem")
    assert (code, err.strip()) == (1, f"error: project '{P}' has no member 'iemand@elders.nl'")
    # --coder may not name someone else: nobody writes under another person's name
    code, err = run(capsys, db_url, "--as", "rolf@uni.nl", "code", "--project", P, "--document", values["doc"],
                    "--code", "vc.immediate", "--start", "0", "--end", "10", "--coder", "Olga")
    assert (code, err.strip()) == (1, "error: you are Rolf: you cannot record work as 'Olga'")
    code, err = run(capsys, db_url, "--as", "rolf@uni.nl", "undo", "--project", P, "--coder", "Olga")
    assert (code, err.strip()) == (1, "error: you are Rolf: you cannot record work as 'Olga'")
    # the e-mail address and the coder name both say who; the coding and its event carry the member's coder
    ok(capsys, db_url, "--as", "ROLF@uni.nl", "code", "--project", P, "--document", values["doc"], "--code",
       "vc.immediate", "--start", "0", "--end", "10", "--coder", "rolf")
    codings = json.loads(ok(capsys, db_url, "--as", "Olga", "codings", "--project", P, "--format", "json"))
    assert [(c["coder"], c["code"]) for c in codings] == [("Rolf", "vc.immediate")]
    with read_session(get_engine(db_url)) as s:
        last = s.scalars(select(Event).order_by(Event.id.desc())).first()
        assert (last.actor, last.entity) == ("Rolf", "segment")


def test_an_owner_cannot_leave_a_project_without_owners(capsys, db_url, tmp_path):
    team_project(capsys, db_url, tmp_path, "O")
    code, err = run(capsys, db_url, "--as", "Olga", "member-role", "--project", P, "Olga", "coder")
    assert (code, err.strip()) == (1, f"error: project '{P}' needs at least one owner: make someone else owner first")
    code, err = run(capsys, db_url, "--as", "Olga", "member-remove", "--project", P, "eigenaar@uni.nl")
    assert code == 1 and "needs at least one owner" in err
    members = json.loads(ok(capsys, db_url, "--as", "Olga", "members", "--project", P, "--format", "json"))
    assert [(m["email"], m["coder"], m["role"]) for m in members] == [("eigenaar@uni.nl", "Olga", "owner")]


# Commands that show transcript text: every role but the facilitator (who presents anonymised quotes in the app).
READS = [["codings", "--project", P, "--format", "json"], ["retrieve", "--project", P, "--code", "vc"],
         ["search", "leerden", "--project", P], ["memos", "--project", P],
         ["matrix", "--project", P, "--rows", "cases", "--cols", "codebook:vc", "--cell", "quotes", "--format", "json"],
         ["cells", "--project", P, "--format", "json"],
         ["documents", "--project", P, "--format", "json"],  # with each document's text
         ["persons", "--project", P], ["masks", "--project", P],  # real names
         ["damage", "--project", P, "--document", "gesprek"]]  # the text around each place


@pytest.mark.parametrize("letter", list(ROLES))
def test_who_reads_the_transcripts_on_the_command_line(capsys, db_url, tmp_path, letter):
    values = team_project(capsys, db_url, tmp_path, letter)
    role = ROLES[letter]
    outcomes = [run(capsys, db_url, "--as", values["me"], *args) for args in READS]
    if letter == "F":
        assert outcomes == [(1, f"error: Rolf is a facilitator in this project and may not read its transcripts; "
                                "ask an owner\n")] * len(READS)
    else:
        assert [code for code, _ in outcomes] == [0] * len(READS), (role, outcomes)
    code, err = run(capsys, db_url, "codings", "--project", P)  # nobody reads a team project anonymously
    assert (code, err.strip()) == (1, f"error: project '{P}' has members: say which one you are with --as NAME")


# Commands that list a project's names: any member, nobody anonymously.
LISTINGS = [["cases", "--project", P], ["documents", "--project", P], ["codebooks", "--project", P],
            ["codebook-export", "--project", P, "value-creation"], ["bin", "--project", P],
            ["fg-sessions", "--project", P], ["feedback", "--project", P], ["members", "--project", P]]


@pytest.mark.parametrize("letter", list(ROLES))
def test_every_member_and_nobody_else_lists_a_team_project(capsys, db_url, tmp_path, letter):
    values = team_project(capsys, db_url, tmp_path, letter)
    outcomes = [run(capsys, db_url, "--as", values["me"], *args) for args in LISTINGS]
    assert outcomes == [(0, "")] * len(LISTINGS), (ROLES[letter], outcomes)
    for args in LISTINGS:
        assert run(capsys, db_url, *args) == (
            1, f"error: project '{P}' has members: say which one you are with --as NAME\n"), args
        code, err = run(capsys, db_url, "--as", "iemand@elders.nl", *args)
        assert (code, err.strip()) == (1, f"error: project '{P}' has no member 'iemand@elders.nl'"), args
