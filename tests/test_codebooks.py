"""Codebooks: the built-in templates, adoption into projects, editing the code tree, and the CSV exchange format."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import func, select

from cases.importer import preview_import, store_import
from cases.projects import create_case, create_project, get_or_create_coder, get_project
from codebooks.service import (
    DEFAULT_CODEBOOKS,
    add_code,
    adopt_codebook,
    code_tree,
    delete_code,
    export_codebook_csv,
    get_codebook,
    get_template,
    import_codebook_csv,
    list_templates,
    merge_codes,
    move_code,
    update_code,
)
from codebooks.templates import (
    BUILTIN_CODE_NAMESPACE,
    CSV_COLUMNS,
    builtin_code_guid,
    builtin_templates,
    template_from_csv,
    template_to_csv,
)
from coding.codings import apply_coding, list_codings
from store.db import read_session, write_session
from store.errors import Refused
from store.models import Base, Code, Codebook, Coding, Document, Event

BUILTIN_KEYS = {"value-creation", "learning-levels", "4i", "network-conditions", "collective-impact",
                "learning-layers"}
PREFIXES = {"value-creation": "vc", "learning-levels": "lo", "4i": "ol4i", "network-conditions": "enc",
            "collective-impact": "ci", "learning-layers": "layer"}
DOMAIN_CODES = {
    "value-creation": ["vc.expected", "vc.immediate", "vc.potential", "vc.potential.human", "vc.potential.social",
                       "vc.potential.tangible", "vc.potential.reputational", "vc.potential.learning", "vc.applied",
                       "vc.realised", "vc.transformative", "vc.strategic", "vc.enabling", "vc.orienting"],
    "learning-levels": ["lo.individual", "lo.team", "lo.organisation", "lo.environment"],
    "4i": ["ol4i.intuiting", "ol4i.interpreting", "ol4i.integrating", "ol4i.institutionalising",
           "ol4i.level.individual", "ol4i.level.group", "ol4i.level.organisation", "ol4i.level.network",
           "ol4i.flow.feedforward", "ol4i.flow.feedback"],
    "network-conditions": ["enc.goal", "enc.goal.explicit", "enc.goal.balance", "enc.structure",
                           "enc.structure.size", "enc.structure.duration", "enc.structure.diversity",
                           "enc.structure.access", "enc.structure.governance", "enc.process", "enc.process.rhythm",
                           "enc.process.format", "enc.process.reflection", "enc.culture", "enc.culture.trust",
                           "enc.culture.experiment", "enc.culture.learning_styles"],
    "collective-impact": ["ci.lead", "ci.lead.actual", "ci.lead.vision", "ci.lead.passion", "ci.lead.adaptive",
                          "ci.rel", "ci.rel.robust", "ci.rel.honesty", "ci.rel.trust", "ci.rel.respect",
                          "ci.rel.professional", "ci.org", "ci.org.agenda", "ci.org.reinforcing",
                          "ci.org.communication", "ci.org.measurement", "ci.org.backbone"],
    "learning-layers": ["layer.strategic", "layer.tactical", "layer.operational"],
}

TRANSCRIPT = (
    "I: Wat heeft het netwerk u opgeleverd?\n"
    "R: Een paar goede tips en een contact bij de gemeente. Daar hebben we een pilot mee gestart.\n"
    "I: En is er iets veranderd in uw bedrijf?\n"
    "R: Ja, we werken nu met de nieuwe planning. Het verzuim is gedaald.\n"
)


def row_counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def make_project(engine, name: str = "Studie", codebooks=("value-creation",)):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, name)
        for key in codebooks:
            adopt_codebook(s, project, key)
        return project


def coded_project(engine):  # type: ignore[no-untyped-def]
    """A project with one document and three segments: A = immediate + applied, B = immediate, C = potential.human."""
    with write_session(engine) as s:
        project = create_project(s, "Codering")
        adopt_codebook(s, project, "value-creation")
        case = create_case(s, project, "Noord")
        document = store_import(s, project, preview_import("gesprek.txt", TRANSCRIPT.encode()), cases=[case])
        coder, _ = get_or_create_coder(s, project, "Sanne")
        a = apply_coding(s, project, document, coder, 40, 60, ["vc.immediate", "vc.applied"])
        b = apply_coding(s, project, document, coder, 60, 90, ["vc.immediate"])
        c = apply_coding(s, project, document, coder, 100, 130, ["vc.potential.human"])
        return {"a": a.guid, "b": b.guid, "c": c.guid}


def codes_of(session, project_name: str, key: str) -> dict[str, Code]:  # type: ignore[no-untyped-def]
    book = get_codebook(session, get_project(session, project_name), key)
    return {c.key: c for c in book.codes}


# --- built-in templates --------------------------------------------------------------------------

def test_six_builtin_templates_with_their_prefixes():
    templates = builtin_templates()
    assert set(templates) == BUILTIN_KEYS
    # listed in the order of DOMAIN section 2
    assert list(templates) == ["value-creation", "learning-levels", "4i", "network-conditions", "collective-impact",
                               "learning-layers"]
    for key, template in templates.items():
        assert template.prefix == PREFIXES[key]
        assert template.origin == "builtin"
        assert template.name_en and template.name_nl and template.source
        assert all(c.key == template.prefix or c.key.startswith(template.prefix + ".") for c in template.codes)


@pytest.mark.parametrize("key", sorted(BUILTIN_KEYS))
def test_builtin_template_contains_the_domain_codes(key):
    template = builtin_templates()[key]
    keys = [c.key for c in template.codes]
    assert set(DOMAIN_CODES[key]) <= set(keys)
    assert len(keys) == len(set(keys))
    by_key = {c.key: c for c in template.codes}
    root = by_key[PREFIXES[key]]
    assert root.parent is None and root.codable is False  # roots are non-codable
    for code in template.codes:
        assert code.label_en.strip(), code.key
        assert code.label_nl.strip(), code.key
        assert code.definition.strip(), code.key
        if code.parent is not None:
            assert code.parent == code.key.rsplit(".", 1)[0]
            assert keys.index(code.parent) < keys.index(code.key)
        assert code.guid == uuid.uuid5(BUILTIN_CODE_NAMESPACE, f"{key}/{code.key}")


def test_domain_labels_of_sample_codes():
    codes = {c.key: c for t in builtin_templates().values() for c in t.codes}
    assert (codes["vc.immediate"].label_en, codes["vc.immediate"].label_nl, codes["vc.immediate"].label_de) == (
        "Immediate value", "Onmiddellijke waarde", "Unmittelbarer Wert")
    assert codes["vc.potential.human"].label_nl == "Menselijk kapitaal"
    assert codes["vc.potential.tangible"].label_de == ""  # "—": no established German term
    assert codes["enc.culture.trust"].label_nl == "Vertrouwen"
    assert codes["enc.structure.governance"].label_nl == "Bestuursvorm"
    assert codes["ci.org.backbone"].label_nl == "Procesorganisatie"
    assert codes["ol4i.level.network"].label_nl == "Netwerk (integraliteit)"
    assert codes["layer.operational"].label_de == "Operativ"
    assert codes["lo.team"].label_en == "Team"


def test_value_cycles_are_ranked_with_horizons():
    template = builtin_templates()["value-creation"]
    assert template.ordered is True
    codes = {c.key: c for c in template.codes}
    cycles = ["vc.immediate", "vc.potential", "vc.applied", "vc.realised", "vc.transformative"]
    assert [codes[k].rank for k in cycles] == [1, 2, 3, 4, 5]
    assert sorted(cycles, key=lambda k: codes[k].rank) == cycles
    assert codes["vc.expected"].rank == 0
    assert [codes[f"vc.potential.{k}"].rank for k in ("human", "social", "tangible", "reputational", "learning")] == [
        2.1, 2.2, 2.3, 2.4, 2.5]
    assert {k: codes[k].horizon for k in ["vc.expected", *cycles]} == {
        "vc.expected": "before", "vc.immediate": "short", "vc.potential": "medium", "vc.applied": "medium",
        "vc.realised": "medium", "vc.transformative": "long"}
    # the 2020 cycles are off by default
    assert [codes[k].enabled for k in ("vc.strategic", "vc.enabling", "vc.orienting")] == [False] * 3
    assert codes["vc.immediate"].enabled is True


def test_other_orders():
    t = builtin_templates()
    lo = {c.key: c.rank for c in t["learning-levels"].codes}
    assert [lo[k] for k in ("lo.individual", "lo.team", "lo.organisation", "lo.environment")] == [1, 2, 3, 4]
    i4 = {c.key: c.rank for c in t["4i"].codes}
    assert [i4[k] for k in ("ol4i.intuiting", "ol4i.interpreting", "ol4i.integrating",
                            "ol4i.institutionalising")] == [1, 2, 3, 4]
    assert i4["ol4i.level.network"] == 4
    layers = {c.key: c.rank for c in t["learning-layers"].codes}
    assert [layers[k] for k in ("layer.strategic", "layer.tactical", "layer.operational")] == [1, 2, 3]
    assert t["collective-impact"].ordered is False


def test_builtin_code_guid_function():
    expected = uuid.uuid5(BUILTIN_CODE_NAMESPACE, "value-creation/vc.immediate")
    assert builtin_code_guid("value-creation", "vc.immediate") == expected
    assert builtin_code_guid("4i", "vc.immediate") != expected


def test_default_codebooks():
    assert DEFAULT_CODEBOOKS == ("value-creation", "network-conditions")


# --- adoption ------------------------------------------------------------------------------------

def test_adopt_copies_every_code_with_stable_guids(engine):
    make_project(engine, "Een", ("value-creation", "4i"))
    make_project(engine, "Twee", ("value-creation",))
    with read_session(engine) as s:
        one = codes_of(s, "Een", "value-creation")
        two = codes_of(s, "Twee", "value-creation")
        template = builtin_templates()["value-creation"]
        assert list(one) == [c.key for c in template.codes]
        for ct in template.codes:
            a, b = one[ct.key], two[ct.key]
            assert a.id != b.id
            assert a.guid == b.guid == uuid.uuid5(BUILTIN_CODE_NAMESPACE, f"value-creation/{ct.key}")
            assert (a.label_en, a.label_nl, a.label_de, a.rank, a.horizon, a.enabled, a.codable, a.colour) == (
                ct.label_en, ct.label_nl, ct.label_de, ct.rank, ct.horizon, ct.enabled, ct.codable, ct.colour)
            parent = next((c for c in one.values() if c.id == a.parent_id), None)
            assert (parent.key if parent else None) == ct.parent
        book = get_codebook(s, get_project(s, "Een"), "value-creation")
        assert (book.origin, book.prefix, book.ordered) == ("builtin", "vc", True)
        assert len(codes_of(s, "Een", "4i")) == len(builtin_templates()["4i"].codes)
        assert s.scalar(select(func.count()).select_from(Codebook)) == 3


def test_adopting_the_same_codebook_twice_refused(engine):
    make_project(engine)
    before = row_counts(engine)
    with pytest.raises(Refused, match="project 'Studie' already has codebook 'value-creation'"):
        with write_session(engine) as s:
            adopt_codebook(s, get_project(s, "Studie"), "value-creation")
    with pytest.raises(Refused, match="no codebook 'bestaat-niet'"):
        with write_session(engine) as s:
            adopt_codebook(s, get_project(s, "Studie"), "bestaat-niet")
    assert row_counts(engine) == before


def test_editing_a_copy_changes_neither_template_nor_other_project(engine):
    make_project(engine, "Een")
    make_project(engine, "Twee")
    with write_session(engine) as s:
        project = get_project(s, "Een")
        update_code(s, project, "value-creation", "vc.immediate", label_nl="Directe waarde", rank=1.5,
                    enabled=False, definition="Eigen definitie")
        add_code(s, project, "value-creation", "vc.immediate.tip", "Tip", parent_key="vc.immediate")
        move_code(s, project, "value-creation", "vc.potential.human", None)
    with read_session(engine) as s:
        one = codes_of(s, "Een", "value-creation")
        two = codes_of(s, "Twee", "value-creation")
        assert (one["vc.immediate"].label_nl, one["vc.immediate"].rank, one["vc.immediate"].enabled) == (
            "Directe waarde", 1.5, False)
        assert (two["vc.immediate"].label_nl, two["vc.immediate"].rank, two["vc.immediate"].enabled) == (
            "Onmiddellijke waarde", 1.0, True)
        assert "vc.immediate.tip" in one and "vc.immediate.tip" not in two
        assert one["vc.potential.human"].parent_id is None
        assert two["vc.potential.human"].parent_id == two["vc.potential"].id
        template = get_template(s, "value-creation")
    codes = {c.key: c for c in template.codes}
    assert codes["vc.immediate"].label_nl == "Onmiddellijke waarde"
    assert codes["vc.immediate"].definition != "Eigen definitie"
    assert "vc.immediate.tip" not in codes
    assert codes["vc.potential.human"].parent == "vc.potential"
    # a new adoption still gets the pristine template
    make_project(engine, "Drie")
    with read_session(engine) as s:
        assert codes_of(s, "Drie", "value-creation")["vc.immediate"].label_nl == "Onmiddellijke waarde"


# --- editing the tree ----------------------------------------------------------------------------

def test_add_code_under_a_parent_gets_a_fresh_guid_and_an_event(engine):
    make_project(engine)
    with write_session(engine) as s:
        project = get_project(s, "Studie")
        code = add_code(s, project, "value-creation", "vc.applied.pilot", "Pilot", parent_key="vc.applied",
                        label_nl="Pilot", label_de="Pilotprojekt", definition=" Een proef. ", actor="maria")
        guid = code.guid
    with read_session(engine) as s:
        codes = codes_of(s, "Studie", "value-creation")
        new = codes["vc.applied.pilot"]
        assert new.parent_id == codes["vc.applied"].id
        assert (new.label_en, new.label_nl, new.label_de, new.definition) == ("Pilot", "Pilot", "Pilotprojekt",
                                                                              "Een proef.")
        assert new.guid == guid and guid.version == 4
        tree = [r.path for r in code_tree(get_codebook(s, get_project(s, "Studie"), "value-creation"))]
        assert tree.index("vc/vc.applied/vc.applied.pilot") == tree.index("vc/vc.applied") + 1
        event = s.scalars(select(Event).order_by(Event.id.desc())).first()
        assert (event.actor, event.action, event.entity, event.entity_guid) == ("maria", "create", "code", guid)


def test_add_code_refusals(engine):
    make_project(engine)
    before = row_counts(engine)
    for kwargs, message in [
        ({"key": "vc.immediate", "label_en": "X"}, "already has a code 'vc.immediate'"),
        ({"key": "vc nieuw", "label_en": "X"}, "must be lower-case letters"),
        ({"key": "vc.nieuw", "label_en": " "}, "needs an English or Dutch label"),
        ({"key": "vc.nieuw", "label_en": "X", "parent_key": "vc.bestaatniet"}, "has no code 'vc.bestaatniet'"),
    ]:
        with pytest.raises(Refused, match=message):
            with write_session(engine) as s:
                add_code(s, get_project(s, "Studie"), "value-creation", **kwargs)
    assert row_counts(engine) == before


def test_rename_changes_labels_and_keeps_key_and_guid(engine):
    make_project(engine)
    with read_session(engine) as s:
        guid = codes_of(s, "Studie", "value-creation")["vc.realised"].guid
    with write_session(engine) as s:
        update_code(s, get_project(s, "Studie"), "value-creation", "vc.realised", label_en="Realized value",
                    label_nl="Gerealiseerde opbrengst", label_de="Erzielter Wert")
    with read_session(engine) as s:
        code = codes_of(s, "Studie", "value-creation")["vc.realised"]
        assert (code.label_en, code.label_nl, code.label_de, code.guid) == (
            "Realized value", "Gerealiseerde opbrengst", "Erzielter Wert", guid)
    with pytest.raises(Refused, match=r"cannot change guid, parent_id of a code \(the key is immutable\)"):
        with write_session(engine) as s:
            update_code(s, get_project(s, "Studie"), "value-creation", "vc.realised", guid=uuid.uuid4(),
                        parent_id=None)
    with pytest.raises(Refused, match="horizon must be one of"):
        with write_session(engine) as s:
            update_code(s, get_project(s, "Studie"), "value-creation", "vc.realised", horizon="someday")


def test_move_to_new_parent_and_to_top_level(engine):
    make_project(engine)
    with write_session(engine) as s:
        project = get_project(s, "Studie")
        move_code(s, project, "value-creation", "vc.potential.learning", "vc.applied")
        move_code(s, project, "value-creation", "vc.potential.social", None)
    with read_session(engine) as s:
        codes = codes_of(s, "Studie", "value-creation")
        assert codes["vc.potential.learning"].parent_id == codes["vc.applied"].id
        assert codes["vc.potential.social"].parent_id is None
        tree = code_tree(get_codebook(s, get_project(s, "Studie"), "value-creation"))
        assert tree[-1].path == "vc.potential.social" and tree[-1].depth == 0
        paths = [r.path for r in tree]
        assert "vc/vc.applied/vc.potential.learning" in paths
        assert len(paths) == len(codes)
        event = s.scalars(select(Event).order_by(Event.id.desc())).first()
        assert (event.action, event.entity_guid) == ("move", codes["vc.potential.social"].guid)
        assert event.before["parent_id"] == codes["vc.potential"].id and event.after["parent_id"] is None


def test_move_refuses_cycles(engine):
    make_project(engine)
    before = row_counts(engine)
    with pytest.raises(Refused, match="cannot move 'vc.potential' under its own descendant 'vc.potential.human'"):
        with write_session(engine) as s:
            move_code(s, get_project(s, "Studie"), "value-creation", "vc.potential", "vc.potential.human")
    with pytest.raises(Refused, match="cannot move 'vc' under its own descendant"):
        with write_session(engine) as s:
            move_code(s, get_project(s, "Studie"), "value-creation", "vc", "vc.potential.human")
    with pytest.raises(Refused, match="cannot move 'vc.applied' under its own descendant 'vc.applied'"):
        with write_session(engine) as s:
            move_code(s, get_project(s, "Studie"), "value-creation", "vc.applied", "vc.applied")
    assert row_counts(engine) == before
    with read_session(engine) as s:
        codes = codes_of(s, "Studie", "value-creation")
        assert codes["vc.potential"].parent_id == codes["vc"].id


def test_delete_refused_while_codings_use_the_code(engine):
    coded_project(engine)
    before = row_counts(engine)
    with pytest.raises(Refused, match=r"code 'vc.immediate' is used by 2 coding\(s\); merge it"):
        with write_session(engine) as s:
            delete_code(s, get_project(s, "Codering"), "value-creation", "vc.immediate")
    with pytest.raises(Refused, match=r"code 'vc.potential.human' is used by 1 coding\(s\)"):
        with write_session(engine) as s:
            delete_code(s, get_project(s, "Codering"), "value-creation", "vc.potential.human")
    with pytest.raises(Refused, match="has child codes"):
        with write_session(engine) as s:
            delete_code(s, get_project(s, "Codering"), "value-creation", "vc.potential")
    assert row_counts(engine) == before


def test_delete_unused_code(engine):
    coded_project(engine)
    with read_session(engine) as s:
        guid = codes_of(s, "Codering", "value-creation")["vc.realised"].guid
    with write_session(engine) as s:
        delete_code(s, get_project(s, "Codering"), "value-creation", "vc.realised", actor="maria")
    with read_session(engine) as s:
        codes = codes_of(s, "Codering", "value-creation")
        assert "vc.realised" not in codes
        assert len(codes) == len(builtin_templates()["value-creation"].codes) - 1
        event = s.scalars(select(Event).order_by(Event.id.desc())).first()
        assert (event.actor, event.action, event.entity_guid, event.after) == ("maria", "delete", guid, None)
        assert event.before["key"] == "vc.realised"


def test_merge_reassigns_codings_moves_children_and_deletes_source(engine):
    segments = coded_project(engine)
    with read_session(engine) as s:
        codes = codes_of(s, "Codering", "value-creation")
        source_guid, target_guid = codes["vc.immediate"].guid, codes["vc.applied"].guid
    with write_session(engine) as s:
        moved = merge_codes(s, get_project(s, "Codering"), "value-creation", "vc.immediate", "vc.applied",
                            actor="maria")
    assert moved == 2
    with read_session(engine) as s:
        codes = codes_of(s, "Codering", "value-creation")
        assert "vc.immediate" not in codes
        by_segment = {}
        for record in list_codings(s, get_project(s, "Codering")):
            by_segment.setdefault(record.segment, []).append(record.code)
        assert by_segment == {segments["a"]: ["vc.applied"], segments["b"]: ["vc.applied"],
                              segments["c"]: ["vc.potential.human"]}
        assert s.scalar(select(func.count()).select_from(Coding)) == 3
        event = s.scalars(select(Event).where(Event.action == "merge")).one()
        assert (event.actor, event.entity, event.entity_guid) == ("maria", "code", source_guid)
        assert event.after["into"] == str(target_guid)
        assert event.after["codings_moved"] == 1 and event.after["duplicates_dropped"] == 1

    # merging a parent moves its children under the target
    with write_session(engine) as s:
        merge_codes(s, get_project(s, "Codering"), "value-creation", "vc.potential", "vc.realised")
    with read_session(engine) as s:
        codes = codes_of(s, "Codering", "value-creation")
        assert "vc.potential" not in codes
        for child in ("human", "social", "tangible", "reputational", "learning"):
            assert codes[f"vc.potential.{child}"].parent_id == codes["vc.realised"].id
        assert [r.code for r in list_codings(s, get_project(s, "Codering"))].count("vc.potential.human") == 1


def test_merge_refusals(engine):
    coded_project(engine)
    before = row_counts(engine)
    with pytest.raises(Refused, match="cannot merge a code into itself"):
        with write_session(engine) as s:
            merge_codes(s, get_project(s, "Codering"), "value-creation", "vc.applied", "vc.applied")
    with pytest.raises(Refused, match="cannot merge 'vc.potential' into its own descendant 'vc.potential.human'"):
        with write_session(engine) as s:
            merge_codes(s, get_project(s, "Codering"), "value-creation", "vc.potential", "vc.potential.human")
    assert row_counts(engine) == before


# --- CSV exchange --------------------------------------------------------------------------------

CUSTOM_CSV = (
    "codebook,codebook_name_en,codebook_name_nl,codebook_version,codebook_ordered,codebook_source,key,parent,"
    "label_en,label_nl,label_de,definition,include,exclude,example,colour,rank,horizon,codable,enabled,source,guid\n"
    "leer,Learning,Leren,2.1,yes,Eigen kader,leer,,Learning,Leren,Lernen,Root,,,,#112233,,,no,yes,,"
    "11111111-2222-4333-8444-555555555555\n"
    'leer,Learning,Leren,2.1,yes,Eigen kader,leer.kort,leer,Short,Kort,Kurz,"Korte termijn, snel",In,Uit,'
    "Voorbeeld,#AABBCC,1.5,short,yes,yes,Bron A,\n"
    "leer,Learning,Leren,2.1,yes,Eigen kader,leer.lang,leer,Long,Lang,Lang,Lange termijn,,,,#abcdef,2,long,"
    "yes,no,,\n"
    "leer,Learning,Leren,2.1,yes,Eigen kader,leer.lang.diep,leer.lang,Deep,Diep,Tief,Diep leren,,,,#000000,"
    "2.25,medium,yes,yes,,\n"
)

FIELDS = ("key", "parent", "label_en", "label_nl", "label_de", "definition", "include", "exclude", "example",
          "colour", "rank", "horizon", "codable", "enabled", "source")


def test_template_csv_round_trip_in_memory():
    for template in builtin_templates().values():
        text = template_to_csv(template)
        assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
        back = template_from_csv(text)
        assert (back.key, back.prefix, back.version, back.ordered, back.name_en, back.name_nl) == (
            template.key, template.prefix, template.version, template.ordered, template.name_en, template.name_nl)
        assert [c.key for c in back.codes] == [c.key for c in template.codes]
        for a, b in zip(template.codes, back.codes):
            assert (a.parent, a.label_en, a.label_nl, a.label_de, a.rank, a.horizon, a.enabled, a.codable,
                    a.colour, a.definition, a.guid) == (
                b.parent, b.label_en, b.label_nl, b.label_de, b.rank, b.horizon, b.enabled, b.codable,
                b.colour, b.definition, b.guid)


def test_csv_import_as_template_and_export_round_trip(engine):
    with write_session(engine) as s:
        book = import_codebook_csv(s, "\ufeff" + CUSTOM_CSV, filename="leer.csv", actor="maria")
        assert (book.project_id, book.origin, book.key, book.prefix, book.version, book.ordered) == (
            None, "imported", "leer", "leer", "2.1", True)
    with read_session(engine) as s:
        assert "leer" in [t.key for t in list_templates(s)]
        exported = export_codebook_csv(s, "leer")
    original, again = csv_rows(CUSTOM_CSV), csv_rows(exported)
    assert len(again) == 4
    for a, b in zip(original, again):
        for f in FIELDS:
            if f == "rank":
                assert (float(a[f]) if a[f] else None) == (float(b[f]) if b[f] else None)
            else:
                assert a[f] == b[f], (a["key"], f)
    # guid given in the file is kept; codes without one got a fresh, stable one that is exported
    assert again[0]["guid"] == "11111111-2222-4333-8444-555555555555"
    assert all(uuid.UUID(r["guid"]) for r in again)
    with read_session(engine) as s:
        stored = {c.key: c for c in s.scalar(select(Codebook).where(Codebook.key == "leer")).codes}
        assert str(stored["leer.kort"].guid) == again[1]["guid"]
        assert (stored["leer.kort"].rank, stored["leer.kort"].horizon, stored["leer.lang"].enabled) == (
            1.5, "short", False)
        assert stored["leer"].codable is False

    # adopt the imported template into two projects: both get the same guids, and exporting gives the file back
    make_project(engine, "Een", ())
    make_project(engine, "Twee", ())
    with write_session(engine) as s:
        adopt_codebook(s, get_project(s, "Een"), "leer")
        adopt_codebook(s, get_project(s, "Twee"), "leer")
    with read_session(engine) as s:
        from_project = csv_rows(export_codebook_csv(s, "leer", get_project(s, "Een")))
        other = csv_rows(export_codebook_csv(s, "leer", get_project(s, "Twee")))
    assert from_project == again == other


def test_csv_import_into_a_project_and_back(engine):
    make_project(engine, "Studie")
    with read_session(engine) as s:
        exported = export_codebook_csv(s, "value-creation", get_project(s, "Studie"))
    renamed = exported.replace("value-creation,", "waarde,")
    with write_session(engine) as s:
        book = import_codebook_csv(s, renamed, filename="waarde.csv", project=get_project(s, "Studie"))
        assert (book.origin, book.key, book.prefix) == ("imported", "waarde", "vc")
    with read_session(engine) as s:
        again = export_codebook_csv(s, "waarde", get_project(s, "Studie"))
        copy = codes_of(s, "Studie", "waarde")
        original = codes_of(s, "Studie", "value-creation")
        # no template was stored
        assert s.scalar(select(func.count()).select_from(Codebook).where(Codebook.project_id.is_(None))) == 0
    assert csv_rows(again) == csv_rows(renamed)
    for key, code in original.items():
        assert copy[key].guid == code.guid  # the built-in guids travel with the file
        assert (copy[key].rank, copy[key].horizon, copy[key].enabled, copy[key].label_de) == (
            code.rank, code.horizon, code.enabled, code.label_de)


def test_csv_round_trip_keeps_codebook_names_and_description(engine):
    """The exchange format must not lose what a codebook says about itself (NL/EN/DE names, description)."""
    make_project(engine, "Studie", ("learning-layers",))
    with read_session(engine) as s:
        exported = export_codebook_csv(s, "learning-layers", get_project(s, "Studie"))
    with write_session(engine) as s:
        import_codebook_csv(s, exported.replace("learning-layers,", "lagen,"), filename="lagen.csv")
    with read_session(engine) as s:
        template = get_template(s, "lagen")
    builtin = builtin_templates()["learning-layers"]
    assert (template.name_en, template.name_nl, template.name_de) == (builtin.name_en, builtin.name_nl,
                                                                      builtin.name_de)
    assert template.description == builtin.description


def test_csv_import_of_a_builtin_key_or_twice_refused(engine):
    make_project(engine, "Studie")
    with read_session(engine) as s:
        exported = export_codebook_csv(s, "value-creation", get_project(s, "Studie"))
    before = row_counts(engine)
    with pytest.raises(Refused, match="'value-creation' is a built-in codebook key"):
        with write_session(engine) as s:
            import_codebook_csv(s, exported, filename="vc.csv")
    with write_session(engine) as s:
        import_codebook_csv(s, CUSTOM_CSV, filename="leer.csv")
    with pytest.raises(Refused, match="a codebook template 'leer' already exists"):
        with write_session(engine) as s:
            import_codebook_csv(s, CUSTOM_CSV, filename="leer.csv")
    with write_session(engine) as s:
        import_codebook_csv(s, CUSTOM_CSV, filename="leer.csv", project=get_project(s, "Studie"))
    with pytest.raises(Refused, match="project 'Studie' already has codebook 'leer'"):
        with write_session(engine) as s:
            import_codebook_csv(s, CUSTOM_CSV, filename="leer.csv", project=get_project(s, "Studie"))
    after = row_counts(engine)
    assert after["codebook"] == before["codebook"] + 2
    assert after["code"] == before["code"] + 8


HEADER = CUSTOM_CSV.splitlines()[0]


def _bad(rows: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


ROOT = "leer,L,L,1,yes,,leer,,Learning,Leren,Lernen,Root,,,,#112233,,,no,yes,,"
KORT = "leer,L,L,1,yes,,leer.kort,leer,Short,Kort,Kurz,Def,,,,#AABBCC,1,short,yes,yes,,"

BAD_CSV = [
    pytest.param(_bad([ROOT.replace(",#112233,", ",rood,")]), 2, "colour 'rood'", id="bad-colour"),
    pytest.param(_bad([ROOT, KORT, KORT.replace("Short", "Short again")]), 4, "occurs twice", id="duplicate-key"),
    pytest.param(_bad([KORT, ROOT]), 2, "parent 'leer' must come before it", id="parent-after-child"),
    pytest.param(_bad([ROOT, KORT.replace(",1,short,", ",hoog,short,")]), 3, "rank 'hoog' is not a number",
                 id="rank-not-a-number"),
    pytest.param(_bad([ROOT, KORT.replace(",short,", ",ooit,")]), 3, "horizon 'ooit'", id="bad-horizon"),
    pytest.param(_bad([ROOT, KORT.replace(",yes,yes,", ",misschien,yes,")]), 3, "'misschien' is not yes/no",
                 id="bad-flag"),
]


@pytest.mark.parametrize("into_project", [False, True], ids=["template", "project"])
@pytest.mark.parametrize(("text", "row", "fragment"), BAD_CSV)
def test_bad_csv_refused_naming_the_row_and_nothing_written(engine, text, row, fragment, into_project):
    make_project(engine, "Studie")
    before = row_counts(engine)
    with pytest.raises(Refused) as info:
        with write_session(engine) as s:
            import_codebook_csv(s, text, filename="fout.csv", project=get_project(s, "Studie") if into_project
                                else None)
    message = str(info.value)
    assert fragment in message
    assert f"row {row}" in message and "fout.csv" in message, message
    assert row_counts(engine) == before


def test_csv_with_a_missing_column_refused(engine):
    make_project(engine, "Studie")
    before = row_counts(engine)
    header = HEADER.replace(",label_en,", ",label_xx,")
    with pytest.raises(Refused, match=r"fout.csv: missing column\(s\) label_en"):
        with write_session(engine) as s:
            import_codebook_csv(s, _bad([ROOT], header), filename="fout.csv")
    with pytest.raises(Refused, match=r"missing column\(s\) codebook, key"):
        with write_session(engine) as s:
            import_codebook_csv(s, "naam,label_en\nx,y\n", filename="fout.csv")
    with pytest.raises(Refused, match="empty file"):
        with write_session(engine) as s:
            import_codebook_csv(s, "", filename="fout.csv")
    assert row_counts(engine) == before


def test_merge_moves_memos_on_the_source_code_to_the_target(engine) -> None:  # type: ignore[no-untyped-def]
    from cases.projects import create_project
    from codebooks.service import adopt_codebook, find_code, merge_codes
    from coding.memos import add_memo, list_memos
    from store.db import read_session, write_session

    with write_session(engine) as s:
        project = create_project(s, "Memo merge")
        adopt_codebook(s, project, "value-creation")
        add_memo(s, project, "Vaak verward met onmiddellijke waarde.", target=find_code(s, project, "vc.expected"))
    with write_session(engine) as s:
        merge_codes(s, project, "value-creation", "vc.expected", "vc.immediate")
    with read_session(engine) as s:
        memos = list_memos(s, project, "code")
        target = find_code(s, project, "vc.immediate")
    assert [(m.text, m.code_id) for m in memos] == [("Vaak verward met onmiddellijke waarde.", target.id)]


def test_merge_carries_indicator_terms_to_the_target(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from cases.projects import create_project
    from codebooks.service import adopt_codebook, find_code, merge_codes
    from store.db import read_session, write_session
    from store.models import CodeIndicator

    with write_session(engine) as s:
        project = create_project(s, "Termen samenvoegen")
        adopt_codebook(s, project, "value-creation")
        source = find_code(s, project, "vc.potential.learning")
        target = find_code(s, project, "vc.potential.human")
        source_terms = set(s.execute(select(CodeIndicator.language, CodeIndicator.term)
                                     .where(CodeIndicator.code_id == source.id)).all())
        target_terms = set(s.execute(select(CodeIndicator.language, CodeIndicator.term)
                                     .where(CodeIndicator.code_id == target.id)).all())
    assert source_terms, "the built-in learning capital code ships indicator terms"
    with write_session(engine) as s:
        merge_codes(s, project, "value-creation", "vc.potential.learning", "vc.potential.human")
    with read_session(engine) as s:
        merged = set(s.execute(select(CodeIndicator.language, CodeIndicator.term)
                               .where(CodeIndicator.code_id == target.id)).all())
        orphans = s.scalars(select(CodeIndicator).where(CodeIndicator.code_id == source.id)).all()
    assert merged == source_terms | target_terms and orphans == []
