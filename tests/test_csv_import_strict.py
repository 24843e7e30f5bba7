"""CSV import never changes data silently: every row that does not parse
exactly is refused with its line number, and nothing is imported."""

import pytest
import sqlalchemy as sa

from publishing.csv_import import MAX_FIELD_CHARS, CsvImportError, import_csv
from store.schema import scheduled_posts as sp
from tests.actors import ANA

T0 = 1_800_000_000
HEADER = "channel,text,scheduled_at\n"
GOOD = "x,First post,2030-01-01 09:00\n"


def refused(db, data) -> list[str]:
    with pytest.raises(CsvImportError) as caught:
        import_csv(db, data, "UTC", ANA, T0)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sp)).scalar() == 0, "something was imported"
    return caught.value.problems


def test_an_unquoted_comma_is_refused_not_cut(db):
    problems = refused(db, (HEADER + GOOD + "x,Big sale,today only,2030-01-01 10:00\n").encode())
    assert problems == [
        "line 3: 4 fields but the header has 3 columns "
        "(an unquoted comma? put a field that holds a comma in double quotes)"
    ]


def test_a_row_with_fields_missing_is_refused(db):
    assert refused(db, HEADER + "x,hello\n") == ["line 2: 2 fields but the header has 3 columns"]


def test_a_quoted_comma_is_kept_whole(db):
    assert import_csv(db, (HEADER + 'x,"Big sale, today only",2030-01-01 09:00\n').encode(), "UTC", ANA, T0) == 1
    with db.connect() as conn:
        assert conn.execute(sa.select(sp.c.text)).scalar() == "Big sale, today only"


def test_a_column_named_twice_is_refused(db):
    assert refused(db, "channel,text,scheduled_at,text\nx,a,2030-01-01 09:00,b\n") == [
        "line 1: column 'text' appears 2 times"
    ]


def test_nul_bytes_are_refused_with_their_line(db):
    assert refused(db, (HEADER + GOOD + "x,a\x00b,2030-01-01 09:00\n").encode()) == [
        "line 3: contains a NUL byte (a binary or UTF-16 file?); nothing was imported"
    ]


def test_latin1_is_named_with_its_line(db):
    data = (HEADER + GOOD + "x,Café ouvert,2030-01-01 09:00\n").encode("latin-1")
    [problem] = refused(db, data)
    assert problem.startswith("line 3: not UTF-8: byte 0xE9")
    assert "Latin-1/Windows-1252" in problem and "Café ouvert" in problem


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-16-be", None), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_are_named(db, encoding, name):
    data = (HEADER + GOOD).encode(encoding)
    if encoding == "utf-16-be":  # no byte order mark
        [problem] = refused(db, data)
        assert "UTF-16" in problem and problem.startswith("line 1")
    else:
        assert refused(db, data) == [
            f"line 1: the file is {name} (it starts with a {name} byte order mark); save it as CSV UTF-8"
        ]


def test_a_utf8_byte_order_mark_is_accepted(db):
    assert import_csv(db, ("\ufeff" + HEADER + GOOD).encode(), "UTC", ANA, T0) == 1


@pytest.mark.parametrize("size", [MAX_FIELD_CHARS + 1, 200_000])
def test_a_field_over_the_cap_is_refused_with_its_line(db, size):
    [problem] = refused(db, (HEADER + GOOD + "slack," + "a" * size + ",2030-01-01 09:00\n").encode())
    assert problem.startswith("line 3: ") and f"at most {MAX_FIELD_CHARS:,}" in problem
