"""A generator of hostile and broken codesheet inputs, each with the outcome the pipeline must record.

`write_hostile_corpus(folder)` writes a batch folder: a few good sheets (the real 6070 sheet and two
variants from tests/fixtures/sheets/) plus one file per hostile case, and returns the cases. Each
case says what must become of it after one ingest of the whole folder:

- ``Expect.error(stage, error)``: a row in ``ingest_errors`` for that file with that stage and error
  name (several acceptable names may be given), and none of its rows in the main tables;
- ``Expect.warning(substring)``: the sheet is loaded and its ``warnings_json`` mentions the substring;
- ``Expect.loaded()``: the sheet is loaded (good sheets, awkward file names).

The suite grows by adding a `_case_*` function to `CASE_BUILDERS`. Everything is written under the
folder given (and, for the symlink case, a sibling "outside" folder the caller owns); nothing is
downloaded, nothing large is committed (the 50 MB file is generated here).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sheets"
REPO = Path(__file__).resolve().parents[2]
REAL_6070 = REPO / "data" / "codesheets" / "codesheet_6070.txt"

#: Good sheets loaded with every hostile batch: (file name in the batch, fixture path, ATOP ID).
GOOD_SHEETS: tuple[tuple[str, Path, int], ...] = (
    ("good/codesheet_6070.txt", REAL_6070, 6070),
    ("good/variant_3180_nato.txt", FIXTURES / "variant_3180_nato.txt", 3180),
    ("good/variant_4678_central_america.txt", FIXTURES / "variant_4678_central_america.txt", 4678),
)

#: Size of the generated over-size text file (the reader's default cap is 20 MB).
BIG_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Expect:
    """What one input must end as after an ingest."""

    kind: str  # "error" | "warning" | "loaded"
    stage: str | None = None
    errors: tuple[str, ...] = ()  # acceptable `ingest_errors.error` names (any one)
    warning: str | None = None  # substring of one of the loaded sheet's warnings
    atopid: int | None = None  # for loaded/warning: the ATOP ID that must be current

    @classmethod
    def error(cls, stage: str, *errors: str) -> Expect:
        """A row in ingest_errors at `stage` with one of `errors` as its error name."""
        return cls("error", stage=stage, errors=tuple(errors))

    @classmethod
    def warned(cls, atopid: int, warning: str) -> Expect:
        """Loaded as ATOP `atopid`, with a warning containing `warning`."""
        return cls("warning", atopid=atopid, warning=warning)

    @classmethod
    def loaded(cls, atopid: int) -> Expect:
        """Loaded as the current version of ATOP `atopid`."""
        return cls("loaded", atopid=atopid)


@dataclass(frozen=True)
class HostileCase:
    """One input file of the hostile batch and what must become of it."""

    name: str
    path: Path  # where it was written
    source_file: str  # the name the pipeline records (relative to the batch folder)
    expect: Expect
    note: str = ""
    extra_paths: tuple[Path, ...] = field(default=())  # files written outside the batch folder
    known_gap: str = ""  # non-empty: the pipeline does not meet `expect` yet (the test is a strict xfail)


def base_6070() -> str:
    """The real 6070 sheet as text."""
    return REAL_6070.read_text(encoding="utf-8")


def with_atopid(text: str, atopid: int) -> str:
    """The sheet with its ATOP ID (Q1) replaced."""
    replaced = text.replace("1. ATOP ID: 6070", f"1. ATOP ID: {atopid}", 1)
    assert replaced != text, "the base sheet no longer has '1. ATOP ID: 6070'"
    return replaced


def _replace_once(text: str, old: str, new: str) -> str:
    replaced = text.replace(old, new, 1)
    assert replaced != text, f"the base sheet no longer contains {old!r}"
    return replaced


def _write(folder: Path, rel: str, data: bytes | str) -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def _pdf_bytes(lines: list[str], *, password: str | None = None) -> bytes:
    """A small text PDF (fpdf2), optionally encrypted with pypdf."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for line in lines:
        pdf.cell(0, 5, line.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    data = bytes(pdf.output())
    if password is None:
        return data
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _png_bytes() -> bytes:
    """A real 1x1 PNG."""
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


# --------------------------------------------------------------------------------------------------
# The cases. Each builder writes its file(s) and returns the case(s).

Builder = Callable[[Path, Path], "list[HostileCase]"]


def _case_empty(folder: Path, outside: Path) -> list[HostileCase]:
    rel = "hostile/empty.txt"
    return [HostileCase("empty file", _write(folder, rel, b""), rel, Expect.error("read", "empty_file"))]


def _case_binary_garbage(folder: Path, outside: Path) -> list[HostileCase]:
    import random

    rng = random.Random(7)
    data = bytes(rng.getrandbits(8) for _ in range(64 * 1024))
    rel = "hostile/garbage.txt"
    return [HostileCase("binary garbage", _write(folder, rel, data), rel,
                        Expect.error("read", "binary_not_text"))]


def _case_png_as_txt(folder: Path, outside: Path) -> list[HostileCase]:
    rel = "hostile/picture.txt"
    return [HostileCase("PNG renamed .txt", _write(folder, rel, _png_bytes() * 50), rel,
                        Expect.error("read", "binary_not_text"))]


def _case_truncated(folder: Path, outside: Path) -> list[HostileCase]:
    # The first ~8 % of a real sheet (questions 1-7): has an ATOP ID, most questions missing.
    text = with_atopid(base_6070(), 6081)
    rel = "hostile/truncated_6081.txt"
    return [HostileCase("truncated sheet", _write(folder, rel, text[: len(text) // 12]), rel,
                        Expect.error("parse", "too_few_questions"))]


def _case_big(folder: Path, outside: Path) -> list[HostileCase]:
    rel = "hostile/huge.txt"
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    line = b"1. ATOP ID: 6082 lorem ipsum dolor sit amet " * 2 + b"\n"
    with open(path, "wb") as handle:
        written = 0
        block = line * (1024 * 1024 // len(line) + 1)
        while written < BIG_FILE_BYTES:
            handle.write(block)
            written += len(block)
    return [HostileCase("50 MB text file", path, rel, Expect.error("read", "file_too_large"))]


def _case_conflicting_versions(folder: Path, outside: Path) -> list[HostileCase]:
    # Two different sheets claiming the same ATOP ID in ONE batch. Neither can be "the" current version
    # on evidence the batch holds, so both must be held back with a clear conflict error (the alliance
    # keeps whatever version it had before); see docs/reliability.md.
    first = with_atopid(base_6070(), 6083)
    second = _replace_once(first, "Public.\n", "Public but with secret articles.\n")
    cases = []
    for rel, text in (("hostile/conflict_a_6083.txt", first), ("hostile/conflict_b_6083.txt", second)):
        cases.append(HostileCase("conflicting versions of one ATOP ID", _write(folder, rel, text), rel,
                                 Expect.error("validate", "one_current_version_per_alliance")))
    return cases


def _case_duplicate_question(folder: Path, outside: Path) -> list[HostileCase]:
    text = with_atopid(base_6070(), 6084)
    dup = "5. Was the alliance signed during war? If so, which war, and which member(s) was at war? (check COW data)\nNo.\n\n"
    text = _replace_once(text, "6. Means by which", dup + "6. Means by which")
    rel = "hostile/duplicate_q5_6084.txt"
    return [HostileCase("duplicate question numbers", _write(folder, rel, text), rel,
                        Expect.warned(6084, "appears more than once"), note="a warning on the record, per issue 2")]


def _case_all_questions_missing(folder: Path, outside: Path) -> list[HostileCase]:
    text = "ALLIANCE TREATY OBLIGATIONS AND PROVISIONS (ATOP) CODING SHEET\n\nNotes on a treaty, no questions.\n" * 20
    rel = "hostile/no_questions.txt"
    return [HostileCase("all questions missing", _write(folder, rel, text), rel,
                        Expect.error("parse", "no_atop_id"))]


def _case_impossible_date(folder: Path, outside: Path) -> list[HostileCase]:
    text = with_atopid(base_6070(), 6085)
    text = _replace_once(text, "November 11, 2013", "February 30, 2013")
    rel = "hostile/february_30_6085.txt"
    return [HostileCase("impossible date (February 30)", _write(folder, rel, text), rel,
                        Expect.warned(6085, "impossible date 'February 30, 2013'"),
                        note="loaded: the date is left missing (never guessed) and the sheet carries a warning")]


def _case_unknown_cow(folder: Path, outside: Path) -> list[HostileCase]:
    text = with_atopid(base_6070(), 6086)
    text = _replace_once(text, "Russia (365)", "Atlantis (999)")
    rel = "hostile/unknown_cow_6086.txt"
    return [HostileCase("unknown COW code", _write(folder, rel, text), rel,
                        Expect.error("validate", "member_in_cow_list"))]


def _case_absurd_numbers(folder: Path, outside: Path) -> list[HostileCase]:
    cases = []
    text = with_atopid(base_6070(), 6087)
    text = _replace_once(text, "concluded for a period of 5 years", "concluded for a period of -5 years")
    rel = "hostile/negative_term_6087.txt"
    cases.append(HostileCase("negative term length", _write(folder, rel, text), rel,
                             Expect.warned(6087, "-5")))
    text = base_6070().replace("1. ATOP ID: 6070", "1. ATOP ID: 99999999999999999999", 1)
    rel = "hostile/absurd_atopid.txt"
    cases.append(HostileCase("absurd ATOP ID", _write(folder, rel, text), rel,
                             Expect.error("parse", "no_atop_id"),
                             note="the message names the rejected value and the valid range"))
    text = with_atopid(base_6070(), 6088)
    text = _replace_once(text, "November 11, 2013", "November 11, 20130")
    rel = "hostile/year_20130_6088.txt"
    cases.append(HostileCase("absurd year", _write(folder, rel, text), rel,
                             Expect.warned(6088, "no signature date found"),
                             note="loaded with the begin date missing; the year 20130 is not taken"))
    return cases


def _case_corrupt_pdf(folder: Path, outside: Path) -> list[HostileCase]:
    good = _pdf_bytes(base_6070().splitlines()[:40])
    data = good[: len(good) // 2] + b"\x00garbage" * 100
    rel = "hostile/corrupt.pdf"
    return [HostileCase("corrupt PDF", _write(folder, rel, data), rel, Expect.error("read", "corrupt_pdf"))]


def _case_encrypted_pdf(folder: Path, outside: Path) -> list[HostileCase]:
    rel = "hostile/encrypted.pdf"
    data = _pdf_bytes(with_atopid(base_6070(), 6089).splitlines()[:40], password="secret")
    return [HostileCase("encrypted PDF", _write(folder, rel, data), rel, Expect.error("read", "encrypted_pdf"))]


def _case_mixed_encodings(folder: Path, outside: Path) -> list[HostileCase]:
    # First half UTF-8 (curly quotes in Q6), second half cp1251 Cyrillic: no single codec is right.
    text = with_atopid(base_6070(), 6090)
    head, tail = text[: len(text) // 2], text[len(text) // 2:]
    tail = tail.replace("Coder: Nicholas Coulombe", "Coder: Николай Кулумб")
    data = head.encode("utf-8") + tail.encode("cp1251", errors="replace")
    rel = "hostile/mixed_encodings_6090.txt"
    return [HostileCase("mixed encodings in one file", _write(folder, rel, data), rel,
                        Expect.warned(6090, "cp1251"))]


def _case_awkward_name(folder: Path, outside: Path) -> list[HostileCase]:
    rel = "hostile/Договор \"Baghdad\" l'alliance été 3275 .txt"
    data = (FIXTURES / "variant_3275_baghdad_pact.txt").read_bytes()
    return [HostileCase("file name with spaces, quotes and non-ASCII", _write(folder, rel, data), rel,
                        Expect.loaded(3275))]


def _case_symlink_outside(folder: Path, outside: Path) -> list[HostileCase]:
    # The target is a perfectly good sheet (ATOP 3505): if the link were followed it would load.
    outside.mkdir(parents=True, exist_ok=True)
    target = outside / "secret_sheet_3505.txt"
    target.write_bytes((FIXTURES / "variant_3505_uk_malta.txt").read_bytes())
    rel = "hostile/link_outside.txt"
    link = folder / rel
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return [HostileCase("symlink pointing outside the folder", link, rel,
                        Expect.error("read", "symlink_outside_root"), extra_paths=(target,))]


CASE_BUILDERS: tuple[Builder, ...] = (
    _case_empty,
    _case_binary_garbage,
    _case_png_as_txt,
    _case_truncated,
    _case_big,
    _case_conflicting_versions,
    _case_duplicate_question,
    _case_all_questions_missing,
    _case_impossible_date,
    _case_unknown_cow,
    _case_absurd_numbers,
    _case_corrupt_pdf,
    _case_encrypted_pdf,
    _case_mixed_encodings,
    _case_awkward_name,
    _case_symlink_outside,
)


def write_good_sheets(folder: Path) -> list[HostileCase]:
    """Copy the good sheets into the batch folder; each must load."""
    cases = []
    for rel, source, atopid in GOOD_SHEETS:
        cases.append(HostileCase(f"good sheet {atopid}", _write(folder, rel, source.read_bytes()), rel,
                                 Expect.loaded(atopid)))
    return cases


def write_hostile_corpus(folder: Path | str, *, outside: Path | str | None = None,
                         include_big: bool = True) -> list[HostileCase]:
    """Write the good sheets and every hostile case under `folder`; returns all cases (good ones first).

    `outside` is where the symlink case puts its target (default: a sibling `<folder>_outside`).
    `include_big=False` leaves out the 50 MB file (for quick runs).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    outside_dir = Path(outside) if outside else folder.parent / f"{folder.name}_outside"
    cases = write_good_sheets(folder)
    for build in CASE_BUILDERS:
        if build is _case_big and not include_big:
            continue
        cases.extend(build(folder, outside_dir))
    return cases
