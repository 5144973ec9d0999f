"""read_sheet on .txt bytes: BOMs, UTF-16 without BOM, UTF-8, cp1252 vs cp1251, mixed files, binary."""

from __future__ import annotations

import hashlib
import os
import random

import pytest

from atop_pipeline.codesheets.encoding import choose_legacy_codec
from atop_pipeline.codesheets.reading import SheetReadError, read_sheet

# Short English answers with typographic punctuation: the case charset detectors get wrong.
WESTERN = (
    "1. ATOP ID: 6070\n"
    "6. Means by which alliance was established: (Only select “treaty” if the agreement requires ratification.)\n"
    "Treaty — signed by both parties; the ‘Agreement’ – in force.\n"
)
CYRILLIC = (
    "1. ATOP ID: 6070\n"
    "Статья 30 — «Настоящее Соглашение заключается сроком на 5 лет».\n"
    "Договор между Республикой Казахстан и Российской Федерацией о военном сотрудничестве\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        pytest.param(WESTERN.encode("utf-8"), "utf-8", id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + WESTERN.encode("utf-8"), "utf-8-sig", id="utf-8-bom"),
        pytest.param(b"\xff\xfe" + WESTERN.encode("utf-16-le"), "utf-16-le", id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff" + WESTERN.encode("utf-16-be"), "utf-16-be", id="utf-16-be-bom"),
        pytest.param(WESTERN.encode("utf-16-le"), "utf-16-le", id="utf-16-le-no-bom"),
        pytest.param(WESTERN.encode("utf-16-be"), "utf-16-be", id="utf-16-be-no-bom"),
        pytest.param(b"\xff\xfe\x00\x00" + WESTERN.encode("utf-32-le"), "utf-32-le", id="utf-32-le-bom"),
        pytest.param(WESTERN.encode("cp1252"), "cp1252", id="cp1252"),
    ],
)
def test_western_text_survives_every_encoding(data: bytes, encoding: str) -> None:
    sheet = read_sheet(data, "sheets/a.txt")
    assert sheet.encoding == encoding
    assert sheet.text == WESTERN.rstrip("\n")
    assert sheet.kind == "txt"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        pytest.param(CYRILLIC.encode("utf-8"), "utf-8", id="utf-8"),
        pytest.param(CYRILLIC.encode("cp1251"), "cp1251", id="cp1251"),
        pytest.param(b"\xff\xfe" + CYRILLIC.encode("utf-16-le"), "utf-16-le", id="utf-16-le-bom"),
        pytest.param(CYRILLIC.encode("utf-16-le"), "utf-16-le", id="utf-16-le-no-bom"),
        pytest.param(CYRILLIC.encode("utf-16-be"), "utf-16-be", id="utf-16-be-no-bom"),
    ],
)
def test_cyrillic_text_survives_every_encoding(data: bytes, encoding: str) -> None:
    sheet = read_sheet(data, "sheets/ru.txt")
    assert sheet.encoding == encoding
    assert sheet.text == CYRILLIC.rstrip("\n")


def test_cp1252_curly_quotes_and_dashes_are_decoded_from_their_bytes() -> None:
    data = b"Answer: \x93treaty\x94 \x97 the \x91Parties\x92 \x96 both.\n"
    sheet = read_sheet(data, "a.txt")
    assert sheet.encoding == "cp1252"
    assert sheet.lines == ("Answer: “treaty” — the ‘Parties’ – both.",)


def test_cp1252_accented_western_names_are_not_taken_for_cyrillic() -> None:
    text = "Signed at Bogotá by Müller, Grüße to Curaçao; the “Pacto” — São Tomé, Français.\n"
    sheet = read_sheet(text.encode("cp1252"), "a.txt")
    assert sheet.encoding == "cp1252"
    assert sheet.text == text.rstrip("\n")


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Treaty “text” — yes.", "cp1252"),
        ("Müller", "cp1252"),
        ("plain ascii", "cp1252"),
        ("Договор", "cp1251"),
        ("Статья 5: «Стороны» — да.", "cp1251"),
        ("Да.", "cp1251"),
        ("Kazakhstan (Казахстан), Russia (Россия)", "cp1251"),
        ("Grüße aus Köln", "cp1252"),
        ("élégant déjà vu", "cp1252"),
        ("MÜLLER ÉCOLE", "cp1252"),
        ("Grüße", "cp1252"),  # as many paired as ASCII-touching letters: charset-normalizer decides
    ],
)
def test_choose_legacy_codec_decides_by_letter_runs(text: str, codec: str) -> None:
    assert choose_legacy_codec(text.encode(codec)) == codec


def test_mostly_utf8_file_with_a_stray_cp1252_line_is_decoded_line_by_line() -> None:
    good = "Section 30 — “This Agreement is concluded”.\n" * 3
    data = good.encode("utf-8") + "Coder said \x93no\x94.\n".encode("latin-1") + good.encode("utf-8")
    sheet = read_sheet(data, "mixed.txt")
    assert sheet.encoding == "utf-8"
    assert sheet.lines[3] == "Coder said “no”."
    assert sheet.lines[0] == "Section 30 — “This Agreement is concluded”."
    assert "line 4 decoded as cp1252" in sheet.notes


def test_mixed_file_line_notes_count_crlf_lines_like_an_editor() -> None:
    data = "ok “a”\r\n".encode("utf-8") * 2 + b"bad \x96 dash\r\n" + "ok “b”\r\n".encode("utf-8")
    sheet = read_sheet(data, "mixed.txt")
    assert sheet.lines == ("ok “a”", "ok “a”", "bad – dash", "ok “b”")
    assert sheet.notes == ("line 3 decoded as cp1252",)


def test_utf8_bom_file_with_stray_cp1252_bytes_is_still_read() -> None:
    data = b"\xef\xbb\xbf" + "“a”\n".encode("utf-8") * 2 + b"\x93b\x94\n"
    sheet = read_sheet(data, "mixed.txt")
    assert sheet.encoding == "utf-8-sig"
    assert sheet.lines == ("“a”", "“a”", "“b”")
    assert "line 3 decoded as cp1252" in sheet.notes


def test_utf8_bom_is_not_left_in_the_first_line() -> None:
    sheet = read_sheet(b"\xef\xbb\xbf1. ATOP ID: 6070\n", "a.txt")
    assert sheet.lines == ("1. ATOP ID: 6070",)


def test_sha256_and_size_describe_the_raw_bytes() -> None:
    data = WESTERN.encode("utf-16-le")
    sheet = read_sheet(data, "a.txt")
    assert sheet.sha256 == hashlib.sha256(data).hexdigest()
    assert sheet.size == len(data)


def test_utf16_with_odd_trailing_byte_is_read_with_a_note() -> None:
    data = b"\xff\xfe" + "1. ATOP ID: 6070\n".encode("utf-16-le") + b"\x00"
    sheet = read_sheet(data, "a.txt")
    assert sheet.lines == ("1. ATOP ID: 6070",)
    assert any("trailing byte" in note for note in sheet.notes)


def test_a_few_stray_control_characters_are_removed_with_a_note() -> None:
    data = b"1. ATOP ID: 6070\x1a\n2. COW Alliance #: N/A\n" + b"x" * 1000 + b"\n"
    sheet = read_sheet(data, "a.txt")
    assert sheet.lines[0] == "1. ATOP ID: 6070"
    assert "removed 1 control character(s)" in sheet.notes


# -- what is not text -------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


@pytest.mark.parametrize(
    ("data", "error", "phrase"),
    [
        pytest.param(PNG, "binary_not_text", "is a PNG image, not a text codesheet", id="png"),
        pytest.param(b"\xff\xd8\xff\xe0" + bytes(200), "binary_not_text", "JPEG image", id="jpeg"),
        pytest.param(b"PK\x03\x04" + bytes(100), "binary_not_text", "ZIP archive", id="docx-or-zip"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "binary_not_text", "Microsoft Office", id="doc"),
        pytest.param(b"{\\rtf1\\ansi 1. ATOP ID: 6070}", "binary_not_text", "RTF document", id="rtf"),
        pytest.param(b"abc\x00def\x00" * 50 + b"\x00\x00\x00\x00", "binary_not_text", "NUL bytes", id="nul-heavy"),
        pytest.param(random.Random(7).randbytes(4000), "binary_not_text", "binary data", id="random-garbage"),
        pytest.param(os.urandom(0), "empty_file", "is empty", id="empty"),
        pytest.param(b"  \r\n\t\n   ", "empty_file", "only whitespace", id="whitespace-only"),
        pytest.param(b"\xef\xbb\xbf", "empty_file", "only whitespace", id="bom-only"),
        pytest.param(b"\xff\xfe" + "ok\n".encode("utf-16-le") + b"\x00\xd8\x41\x00", "undecodable", "UTF-16", id="utf16-lone-surrogate"),
    ],
)
def test_unreadable_bytes_raise_sheet_read_error(data: bytes, error: str, phrase: str) -> None:
    with pytest.raises(SheetReadError) as caught:
        read_sheet(data, "codesheets/foo.txt")
    sheet_error = caught.value.error
    assert sheet_error.error == error
    assert sheet_error.stage == "read"
    assert sheet_error.source_file == "codesheets/foo.txt"
    assert sheet_error.sha256 == hashlib.sha256(data).hexdigest()
    assert str(caught.value) == sheet_error.message
    assert sheet_error.message.startswith("codesheets/foo.txt: ")
    assert phrase in sheet_error.message


def test_png_renamed_txt_message_names_the_file_and_format() -> None:
    with pytest.raises(SheetReadError) as caught:
        read_sheet(PNG, "codesheets/foo.txt")
    assert str(caught.value) == "codesheets/foo.txt: file is a PNG image, not a text codesheet"


def test_random_garbage_is_never_returned_as_text() -> None:
    rng = random.Random(2024)
    for _ in range(30):
        data = rng.randbytes(rng.randint(200, 3000))
        with pytest.raises(SheetReadError) as caught:
            read_sheet(data, "g.txt")
        assert caught.value.error.error in {"binary_not_text", "undecodable"}
