"""Typed attributes on cases, documents and persons: parsing Dutch input, typed storage, SQL filters, sheet import."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from cases.attribute_sheets import import_attribute_sheet, import_attribute_sheet_in_steps
from cases.attributes import (
    attribute_values,
    infer_type,
    list_definitions,
    parse_number,
    parse_value,
    set_attribute,
)
from cases.importer import preview_import, store_import
from cases.projects import create_case, create_person, create_project, get_case, get_person, get_project
from store.db import read_session, write_session
from store.errors import Refused
from store.models import AttributeDefinition, AttributeValue, Base, Case, Document, Event, Person


def row_counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def setup_project(engine, cases=("Grenzeloos", "Stedenband", "Vitaal Verder")):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Attributen")
        made = [create_case(s, project, name) for name in cases]
        create_person(s, project, "Anja Hoekstra", case=made[0])
        create_person(s, project, "Jürgen Müller", case=made[1])
        store_import(s, project, preview_import("hoekstra.txt", "I: Vraag?\nR: Antwoord.\n".encode()),
                     cases=[made[0]])


def typed_value(engine, target_name: str, attribute: str):  # type: ignore[no-untyped-def]
    """The AttributeValue row of one case/person by name, read straight from the table."""
    with read_session(engine) as s:
        stmt = (select(AttributeValue).join(AttributeDefinition)
                .where(AttributeDefinition.name == attribute))
        for row in s.scalars(stmt):
            for model, col in ((Case, row.case_id), (Person, row.person_id)):
                if col is not None and s.get(model, col).name == target_name:
                    return row
            if row.document_id is not None and s.get(Document, row.document_id).title == target_name:
                return row
    raise AssertionError(f"no value {attribute} on {target_name}")


# --- parsing -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("1.065.000", 1065000),
    ("6,5", 6.5),
    ("1,065,000", 1065000),
    ("6.5", 6.5),
    ("-3", -3),
    ("12,00", 12.0),
    ("1.065.000,75", 1065000.75),
    ("-1.065", -1065),
    ("1,065,000.5", 1065000.5),
    (" 97 ", 97),
    ("1\u00a0065", 1065),
    ("0,25", 0.25),
])
def test_parse_number_reads_dutch_and_english_input(text, expected):
    value = parse_number(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", ["abc", "1.2.3", "6,5,", "", "1,2,3", "12a", "--3", "1.2,3.4"])
def test_parse_number_refuses_non_numbers(text):
    with pytest.raises(ValueError, match="is not a number"):
        parse_number(text)


@pytest.mark.parametrize(("raw", "expected"), [
    ("ja", True), ("Nee", False), ("yes", True), ("no", False), ("TRUE", True), ("false", False),
    (" ja ", True), (True, True), (False, False),
])
def test_booleans(raw, expected):
    assert parse_value(raw, "boolean") is expected


def test_bad_boolean_refused():
    with pytest.raises(Refused, match=r"'misschien' is not yes/no \(attribute type boolean\)"):
        parse_value("misschien", "boolean")


@pytest.mark.parametrize("raw", ["2025-03-12", "12-03-2025", "12.03.2025", "12/03/2025", date(2025, 3, 12),
                                 datetime(2025, 3, 12, 10, 30)])
def test_dates(raw):
    value = parse_value(raw, "date")
    assert value == date(2025, 3, 12) and type(value) is date


@pytest.mark.parametrize("raw", ["2025-13-01", "31-02-2025", "maart 2025", "12 03 2025"])
def test_bad_dates_refused(raw):
    with pytest.raises(Refused, match="is not a date"):
        parse_value(raw, "date")


def test_integer_and_float_values():
    assert parse_value("1.065.000", "integer") == 1065000
    assert parse_value("12,00", "integer") == 12 and type(parse_value("12,00", "integer")) is int
    assert parse_value("6,5", "float") == 6.5
    assert parse_value(7, "float") == 7.0 and type(parse_value(7, "float")) is float
    with pytest.raises(Refused, match=r"'6,5' is not a whole number \(attribute type integer\)"):
        parse_value("6,5", "integer")
    with pytest.raises(Refused, match="unknown attribute type 'geld'"):
        parse_value("6", "geld")


@pytest.mark.parametrize(("raw", "type_"), [
    ("1.065.000", "integer"), ("6,5", "float"), ("12,00", "integer"), ("ja", "boolean"), ("nee", "boolean"),
    ("2025-03-12", "date"), ("12-03-2025", "date"), ("Noord-Brabant", "text"), (True, "boolean"), (4, "integer"),
    (2.5, "float"), (date(2025, 1, 1), "date"),
])
def test_infer_type(raw, type_):
    assert infer_type(raw) == type_


# --- typed storage -------------------------------------------------------------------------------

def test_values_are_stored_in_their_typed_columns(engine):
    setup_project(engine)
    with write_session(engine) as s:
        project = get_project(s, "Attributen")
        case = get_case(s, project, "Grenzeloos")
        set_attribute(s, project, case, "members", "1.065.000")
        set_attribute(s, project, case, "budget", "6,5")
        set_attribute(s, project, case, "cross-border", "ja")
        set_attribute(s, project, case, "founded", "12-03-2019")
        set_attribute(s, project, case, "country", "NL/DE")
        set_attribute(s, project, case, "sector", "zorg", type_="category")
    columns = ("value_text", "value_bool", "value_int", "value_float", "value_date")
    expected = {
        "members": ("value_int", 1065000), "budget": ("value_float", 6.5), "cross-border": ("value_bool", True),
        "founded": ("value_date", date(2019, 3, 12)), "country": ("value_text", "NL/DE"),
        "sector": ("value_text", "zorg"),
    }
    for name, (column, value) in expected.items():
        row = typed_value(engine, "Grenzeloos", name)
        assert getattr(row, column) == value, name
        assert type(getattr(row, column)) is type(value), name
        assert all(getattr(row, c) is None for c in columns if c != column), name
    with read_session(engine) as s:
        types = {d.name: d.type for d in list_definitions(s, get_project(s, "Attributen"), "case")}
        assert types == {"members": "integer", "budget": "float", "cross-border": "boolean", "founded": "date",
                         "country": "text", "sector": "category"}
        assert s.scalar(select(AttributeValue.value_int).where(AttributeValue.value_int == 1065000)) == 1065000


def test_setting_again_replaces_the_value_and_type_is_fixed_by_the_definition(engine):
    setup_project(engine)
    with write_session(engine) as s:
        project = get_project(s, "Attributen")
        case = get_case(s, project, "Grenzeloos")
        set_attribute(s, project, case, "members", "97")
        set_attribute(s, project, case, "members", "1.065")
    assert typed_value(engine, "Grenzeloos", "members").value_int == 1065
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AttributeValue)) == 1
    before = row_counts(engine)
    with pytest.raises(Refused, match="attribute 'members' is of type integer, not text"):
        with write_session(engine) as s:
            project = get_project(s, "Attributen")
            set_attribute(s, project, get_case(s, project, "Grenzeloos"), "members", "veel", type_="text")
    with pytest.raises(Refused, match=r"'veel' is not a number \(attribute type integer\)"):
        with write_session(engine) as s:
            project = get_project(s, "Attributen")
            set_attribute(s, project, get_case(s, project, "Stedenband"), "members", "veel")
    assert row_counts(engine) == before


def test_attributes_on_documents_and_persons(engine):
    setup_project(engine)
    with write_session(engine) as s:
        project = get_project(s, "Attributen")
        document = s.scalar(select(Document))
        set_attribute(s, project, document, "co-interviewer present", "nee")
        set_attribute(s, project, get_person(s, project, "Anja Hoekstra"), "country of residence", "NL")
        set_attribute(s, project, get_person(s, project, "Anja Hoekstra"), "country of work", "DE")
        # the same name on another kind of entity is another definition
        set_attribute(s, project, get_case(s, project, "Grenzeloos"), "country of work", "NL")
    assert typed_value(engine, "hoekstra", "co-interviewer present").value_bool is False
    assert typed_value(engine, "Anja Hoekstra", "country of work").value_text == "DE"
    with read_session(engine) as s:
        project = get_project(s, "Attributen")
        persons = attribute_values(s, project, "person")
        anja = get_person(s, project, "Anja Hoekstra")
        assert persons == {anja.id: {"country of residence": "NL", "country of work": "DE"}}
        assert len(list_definitions(s, project)) == 4


def test_large_integers_survive_on_both_databases(engine):
    """A yearly turnover of 3,2 billion euro is an ordinary integer attribute."""
    setup_project(engine)
    with write_session(engine) as s:
        project = get_project(s, "Attributen")
        set_attribute(s, project, get_case(s, project, "Grenzeloos"), "turnover", "3.200.000.000")
    assert typed_value(engine, "Grenzeloos", "turnover").value_int == 3_200_000_000


# --- filtering in SQL ----------------------------------------------------------------------------

def test_filters_run_in_sql_on_typed_columns(engine):
    setup_project(engine, cases=("A", "B", "C", "D"))
    data = {"A": ("12", "6,5", "ja", "2001-05-01"), "B": ("97", "1,5", "nee", "12-03-2019"),
            "C": ("1.065", "10,25", "ja", "01.01.2023"), "D": ("-3", "0,5", "nee", "2024-12-31")}
    with write_session(engine) as s:
        project = get_project(s, "Attributen")
        for name, (members, budget, active, founded) in data.items():
            case = get_case(s, project, name)
            set_attribute(s, project, case, "members", members)
            set_attribute(s, project, case, "budget", budget, type_="float")
            set_attribute(s, project, case, "active", active)
            set_attribute(s, project, case, "founded", founded)

    def cases_where(session, attribute, condition):  # type: ignore[no-untyped-def]
        stmt = (
            select(Case.name)
            .join(AttributeValue, AttributeValue.case_id == Case.id)
            .join(AttributeDefinition, AttributeDefinition.id == AttributeValue.definition_id)
            .where(AttributeDefinition.name == attribute, condition)
            .order_by(Case.name)
        )
        return list(session.scalars(stmt))

    with read_session(engine) as s:
        assert cases_where(s, "members", AttributeValue.value_int > 50) == ["B", "C"]
        assert cases_where(s, "members", AttributeValue.value_int < 0) == ["D"]
        assert cases_where(s, "budget", AttributeValue.value_float >= 6.5) == ["A", "C"]
        assert cases_where(s, "active", AttributeValue.value_bool.is_(True)) == ["A", "C"]
        assert cases_where(s, "founded", AttributeValue.value_date >= date(2019, 1, 1)) == ["B", "C", "D"]
        total = s.scalar(select(func.sum(AttributeValue.value_int)).join(AttributeDefinition)
                         .where(AttributeDefinition.name == "members"))
        assert total == 12 + 97 + 1065 - 3


# --- spreadsheet import --------------------------------------------------------------------------

def test_csv_sheet_semicolons_dutch_numbers_cp1252(engine):
    setup_project(engine)
    sheet = (
        "case;leden;omzet;actief;opgericht;regio\r\n"
        "Grenzeloos;1.065;6,5;ja;12-03-2019;Fryslân / België\r\n"
        "Stedenband;97;12,00;nee;2021-09-01;Zuid-Limburg\r\n"
        "Vitaal Verder;;1.250,75;ja;;Twente\r\n"
    ).encode("cp1252")
    with write_session(engine) as s:
        result = import_attribute_sheet(s, get_project(s, "Attributen"), "case", "cases.csv", sheet)
    assert (result.rows, result.values) == (3, 13)
    assert result.types == {"leden": "integer", "omzet": "float", "actief": "boolean", "opgericht": "date",
                            "regio": "text"}
    assert typed_value(engine, "Grenzeloos", "leden").value_int == 1065
    assert typed_value(engine, "Stedenband", "omzet").value_float == 12.0
    assert typed_value(engine, "Vitaal Verder", "omzet").value_float == 1250.75
    assert typed_value(engine, "Stedenband", "actief").value_bool is False
    assert typed_value(engine, "Grenzeloos", "opgericht").value_date == date(2019, 3, 12)
    assert typed_value(engine, "Grenzeloos", "regio").value_text == "Fryslân / België"
    with read_session(engine) as s:
        # empty cells write nothing
        names = {d.id: d.name for d in list_definitions(s, get_project(s, "Attributen"))}
        vitaal = get_case(s, get_project(s, "Attributen"), "Vitaal Verder")
        stored = [names[v.definition_id] for v in s.scalars(select(AttributeValue).where(
            AttributeValue.case_id == vitaal.id))]
        assert sorted(stored) == ["actief", "omzet", "regio"]


def test_csv_sheet_utf8_with_bom_and_commas_for_persons(engine):
    setup_project(engine)
    sheet = "\ufeffname,role,age,country of residence\nJürgen Müller,bestuurder,58,DE\nAnja Hoekstra,lid,41,NL\n"
    with write_session(engine) as s:
        result = import_attribute_sheet(s, get_project(s, "Attributen"), "person", "persons.csv",
                                        sheet.encode("utf-8"))
    assert result.types == {"role": "text", "age": "integer", "country of residence": "text"}
    assert typed_value(engine, "Jürgen Müller", "age").value_int == 58
    assert typed_value(engine, "Jürgen Müller", "role").value_text == "bestuurder"


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_sheet_with_native_and_textual_cells(engine):
    setup_project(engine)
    data = _xlsx([
        ["Case", "members", "share", "active", "founded", "turnover text", "note"],
        ["Grenzeloos", 97, 0.25, True, datetime(2019, 3, 12), "1.065.000", "grensregio"],
        ["Stedenband", 1065, 6.5, False, datetime(2021, 9, 1), "2.500", None],
    ])
    with write_session(engine) as s:
        result = import_attribute_sheet(s, get_project(s, "Attributen"), "case", "cases.xlsx", data)
    assert result.types == {"members": "integer", "share": "float", "active": "boolean", "founded": "date",
                            "turnover text": "integer", "note": "text"}
    assert (result.rows, result.values) == (2, 11)
    assert typed_value(engine, "Grenzeloos", "turnover text").value_int == 1065000
    assert typed_value(engine, "Stedenband", "share").value_float == 6.5
    assert typed_value(engine, "Stedenband", "active").value_bool is False
    assert typed_value(engine, "Grenzeloos", "founded").value_date == date(2019, 3, 12)
    assert typed_value(engine, "Stedenband", "members").value_int == 1065


def _with_saved_values(data: bytes, values: dict[str, str]) -> bytes:
    """The workbook as a spreadsheet program saves it: each formula cell also holds its computed value."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode("utf-8")
                for cell, value in values.items():
                    text = re.sub(rf'(<c r="{cell}"[^>]*>.*?)<v></v>', rf"\g<1><v>{value}</v>", text)
                content = text.encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def test_xlsx_formulas_are_read_as_their_saved_values_or_refused_by_cell(engine):
    setup_project(engine)
    written = _xlsx([["Case", "members", "note"], ["Grenzeloos", "=40+2", "x"], ["Stedenband", 7, "y"]])
    before = row_counts(engine)
    with write_session(engine) as s, pytest.raises(Refused) as refused:
        import_attribute_sheet(s, get_project(s, "Attributen"), "case", "cases.xlsx", written)
    assert str(refused.value) == ("cases.xlsx: cell B2 holds the formula =40+2 without a saved value; open and save "
                                  "the sheet in a spreadsheet program, or type the value")
    assert row_counts(engine) == before  # never read as empty: nothing written
    with write_session(engine) as s:
        result = import_attribute_sheet(s, get_project(s, "Attributen"), "case", "cases.xlsx",
                                        _with_saved_values(written, {"B2": "42"}))
    assert (result.rows, result.values) == (2, 4)
    assert typed_value(engine, "Grenzeloos", "members").value_int == 42


def test_a_csv_cell_over_the_field_limit_is_refused_in_one_line(engine):
    setup_project(engine)
    data = ("case;note\nGrenzeloos;" + "x" * 200_000 + "\n").encode()
    with write_session(engine) as s, pytest.raises(Refused, match=r"^cases.csv: not a readable CSV sheet \(field "
                                                                   r"larger than field limit \(131072\)\)$"):
        import_attribute_sheet(s, get_project(s, "Attributen"), "case", "cases.csv", data)


def test_xlsx_sheet_for_documents_by_title(engine):
    setup_project(engine)
    data = _xlsx([["document", "pages", "co-interviewer"], ["hoekstra", 3, "ja"]])
    with write_session(engine) as s:
        import_attribute_sheet(s, get_project(s, "Attributen"), "document", "docs.xlsx", data)
    assert typed_value(engine, "hoekstra", "pages").value_int == 3
    assert typed_value(engine, "hoekstra", "co-interviewer").value_bool is True


def test_unknown_entities_refused_naming_the_rows_and_nothing_written(engine):
    setup_project(engine)
    before = row_counts(engine)
    sheet = "case;leden\nGrenzeloos;12\nOnbekend netwerk;5\nStedenband;7\nNog een;3\n".encode()
    with pytest.raises(Refused) as info:
        with write_session(engine) as s:
            import_attribute_sheet(s, get_project(s, "Attributen"), "case", "cases.csv", sheet)
    message = str(info.value)
    assert message.startswith("cases.csv: no case named ")
    assert "row 3: 'Onbekend netwerk'" in message and "row 5: 'Nog een'" in message
    assert "Grenzeloos" not in message
    assert row_counts(engine) == before


def test_type_conflict_refused_naming_row_and_column_and_nothing_written(engine):
    setup_project(engine)
    with write_session(engine) as s:
        project = get_project(s, "Attributen")
        set_attribute(s, project, get_case(s, project, "Grenzeloos"), "leden", "12")
    before = row_counts(engine)
    sheet = "case;regio;leden\nGrenzeloos;Noord;1.065\nStedenband;Zuid;veel\nVitaal Verder;Oost;5\n".encode()
    with pytest.raises(Refused) as info:
        with write_session(engine) as s:
            import_attribute_sheet(s, get_project(s, "Attributen"), "case", "cases.csv", sheet)
    message = str(info.value)
    assert "cases.csv: row 3, column 'leden'" in message
    assert "'veel' is not a number" in message
    assert row_counts(engine) == before
    assert typed_value(engine, "Grenzeloos", "leden").value_int == 12  # row 2 was not written either


def test_bad_sheets_refused(engine):
    setup_project(engine)
    before = row_counts(engine)
    for filename, data, message in [
        ("cases.csv", b"case;leden\n", "needs a header row and at least one data row"),
        ("cases.csv", "case;;leden\nGrenzeloos;1;2\n".encode(), "every column needs a name"),
        ("cases.ods", b"x", "attribute sheets must be .csv or .xlsx"),
        ("cases.xlsx", b"this is not a zip file", "not a readable .xlsx file"),
    ]:
        with pytest.raises(Refused, match=message):
            with write_session(engine) as s:
                import_attribute_sheet(s, get_project(s, "Attributen"), "case", filename, data)
    assert row_counts(engine) == before


def test_a_sheet_is_one_event_with_every_value_it_set_and_replaced(engine):
    setup_project(engine)
    with write_session(engine) as s:
        import_attribute_sheet(s, get_project(s, "Attributen"), "case", "eerst.csv",
                               b"case;members\nGrenzeloos;97\n")
    with read_session(engine) as s:
        before = s.scalar(select(func.count()).select_from(Event))
    with write_session(engine) as s:
        import_attribute_sheet(s, get_project(s, "Attributen"), "case", "cases.csv",
                               b"case;members;region\nGrenzeloos;98;Twente\nStedenband;1065;Gelderland\n")
    with read_session(engine) as s:
        events = s.scalars(select(Event).where(Event.id > 0).order_by(Event.id)).all()[before:]
        guids = {c.name: str(c.guid) for c in s.scalars(select(Case))}
    assert [(e.action, e.entity) for e in events] == [("create", "attribute_definition"),
                                                      ("import", "attribute_sheet")]
    sheet = events[-1]
    assert sheet.after["set"] == {"members": {guids["Grenzeloos"]: 98, guids["Stedenband"]: 1065},
                                  "region": {guids["Grenzeloos"]: "Twente", guids["Stedenband"]: "Gelderland"}}
    assert sheet.before == {"replaced": {"members": {guids["Grenzeloos"]: 97}}}
    assert typed_value(engine, "Grenzeloos", "members").value_int == 98


def test_a_sheet_naming_an_entity_twice_is_refused_with_the_rows(engine):
    setup_project(engine)
    before = row_counts(engine)
    with write_session(engine) as s, pytest.raises(Refused, match=r"^twice.csv: one row per case; named twice in "
                                                                  r"rows 2 and 4: 'Grenzeloos'$"):
        import_attribute_sheet(s, get_project(s, "Attributen"), "case", "twice.csv",
                               b"case;members\nGrenzeloos;1\nStedenband;2\nGrenzeloos;3\n")
    assert row_counts(engine) == before


def _events(engine, entity):  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return list(s.scalars(select(Event).where(Event.entity == entity).order_by(Event.id)))


def test_a_sheet_in_steps_writes_each_part_in_its_own_transaction_with_its_own_event(engine):
    setup_project(engine, cases=[f"Netwerk {n:02d}" for n in range(7)])
    with write_session(engine) as s:
        set_attribute(s, get_project(s, "Attributen"), get_case(s, get_project(s, "Attributen"), "Netwerk 03"),
                      "leden", "12")
    sheet = "case;leden;regio\n" + "".join(f"Netwerk {n:02d};{n * 10 + 1};R{n}\n" for n in range(7))
    with read_session(engine) as s:
        guid = str(get_project(s, "Attributen").guid)
    steps = []
    result = import_attribute_sheet_in_steps(engine, guid, "case", "netwerken.csv", sheet.encode(), actor="Sanne",
                                             rows_per_step=3, on_step=lambda done, of: steps.append((done, of)))
    assert (result.rows, result.values) == (7, 14)
    assert steps == [(3, 7), (6, 7), (7, 7)]
    assert [typed_value(engine, f"Netwerk {n:02d}", "leden").value_int for n in range(7)] == [1, 11, 21, 31, 41, 51, 61]
    parts = _events(engine, "attribute_sheet")
    assert [(e.after["part"], e.after["parts"], e.after["rows"], e.actor) for e in parts] == [
        (1, 3, 3, "Sanne"), (2, 3, 3, "Sanne"), (3, 3, 1, "Sanne")]
    assert len({e.entity_guid for e in parts}) == 1  # one sheet
    assert parts[1].before == {"replaced": {"leden": {typed_value_owner(engine, "Netwerk 03"): 12}}}
    assert sum(len(e.after["set"]["regio"]) for e in parts) == 7


def typed_value_owner(engine, case_name):  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return str(get_case(s, get_project(s, "Attributen"), case_name).guid)


def test_an_interrupted_sheet_takes_back_what_it_wrote_but_not_what_someone_changed_meanwhile(engine):
    setup_project(engine, cases=[f"Netwerk {n:02d}" for n in range(6)])
    with write_session(engine) as s:
        project = get_project(s, "Attributen")
        set_attribute(s, project, get_case(s, project, "Netwerk 01"), "leden", "5")
        guid = str(project.guid)
    before = row_counts(engine)
    sheet = "case;leden;regio\n" + "".join(f"Netwerk {n:02d};{n * 10 + 1};R{n}\n" for n in range(6))

    def someone_then_stop(done, of):  # type: ignore[no-untyped-def]
        with write_session(engine) as s:  # a colleague corrects a value the sheet set, between two parts
            project = get_project(s, "Attributen")
            set_attribute(s, project, get_case(s, project, "Netwerk 00"), "regio", "Twente", actor="Joost")
        raise KeyboardInterrupt  # the import is interrupted (as a page rerun interrupts it)

    with pytest.raises(KeyboardInterrupt):
        import_attribute_sheet_in_steps(engine, guid, "case", "netwerken.csv", sheet.encode(), rows_per_step=2,
                                        on_step=someone_then_stop)
    assert typed_value(engine, "Netwerk 01", "leden").value_int == 5  # the replaced value is back
    assert typed_value(engine, "Netwerk 00", "regio").value_text == "Twente"  # Joost's change stays
    with read_session(engine) as s:
        names = {d.name for d in list_definitions(s, get_project(s, "Attributen"))}
    assert names == {"leden", "regio"}  # 'regio' kept: Joost gave it a value
    after = row_counts(engine)
    assert after["attribute_value"] == before["attribute_value"] + 1  # only Joost's
    revert = _events(engine, "attribute_sheet")[-1]
    assert (revert.action, revert.after["removed"], revert.after["restored"], revert.after["changed_since"]) == (
        "revert", 2, 1, 1)


def test_a_sheet_refused_in_steps_writes_nothing(engine):
    setup_project(engine)
    before = row_counts(engine)
    with read_session(engine) as s:
        guid = str(get_project(s, "Attributen").guid)
    with pytest.raises(Refused, match="row 3: 'Nergens'"):
        import_attribute_sheet_in_steps(engine, guid, "case", "c.csv", b"case;leden\nGrenzeloos;3\nNergens;4\n",
                                        rows_per_step=1)
    assert row_counts(engine) == before
