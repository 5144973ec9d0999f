"""Bytes of a text codesheet -> str: BOMs, UTF-16 without BOM, UTF-8, and legacy Windows code pages.

Pure functions, no I/O. `decode_text` either returns a `DecodedText` or raises `DecodingProblem`
with a machine name ("binary_not_text", "undecodable", "empty_file") and a reason phrase; the
reading layer turns that into a `SheetError` naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Legacy single-byte code pages we choose between when a file is not UTF-8.
LEGACY_CODECS: tuple[str, ...] = ("cp1252", "cp1251")

# Magic numbers of formats people mistakenly save or rename as .txt. Checked on the first bytes only.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx/.odt document)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office document (.doc/.xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable program"),
    (b"MZ\x90\x00", "a Windows executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

# C0 control characters other than tab, LF, vertical tab, form feed and CR, plus DEL and the C1
# block: never part of a typed codesheet, frequent in binary data. (Vertical tab is Word's manual
# line break in copied text; normalisation splits lines at it.)
CONTROL_CHARS_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")

_LINE_BREAK_BYTES_RE = re.compile(rb"\r\n|\r|\n")

# Byte classes for the code-page decision: "a" ASCII letter, "H" a letter in cp1251 (А..я, Ё, ё),
# which is also where cp1252 keeps its accented letters; everything else a space. Counting class
# pairs with bytes.count is far faster than regular expressions over the raw bytes.
_LETTER_CLASSES = bytes(
    ord("a") if chr(b).isascii() and chr(b).isalpha() else ord("H") if b >= 0xC0 or b in (0xA8, 0xB8)
    else ord(" ")
    for b in range(256)
)

#: At most this many lines are listed one by one in the notes of a mixed-encoding file.
MAX_LINE_NOTES = 20


class DecodingProblem(Exception):
    """Bytes that cannot be read as text: `error` is the machine name, str() the reason phrase."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


@dataclass(frozen=True)
class DecodedText:
    """Decoded text, the codec used and what decoding had to do (notes)."""

    text: str
    encoding: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # what the parsed sheet must carry as warnings (a subset, summarised)


def sniff_binary_format(data: bytes) -> str | None:
    """A phrase naming the binary format `data` starts with ("a PNG image"), or None."""
    head = data[:16]
    for magic, what in _BINARY_SIGNATURES:
        if head.startswith(magic):
            return what
    return None


def decode_text(data: bytes) -> DecodedText:
    """Decode a text codesheet's bytes; raises DecodingProblem for binary or undecodable data."""
    what = sniff_binary_format(data)
    if what is not None:
        raise DecodingProblem("binary_not_text", f"file is {what}, not a text codesheet")

    decoded = _decode_with_bom(data) or _decode_utf16_without_bom(data)
    if decoded is None:
        _reject_nul_heavy(data)
        decoded = _decode_byte_oriented(data)
    return _clean_controls(decoded)


def choose_legacy_codec(data: bytes) -> str:
    """cp1251 when the letters >= 0xC0 form Cyrillic words, otherwise cp1252 (Western European).

    Both code pages put curly quotes and dashes at 0x91-0x97, so those bytes say nothing; the letters
    do. In cp1251 every Cyrillic letter is a high byte, so they come in runs ("Да", "Статья") and
    seldom touch an ASCII letter; in cp1252 accented letters sit singly inside ASCII words ("Müller",
    "café"). charset-normalizer only breaks a tie: it mis-guesses short English text with a couple
    of curly quotes.
    """
    classes = data.translate(_LETTER_CLASSES)
    in_runs = 2 * classes.count(b"HH")  # high letters next to another high letter (about)
    touching_ascii = classes.count(b"aH") + classes.count(b"Ha")
    if in_runs == 0 and touching_ascii == 0:
        return "cp1252"  # no letters above ASCII: the code pages agree on what remains
    if in_runs >= 2 * touching_ascii:
        return "cp1251"
    if touching_ascii >= 2 * in_runs:
        return "cp1252"
    return _charset_normalizer_vote(data)


def _charset_normalizer_vote(data: bytes) -> str:
    """Tie-breaker between the legacy code pages, used only when the letter-run rule is unsure."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - it is a declared dependency
        return "cp1252"
    best = from_bytes(data, cp_isolation=list(LEGACY_CODECS)).best()
    if best is not None and best.encoding in LEGACY_CODECS:
        return best.encoding
    return "cp1252"


def _decode_with_bom(data: bytes) -> DecodedText | None:
    """Decode by byte-order mark, or None when there is none."""
    # UTF-32 LE's BOM starts with UTF-16 LE's, so it is checked first.
    for bom, codec, label in (
        (b"\xef\xbb\xbf", "utf-8", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be", "utf-16-be"),
    ):
        if data.startswith(bom):
            body = data[len(bom) :]
            if codec == "utf-8":
                # A UTF-8 file may still carry stray legacy bytes: same per-line fallback as without BOM.
                inner = _decode_byte_oriented(body)
                return DecodedText(inner.text, label, inner.notes, inner.warnings)
            return _decode_wide(body, codec, label, "has a byte-order mark for")
    return None


def _decode_utf16_without_bom(data: bytes) -> DecodedText | None:
    """Recognise UTF-16 without a BOM by its NUL pattern, or return None.

    Latin text in UTF-16 has a NUL in every other byte (odd positions for little-endian, even for
    big-endian); Cyrillic text still has NULs there for spaces, digits and punctuation. Binary data
    has its NULs spread over both positions.
    """
    if len(data) < 4:
        return None
    even, odd = data[0::2], data[1::2]
    nul_even, nul_odd = even.count(0), odd.count(0)
    if nul_odd >= 0.1 * len(odd) and nul_even <= 0.01 * len(even):
        codec = "utf-16-le"
    elif nul_even >= 0.1 * len(even) and nul_odd <= 0.01 * len(odd):
        codec = "utf-16-be"
    else:
        return None
    try:
        decoded = _decode_wide(data, codec, codec, "looks like")
    except DecodingProblem:
        return None
    if CONTROL_CHARS_RE.search(decoded.text[:4096]) is not None:
        return None  # decodes, but into control characters: not really UTF-16 text
    return decoded


def _decode_wide(body: bytes, codec: str, label: str, how: str) -> DecodedText:
    """Decode UTF-16/32 strictly, tolerating only a truncated final code unit."""
    unit = 4 if codec.startswith("utf-32") else 2
    notes: list[str] = []
    extra = len(body) % unit
    if extra:
        # A file cut short mid-character: drop the incomplete unit rather than the whole sheet.
        body = body[: len(body) - extra]
        notes.append(f"dropped {extra} trailing byte(s) of an incomplete {codec.upper()} character")
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        raise DecodingProblem(
            "undecodable",
            f"file {how} {codec.upper()} but is not valid {codec.upper()} (byte {exc.start})",
        ) from None
    return DecodedText(text, label, tuple(notes))


def _reject_nul_heavy(data: bytes) -> None:
    """NUL bytes outside UTF-16/32 mean binary data; a stray one or two are tolerated (and removed)."""
    nuls = data.count(0)
    if nuls > 2 and nuls > 0.001 * len(data):
        share = 100 * nuls / len(data)
        raise DecodingProblem(
            "binary_not_text",
            f"file contains {nuls} NUL bytes ({share:.1f}% of it): binary data, not a text codesheet",
        )


def _decode_byte_oriented(data: bytes) -> DecodedText:
    """UTF-8 if valid; else per-line fallback in a mostly-UTF-8 file; else one legacy code page."""
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass

    lines = _LINE_BREAK_BYTES_RE.split(data)
    bad: list[int] = []
    utf8_non_ascii = 0
    unmistakable = 0
    for index, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            decoded_line = line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(index)
        else:
            utf8_non_ascii += 1
            unmistakable += _unmistakably_utf8(decoded_line)
    if utf8_non_ascii == 0 or (len(bad) > utf8_non_ascii and unmistakable < MIN_UTF8_LINES_FOR_MIXED):
        # Not a UTF-8 file with a few stray bytes but a legacy file (whose rare UTF-8-looking byte
        # pairs are coincidences): one code page for the whole file.
        codec = choose_legacy_codec(data)
        text, notes = _decode_legacy(data, codec)
        return DecodedText(text, codec, notes, _undefined_bytes_warnings(notes, codec))

    # Mostly UTF-8 with stray legacy bytes (text pasted from an old document): fall back per line.
    codec = choose_legacy_codec(b"\n".join(lines[i] for i in bad))
    bad_set = set(bad)
    decoded: list[str] = []
    line_notes: list[str] = []
    for index, line in enumerate(lines):
        if index in bad_set:
            text, notes = _decode_legacy(line, codec)
            decoded.append(text)
            line_notes.extend(notes)
        else:
            decoded.append(line.decode("utf-8"))
    listed = [f"line {i + 1} decoded as {codec}" for i in bad[:MAX_LINE_NOTES]]
    if len(bad) > MAX_LINE_NOTES:
        listed.append(f"{len(bad) - MAX_LINE_NOTES} more lines decoded as {codec}")
    shown = line_ranges([i + 1 for i in bad])
    warning = (
        f"mixed encodings: {len(bad)} line(s) are not valid UTF-8 and were decoded as {codec} "
        f"(source line(s) {shown}); the other {utf8_non_ascii} non-ASCII line(s) are UTF-8"
    )
    return DecodedText("\n".join(decoded), "utf-8", (*listed, *line_notes),
                       (warning, *_undefined_bytes_warnings(line_notes, codec)))


#: A file with at least this many lines that can only be UTF-8 is decoded line by line even when most
#: of its non-ASCII lines are in a legacy code page (a UTF-8 sheet with a pasted cp1251 half).
MIN_UTF8_LINES_FOR_MIXED = 2


def _unmistakably_utf8(line: str) -> bool:
    """A decoded line a legacy file could hardly produce by chance: a 3-byte character (curly
    quotes, dashes: U+0800 and up) or two 2-byte ones. A cp1251 line is valid UTF-8 only when each
    capital letter happens to stand before punctuation ("Р»" reads as "л"), and then just once."""
    wide = 0
    for char in line:
        if char >= "\u0800":
            return True
        if char >= "\x80":
            wide += 1
            if wide >= 2:
                return True
    return False


def line_ranges(numbers: list[int], limit: int = MAX_LINE_NOTES) -> str:
    """Sorted line numbers as ranges ("3, 7-12, 40"), at most `limit` of them, then how many more."""
    ranges: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        ranges.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    more = len(ranges) - limit
    return ", ".join(ranges[:limit]) + (f" and {more} more range(s)" if more > 0 else "")


def _undefined_bytes_warnings(notes: tuple[str, ...] | list[str], codec: str) -> tuple[str, ...]:
    """The notes saying bytes were replaced by U+FFFD (text lost), summed into one warning."""
    lost = [note for note in notes if "replaced by U+FFFD" in note]
    if not lost:
        return ()
    total = sum(int(note.split(" ", 1)[0]) for note in lost)
    return (f"{total} byte(s) not defined in {codec} were replaced by U+FFFD (text lost)",)


def _decode_legacy(data: bytes, codec: str) -> tuple[str, tuple[str, ...]]:
    """Decode with a legacy code page; its few unassigned bytes become U+FFFD with a note."""
    try:
        return data.decode(codec), ()
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
        missing = text.count("\ufffd")
        return text, (f"{missing} byte(s) not defined in {codec} replaced by U+FFFD",)


def _clean_controls(decoded: DecodedText) -> DecodedText:
    """Reject text that is mostly control characters (binary data); drop a few stray ones."""
    text = decoded.text
    if CONTROL_CHARS_RE.search(text) is None:
        return decoded
    controls = len(CONTROL_CHARS_RE.findall(text))
    if controls > 2 and controls > 0.005 * len(text):
        share = 100 * controls / max(len(text), 1)
        raise DecodingProblem(
            "binary_not_text",
            f"file looks like binary data ({controls} control characters, {share:.1f}% of it), "
            "not a text codesheet",
        )
    return DecodedText(
        CONTROL_CHARS_RE.sub("", text),
        decoded.encoding,
        (*decoded.notes, f"removed {controls} control character(s)"),
        decoded.warnings,
    )

