"""The story walk of a focus group: the value-creation stories of the cases in the room, one at a time, as the
participants may see them: speakers as role + number, documents as kind + number, registered and listed names
masked in quotes, titles and notes (unless the facilitator shows names); in a session for one network the other
cases are "Case A", "Case B". Remarks are recorded per step (focusgroups.feedback, `story_step`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from cases.documents import quote_citation
from cases.projects import list_cases
from coding.story_views import story_views
from focusgroups.anonymise import CaseHider, build_anonymiser, case_letters
from store.models import Project


@dataclass
class WalkStep:
    guid: str
    position: int
    cycle: str  # the cycle's code key (the remark's code)
    cycle_label: str
    text: str
    where: str  # "interview 2 · Respondent 3 · turn 6"
    note: str


@dataclass
class WalkStory:
    guid: str
    title: str
    case: str  # the case's name (the remark's case)
    case_label: str  # as the room sees it
    person: str | None
    cycles_reached: list[str]  # cycle labels, each once, in step order
    steps: list[WalkStep]


def walk_stories(session: Session, project: Project, *, cases: list[str] | None = None, own: str | None = None,
                 show_names: bool = False, language: str = "en") -> tuple[list[WalkStory], CaseHider]:
    """The stories of `cases` (names; None: every case), by case in project order and title, ready to show; and
    what hides the other networks' names in anything else the room reads (remarks, the undo line)."""
    order = [c.name for c in list_cases(session, project)]
    shown = [name for name in order if cases is None or name in cases]
    letters = dict(zip([n for n in shown if n != own], case_letters(len(shown)))) if own else {}
    hide = CaseHider(letters)
    anonymiser = None if show_names else build_anonymiser(session, project)

    def clean(text: str) -> str:
        text = hide(text)
        return anonymiser.mask(text) if anonymiser is not None else text

    out = []
    views = [v for v in story_views(session, project, language=language) if v.case in shown]
    views.sort(key=lambda v: (shown.index(v.case), v.title.casefold(), v.title))
    for view in views:
        steps = []
        for step in view.steps:
            if anonymiser is not None:
                document = anonymiser.document(step.document_guid, step.document)
                who = anonymiser.speaker(step.speaker_key, step.role or "unknown") if step.speaker else None
            else:
                document, who = step.document, step.speaker
            where = " · ".join([document, *([who] if who else []),
                                quote_citation(None if step.turn is None else step.turn - 1, step.speaker)])
            steps.append(WalkStep(step.guid, step.position, step.cycle, step.cycle_label, clean(step.text),
                                  clean(where), clean(step.note)))
        reached = list(dict.fromkeys(s.cycle_label for s in view.steps))
        out.append(WalkStory(view.guid, clean(view.title), view.case, letters.get(view.case, view.case),
                             clean(view.person) if view.person else None, reached, steps))
    return out, hide
