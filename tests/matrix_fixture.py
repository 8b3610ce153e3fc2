"""A small study whose matrix cells are worked out by hand in the tests that use it.

Noord: N1 (interviewer + Anna; coded by Sanne first, then double-coded by Tom) and N2, a double interview
(Bert and Carla). Zuid: Z1 (Dirk; coded by Tom only). Leeg: a case without documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.attributes import set_attribute
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_person, create_project, get_or_create_coder
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from store.db import write_session

N1 = """I: Hoe begon het voor u?
R: Ik leerde daar veel over subsidies en regels. We hebben een pilot gestart met de gemeente.
"""
N2 = """I: Wat bracht het netwerk?
Bert: Een goede tip over export, meteen handig.
Carla: Gezellige avond, ik sprak twee nieuwe mensen.
Bert: Ik ken nu de juiste mensen bij de douane.
"""
Z1 = """I: Wat is er veranderd?
R: Onze omzet in Duitsland is verdubbeld. =cmd|' /C calc'!A0
"""


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


@dataclass
class Study:
    engine: object
    guid: str
    lengths: dict[str, int]


def build_study(engine) -> Study:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Matrixstudie")
        adopt_codebook(s, project, "value-creation")
        adopt_codebook(s, project, "network-conditions")
        noord, zuid = create_case(s, project, "Noord"), create_case(s, project, "Zuid")
        create_case(s, project, "Leeg")
        for name, pseudonym in (("Anna Smit", "R1"), ("Bert Jansen", "R2"), ("Carla Visser", "R3"),
                                ("Dirk Bauer", "R4")):
            create_person(s, project, name, pseudonym=pseudonym)

        def load(case, title, text, speakers):  # type: ignore[no-untyped-def]
            preview = preview_import(f"{title}.txt", text.encode("utf-8"), language="nl")
            return store_import(s, project, preview, cases=[case], speakers=speakers)

        n1 = load(noord, "N1", N1, {"I": SpeakerDecision("interviewer"),
                                    "R": SpeakerDecision("respondent", person="Anna Smit")})
        n2 = load(noord, "N2", N2, {"I": SpeakerDecision("interviewer"),
                                    "Bert": SpeakerDecision("respondent", person="Bert Jansen"),
                                    "Carla": SpeakerDecision("respondent", person="Carla Visser")})
        z1 = load(zuid, "Z1", Z1, {"I": SpeakerDecision("interviewer"),
                                   "R": SpeakerDecision("respondent", person="Dirk Bauer")})
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        tom, _ = get_or_create_coder(s, project, "Tom")
        # N1, Sanne (first, so primary): two overlapping segments, one segment with two codes, a question.
        apply_coding(s, project, n1, sanne, *span(N1, "leerde daar veel"), ["vc.potential.human"])
        apply_coding(s, project, n1, sanne, *span(N1, "veel over subsidies"),
                     ["vc.potential.social", "vc.potential.tangible"])
        apply_coding(s, project, n1, sanne, *span(N1, "een pilot gestart"), ["vc.applied", "enc.goal"])
        apply_coding(s, project, n1, sanne, *span(N1, "Hoe begon het"), ["vc.expected"])
        # N1, Tom double-codes the first phrase.
        apply_coding(s, project, n1, tom, *span(N1, "leerde daar veel"), ["vc.potential.human"])
        # N2, Sanne: both interviewees get immediate value, Bert also human capital.
        apply_coding(s, project, n2, sanne, *span(N2, "Een goede tip"), ["vc.immediate"])
        apply_coding(s, project, n2, sanne, *span(N2, "Gezellige avond"), ["vc.immediate"])
        apply_coding(s, project, n2, sanne, *span(N2, "de juiste mensen bij de douane"), ["vc.potential.human"])
        # Z1, Tom only.
        apply_coding(s, project, z1, tom, *span(Z1, "Onze omzet in Duitsland is verdubbeld. =cmd|' /C calc'!A0"),
                     ["vc.realised"])
        set_attribute(s, project, noord, "land", "NL", type_="category")
        set_attribute(s, project, zuid, "land", "DE", type_="category")
        lengths = {"N1": len(N1), "N2": len(N2), "Z1": len(Z1)}
        guid = str(project.guid)
    return Study(engine, guid, lengths)
