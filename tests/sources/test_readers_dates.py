"""Dates as the sources write them: Russian, Kazakh, English and numeric."""

from __future__ import annotations

import datetime as dt

import pytest

from atop_pipeline.sources.readers.dates import find_dates, first_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Кодекс Республики Казахстан от 29 октября 2015 года № 375-V ЗРК.", dt.date(2015, 10, 29)),
        ("Утратило силу постановлением … от 07 июля 2016 года № 125", dt.date(2016, 7, 7)),
        ("от 3 мая 2014 г.", dt.date(2014, 5, 3)),
        ("от 1 марта 2020 года", dt.date(2020, 3, 1)),
        ("Утратил силу … от 10.06.2025 № 293", dt.date(2025, 6, 10)),
        ("Қаржы министрінің 2025 жылғы 10 маусымдағы № 293 бұйрығымен", dt.date(2025, 6, 10)),
        ("(2013 жылғы 30 шілдеде күшіне енді - бюллетені)", dt.date(2013, 7, 30)),
        ("2016 жылғы 26 желтоқсандағы № 688 бұйрығы", dt.date(2016, 12, 26)),
        ("The Law of the Republic of Kazakhstan dated 30 May 2005 No. 54.", dt.date(2005, 5, 30)),
        ("dated June 29, 2020", dt.date(2020, 6, 29)),
        ("Entered into force on 18.11.1997", dt.date(1997, 11, 18)),
        ("versionDate 2018-01-01", dt.date(2018, 1, 1)),
    ],
)
def test_first_date_is_read(text: str, expected: dt.date) -> None:
    assert first_date(text) == expected


def test_impossible_day_is_not_a_date() -> None:
    assert first_date("от 31.02.2015 № 1") is None


def test_dates_come_back_in_text_order() -> None:
    text = "Утратил силу … от 2 января 2021 года № 400-VI (вводится в действие с 1 июля 2021 года)."
    assert [f.date for f in find_dates(text)] == [dt.date(2021, 1, 2), dt.date(2021, 7, 1)]


def test_act_number_with_dots_is_not_a_date() -> None:
    assert first_date("№ 1.2.2015.7") is None
