"""The generic and UN Treaty Collection readers, and the charset chain every reader shares."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from atop_pipeline.sources.readers import decode_body, read_source
from atop_pipeline.sources.readers.generic import guess_language

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sources"


def test_unknown_host_gets_the_generic_reader_with_unknown_status() -> None:
    r = read_source("https://avalon.law.yale.edu/20th_century/nato.asp",
                    (FIXTURES / "generic_avalon_like.html").read_bytes())
    assert (r.reader, r.status_norm, r.subject) == ("generic", "unknown", "unknown")


def test_generic_reader_keeps_title_language_dates_and_hash() -> None:
    r = read_source("https://avalon.law.yale.edu/20th_century/nato.asp",
                    (FIXTURES / "generic_avalon_like.html").read_bytes())
    assert r.title == "The Avalon Project : North Atlantic Treaty; April 4, 1949"
    assert r.language == "en"
    assert json.loads(r.dates_json) == ["1949-04-04"]
    assert len(r.text_sha256) == 64


def test_generic_reader_never_reads_denunciation_from_treaty_text() -> None:
    # The NATO text speaks of "notice of denunciation" as a clause; that is not a denunciation event.
    r = read_source("https://avalon.law.yale.edu/20th_century/nato.asp",
                    (FIXTURES / "generic_avalon_like.html").read_bytes())
    assert r.denunciation is False


def test_generic_reader_takes_h1_when_there_is_no_title() -> None:
    r = read_source("https://example.org/t", "<html lang='kk'><body><h1>Шарт</h1></body></html>".encode())
    assert (r.title, r.language) == ("Шарт", "kk")


def test_language_heuristics_tell_kazakh_from_russian() -> None:
    assert guess_language("Қазақстан Республикасының халықаралық шарттары туралы заң және басқа құжаттар") == "kk"
    assert guess_language("О международных договорах Республики Казахстан и других документах") == "ru"


def test_untc_record_gives_title_registration_and_entry_into_force() -> None:
    r = read_source("https://treaties.un.org/Pages/showDetails.aspx?objid=08000002800a1c2b",
                    (FIXTURES / "untc_showDetails_reconstructed.html").read_bytes())
    assert r.reader == "untc"
    assert r.title.startswith("Agreement between the Government of the Republic of Kazakhstan")
    assert (r.act_number, r.act_date) == ("43425", dt.date(2007, 3, 5))
    assert r.entry_into_force_date == dt.date(2007, 1, 14)
    assert (r.subject, r.status_norm) == ("treaty", "unknown")


def test_decoding_prefers_bom_over_header() -> None:
    text, codec = decode_body("\ufeffПривет".encode("utf-8"), {"Content-Type": "text/html; charset=windows-1251"})
    assert (text, codec) == ("Привет", "utf-8-sig")


def test_decoding_uses_meta_charset_when_header_is_silent() -> None:
    body = '<html><head><meta charset="windows-1251"></head><body>Договор о дружбе</body></html>'.encode("cp1251")
    text, _ = decode_body(body, {"Content-Type": "text/html"})
    assert "Договор о дружбе" in text


def test_utf8_bytes_behind_a_windows_1251_header_are_not_mojibake() -> None:
    body = "<p>Утратил силу</p>".encode("utf-8")
    text, codec = decode_body(body, {"Content-Type": "text/html; charset=windows-1251"})
    assert (text, codec) == ("<p>Утратил силу</p>", "utf-8")


def test_real_windows_1251_bytes_behind_their_header_are_decoded_as_declared() -> None:
    body = "<p>Утратил силу</p>".encode("cp1251")
    text, _ = decode_body(body, {"Content-Type": "text/html; charset=windows-1251"})
    assert text == "<p>Утратил силу</p>"


def test_decoding_utf8_body_without_any_declaration() -> None:
    text, codec = decode_body("<p>Жаңа</p>".encode("utf-8"), None)
    assert (text, codec) == ("<p>Жаңа</p>", "utf-8")
