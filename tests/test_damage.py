"""Tests for PDF-extraction damage warnings."""

from cases.damage import DamageWarning, detect_damage

CLEAN = """Interview netwerk Oost, 12 maart 2024

I: Goedemorgen. Kun je vertellen hoe het netwerk is begonnen?
R: Ja, natuurlijk. We zijn in 2019 begonnen met vijf bedrijven uit de regio. De voor- en
nadelen waren toen nog niet duidelijk, maar de koffie-ochtenden hielpen.
I: En hoe ging de samenwerking met de hogeschool?
R: Heel goed, eigenlijk. We hebben een kick-off gehad en daarna maandelijkse sessies.
Zie ook www.netwerk-oost.nl voor de verslagen, of mail naar info@netwerk-oost.nl.
I: Oké.
R: Ja.
I: Oké.
R: Ja.
I: Oké. Dan iets anders: wat leerde je van de anderen?
R: (...) Vooral dat je niet alles zelf hoeft uit te vinden. [lacht] Dat scheelt tijd.
I: Wie Vor- und Nachteile abwägt, lernt. Wie war das bei Ihnen?
B: Wir haben uns im Netzwerk regelmäßig getroffen, auch in Zürich. Die Größe war ideal.
I: And in English? Were the pre- and post-test results useful?
R: We learned a lot from each other, and the café in Münster was great. It's a win-win.
R: Ik zei: "Dat is 't 'm!" En we hadden 3 sessies in 2023, 12 deelnemers per keer.
[einde opname]
"""


def kinds(warnings: list[DamageWarning]) -> list[str]:
    return [w.kind for w in warnings]


def test_clean_transcript_has_no_warnings():
    assert detect_damage(CLEAN) == []


def test_clean_english_and_german_have_no_warnings():
    assert detect_damage("Interviewer: How did it start?\nRespondent: Slowly. We met "
                         "twice a month.\nInterviewer: Thanks!\n") == []
    assert detect_damage("I: Wie fing es an?\nB: Mit fünf Betrieben aus der Region. "
                         "Das war 2019.\nI: Danke schön.\n") == []


def test_hyphenation():
    text = "De samen-\nwerking was goed."
    (w,) = detect_damage(text)
    assert w.kind == "hyphenation"
    assert text[w.start:w.end] == "samen-\nwerking"
    assert "samenwerking" in w.message
    assert "samen-" in w.excerpt


def test_suspended_compounds_urls_and_capitals_are_not_hyphenation():
    text = ("De voor-\nen nadelen. Die Vor-\nund Nachteile. The pre-\nand post-test. "
            "Zie http://example.org/lange-\npad. Noord-\nBrabant is mooi.")
    assert "hyphenation" not in kinds(detect_damage(text))


def test_page_numbers():
    text = ("Het netwerk groeide\n12\nsnel. Daarna\n- 4 -\nkwam er meer.\nPagina 3 van 10\n"
            "Seite 3\nPage 3 of 9\nEinde.")
    ws = [w for w in detect_damage(text) if w.kind == "page_furniture"]
    assert [text[w.start:w.end] for w in ws] == ["12", "- 4 -", "Pagina 3 van 10", "Seite 3",
                                                 "Page 3 of 9"]


def test_repeated_running_header():
    header = "Jaarverslag Netwerk Oost 2023"
    text = (f"{header}\nHet netwerk begon klein en\n{header}\ngroeide daarna snel. We\n"
            f"{header}\nleerden veel.")
    ws = [w for w in detect_damage(text) if w.kind == "page_furniture"]
    assert len(ws) == 3
    assert all(text[w.start:w.end] == header for w in ws)
    assert "3 times" in ws[0].message


def test_repeated_speaker_name_lines_are_not_furniture():
    text = "Anna de Vries\nHoe gaat het?\nJan Smit\nGoed.\n" * 3
    assert detect_damage(text) == []


def test_font_substitution():
    text = "De saĚenwerkiŉg verliep goed."
    (w,) = detect_damage(text)
    assert w.kind == "font_substitution"
    assert text[w.start:w.end] == "saĚenwerkiŉg"


def test_single_extended_character_and_greek_word_are_fine():
    assert detect_damage("Dvořák en Gdańsk, en de α-waarde was laag. Λόγος.") == []


def test_ligatures():
    text = "Een ﬁjne ĳsbaan en een ﬂyer."
    ws = detect_damage(text)
    assert kinds(ws) == ["ligature", "ligature", "ligature"]
    assert [text[w.start:w.end] for w in ws] == ["ﬁ", "ĳ", "ﬂ"]


def test_footnote_marker():
    text = "De samenwerking3 was goed en COVID19 en mp3 niet."
    (w,) = detect_damage(text)
    assert w.kind == "footnote_marker"
    assert text[w.start:w.end] == "3"
    assert w.start == text.index("3")


def test_truncation():
    text = "Het netwerk groeide snel en toen kwamen er steeds meer"
    (w,) = detect_damage(text)
    assert w.kind == "truncation"
    assert w.end == len(text)
    assert w.excerpt.endswith("steeds meer")


def test_truncation_ignores_trailing_quotes_and_whitespace():
    assert detect_damage('Hij zei: "Klaar."\n\n  ') == []
    assert detect_damage("Dat was het (...)") == []


def test_offsets_with_emoji_and_sorted_by_start():
    text = "😀😀 De samen-\nwerking3 ﬁjn\n7\nen toen"
    ws = detect_damage(text)
    assert [w.start for w in ws] == sorted(w.start for w in ws)
    assert kinds(ws) == ["hyphenation", "footnote_marker", "ligature", "page_furniture",
                         "truncation"]
    assert text[ws[0].start:ws[0].end] == "samen-\nwerking"
    assert text[ws[3].start:ws[3].end] == "7"


def test_text_is_not_changed_and_excerpt_is_short():
    text = "x" * 200 + " samen-\nwerking " + "y" * 200 + "."
    (w,) = detect_damage(text)
    assert len(w.excerpt) <= (w.end - w.start) + 40
    assert "⏎" in w.excerpt


def test_empty_text():
    assert detect_damage("") == []
