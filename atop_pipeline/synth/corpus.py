"""Generate a corpus of codesheets: one per published alliance (times `copies`), deterministic for a seed.

Layout of the output folder:

- `codesheet_<atopid>.txt` (or `.pdf`) for copy 0 of every alliance;
- `copy_<k>/codesheet_<atopid>.txt` for copy k >= 1. A copy is by default the *same alliance*
  (same ATOP ID, same answers) in a different surface form: a re-extracted version of the sheet.
  With `distinct_ids=True` copy k gets a different, unpublished ATOP ID from the same band
  (1000-1999 = 1815-1913, 2000-2999 = 1914-1944, 3000-3999 = 1945-1989, 4000-7999 = 1990+), so a
  scale run sees distinct alliances (distinct partitions); the band's free IDs cap how many copies fit.
- `.manifest.csv`: one row per generated file (file, atopid, source_atopid, copy, kind, encoding,
  quirks, sha256). The leading dot marks it as not-a-sheet for readers that skip hidden files;
  `roundtrip` uses it to map a remapped ID back to its published row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from atop_pipeline.synth.quirks import SurfaceStyle, apply_text_quirks, choose_style, encode_text
from atop_pipeline.synth.render import AllianceRecord, load_alliances, render_sheet, spells

MANIFEST_NAME = ".manifest.csv"
MANIFEST_COLUMNS = ("file", "atopid", "source_atopid", "copy", "kind", "encoding", "quirks", "sha256")

#: ATOP ID bands: the first digit encodes the era of the alliance's start.
ID_BANDS: tuple[tuple[int, int], ...] = ((1000, 1999), (2000, 2999), (3000, 3999), (4000, 7999))


@dataclass(frozen=True)
class GeneratedSheet:
    """One file written by the generator, as listed in the manifest."""

    file: str  # path relative to the corpus folder, with "/" separators
    atopid: int  # the ID written on the sheet
    source_atopid: int  # the published alliance it renders
    copy: int
    kind: str  # "txt" or "pdf"
    encoding: str
    quirks: tuple[str, ...]
    sha256: str


@dataclass
class CorpusReport:
    """What `generate_corpus` wrote."""

    out_dir: Path
    manifest: Path
    sheets: list[GeneratedSheet] = field(default_factory=list)

    def quirk_counts(self) -> dict[str, int]:
        """How many files carry each quirk."""
        counts: dict[str, int] = {}
        for s in self.sheets:
            for q in s.quirks:
                counts[q] = counts.get(q, 0) + 1
        return counts


def _band(atopid: int) -> tuple[int, int]:
    """The ID band holding `atopid`."""
    for lo, hi in ID_BANDS:
        if lo <= atopid <= hi:
            return lo, hi
    raise ValueError(f"ATOP ID {atopid} lies outside every band 1000-7999")


def distinct_id_map(published: Sequence[int], copies: int) -> dict[tuple[int, int], int]:
    """(source atopid, copy k>=1) -> an unpublished ID in the same band; ValueError if a band is full."""
    used = set(published)
    mapping: dict[tuple[int, int], int] = {}
    for lo, hi in ID_BANDS:
        members = sorted(a for a in published if lo <= a <= hi)
        free = [i for i in range(lo, hi + 1) if i not in used]
        need = len(members) * (copies - 1)
        if need > len(free):
            raise ValueError(
                f"--distinct-ids: band {lo}-{hi} has {len(members)} alliances and {len(free)} free IDs, "
                f"so at most {1 + len(free) // max(len(members), 1)} copies fit; asked for {copies}"
            )
        for k in range(1, copies):
            for i, a in enumerate(members):
                mapping[(a, k)] = free[(k - 1) * len(members) + i]
    return mapping


def _related_ids(records: Sequence[AllianceRecord]) -> dict[int, tuple[int, ...]]:
    """For each alliance, earlier alliances sharing a member (candidates for Q48's `ATOP # nnnn`)."""
    by_member: dict[int, list[int]] = {}
    out: dict[int, tuple[int, ...]] = {}
    for rec in sorted(records, key=lambda r: r.atopid):
        members = {int(m["member"]) for m in rec.members}
        earlier: list[int] = []
        for m in members:
            earlier.extend(by_member.get(m, [])[-3:])
        out[rec.atopid] = tuple(sorted(set(earlier)))
        for m in members:
            by_member.setdefault(m, []).append(rec.atopid)
    return out


def _file_rng(seed: int, atopid: int, copy: int) -> random.Random:
    """The per-file generator: a file's bytes depend only on (seed, alliance, copy)."""
    return random.Random(f"atop-synth:{seed}:{atopid}:{copy}")


def running_header(atopid: int, rng: random.Random) -> str:
    """A page header as Word/PDF exports repeat it."""
    return rng.choice((f"ATOP Coding Sheet \u2014 ATOP ID {atopid}", f"ATOP Codesheet {atopid}", "ATOP CODING SHEET"))


#: SurfaceStyle fields that come from extracting a document (file format, encoding, line ends, page
#: furniture, ligatures, NBSP) rather than from how the document itself is laid out and worded.
_EXTRACTION_FIELDS = ("encoding", "crlf", "ligatures", "nbsp", "pages", "running_header", "pdf")


def render_file(
    record: AllianceRecord,
    *,
    seed: int,
    copy: int = 0,
    pdf_share: float = 0.05,
    atopid: int | None = None,
    related: tuple[int, ...] = (),
) -> tuple[bytes, SurfaceStyle]:
    """One sheet's file bytes and the style it was rendered in."""
    rng = _file_rng(seed, record.atopid, copy)
    pdf = rng.random() < pdf_share
    begyr = int(record.row["begyr"])
    russian = any(m["member"] == "365" for m in record.members) and begyr >= 1992
    cyrillic = russian and rng.random() < 0.5
    content_rng = rng
    if copy and (atopid is None or atopid == record.atopid):
        # A copy of the SAME alliance is the same sheet extracted again: it says what copy 0 says
        # (wording, citations, notice periods) in its own surface style. Replay copy 0's draws up to
        # its rendering, so the content generator stands where copy 0's stood.
        content_rng = _file_rng(seed, record.atopid, 0)
        first_pdf = content_rng.random() < pdf_share
        cyrillic = russian and content_rng.random() < 0.5
        first = choose_style(content_rng, pdf=first_pdf, cyrillic=cyrillic)
        extraction = choose_style(rng, pdf=pdf, cyrillic=cyrillic)
        # The document's own layout stays copy 0's; what extraction does to it is this copy's.
        style = replace(first, **{f: getattr(extraction, f) for f in _EXTRACTION_FIELDS})
    else:
        style = choose_style(rng, pdf=pdf, cyrillic=cyrillic)
    sheet_id = atopid if atopid is not None else record.atopid
    lines = render_sheet(record, style, content_rng, atopid=sheet_id, other_ids=related, cyrillic=cyrillic)
    header = running_header(sheet_id, rng)
    if pdf:
        from atop_pipeline.synth.pdf import lines_to_pdf

        return lines_to_pdf(lines, header=header), style
    return encode_text(apply_text_quirks(lines, style, rng, header=header), style.encoding), style


def generate_corpus(
    out_dir: Path | str,
    *,
    copies: int = 1,
    seed: int = 0,
    limit: int | None = None,
    pdf_share: float = 0.05,
    reference_dir: Path | str | None = None,
    distinct_ids: bool = False,
) -> CorpusReport:
    """Write a sheet for every published alliance (first `limit`), `copies` variants each, plus the manifest."""
    if copies < 1:
        raise ValueError("copies must be at least 1")
    published = load_alliances(reference_dir)
    related = _related_ids(published)
    records = published[:limit] if limit is not None else published
    # IDs are remapped against every published alliance, so a --limit run gets the same IDs as a full one
    id_map = distinct_id_map([r.atopid for r in published], copies) if distinct_ids else {}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = CorpusReport(out_dir=out, manifest=out / MANIFEST_NAME)
    for copy in range(copies):
        folder = out if copy == 0 else out / f"copy_{copy}"
        folder.mkdir(exist_ok=True)
        for rec in records:
            sheet_id = id_map.get((rec.atopid, copy), rec.atopid)
            data, style = render_file(
                rec, seed=seed, copy=copy, pdf_share=pdf_share, atopid=sheet_id, related=related.get(rec.atopid, ())
            )
            kind = "pdf" if style.pdf else "txt"
            path = folder / f"codesheet_{sheet_id}.{kind}"
            path.write_bytes(data)
            report.sheets.append(
                GeneratedSheet(
                    file=path.relative_to(out).as_posix(),
                    atopid=sheet_id,
                    source_atopid=rec.atopid,
                    copy=copy,
                    kind=kind,
                    encoding=style.encoding,
                    quirks=tuple(style.quirks()),
                    sha256=hashlib.sha256(data).hexdigest(),
                )
            )
    write_manifest(report)
    return report


def write_manifest(report: CorpusReport) -> None:
    """Write `.manifest.csv` (LF line endings, so it is byte-stable across platforms)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for s in report.sheets:
        writer.writerow((s.file, s.atopid, s.source_atopid, s.copy, s.kind, s.encoding, " ".join(s.quirks), s.sha256))
    report.manifest.write_text(buf.getvalue(), encoding="utf-8", newline="")


def read_manifest(corpus_dir: Path | str) -> list[GeneratedSheet]:
    """The manifest rows of a generated corpus ([] if it has none)."""
    path = Path(corpus_dir) / MANIFEST_NAME
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            GeneratedSheet(
                file=r["file"],
                atopid=int(r["atopid"]),
                source_atopid=int(r["source_atopid"]),
                copy=int(r["copy"]),
                kind=r["kind"],
                encoding=r["encoding"],
                quirks=tuple(r["quirks"].split()),
                sha256=r["sha256"],
            )
            for r in csv.DictReader(fh)
        ]


__all__ = [
    "CorpusReport",
    "GeneratedSheet",
    "MANIFEST_NAME",
    "distinct_id_map",
    "generate_corpus",
    "read_manifest",
    "render_file",
    "spells",
]
