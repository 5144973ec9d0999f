"""The adilet reader on fixtures that reproduce the real markup (notes §1.2-1.14)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from atop_pipeline.sources.readers import SourceReading, read_source, reading_row

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sources"
Z_URL = "http://adilet.zan.kz/rus/docs/Z1400000246"


def read(name: str, url: str, headers: dict[str, str] | None = None) -> SourceReading:
    return read_source(url, (FIXTURES / name).read_bytes(), headers or {"Content-Type": "text/html; charset=utf-8"},
                       snapshot_id="snap-1")


@pytest.fixture
def ratification_new() -> SourceReading:
    return read("adilet_Z1400000246_rus_status_new.html", Z_URL)


@pytest.fixture
def repealed_order() -> SourceReading:
    return read("adilet_V1600014606_rus_status_yts.html", "https://adilet.zan.kz/rus/docs/V1600014606")


def test_adilet_host_dispatches_to_the_adilet_reader(ratification_new: SourceReading) -> None:
    assert ratification_new.reader == "adilet"
    assert ratification_new.snapshot_id == "snap-1"


def test_status_new_ratification_law_is_in_force(ratification_new: SourceReading) -> None:
    assert (ratification_new.status_class, ratification_new.status_norm) == ("status_new", "in_force")


def test_ratification_law_subject_is_the_ratifying_act(ratification_new: SourceReading) -> None:
    assert ratification_new.subject == "ratifying_act"


def test_title_comes_from_the_slogan_h1(ratification_new: SourceReading) -> None:
    assert ratification_new.title.startswith("О ратификации Договора между Республикой Казахстан")


def test_act_date_and_number_come_from_the_requisites_sentence(ratification_new: SourceReading) -> None:
    assert ratification_new.act_date == dt.date(2014, 12, 2)
    assert ratification_new.act_number == "246-V ЗРК"


def test_treaty_entry_into_force_footnote_is_read(ratification_new: SourceReading) -> None:
    assert ratification_new.entry_into_force_date == dt.date(2014, 12, 21)


def test_treaty_text_about_intention_to_terminate_is_not_a_denunciation(ratification_new: SourceReading) -> None:
    # Article 30's "намерении прекратить действие" is the renewal clause, not a termination.
    assert ratification_new.denunciation is False


def test_footer_as_of_date_is_the_source_as_of(ratification_new: SourceReading) -> None:
    assert ratification_new.source_as_of == dt.date(2026, 10, 1)


def test_language_comes_from_the_url_path(ratification_new: SourceReading) -> None:
    assert ratification_new.language == "ru"


def test_dates_mentioned_are_iso_json(ratification_new: SourceReading) -> None:
    assert json.loads(ratification_new.dates_json) == ["2013-11-11", "2014-12-02", "2014-12-21"]


def test_notice_banner_chrome_does_not_change_the_text_hash(ratification_new: SourceReading) -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes()
    other = body.replace("Информируем о переходе".encode(), "Сообщаем о переходе".encode())
    assert other != body
    assert read_source(Z_URL, other).text_sha256 == ratification_new.text_sha256


def test_status_upd_is_in_force() -> None:
    r = read("adilet_V1600014592_rus_status_upd.html", "https://adilet.zan.kz/rus/docs/V1600014592")
    assert (r.status_class, r.status_norm) == ("status_upd", "in_force")
    assert (r.act_date, r.act_number) == (dt.date(2016, 12, 23), "525")


def test_status_yts_is_not_in_force(repealed_order: SourceReading) -> None:
    assert (repealed_order.status_class, repealed_order.status_norm) == ("status_yts", "not_in_force")


def test_repeal_date_is_the_repealing_acts_date(repealed_order: SourceReading) -> None:
    assert repealed_order.repeal_date == dt.date(2025, 6, 10)


def test_repeal_without_a_concrete_effective_date_leaves_it_empty(repealed_order: SourceReading) -> None:
    # «вводится в действие по истечении десяти календарных дней …» names no date.
    assert repealed_order.repeal_effective_date is None
    assert "по истечении десяти календарных дней" in repealed_order.evidence_text


def test_repeal_effective_date_is_read_from_the_parentheses() -> None:
    r = read("adilet_Z1400000246_rus_status_yts_synthetic.html", Z_URL)
    assert r.repeal_date == dt.date(2021, 1, 2)
    assert r.repeal_effective_date == dt.date(2021, 7, 1)


def test_act_number_of_a_repealed_order_is_its_own_not_the_repealing_one(repealed_order: SourceReading) -> None:
    assert (repealed_order.act_date, repealed_order.act_number) == (dt.date(2016, 12, 26), "688")


def test_html_entities_in_title_are_unescaped(repealed_order: SourceReading) -> None:
    assert '"Об утверждении перечня' in repealed_order.title


def test_status_err_on_old_host_is_in_force() -> None:
    r = read("adilet_K1500000375_rus_status_err_old.html", "https://old.adilet.zan.kz/rus/docs/K1500000375")
    assert (r.status_class, r.status_norm) == ("status_err", "in_force")
    assert (r.act_date, r.act_number) == (dt.date(2015, 10, 29), "375-V ЗРК")


def test_kazakh_repealed_page_is_read() -> None:
    r = read("adilet_V1600014606_kaz_status_yts.html", "https://adilet.zan.kz/kaz/docs/V1600014606")
    assert (r.language, r.status_norm) == ("kk", "not_in_force")
    assert "Күшін жойған" in r.evidence_text
    assert (r.act_date, r.act_number) == (dt.date(2016, 12, 26), "688")
    assert r.repeal_date == dt.date(2025, 6, 10)


def test_english_updated_page_with_unofficial_translation_badge() -> None:
    r = read("adilet_Z050000054__eng_status_upd.html", "https://adilet.zan.kz/eng/docs/Z050000054_")
    assert (r.language, r.status_class, r.status_norm) == ("en", "status_upd", "in_force")
    assert r.title == "On International Treaties of the Republic of Kazakhstan"
    assert (r.act_date, r.act_number) == (dt.date(2005, 5, 30), "54")


def test_page_without_status_badge_is_unknown_not_in_force() -> None:
    r = read("adilet_no_status.html", "https://adilet.zan.kz/rus/docs/V1600014592")
    assert (r.status_class, r.status_norm) == (None, "unknown")


def test_badge_disagreeing_with_body_class_is_unknown() -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes()
    body = body.replace(b"container_gamma text text_new", b"container_gamma text text_yts")
    r = read_source(Z_URL, body)
    assert (r.status_class, r.status_norm) == ("status_new", "unknown")
    assert "disagrees" in r.evidence_text


def test_badge_label_disagreeing_with_class_is_unknown() -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes()
    body = body.replace("status_new\">Новый".encode(), "status_new\">Утративший силу".encode())
    assert read_source(Z_URL, body).status_norm == "unknown"


def test_unrecognised_status_class_is_unknown() -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes()
    body = body.replace(b"status_new", b"status_arc").replace(b"text_new", b"text_arc")
    r = read_source(Z_URL, body)
    assert (r.status_class, r.status_norm) == ("status_arc", "unknown")


def test_spa_shell_reads_as_unknown_with_its_seo_title() -> None:
    r = read("adilet_spa_shell.html", Z_URL)
    assert (r.reader, r.status_norm, r.subject) == ("adilet", "unknown", "unknown")
    assert r.title.startswith("О ратификации Договора")
    assert "JavaScript shell" in r.evidence_text


def test_links_page_with_denunciation_act_referring_to_the_law_shows_denunciation() -> None:
    r = read("adilet_Z1400000246_rus_links_denunciation_synthetic.html",
             "https://old.adilet.zan.kz/rus/docs/Z1400000246/links")
    assert r.denunciation is True
    assert "О денонсации Договора" in r.evidence_text


def test_denunciation_law_title_is_a_denunciation_sign() -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes()
    body = body.replace("О ратификации Договора".encode(), "О денонсации Договора".encode())
    assert read_source(Z_URL, body).denunciation is True


def test_kazakh_termination_title_is_a_denunciation_sign() -> None:
    body = (FIXTURES / "adilet_V1600014606_kaz_status_yts.html").read_bytes()
    body = body.replace("өзгеріс енгізу туралы</h1>".encode(), "күшін жою туралы</h1>".encode())
    r = read_source("https://adilet.zan.kz/kaz/docs/V1600014606", body)
    assert r.denunciation is True


def test_operative_denounce_paragraph_is_a_denunciation_sign() -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes()
    body = body.replace("Ратифицировать Договор".encode(), "Денонсировать Договор".encode())
    assert read_source(Z_URL, body).denunciation is True


def test_cp1251_page_without_charset_is_decoded_correctly() -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_cp1251_nocharset.html").read_bytes()
    assert b"charset" not in body
    r = read_source(Z_URL, body, {"Content-Type": "text/html"})
    assert r.title.startswith("О ратификации Договора")
    assert (r.status_norm, r.act_number) == ("in_force", "246-V ЗРК")


def test_cp1251_page_behind_an_iso_8859_1_header_is_not_mojibake() -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_cp1251_nocharset.html").read_bytes()
    r = read_source(Z_URL, body, {"Content-Type": "text/html; charset=ISO-8859-1"})
    assert r.title.startswith("О ратификации")


def test_crlf_and_tab_indented_fixtures_keep_their_quirks() -> None:
    assert b"\r\n" in (FIXTURES / "adilet_V1600014606_rus_status_yts.html").read_bytes()
    assert b"\n\t\t\t\t<div class=\"container_alpha slogan\">" in (
        FIXTURES / "adilet_K1500000375_rus_status_err_old.html"
    ).read_bytes()


def test_reading_row_is_json_safe(repealed_order: SourceReading) -> None:
    row = reading_row(repealed_order)
    assert row["repeal_date"] == "2025-06-10"
    json.dumps(row)


def test_footnote_repealing_one_paragraph_is_not_a_repeal_of_the_act() -> None:
    body = (FIXTURES / "adilet_V1600014592_rus_status_upd.html").read_bytes()
    body = body.replace(
        "Сноска. Пункт 1 с изменением, внесенным".encode(),
        "Сноска. Пункт 2 утратил силу приказом Министра национальной экономики РК от 01.02.2018 № 5; пункт 1 с изменением, внесенным".encode(),
    )
    r = read_source("https://adilet.zan.kz/rus/docs/V1600014592", body)
    assert (r.status_norm, r.repeal_date) == ("in_force", None)


@pytest.mark.parametrize(
    ("footnote", "expected"),
    [
        ("(2013 жылғы 30 шілдеде күшіне енді - Қазақстан Республикасының халықаралық шарттары бюллетені, 2013 ж., № 6, 57-құжат)",
         dt.date(2013, 7, 30)),
        ("*(Entered into force on July 28, 2001 - Bulletin of International Treaties of the Republic of Kazakhstan, 2002, No. 2, art. 27)",
         dt.date(2001, 7, 28)),
        ("(Official website of the Ministry of Foreign Affairs of the Republic of Kazakhstan - Entered into force on 18.11.1997)",
         dt.date(1997, 11, 18)),
        ("(Вступило в силу 5 марта 2015 года - Бюллетень международных договоров РК, 2015 г., № 3, ст. 20)",
         dt.date(2015, 3, 5)),
    ],
)
def test_entry_into_force_footnote_forms_are_read(footnote: str, expected: dt.date) -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes()
    old = "(Вступил в силу 21 декабря 2014 года - Бюллетень международных договоров РК, 2015 г., № 1, ст. 2)"
    assert old.encode() in body
    assert read_source(Z_URL, body.replace(old.encode(), footnote.encode())).entry_into_force_date == expected


def test_kazakh_repeal_with_a_concrete_effective_date() -> None:
    body = (FIXTURES / "adilet_V1600014606_kaz_status_yts.html").read_bytes()
    body = body.replace(
        "(алғашқы ресми жарияланған күнінен кейін күнтізбелік он күн өткен соң қолданысқа енгізіледі)".encode(),
        "(2025 жылғы 1 шілдеден бастап қолданысқа енгізіледі)".encode(),
    )
    r = read_source("https://adilet.zan.kz/kaz/docs/V1600014606", body)
    assert (r.repeal_date, r.repeal_effective_date) == (dt.date(2025, 6, 10), dt.date(2025, 7, 1))


def test_truncated_page_still_gives_its_header() -> None:
    body = (FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes()
    cut = body[: body.index(b"<article>") + 200]
    r = read_source(Z_URL, cut)
    assert (r.status_class, r.status_norm, r.act_number) == ("status_new", "in_force", "246-V ЗРК")


@pytest.mark.parametrize("body", [b"", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", bytes(range(256)) * 40])
def test_non_html_bytes_read_as_unknown_without_raising(body: bytes) -> None:
    r = read_source(Z_URL, body)
    assert r.status_norm == "unknown"


def test_info_page_gives_the_adoption_date_from_the_requisites_table() -> None:
    r = read("adilet_Z1400000246_rus_info_reconstructed.html", "https://old.adilet.zan.kz/rus/docs/Z1400000246/info")
    assert r.act_date == dt.date(2014, 12, 2)
    assert "Дата принятия акта: 02.12.2014" in r.evidence_text
    assert "НЕТ" not in r.evidence_text


def test_info_page_badge_without_body_class_is_unknown() -> None:
    # /info repeats the badge but has no text_* body to cross-check it with: unknown, never in force.
    r = read("adilet_Z1400000246_rus_info_reconstructed.html", "https://old.adilet.zan.kz/rus/docs/Z1400000246/info")
    assert (r.status_class, r.status_norm) == ("status_new", "unknown")
