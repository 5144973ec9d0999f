"""adilet URL handling: parsing, normalisation, fallback to old.adilet.zan.kz, SPA-shell detection."""

from __future__ import annotations

from pathlib import Path

from atop_pipeline.sources.adilet_urls import (
    document_key,
    fallback_urls,
    is_spa_shell,
    normalize_adilet_url,
    parse_adilet_url,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sources"


def test_cited_http_url_is_parsed_into_language_and_id() -> None:
    ref = parse_adilet_url("http://adilet.zan.kz/rus/docs/Z1400000246")
    assert ref is not None
    assert (ref.host, ref.lang, ref.doc_id, ref.view) == ("adilet.zan.kz", "rus", "Z1400000246", "")


def test_trailing_underscore_is_kept_as_part_of_the_id() -> None:
    assert normalize_adilet_url("http://adilet.zan.kz/eng/docs/Z050000054_") == (
        "https://adilet.zan.kz/eng/docs/Z050000054_"
    )


def test_normalisation_drops_www_trailing_slash_and_fragment() -> None:
    assert normalize_adilet_url("http://www.adilet.zan.kz/rus/docs/Z1400000246/links/#to") == (
        "https://adilet.zan.kz/rus/docs/Z1400000246/links"
    )


def test_old_host_stays_old_host_when_normalised() -> None:
    assert normalize_adilet_url("http://old.adilet.zan.kz/kaz/docs/V1600014606") == (
        "https://old.adilet.zan.kz/kaz/docs/V1600014606"
    )


def test_other_hosts_are_not_adilet() -> None:
    assert parse_adilet_url("https://treaties.un.org/Pages/showDetails.aspx?objid=1") is None
    assert parse_adilet_url("https://adilet.zan.kz.evil.example/rus/docs/Z1") is None


def test_fallback_for_russian_page_is_the_same_path_on_the_old_host() -> None:
    assert fallback_urls("http://adilet.zan.kz/rus/docs/Z1400000246") == [
        "https://old.adilet.zan.kz/rus/docs/Z1400000246"
    ]


def test_fallback_for_kazakh_page_adds_the_russian_page_on_the_old_host() -> None:
    assert fallback_urls("https://adilet.zan.kz/kaz/docs/V1600014606/info") == [
        "https://old.adilet.zan.kz/kaz/docs/V1600014606/info",
        "https://old.adilet.zan.kz/rus/docs/V1600014606/info",
    ]


def test_old_host_russian_page_has_no_fallback() -> None:
    assert fallback_urls("https://old.adilet.zan.kz/rus/docs/Z1400000246") == []


def test_fallback_keeps_an_explicit_port_and_scheme() -> None:
    assert fallback_urls("http://adilet.zan.kz:8123/rus/docs/Z1400000246") == [
        "http://old.adilet.zan.kz:8123/rus/docs/Z1400000246"
    ]


def test_document_key_is_shared_by_hosts_schemes_and_languages() -> None:
    keys = {
        document_key("http://adilet.zan.kz/rus/docs/Z1400000246"),
        document_key("https://old.adilet.zan.kz/rus/docs/Z1400000246/"),
        document_key("https://adilet.zan.kz/kaz/docs/Z1400000246"),
    }
    assert keys == {"adilet:Z1400000246:docs:"}


def test_spa_shell_fixture_is_detected() -> None:
    body = (FIXTURES / "adilet_spa_shell.html").read_bytes()
    assert 1000 < len(body) < 2000
    assert is_spa_shell(body)


def test_rendered_document_is_not_a_shell() -> None:
    assert not is_spa_shell((FIXTURES / "adilet_Z1400000246_rus_status_new.html").read_bytes())


def test_large_page_with_root_div_and_no_slogan_is_a_shell() -> None:
    body = b'<html><body><div id="root"></div>' + b"<script>x</script>" * 1000 + b"</body></html>"
    assert len(body) > 5 * 1024
    assert is_spa_shell(body)


def test_small_page_with_slogan_is_not_a_shell() -> None:
    body = '<div class="container_alpha slogan"><h1>Закон</h1></div>'.encode()
    assert not is_spa_shell(body)
