"""Tests for speaker-label detection, turn building and role maps."""

import io

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.readers import Paragraph, SourceText, read_source
from cases.speakers import (
    ROLES,
    DetectedTurn,
    LabelCandidate,
    build_turns,
    detect_labels,
    parse_role_map,
)


# ---------------------------------------------------------------- helpers

def txt(text: str) -> SourceText:
    return read_source("t.txt", text.encode("utf-8"))


def by_label(src: SourceText) -> dict[str, LabelCandidate]:
    return {c.label: c for c in detect_labels(src)}


def contents(src: SourceText, turns: list[DetectedTurn]) -> list[tuple[str | None, str]]:
    return [(t.label, src.text[t.content_start:t.end]) for t in turns]


def check_invariants(src: SourceText, turns: list[DetectedTurn]) -> None:
    last = 0
    for t in turns:
        assert last <= t.start <= t.content_start <= t.end <= len(src.text)
        assert t.start < t.end
        piece = src.text[t.start:t.end]
        assert piece == piece.strip()
        last = t.end


# ---------------------------------------------------------------- detection

def test_roles_constant():
    assert ROLES == ("interviewer", "co-interviewer", "respondent", "facilitator",
                     "participant", "observer", "unknown")


def test_i_r_labels_with_names_and_headings():
    src = txt("Interview netwerk Oost\n"
              "Datum: 12 maart 2024\n\n"
              "I: Goedemorgen. Hoe begon het netwerk?\n"
              "R: Nou, dat begon in 2019.\n"
              "Jan van der Berg: Ik was er ook bij.\n"
              "I: Wat leerde u?\n"
              "R: Veel. 😀\n"
              "Jan van der Berg: Zeker.\n"
              "Conclusie: het werkte.\n")
    cands = detect_labels(src)
    assert [c.label for c in cands] == ["Datum", "I", "R", "Jan van der Berg", "Conclusie"]
    c = by_label(src)
    assert (c["I"].count, c["I"].suggested_role, c["I"].likely_false) == (2, "interviewer", False)
    assert (c["R"].count, c["R"].suggested_role) == (2, "respondent")
    assert c["Jan van der Berg"].suggested_role == "respondent"
    assert not c["Jan van der Berg"].likely_false and c["Jan van der Berg"].reason == ""
    assert c["Conclusie"].likely_false
    assert c["Conclusie"].reason == "looks like a heading, not a speaker ('Conclusie')"
    assert c["Datum"].likely_false and "heading" in c["Datum"].reason


@pytest.mark.parametrize("word", ["Samenvatting", "Fazit", "Note", "Let op", "Hinweis",
                                  "Locatie", "Thema", "Vraag", "Frage", "Aanwezig",
                                  "Bijlage", "Bron", "Topic"])
def test_heading_words_are_likely_false_even_when_repeated(word):
    src = txt(f"{word}: eerste.\nI: Vraag?\n{word}: tweede.\nI: Nog een?\n")
    cand = by_label(src)[word]
    assert cand.count == 2 and cand.likely_false and word in cand.reason
    assert cand.suggested_role == "unknown"


def test_once_only_and_long_labels_are_likely_false():
    src = txt("I: Hoe ging dat?\n"
              "Wat we toen eigenlijk deden was: gewoon beginnen.\n"
              "Piet: Eén keer.\n"
              "R1: Eén keer, maar een code.\n"
              "I: Oké.\n")
    c = by_label(src)
    assert c["Wat we toen eigenlijk deden was"].likely_false
    assert "too long" in c["Wat we toen eigenlijk deden was"].reason
    assert c["Piet"].likely_false and c["Piet"].reason == "appears only once"
    assert not c["R1"].likely_false and c["R1"].suggested_role == "respondent"


def test_short_codes_and_roles():
    src = txt("I1: a?\nR1: b.\nR2: c.\nI2: d?\nR1: e.\nR2: f.\n")
    roles = {c.label: c.suggested_role for c in detect_labels(src)}
    assert roles == {"I1": "interviewer", "R1": "respondent", "R2": "respondent",
                     "I2": "interviewer"}


def test_german_i_b_means_befragte():
    src = txt("I: Wie hat das Netzwerk angefangen?\nB: Also, mit fünf Betrieben.\n"
              "I: Und dann?\nB: Dann wuchs es. Größe zählt.\n")
    assert {c.label: c.suggested_role for c in detect_labels(src)} == {
        "I": "interviewer", "B": "respondent"}


def test_a_b_pair_without_interviewer_is_unknown():
    src = txt("A: Hoi.\nB: Hallo.\nA: Alles goed?\nB: Ja.\n")
    assert {c.label: c.suggested_role for c in detect_labels(src)} == {
        "A": "unknown", "B": "unknown"}


def test_role_words_in_three_languages():
    src = txt("Interviewer: a\nRespondent: b\nModerator: c\nInterviewster: d\n"
              "Befragte: e\nGeïnterviewde: f\nFacilitator: g\nForscher/in: h\n"
              "Gespreksleider: i\nSpreker 1: j\n" * 2)
    roles = {c.label: c.suggested_role for c in detect_labels(src)}
    assert roles == {"Interviewer": "interviewer", "Respondent": "respondent",
                     "Moderator": "facilitator", "Interviewster": "interviewer",
                     "Befragte": "respondent", "Geïnterviewde": "respondent",
                     "Facilitator": "facilitator", "Forscher/in": "interviewer",
                     "Gespreksleider": "interviewer", "Spreker 1": "unknown"}


def test_timestamps_before_and_after_labels():
    src = txt("[00:12:31] R: Eerst dit.\n"
              "R [00:12:35]: Dan dat.\n"
              "#00:12:40-5# I: Vraag?\n"
              "I (12:50): Nog een?\n"
              "00:13:01 R: Laatste.\n")
    assert {c.label: c.count for c in detect_labels(src)} == {"R": 3, "I": 2}
    turns = build_turns(src, {"R", "I"})
    assert contents(src, turns) == [("R", "Eerst dit."), ("R", "Dan dat."), ("I", "Vraag?"),
                                    ("I", "Nog een?"), ("R", "Laatste.")]
    assert [t.start_ms for t in turns] == [751_000, 755_000, 760_500, 770_000, 781_000]


def test_teams_docx_label_on_own_line_with_time():
    d = docx.Document()
    for line in ["Anna de Vries   0:01", "Goedemorgen, hoe begon het?",
                 "Jan Smit   0:07", "Het begon klein.", "Met twee mensen 😀.",
                 "Anna de Vries   1:02", "Dank je."]:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    src = read_source("teams.docx", buf.getvalue())
    c = by_label(src)
    assert set(c) == {"Anna de Vries", "Jan Smit"}
    assert c["Anna de Vries"].count == 2 and not c["Anna de Vries"].likely_false
    turns = build_turns(src, {"Anna de Vries", "Jan Smit"})
    assert contents(src, turns) == [
        ("Anna de Vries", "Goedemorgen, hoe begon het?"),
        ("Jan Smit", "Het begon klein.\nMet twee mensen 😀."),
        ("Anna de Vries", "Dank je."),
    ]
    assert [t.start_ms for t in turns] == [1000, 7000, 62_000]
    assert src.text[turns[0].start:turns[0].end] == ("Anna de Vries   0:01\n"
                                                     "Goedemorgen, hoe begon het?")
    check_invariants(src, turns)


def test_bare_name_line_must_recur_and_short_answers_are_not_names():
    src = txt("INTERVIEWER\nWat deed u?\nRESPONDENT\nJa.\nINTERVIEWER\nEn toen?\n"
              "RESPONDENT\nJa\nInleiding\nTekst.\n")
    c = by_label(src)
    assert set(c) == {"INTERVIEWER", "RESPONDENT"}
    assert c["INTERVIEWER"].suggested_role == "interviewer"
    turns = build_turns(src, c.keys())
    assert contents(src, turns) == [("INTERVIEWER", "Wat deed u?"), ("RESPONDENT", "Ja."),
                                    ("INTERVIEWER", "En toen?"),
                                    ("RESPONDENT", "Ja\nInleiding\nTekst.")]


def test_explicit_labels_from_vtt():
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Anna de Vries>Hoi.</v>\n\n"
           "00:00:02.000 --> 00:00:04.000\n<v Piet Jansen>Conclusie: prima.</v>\n\n"
           "00:00:05.000 --> 00:00:06.000\n<v Anna de Vries>Dag!</v>\n")
    src = read_source("m.vtt", vtt.encode())
    c = by_label(src)
    assert list(c) == ["Anna de Vries", "Piet Jansen"]
    # a voice named by the file is a speaker even when it speaks once
    assert not c["Piet Jansen"].likely_false
    turns = build_turns(src, {"Anna de Vries", "Piet Jansen"})
    assert contents(src, turns) == [("Anna de Vries", "Hoi."), ("Piet Jansen", "Conclusie: prima."),
                                    ("Anna de Vries", "Dag!")]
    assert [(t.start_ms, t.end_ms) for t in turns] == [(1000, 2000), (2000, 4000), (5000, 6000)]


def test_bold_docx_labels_are_explicit():
    d = docx.Document()
    for label, text in [("Interviewer", "Hoe gaat het?"), ("Anna", "Goed, ĳverig."),
                        ("Interviewer", "Mooi.")]:
        p = d.add_paragraph()
        p.add_run(label + ":").bold = True
        p.add_run(" " + text)
    buf = io.BytesIO()
    d.save(buf)
    src = read_source("b.docx", buf.getvalue())
    assert {c.label: c.count for c in detect_labels(src)} == {"Interviewer": 2, "Anna": 1}
    turns = build_turns(src, {"Interviewer", "Anna"})
    assert contents(src, turns) == [("Interviewer", "Hoe gaat het?"), ("Anna", "Goed, ĳverig."),
                                    ("Interviewer", "Mooi.")]


def test_markdown_bold_labels():
    src = txt("**I:** Vraag?\n**R**: Antwoord.\n**I:** Nog een?\n**R**: Ja.\n")
    assert {c.label: c.count for c in detect_labels(src)} == {"I": 2, "R": 2}
    turns = build_turns(src, {"I", "R"})
    assert contents(src, turns)[1] == ("R", "Antwoord.")


def test_clock_time_in_speech_after_label_is_content():
    src = txt("R: 12:30 was de afspraak.\nR: 00:12:31 Daarna.\nI: [12:40] Oké.\n")
    turns = build_turns(src, {"R", "I"})
    assert contents(src, turns) == [("R", "12:30 was de afspraak."), ("R", "Daarna."),
                                    ("I", "Oké.")]
    assert [t.start_ms for t in turns] == [None, 751_000, 760_000]


def test_urls_and_clock_times_are_not_labels():
    src = txt("Zie https://example.org/x voor meer.\nOm 10:30 begonnen we.\n")
    assert detect_labels(src) == []


# ---------------------------------------------------------------- turns

def test_build_turns_continuation_preamble_and_rejected_labels():
    src = txt("Interview netwerk Oost\n\n"
              "I: Goedemorgen. Hoe begon het netwerk?\n"
              "R: Nou, dat begon in 2019.\n"
              "Het was een koffie-ochtend in Zürich.\n"
              "Conclusie: het werkte.\n"
              "I:   [00:01:02] Mooi, Größe 😀.\n")
    turns = build_turns(src, ["I", "R"])
    assert contents(src, turns) == [
        (None, "Interview netwerk Oost"),
        ("I", "Goedemorgen. Hoe begon het netwerk?"),
        ("R", "Nou, dat begon in 2019.\nHet was een koffie-ochtend in Zürich.\n"
              "Conclusie: het werkte."),
        ("I", "Mooi, Größe 😀."),
    ]
    assert turns[3].start_ms == 62_000
    assert src.text[turns[1].start:turns[1].end] == "I: Goedemorgen. Hoe begon het netwerk?"
    check_invariants(src, turns)


def test_no_accepted_labels_gives_one_unlabelled_turn():
    src = txt("I: a\nR: b\n")
    turns = build_turns(src, [])
    assert turns == [DetectedTurn(0, 9, 0, None)]


def test_own_line_label_followed_by_label_has_empty_content():
    src = txt("Anna:\nJan: Ja.\nAnna:\nOké.\n")
    turns = build_turns(src, {"Anna", "Jan"})
    assert contents(src, turns) == [("Anna", ""), ("Jan", "Ja."), ("Anna", "Oké.")]
    check_invariants(src, turns)


def test_combining_accents_are_composed_before_offsets():
    src = txt("Rene\u0301: Cafe\u0301 met ĳs.\nRene\u0301: Nog een.\n")
    assert [c.label for c in detect_labels(src)] == ["René"]
    turns = build_turns(src, {"René"})
    assert contents(src, turns) == [("René", "Café met ĳs."), ("René", "Nog een.")]


def test_handmade_source_without_paragraphs_uses_lines():
    text = "  I: Hallo  \n\nR: Dag\n"
    src = SourceText("x.txt", "txt", "utf-8", text, [], [])
    turns = build_turns(src, {"I", "R"})
    assert contents(src, turns) == [("I", "Hallo"), ("R", "Dag")]
    check_invariants(src, turns)


def test_untrimmed_paragraph_offsets_are_trimmed():
    text = "  I: Hallo  \nR: Dag"
    src = SourceText("x.txt", "txt", "utf-8", text, [Paragraph(0, 12), Paragraph(13, 19)], [])
    turns = build_turns(src, {"I", "R"})
    assert [(t.start, t.end) for t in turns] == [(2, 10), (13, 19)]


# ---------------------------------------------------------------- hypothesis

LINES = ["I: Vraag?", "R: Antwoord 😀.", "R:", "Anna de Vries   0:01", "Anna de Vries",
         "Jan van der Berg: ja", "[00:12:31] R: tijd", "R [00:00:01]: x", "#00:12:31-5# I:",
         "Conclusie: klaar", "gewone tekst ĳs", "   ", "", "  inspringing  ", "Größe",
         "Cafe\u0301", "\t", "I:   ", ":", "00:01", "(12:31)"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=25),
       st.sets(st.sampled_from(["I", "R", "Anna de Vries", "Jan van der Berg", "Conclusie",
                                "Größe", "X"])))
def test_build_turns_invariants(lines, accepted):
    src = txt("\n".join(lines + ["Slot."]))
    turns = build_turns(src, accepted)
    check_invariants(src, turns)
    # every paragraph is covered by exactly one turn
    for p in src.paragraphs:
        assert sum(1 for t in turns if t.start <= p.start and p.end <= t.end) == 1
    assert all(t.label is None or t.label in accepted for t in turns)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=200))
def test_build_turns_invariants_on_arbitrary_text(text):
    src = SourceText("x.txt", "txt", "utf-8", text, [], [])
    labels = [c.label for c in detect_labels(src)]
    turns = build_turns(src, labels)
    check_invariants(src, turns)


# ---------------------------------------------------------------- role maps

def test_parse_role_map():
    assert parse_role_map("I=interviewer,R=respondent") == {"I": "interviewer",
                                                            "R": "respondent"}
    assert parse_role_map(" Anna de Vries = respondent , Jan=co-interviewer,") == {
        "Anna de Vries": "respondent", "Jan": "co-interviewer"}
    assert parse_role_map("") == {}


def test_parse_role_map_unknown_role():
    with pytest.raises(ValueError) as info:
        parse_role_map("I=interviewer,R=klant")
    msg = str(info.value)
    assert "R=klant" in msg and "klant" in msg
    assert all(role in msg for role in ROLES)


def test_parse_role_map_missing_equals():
    with pytest.raises(ValueError) as info:
        parse_role_map("I=interviewer,Respondent")
    assert "'Respondent'" in str(info.value) and "observer" in str(info.value)


def test_parse_role_map_conflicting_duplicate():
    with pytest.raises(ValueError):
        parse_role_map("I=interviewer,I=respondent")
