"""Charset detection: header, <meta>, BOM, detector - and never the ISO-8859-1 default."""

from __future__ import annotations

import pytest

from atop_pipeline.sources.http import detect_encoding
from tests.sources.server import Reply

# Tests here use a loopback server; a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

RUSSIAN = (
    "<html><head><title>О ратификации Договора между Республикой Казахстан и Российской Федерацией"
    "</title></head><body><h1>О ратификации Договора между Республикой Казахстан и Российской Федерацией "
    "о военном сотрудничестве</h1><p>Ратифицировать Договор между Республикой Казахстан и Российской "
    "Федерацией о военном сотрудничестве, совершенный в Екатеринбурге 11 ноября 2013 года.</p>"
    "<p>Президент Республики Казахстан</p></body></html>"
)


def test_cp1251_page_without_charset_header_is_detected_as_windows_1251(server, make_fetcher):
    server.route("/ips", Reply(200, RUSSIAN.encode("cp1251"), {"Content-Type": "text/html"}))

    outcome = make_fetcher().fetch(server.url("/ips"))

    assert outcome.outcome == "ok"
    assert outcome.encoding == "windows-1251"
    assert outcome.body.decode(outcome.encoding) == RUSSIAN


def test_header_charset_is_used_when_present(server, make_fetcher):
    server.route("/u", Reply(200, RUSSIAN.encode("utf-8"), {"Content-Type": "text/html; charset=UTF-8"}))

    outcome = make_fetcher().fetch(server.url("/u"))

    assert outcome.encoding == "utf-8"


def test_meta_charset_is_used_when_the_header_is_silent():
    body = ('<html><head><meta charset="windows-1251"></head><body>' + "Закон" + "</body></html>").encode("cp1251")

    assert detect_encoding(body, "text/html") == "windows-1251"


def test_http_equiv_meta_is_understood():
    body = b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>' + "Договор".encode("koi8-r")

    assert detect_encoding(body, "text/html") == "koi8-r"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("\ufeffЗакон".encode("utf-8"), "utf-8-sig"),
        ("\ufeffЗакон".encode("utf-16-le"), "utf-16"),
    ],
)
def test_byte_order_mark_decides(body, expected):
    assert detect_encoding(body, "text/html; charset=windows-1251") == expected
    assert body.decode(expected) == "Закон"


def test_a_declared_latin1_header_does_not_garble_a_cyrillic_page():
    # Old Apache servers send charset=ISO-8859-1 for every page; the bytes say otherwise.
    body = RUSSIAN.encode("cp1251")

    assert detect_encoding(body, "text/html; charset=ISO-8859-1") == "windows-1251"


def test_unknown_header_charset_falls_through_to_detection():
    body = RUSSIAN.encode("utf-8")

    assert detect_encoding(body, "text/html; charset=x-no-such-charset") == "utf-8"


def test_empty_body_has_no_encoding():
    assert detect_encoding(b"", "text/html") is None


def test_binary_documents_get_no_encoding(server, make_fetcher):
    server.route("/doc.pdf", Reply(200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", {"Content-Type": "application/pdf"}))

    outcome = make_fetcher().fetch(server.url("/doc.pdf"))

    assert outcome.outcome == "ok"
    assert outcome.encoding is None


@pytest.mark.parametrize("codec", ["cp1251", "koi8-r"])
def test_short_cyrillic_pages_are_not_mistaken_for_other_scripts(codec):
    text = "<p>Утративший силу</p>"
    body = text.encode(codec)

    encoding = detect_encoding(body, "text/html")

    assert body.decode(encoding) == text


def test_western_page_with_a_few_accents_is_not_turned_into_cyrillic():
    body = ("<html><body><p>The treaty of alliance was signed at Versailles; the délégués "
            "agreed to renew it every five years unless denounced.</p></body></html>").encode("cp1252")

    encoding = detect_encoding(body, "text/html")

    assert encoding not in ("windows-1251", "koi8-r")
    assert "délégués" in body.decode(encoding)
