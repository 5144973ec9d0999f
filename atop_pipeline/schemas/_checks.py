"""Shared pieces of the warehouse schemas: row-level check registry, date and band rules, COW list."""

from __future__ import annotations

import calendar
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pandera.pandas as pa

#: The codebook's one member without a COW country code. Codebook 5.1, footnote 18: "ATOPID 1320
#: is an alliance between France and Annam. Annam is a member of the state-system according to
#: Gleditsch and Ward, but not according to COW, and thus has no 3 digit COW country code." The
#: published member-level file codes Annam as 8152.
NON_COW_MEMBER_CODES: frozenset[int] = frozenset({8152})

#: ATOPID bands (codebook 5.1, section 2.31): "Identifying codes are assigned chronologically".
#: (first id, last id, first year, last year) -- "4000-7999: Alliances formed in 1990 or thereafter".
ATOPID_BANDS: tuple[tuple[int, int, int, int | None], ...] = (
    (1000, 1999, 1815, 1913),
    (2000, 2999, 1914, 1944),
    (3000, 3999, 1945, 1989),
    (4000, 7999, 1990, None),
)


@dataclass(frozen=True)
class RowCheck:
    """A check across several columns of one row: which columns it reads and which question it tests."""

    name: str
    columns: tuple[str, ...]
    question: int | None
    description: str


#: Every registered row check by name, so a failure can be reported with its columns and question.
ROW_CHECKS: dict[str, RowCheck] = {}


def row_check(
    name: str, columns: tuple[str, ...], *, question: int | None = None, description: str = ""
) -> Callable:
    """Decorator: a pandera dataframe check returning one boolean per row, registered by name."""
    ROW_CHECKS[name] = RowCheck(name, columns, question, description)

    def decorate(fn: Callable) -> Any:
        return pa.dataframe_check(fn, name=name)

    return decorate


def load_cow_codes() -> frozenset[int]:
    """The COW country codes from the bundled state list (atop_pipeline/reference/cow_states.csv)."""
    text = (Path(__file__).parents[1] / "reference" / "cow_states.csv").read_text("utf-8")
    return frozenset(int(row["CCode"]) for row in csv.DictReader(io.StringIO(text)))


COW_CODES: frozenset[int] = load_cow_codes()


def _int(value: object) -> int | None:
    """An integer, or None for a missing value."""
    if value is None or value is pd.NA:
        return None
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):
        pass
    return int(value)  # type: ignore[call-overload]


def date_exists(year: object, month: object, day: object, *, zero_means_open: bool) -> bool:
    """True if (year, month, day) is a real date; a missing day (or month and day) is allowed.

    With `zero_means_open`, 0/0/0 is the codebook's "still in force" end date.
    """
    y, m, d = _int(year), _int(month), _int(day)
    if y is None:
        return m is None and d is None
    if zero_means_open and y == 0:
        return m in (0, None) and d in (0, None)
    if m is None:
        return d is None
    if not 1 <= m <= 12:
        return False
    if d is None:
        return True
    return 1 <= d <= calendar.monthrange(y, m)[1]


def date_bounds(year: object, month: object, day: object) -> tuple[tuple[int, int, int], tuple[int, int, int]] | None:
    """Earliest and latest concrete (y, m, d) a partial date can mean; None if no year or open (0)."""
    y, m, d = _int(year), _int(month), _int(day)
    if y is None or y == 0:
        return None
    if m is None or not 1 <= m <= 12:
        return (y, 1, 1), (y, 12, 31)
    last = calendar.monthrange(y, m)[1]
    if d is None or not 1 <= d <= last:
        return (y, m, 1), (y, m, last)
    return (y, m, d), (y, m, d)


def not_after(begin: tuple[object, object, object], end: tuple[object, object, object]) -> bool:
    """True unless the begin date is certainly after the end date (partial dates read leniently)."""
    b, e = date_bounds(*begin), date_bounds(*end)
    if b is None or e is None:
        return True
    return b[0] <= e[1]


def band_matches(atopid: object, year: object) -> bool:
    """True if the signature year lies in the ATOPID's band (missing values are not judged here)."""
    a, y = _int(atopid), _int(year)
    if a is None or y is None:
        return True
    for first, last, y0, y1 in ATOPID_BANDS:
        if first <= a <= last:
            return y >= y0 and (y1 is None or y <= y1)
    return True  # out-of-range ids are the range check's failure, not this one


def rows(df: pd.DataFrame, fn: Callable[..., bool], *columns: str) -> pd.Series:
    """Apply `fn` to the given columns of every row; a boolean Series aligned to df."""
    if df.empty:
        return pd.Series([], dtype=bool, index=df.index)
    values = zip(*(df[c].tolist() for c in columns))
    return pd.Series([bool(fn(*v)) for v in values], index=df.index, dtype=bool)
