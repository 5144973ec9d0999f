"""Codesheet files -> normalised text: folders, zips, encodings, PDFs and page artefacts.

Two public steps:

- `iter_inputs(root)` walks a batch (a folder, recursively, or a .zip) and yields each sheet file's
  bytes as a `RawInput`, or a `SheetError` for anything that is not a sheet or is unsafe to read.
  It never writes anything.
- `read_sheet(data, source_file)` turns one sheet's bytes into a `SheetText`: decoded (BOMs, UTF-16,
  UTF-8, cp1252/cp1251) or extracted (PDF), with page artefacts removed and every kept line mapped to
  its line number in the decoded/extracted source.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from atop_pipeline.codesheets.encoding import CONTROL_CHARS_RE, DecodingProblem, decode_text
from atop_pipeline.codesheets.model import SheetError, SheetText
from atop_pipeline.codesheets.pdf import PdfProblem, extract_pdf_text

#: File suffixes (lower case) that hold codesheets.
SHEET_SUFFIXES: tuple[str, ...] = (".txt", ".pdf")
#: Archives expanded in place of a folder.
ARCHIVE_SUFFIX = ".zip"
#: Default cap on one sheet file (and one archive member), in bytes.
DEFAULT_MAX_FILE_BYTES = 20_000_000
#: Default cap on all members read from one archive, uncompressed, in bytes (zip bombs).
DEFAULT_MAX_ARCHIVE_BYTES = 200_000_000


@dataclass(frozen=True)
class RawInput:
    """One sheet file's bytes and where it came from (relative to the batch root)."""

    source_file: str  # POSIX path relative to the batch root; "archive.zip!inner/path.txt" in a zip
    data: bytes = field(repr=False)

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes."""
        return hashlib.sha256(self.data).hexdigest()


class SheetReadError(Exception):
    """A sheet's bytes could not be read as text; `.error` is the SheetError (stage "read")."""

    def __init__(self, error: SheetError) -> None:
        super().__init__(error.message)
        self.error = error


# --------------------------------------------------------------------------------------------------
# Walking a batch
# --------------------------------------------------------------------------------------------------


def iter_inputs(
    root: Path | str,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES,
) -> Iterator[RawInput | SheetError]:
    """Every sheet file under `root` (folder or .zip) as RawInput, and every problem as SheetError.

    Order is deterministic: sorted by relative path, archive members sorted by name. Hidden files and
    folders (names starting with ".") are skipped silently. Raises FileNotFoundError if `root` does
    not exist: that is the caller's mistake, not a bad sheet.
    """
    root_path = Path(root)
    if not root_path.exists():
        raise FileNotFoundError(f"batch root {root_path} does not exist")
    if not root_path.is_dir():
        yield from _read_file(root_path, root_path.name, max_file_bytes, max_archive_bytes)
        return
    real_root = root_path.resolve()
    for rel, found in _walk(root_path, real_root):
        if isinstance(found, SheetError):
            yield found
        else:
            yield from _read_file(found, rel, max_file_bytes, max_archive_bytes)


def _walk(root: Path, real_root: Path) -> list[tuple[str, Path | SheetError]]:
    """(relative POSIX path, file to read or problem) for everything under root, sorted by path."""
    found: list[tuple[str, Path | SheetError]] = []
    pending: list[tuple[Path, str]] = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError as exc:
            rel = prefix.rstrip("/") or "."
            problem = _read_error(rel, "unreadable_folder", f"folder cannot be listed ({exc.strerror})")
            found.append((rel, problem))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden: editor backups, .DS_Store, .git ...
            rel = prefix + entry.name
            if entry.is_symlink():
                found.extend(_symlink_entry(Path(entry.path), rel, real_root))
            elif entry.is_dir(follow_symlinks=False):
                pending.append((Path(entry.path), rel + "/"))
            elif entry.is_file(follow_symlinks=False):
                found.append((rel, Path(entry.path)))
            else:
                what = "special file (device, pipe or socket), not a codesheet; skipped"
                found.append((rel, _read_error(rel, "not_a_sheet_file", what)))
    found.sort(key=lambda item: item[0])
    return found


def _symlink_entry(link: Path, rel: str, real_root: Path) -> list[tuple[str, Path | SheetError]]:
    """A symlink is read only if it resolves to a file inside the batch root."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        what = "symbolic link is broken or loops; skipped"
        return [(rel, _read_error(rel, "broken_symlink", what))]
    if not target.is_relative_to(real_root):
        what = "symbolic link points outside the batch folder; not read"
        return [(rel, _read_error(rel, "symlink_outside_root", what))]
    if target.is_dir():
        # Its files are reached through the real folder; following it could only duplicate or loop.
        return []
    return [(rel, link)]


def _read_file(
    path: Path, rel: str, max_file_bytes: int, max_archive_bytes: int
) -> Iterator[RawInput | SheetError]:
    """A sheet file as RawInput, an archive expanded, anything else a SheetError."""
    suffix = PurePosixPath(rel).suffix.lower()
    if suffix == ARCHIVE_SUFFIX:
        yield from _iter_zip(path, rel, max_file_bytes, max_archive_bytes)
        return
    if suffix not in SHEET_SUFFIXES:
        yield _not_a_sheet(rel)
        return
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            yield _read_error(rel, "not_a_sheet_file", "not a regular file; skipped")
            return
        if info.st_size > max_file_bytes:
            yield _too_large(rel, info.st_size, max_file_bytes)
            return
        with path.open("rb") as handle:
            data = handle.read(max_file_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        yield _read_error(rel, "unreadable_file", f"file cannot be read ({exc.strerror or exc})")
        return
    if len(data) > max_file_bytes:
        yield _too_large(rel, None, max_file_bytes)
        return
    yield RawInput(rel, data)


def _iter_zip(
    path: Path, label: str, max_file_bytes: int, max_archive_bytes: int
) -> Iterator[RawInput | SheetError]:
    """Members of a zip archive that are sheets, read in memory (never extracted to disk)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        what = f"file is not a readable ZIP archive ({exc}); nothing in it was read"
        yield _read_error(label, "corrupt_zip", what)
        return
    with archive:
        members = sorted((m for m in archive.infolist() if not m.is_dir()), key=lambda m: m.filename)
        total = 0
        for member in members:
            name = member.filename.replace("\\", "/")
            parts = name.split("/")
            if name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts:
                yield _read_error(
                    f"{label}!{name}",
                    "unsafe_zip_member",
                    "archive member has an absolute path or '..' in its name; refused",
                )
                continue
            parts = [p for p in parts if p not in ("", ".")]
            if not parts or any(p.startswith(".") for p in parts) or parts[0] == "__MACOSX":
                continue  # hidden files and macOS resource forks
            rel = f"{label}!{'/'.join(parts)}"
            suffix = PurePosixPath(parts[-1]).suffix.lower()
            if suffix == ARCHIVE_SUFFIX:
                what = "ZIP archive inside a ZIP archive; unpack it first (not read)"
                yield _read_error(rel, "nested_zip", what)
                continue
            if suffix not in SHEET_SUFFIXES:
                yield _not_a_sheet(rel)
                continue
            if member.flag_bits & 0x1:
                what = "archive member is password-protected; not read"
                yield _read_error(rel, "encrypted_zip_member", what)
                continue
            if member.file_size > max_file_bytes:
                yield _too_large(rel, member.file_size, max_file_bytes)
                continue
            if total + member.file_size > max_archive_bytes:
                yield _read_error(
                    rel,
                    "zip_too_large",
                    f"archive member would take the archive past {max_archive_bytes:,} bytes "
                    "uncompressed (a zip bomb?); not read",
                )
                continue
            try:
                # ZipExtFile stops at the declared size and checks the CRC, so a lying header cannot
                # make this read more than file_size (<= max_file_bytes) bytes.
                with archive.open(member) as handle:
                    data = handle.read(max_file_bytes + 1)
            except _ZIP_MEMBER_ERRORS as exc:
                yield _read_error(rel, "corrupt_zip", f"archive member is damaged ({exc}); not read")
                continue
            if len(data) > max_file_bytes:
                yield _too_large(rel, None, max_file_bytes)
                continue
            total += len(data)
            yield RawInput(rel, data)


# What zipfile/zlib raise on a damaged, truncated or unsupported member.
_ZIP_MEMBER_ERRORS = (
    zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError
)


def _read_error(source_file: str, error: str, what: str, sha256: str | None = None) -> SheetError:
    """A stage-"read" SheetError whose message starts with the file name."""
    return SheetError(
        source_file=source_file, sha256=sha256, stage="read", error=error, message=f"{source_file}: {what}"
    )


def _not_a_sheet(rel: str) -> SheetError:
    expected = " or ".join(SHEET_SUFFIXES)
    what = f"file is not a codesheet (expected {expected}, or a {ARCHIVE_SUFFIX} of them); skipped"
    return _read_error(rel, "not_a_sheet_file", what)


def _too_large(rel: str, size: int | None, limit: int) -> SheetError:
    shown = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    what = f"file is {shown}, over the {limit:,}-byte limit for one codesheet; not read"
    return _read_error(rel, "file_too_large", what)


# --------------------------------------------------------------------------------------------------
# Reading one sheet
# --------------------------------------------------------------------------------------------------


def read_sheet(data: bytes, source_file: str) -> SheetText:
    """Decode (or extract) and normalise one sheet; raises SheetReadError on unusable input."""
    sha256 = hashlib.sha256(data).hexdigest()

    def fail(error: str, reason: str) -> SheetReadError:
        return SheetReadError(_read_error(source_file, error, reason, sha256))

    if not data:
        raise fail("empty_file", "file is empty (0 bytes)")
    suffix = PurePosixPath(source_file.rsplit("!", 1)[-1]).suffix.lower()
    notes: list[str] = []
    warnings: tuple[str, ...] = ()
    if suffix == ".pdf" or data.startswith(b"%PDF-"):
        if suffix != ".pdf":
            notes.append(f"file named {suffix or 'without suffix'} is a PDF document; read as PDF")
        try:
            source = extract_pdf_text(data)
        except PdfProblem as problem:
            raise fail(problem.error, problem.reason) from None
        kind, encoding = "pdf", "pdf"
        source, removed = CONTROL_CHARS_RE.subn("", source)
        if removed:
            notes.append(f"removed {removed} control character(s) from the extracted text")
    else:
        try:
            decoded = decode_text(data)
        except DecodingProblem as problem:
            raise fail(problem.error, problem.reason) from None
        kind, encoding, source = "txt", decoded.encoding, decoded.text
        notes.extend(decoded.notes)
        warnings = decoded.warnings
        if not source.strip():
            raise fail("empty_file", "file contains only whitespace")

    lines, numbers, normalise_notes = normalise_lines(source)
    return SheetText(
        source_file=source_file,
        sha256=sha256,
        size=len(data),
        kind=kind,
        encoding=encoding,
        lines=lines,
        line_numbers=numbers,
        notes=(*notes, *normalise_notes),
        warnings=warnings,
    )


# --------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------

_UNICODE_SPACES = "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
_INVISIBLES = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters and a stray BOM
_SOFT_HYPHEN = "\u00ad"
# Only the Latin ligatures get NFKC: applied to everything, NFKC would also rewrite "½", "™",
# superscripts, full-width forms ... that a coder may have typed on purpose.
_LIGATURES = "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
_CHAR_TABLE = str.maketrans(
    {
        **{c: " " for c in _UNICODE_SPACES},
        **{c: None for c in _INVISIBLES + _SOFT_HYPHEN},
        **{c: unicodedata.normalize("NFKC", c) for c in _LIGATURES},
    }
)
_SPECIAL_CHARS_RE = re.compile(f"[{_UNICODE_SPACES}{_INVISIBLES}{_SOFT_HYPHEN}{_LIGATURES}]")
# The same mapping as _CHAR_TABLE, as str -> str for str.replace, and the members of each note class.
_CHAR_REPLACEMENTS: dict[str, str] = {chr(code): repl or "" for code, repl in _CHAR_TABLE.items()}
_CHAR_CLASS_MEMBERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("non-breaking/unicode space(s) replaced by spaces", frozenset(_UNICODE_SPACES)),
    ("soft hyphen(s) removed", frozenset(_SOFT_HYPHEN)),
    ("zero-width character(s) removed", frozenset(_INVISIBLES)),
    ("ligature(s) expanded", frozenset(_LIGATURES)),
)
# Characters that split a line without ending it in a text editor: form feed (a page break), vertical
# tab (Word's manual line break) and the Unicode line/paragraph separators.
_INLINE_BREAKS_RE = re.compile("([\f\v\u2028\u2029])")

#: A numbered question line ("12. Are there ...").
QUESTION_LINE_RE = re.compile(r"^\s*(\d{1,2})\.\s+\S")

# Page numbers that no answer looks like: always removed.
_STRONG_PAGE_NUMBER_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?i)page\s+(\d{1,4})\s+of\s+(\d{1,4})"),
    re.compile(r"[-–—]\s*(\d{1,4})\s*[-–—]"),
)
# Page numbers an answer could look like ("3", "2/5"): removed only with corroboration.
_WEAK_PAGE_NUMBER_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("page", re.compile(r"(?i)(?:page|p\.|pg\.?)\s*(\d{1,4})")),
    ("of", re.compile(r"(?i)(\d{1,4})\s+of\s+(\d{1,4})")),
    ("slash", re.compile(r"(\d{1,4})\s*/\s*(\d{1,4})")),
    # Bare numbers stop at three digits: ATOP IDs (1000-7999) and years are four, and never page numbers.
    ("bare", re.compile(r"(\d{1,3})")),
)
_DIGIT_RE = re.compile(r"\d")
_NUMBER_RE = re.compile(r"\d+")
#: Lines looked at on each side of a page break when looking for page numbers and running headers.
EDGE_LINES = 3
# Consecutive page numbers are a page apart; COW codes listed one per line (366, 367, 368) are not.
_MIN_PAGE_GAP = 8
# Short answers that legitimately recur near page breaks and must never be taken for headers.
_SHORT_ANSWER_RE = re.compile(
    r"(?i)(yes|no|none|n/?a|zero|unknown|not applicable|same as above|see (question|q\.?|#) ?\d+)\b.{0,40}"
)

# The blank template's title block (Appendix A of the codebook). Before question 1 it is the sheet's
# own preamble and stays; after question 1 it can only be a running header copied onto every page.
_TEMPLATE_HEADER_RE = re.compile(
    r"(?i)appendix a: the atop codesheet|alliance treaty obligations and provisions \(atop\)|coding sheet"
    r"|brett ashley leeds\b.*|department of political science,.*rice university.*|version \d+(\.\d+)?;.*"
)

_TEMPLATE_HEADER_STARTS = frozenset({"appe", "alli", "codi", "bret", "depa", "vers"})


@dataclass(slots=True)
class _Line:
    text: str
    number: int  # 1-based source line
    page: int  # 0-based page (form feeds)
    kept: bool = True


def normalise_lines(source: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    """(lines, their 1-based source line numbers, notes) for decoded or extracted text.

    Source lines are counted as an editor counts them (CRLF, CR and LF end a line); a form feed
    splits a line in two (both keep its number) and starts a new page.
    """
    notes: list[str] = []
    translated = source
    # str.translate with a dict table walks every character in Python-object land (~1 ms a sheet);
    # a sheet holds only a few distinct special characters, so one str.replace per distinct one is
    # far cheaper and gives the same text.
    found = Counter(_SPECIAL_CHARS_RE.findall(source))
    if found:
        for char in found:
            translated = translated.replace(char, _CHAR_REPLACEMENTS[char])
        for what, members in _CHAR_CLASS_MEMBERS:
            count = sum(n for char, n in found.items() if char in members)
            if count:
                notes.append(f"{count} {what}")

    unified = translated.replace("\r\n", "\n").replace("\r", "\n")
    raw_lines = unified.split("\n")
    if len(raw_lines) > 1 and raw_lines[-1] == "":
        raw_lines.pop()  # the final newline ends the last line; it does not start another

    lines: list[_Line] = []
    page = 0
    # Indices of the lines holding a form feed (or another inline break), found from the few break
    # positions rather than by searching every line.
    break_lines: list[int] = []
    index = position = 0
    for match in _INLINE_BREAKS_RE.finditer(unified):
        index += unified.count("\n", position, match.start())
        position = match.start()
        if not break_lines or break_lines[-1] != index:
            break_lines.append(index)
    start = 0
    for index in [*break_lines, len(raw_lines)]:
        lines.extend([_Line(raw_lines[k].rstrip(), k + 1, page) for k in range(start, min(index, len(raw_lines)))])
        if index >= len(raw_lines):
            break
        for piece in _INLINE_BREAKS_RE.split(raw_lines[index]):
            if piece == "\f":
                page += 1
            elif not _INLINE_BREAKS_RE.fullmatch(piece) and piece.strip():
                lines.append(_Line(piece.rstrip(), index + 1, page))
        start = index + 1
    pages = page + 1

    first_question = next((i for i, ln in enumerate(lines) if QUESTION_LINE_RE.match(ln.text)), 0)
    boundaries = _remove_page_numbers(lines, pages, notes)
    _remove_running_lines(lines, pages, boundaries, first_question, notes)
    _remove_repeated_template_header(lines, first_question, notes)

    kept = [ln for ln in lines if ln.kept]
    return tuple(ln.text for ln in kept), tuple(ln.number for ln in kept), tuple(notes)


def _edge_indices(lines: list[_Line], members: list[int], from_top: bool) -> list[int]:
    """Indices of the first (or last) EDGE_LINES kept non-blank lines among `members`."""
    picked: list[int] = []
    for i in members if from_top else reversed(members):
        if lines[i].kept and lines[i].text.strip():
            picked.append(i)
            if len(picked) == EDGE_LINES:
                break
    return picked


def _pages(lines: list[_Line], pages: int) -> list[list[int]]:
    by_page: list[list[int]] = [[] for _ in range(pages)]
    for i, ln in enumerate(lines):
        by_page[ln.page].append(i)
    return by_page


def _remove_page_numbers(lines: list[_Line], pages: int, notes: list[str]) -> list[int]:
    """Drop page-number lines; return the indices of removed ones (page breaks without form feeds).

    A bare number is only a page number with corroboration, because answers can be bare numbers
    ("6070" after "1. ATOP ID:", a year, a count): either it sits at a page edge (next to a form feed)
    and its value minus the page index agrees with another page's, or it belongs to a run 1, 2, 3 ...
    spread out at least a page apart.
    """
    candidates: list[tuple[int, str, int, int | None]] = []  # (index, kind, n, m)
    removed: list[int] = []
    for i, ln in enumerate(lines):
        text = ln.text.strip()
        if not text or len(text) > 16 or not _DIGIT_RE.search(text):
            continue
        strong = _match_strong(text)
        if strong:
            ln.kept = False
            removed.append(i)
            continue
        for kind, pattern in _WEAK_PAGE_NUMBER_RES:
            match = pattern.fullmatch(text)
            if match:
                n = int(match.group(1))
                m = int(match.group(2)) if match.lastindex and match.lastindex > 1 else None
                if n >= 1 and (m is None or n <= m):
                    candidates.append((i, kind, n, m))
                break

    chosen: set[int] = set()
    if pages > 1:
        # At a page edge: group by the offset between the printed number and the page index.
        by_page = _pages(lines, pages)
        edge = {i for members in by_page for top in (True, False) for i in _edge_indices(lines, members, top)}
        groups: dict[tuple[str, int, int | None], list[int]] = defaultdict(list)
        for i, kind, n, m in candidates:
            if i in edge:
                groups[(kind, n - lines[i].page, m)].append(i)
        # Real page numbers are on (nearly) every page; two answers that happen to agree are not.
        needed = max(2, pages // 2)
        for members in groups.values():
            if len({lines[i].page for i in members}) >= needed:
                chosen.update(members)

    # Runs n, n+1, n+2 ... of the same form, each at least a page apart.
    chains: dict[tuple[str, int | None, int], list[int]] = {}  # (kind, m, next n) -> indices
    runs: list[tuple[str, list[int]]] = []
    for i, kind, n, m in candidates:
        key = (kind, m, n)
        chain = chains.pop(key, None)
        if chain is not None and lines[i].number - lines[chain[-1]].number >= _MIN_PAGE_GAP:
            chain.append(i)
        else:
            if chain is not None:
                chains[key] = chain  # too close to be the next page: keep waiting
            chain = [i]
            runs.append((kind, chain))
        chains[(kind, m, n + 1)] = chain
    for kind, chain in runs:
        if len(chain) >= (3 if kind == "bare" else 2):
            chosen.update(chain)

    for i in chosen:
        lines[i].kept = False
    removed.extend(chosen)
    removed.sort()
    if removed:
        shown = ", ".join(str(lines[i].number) for i in removed[:20])
        more = f" and {len(removed) - 20} more" if len(removed) > 20 else ""
        notes.append(f"removed {len(removed)} page-number line(s) (source lines {shown}{more})")
    return removed


def _match_strong(text: str) -> bool:
    for pattern in _STRONG_PAGE_NUMBER_RES:
        match = pattern.fullmatch(text)
        if match:
            numbers = [int(g) for g in match.groups() if g is not None]
            return numbers[0] >= 1 and (len(numbers) == 1 or numbers[0] <= numbers[1])
    return False


def _header_keys(text: str, region: int) -> tuple[str, ...]:
    """What copies of one running header/footer share, or () if the line cannot be one.

    The exact text, and for a line carrying a number, its text with that number standing for the
    page ("Draft, p. 3"): same words, number minus page index constant. Merely ignoring digits would
    make "Article 3." and "Article 7." one line.
    """
    stripped = " ".join(text.split())
    if len(stripped) < 4 or QUESTION_LINE_RE.match(stripped) or _SHORT_ANSWER_RE.fullmatch(stripped):
        return ()
    numbers = _NUMBER_RE.findall(stripped)
    if not numbers:
        return (stripped,)
    offset = int(numbers[-1][-6:]) - region
    return (stripped, f"{_NUMBER_RE.sub('#', stripped)}\x00{offset}")


def _remove_running_lines(
    lines: list[_Line], pages: int, boundaries: list[int], first_question: int, notes: list[str]
) -> None:
    """Drop running headers and footers: the same line at the same edge of most pages (3 at least).

    Pages come from form feeds or, without them, from the page-number lines just removed. Peeling
    repeats so a header of several lines goes one line per round. An occurrence before the first
    question is the sheet's preamble and stays.
    """
    if pages > 1:
        regions = _pages(lines, pages)
    elif len(boundaries) >= 2:
        cuts = [0, *boundaries, len(lines)]
        regions = [list(range(a, b)) for a, b in zip(cuts, cuts[1:]) if b > a]
    else:
        _remove_evenly_repeated(lines, first_question, notes)
        return
    needed = max(3, math.ceil(0.5 * len(regions)))
    removed: Counter[str] = Counter()
    for _ in range(8):
        progress = False
        for top in (True, False):
            at_edge: dict[str, list[int]] = defaultdict(list)
            for region, members in enumerate(regions):
                seen: set[str] = set()
                for i in _edge_indices(lines, members, top):
                    for key in _header_keys(lines[i].text, region):
                        if key not in seen:
                            seen.add(key)
                            at_edge[key].append(i)
            for indices in at_edge.values():
                if len(indices) < needed:
                    continue
                for i in indices:
                    if i >= first_question and lines[i].kept:
                        lines[i].kept = False
                        removed[lines[i].text.strip()] += 1
                        progress = True
        if not progress:
            break
    for text, count in removed.items():
        notes.append(f"removed running header/footer {text!r} ({count} time(s))")


def _remove_evenly_repeated(lines: list[_Line], first_question: int, notes: list[str]) -> None:
    """Without page breaks: drop a line repeated 3+ times at near-regular spacing a page apart.

    Conservative by design: quoted provisions (which sheets do repeat between questions) never
    qualify, and the spacing must be regular within 25%.
    """
    counts = Counter(ln.text.strip() for ln in lines)
    repeated = {text for text, count in counts.items() if count >= 3 and len(text) >= 10}
    if not repeated:
        return
    positions: dict[str, list[int]] = defaultdict(list)
    for i, ln in enumerate(lines):
        stripped = ln.text.strip()
        if stripped in repeated and ln.kept:
            positions[stripped].append(i)
    for text, indices in positions.items():
        if len(indices) < 3 or not _header_keys(text, 0) or any(q in text for q in "\"“”«»„"):
            continue
        if _looks_like_sheet_content(text):
            continue
        gaps = [lines[b].number - lines[a].number for a, b in zip(indices, indices[1:])]
        if min(gaps) < 15 or max(gaps) > 1.25 * min(gaps):
            continue
        count = 0
        for i in indices:
            if i >= first_question:
                lines[i].kept = False
                count += 1
        if count:
            notes.append(f"removed running header/footer {text!r} ({count} time(s), regularly spaced)")


_ANSWER_ENDING_RE = re.compile(r"\b(?:yes|no|n/?a|none|unknown|zero)\W*$", re.IGNORECASE)


def _looks_like_sheet_content(text: str) -> bool:
    """True for lines that read as the end of a wrapped question or a short answer.

    Without page breaks the only evidence for a running header is repetition, and sheets repeat
    their own phrases ("describe. No."): a line starting in lower case continues a sentence, and
    one ending in a yes/no word is an answer; neither is page chrome.
    """
    stripped = text.strip()
    return stripped[:1].islower() or bool(_ANSWER_ENDING_RE.search(stripped))


def _remove_repeated_template_header(lines: list[_Line], first_question: int, notes: list[str]) -> None:
    """The template's title block after question 1 is a running header copied onto later pages."""
    count = 0
    for ln in lines[first_question:]:
        head = ln.text.lstrip()[:4].lower()
        if head in _TEMPLATE_HEADER_STARTS and ln.kept and _TEMPLATE_HEADER_RE.fullmatch(ln.text.strip()):
            ln.kept = False
            count += 1
    if count:
        notes.append(f"removed {count} repeated template header line(s) after question 1")
