"""Tests for PDF-extraction damage warnings."""

import pytest

from cases.damage import DamageWarning, Repair, detect_damage, line_drops, plan_repairs
from store.errors import Refused

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


# --- proposed repairs ------------------------------------------------------------------------------------------

def repaired(text: str, warnings: list[DamageWarning]) -> str:
    """The text with these warnings' repairs made (as coding.damage_repair makes them, without a database)."""
    repairs, _ = plan_repairs(text, warnings)
    out, at = [], 0
    for r in repairs:
        out += [text[at:r.start], r.replacement]
        at = r.end
    return "".join(out) + text[at:]


def test_a_hyphenated_word_is_joined_and_the_rest_of_its_line_follows_it():
    text = "De samen-\nwerking was goed.\nDaarna kwam er meer."
    (w,) = detect_damage(text)
    assert w.id == "hyphenation:3"
    assert w.repair == Repair(8, 10, "")
    assert w.preview == "De samenwerking was goed.⏎Daarna kw"  # the excerpt's stretch, repaired
    assert repaired(text, [w]) == "De samenwerking was goed.\nDaarna kwam er meer."


def test_a_page_number_between_two_lines_of_a_sentence_goes_with_one_line_break():
    text = "Het netwerk groeide\n12\nsnel. Daarna\n- 4 -\nkwam er meer."
    ws = detect_damage(text)
    assert [w.kind for w in ws] == ["page_furniture", "page_furniture"]
    assert repaired(text, ws) == "Het netwerk groeide\nsnel. Daarna\nkwam er meer."
    assert repaired(text, ws[:1]) == "Het netwerk groeide\nsnel. Daarna\n- 4 -\nkwam er meer."


def test_a_running_header_mid_sentence_and_at_the_start_goes():
    header = "Jaarverslag Netwerk Oost 2023"
    text = (f"{header}\nHet netwerk begon klein en\n{header}\ngroeide daarna snel. We\n"
            f"{header}\nleerden veel.")
    ws = [w for w in detect_damage(text) if w.kind == "page_furniture"]
    assert repaired(text, ws) == "Het netwerk begon klein en\ngroeide daarna snel. We\nleerden veel."


def test_a_page_number_on_a_paragraph_of_its_own_leaves_one_blank_line():
    text = "Eerste alinea eindigt hier.\n\nPagina 1 van 3\n\nTweede alinea begint."
    (w,) = [w for w in detect_damage(text) if w.kind == "page_furniture"]
    assert repaired(text, [w]) == "Eerste alinea eindigt hier.\n\nTweede alinea begint."
    text = "Voetnoot 1.\nPagina 1 van 3\n\nVitaal Verder."  # the last line of a paragraph: the break before it goes
    (w,) = [w for w in detect_damage(text) if w.kind == "page_furniture"]
    assert w.repair == Repair(text.index("\nPagina"), text.index(" van 3") + 6, "")
    assert repaired(text, [w]) == "Voetnoot 1.\n\nVitaal Verder."
    text = "Tekst van pagina een.\n\nPagina 1 van 3\nVervolg van de tekst."  # the first line of a paragraph
    (w,) = [w for w in detect_damage(text) if w.kind == "page_furniture"]
    assert repaired(text, [w]) == "Tekst van pagina een.\n\nVervolg van de tekst."


def test_line_drops_offer_both_sides_the_shorter_run_first():
    text = "a\n\nKOP\nb"
    assert line_drops(text, 3, 6) == [Repair(3, 7, ""), Repair(1, 6, "")]
    assert line_drops("KOP\nb", 0, 3) == [Repair(0, 4, "")]
    assert line_drops("a\nKOP  ", 2, 5) == [Repair(1, 7, "")]
    assert line_drops("KOP", 0, 3) == []


def test_ligatures_become_their_letters():
    text = "Een ﬁjne ĳsbaan, een ﬂyer, ﬀ, ﬃ, ﬄ, ﬅ, ﬆ en Ĳssel."
    ws = detect_damage(text)
    assert [w.kind for w in ws] == ["ligature"] * 9
    assert repaired(text, ws) == "Een fijne ijsbaan, een flyer, ff, ffi, ffl, st, st en IJssel."
    assert ws[0].preview == "Een fijne ĳsbaan, een ﬂyer"


def test_a_footnote_number_is_dropped():
    text = "De samenwerking3 was goed en COVID19 bleef."
    (w,) = detect_damage(text)
    assert repaired(text, [w]) == "De samenwerking was goed en COVID19 bleef."


def test_font_substitution_and_truncation_are_reported_only():
    ws = detect_damage("De saĚenwerkiŉg verliep goed en toen")
    assert [(w.kind, w.repair, w.preview) for w in ws] == [("truncation", None, None),
                                                           ("font_substitution", None, None)]
    with pytest.raises(Refused, match="truncation:0 has no proposed repair"):
        plan_repairs("De saĚenwerkiŉg verliep goed en toen", ws[:1])


def test_every_repair_of_a_pdf_extract_at_once():
    pages = [("Koersdocument 2024\n\nDe regio kent verschillen in gezondheid tussen\nwijken in de regio1. Wij "
              "werken aan gezondheids-\nverschillen met een ﬁjn netwerk.\nPagina 1 van 3"),
             ("Koersdocument 2024\n\nHet coördinatiebureau ondersteunt de samen-\nwerking en de bĳeenkomsten.\n"
              "Pagina 2 van 3"),
             "Koersdocument 2024\n\nIn 2027 trekken bewoners zelf initiatieven.\nPagina 3 van 3"]
    text = "\n\n".join(pages)
    ws = detect_damage(text, pages=[text.index(page) for page in pages])
    assert sorted({w.kind for w in ws if w.repair}) == ["footnote_marker", "hyphenation", "ligature",
                                                          "page_furniture"]
    assert [w.kind for w in ws if not w.repair] == ["truncation"]  # the last page number: gone once repaired
    assert repaired(text, [w for w in ws if w.repair]) == (
        "De regio kent verschillen in gezondheid tussen\nwijken in de regio. Wij werken aan gezondheidsverschillen "
        "met een fijn netwerk.\n\nHet coördinatiebureau ondersteunt de samenwerking en de bijeenkomsten.\n\n"
        "In 2027 trekken bewoners zelf initiatieven.")


def test_page_starts_find_a_running_header_that_is_no_sentence_break():
    pages_text = [f"Netwerkplan Oost\n\n{n}. Hoofdstuk {n} begint.\nPagina {n}" for n in range(1, 4)]
    text = "\n\n".join(pages_text)
    starts = [text.index(f"Netwerkplan Oost\n\n{n}.") for n in range(1, 4)]
    found = [w for w in detect_damage(text, pages=starts) if w.kind == "page_furniture"]
    assert [text[w.start:w.end] for w in found] == ["Netwerkplan Oost", "Pagina 1", "Netwerkplan Oost",
                                                      "Pagina 2", "Netwerkplan Oost", "Pagina 3"]
    assert "top or bottom of 3 of 3 pages (page 2 here)" in found[2].message
    assert "Netwerkplan" not in repaired(text, found) and repaired(text, found).count("\n\n") == 2
    assert [w.kind for w in detect_damage(text)].count("page_furniture") == 3  # without pages: the numbers only


def test_a_repair_inside_a_dropped_line_is_taken_in_and_other_overlaps_are_refused():
    header = "Jaarverslag ﬁnanciën"
    text = f"Het netwerk begon klein en\n{header}\ngroeide snel. We\n{header}\nleerden en\n{header}\nveel."
    ws = detect_damage(text)
    ligature = next(w for w in ws if w.kind == "ligature")
    furniture = next(w for w in ws if w.kind == "page_furniture")
    repairs, taken = plan_repairs(text, [ligature, furniture])
    assert taken == [ligature.id] and repairs == [furniture.repair]
    clash = DamageWarning("footnote_marker", furniture.start - 2, furniture.start + 1, "", "",
                          Repair(furniture.start - 2, furniture.start + 1, "x"))
    with pytest.raises(Refused, match="overlap"):
        plan_repairs(text, [furniture, clash])


def test_a_footer_and_the_next_header_in_one_paragraph_go_together():
    text = "einde van de pagina.\n\nPagina 1\nKOP\n\nvolgende pagina.\n\nPagina 2\nKOP\n\nnog meer.\n\nPagina 3\nKOP\n\nslot."
    pages = [0, text.index("Pagina 1"), text.index("Pagina 2"), text.index("Pagina 3")]
    ws = [w for w in detect_damage(text, pages=pages) if w.kind == "page_furniture"]
    first_two = [w for w in ws if w.start < text.index("volgende")]
    assert [text[w.start:w.end] for w in first_two] == ["Pagina 1", "KOP"]
    repairs, taken = plan_repairs(text, first_two)
    assert taken == [first_two[1].id] and len(repairs) == 1
    assert repaired(text, ws) == "einde van de pagina.\n\nvolgende pagina.\n\nnog meer.\n\nslot."
