"""CSV writing checks its cells for formulas a column at a time, with shortcuts for text
that starts harmlessly and for phone numbers: whatever the cells, the bytes are those of
`neutralise(cell_text(value))` cell by cell."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_desktop.exchange import tabular

# The characters the shortcuts look at, and the separator they join cells with.
_TRICKY = "+-=@'\t\r\n\x1f0123456789 ()./,;a\""
text_cells = st.one_of(
    st.text(alphabet=_TRICKY, max_size=14),
    st.from_regex(r"\+[0-9 ()./-]{0,14}", fullmatch=True),  # phone numbers, or almost
    st.from_regex(r"[+-][0-9]{1,4}([.,][0-9]{1,3})?", fullmatch=True),  # signed figures
    st.text(max_size=6),
)
any_cells = st.one_of(
    text_cells,
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
)


def naive(headers: list[str], rows: list[list[Any]]) -> bytes:
    """What the writer is to write: each cell on its own."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([tabular.neutralise(h) for h in headers])
    writer.writerows([tabular.neutralise(tabular.cell_text(v)) for v in row] for row in rows)
    return b"\xef\xbb\xbf" + text.getvalue().encode("utf-8")


def written(headers: list[str], rows: list[list[Any]]) -> bytes:
    stream = io.BytesIO()
    assert tabular.write_csv(stream, headers, rows) == len(rows)
    return stream.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(text_cells, min_size=3, max_size=3), min_size=1, max_size=12))
def test_rows_of_text_are_written_as_each_cell_alone_would_be(rows: list[list[Any]]) -> None:
    headers = ["=a", "b", "+c"]
    assert written(headers, rows) == naive(headers, rows)
    columns = [list(column) for column in zip(*rows, strict=True)]
    stream = io.BytesIO()
    assert tabular.write_csv_columns(stream, headers, [columns]) == len(rows)
    assert stream.getvalue() == naive(headers, rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(any_cells, min_size=0, max_size=4), min_size=1, max_size=8))
def test_rows_of_any_values_and_lengths(rows: list[list[Any]]) -> None:
    assert written(["x"], rows) == naive(["x"], rows)


def test_a_column_of_phone_numbers_is_left_as_it_is_but_arithmetic_is_not() -> None:
    rows = [["+49 30 1234567"], ["+1 (555) 010-0000"], [""], ["0221 12"], ["-12.5"]]
    assert written(["Phone"], rows) == naive(["Phone"], rows)
    assert b"'" not in written(["Phone"], rows)
    for risky in ("+49 30 1", "+1+1", "-2+3", "+49 30 1234567\n=1", "'=x"):
        out = written(["Phone"], [*rows, [risky]])
        assert out == naive(["Phone"], [*rows, [risky]])
        assert ("'" + risky).encode() in out.replace(b'"', b"")


def test_many_rows_in_batches() -> None:
    rows = [
        [f"+49 30 {n:08d}", "=x" if n == 5000 else "", dt.date(2026, 1, 1)] for n in range(9000)
    ]
    assert written(["a", "b", "c"], rows) == naive(["a", "b", "c"], rows)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(text_cells, st.text(alphabet="\x00\x01\x0b=a", max_size=4)),
            min_size=2,
            max_size=2,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_workbook_rows_are_each_cell_alone(rows: list[list[Any]]) -> None:
    expected = [[tabular._xlsx_text(tabular.cell_text(v)) for v in row] for row in rows]
    assert [list(row) for row in tabular._xlsx_rows(rows)] == expected


def test_a_workbook_cell_too_long_is_cut() -> None:
    rows = [["x" * 40_000, "ok"], ["=1", "ok"]]
    written = [list(row) for row in tabular._xlsx_rows(rows)]
    assert written == [["x" * 32_767, "ok"], ["'=1", "ok"]]
