"""The static HTML status report: what the warehouse says, at a glance, on one offline page.

`render_report` reads the PUBLISHED warehouse read-only, draws the plots with matplotlib as inline
SVG (no CDN, no JavaScript), escapes every value taken from the data (sheet and page text are
untrusted), and writes `status_<date>.html`, `index.html` (the latest) and `status_<date>.json`
(the small state the next run compares against to say what changed).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

#: ATOP measures INEFFECT against the dataset's cut-off; published rows with no end run to here.
ATOP_CUTOFF_YEAR = 2018
#: Name of the state file the next run compares against (beside the reports).
STATE_LATEST = "state_latest.json"
#: Verdict order for the bar plot and table (unknown categories follow alphabetically).
VERDICT_ORDER = ("in_force", "terminated", "expired", "conflicting", "unknown")


# --------------------------------------------------------------------------------------------------
# What the page shows


@dataclass
class Disagreement:
    """One alliance whose sheet claim and treaty source disagree, with links to both."""

    atopid: int
    sheet_claim: str
    source_says: str
    detail: str
    url: str = ""
    snapshot_href: str = ""  # relative link to the raw snapshot in the content-addressed store
    sheet_file: str = ""
    question: int = 14
    line_start: int | None = None
    line_end: int | None = None


@dataclass
class SheetAnswer:
    """A sheet's answer quoted on the page so a disagreement can link to it."""

    atopid: int
    question: int
    question_text: str
    answer_text: str
    source_file: str
    line_start: int | None
    line_end: int | None

    @property
    def anchor(self) -> str:
        """The HTML id of this answer on the page."""
        return f"sheet-{self.atopid}-q{self.question}"


@dataclass
class ReportData:
    """Everything the page shows, gathered from the warehouse (JSON-ready except `as_of`)."""

    as_of: dt.date
    warehouse: str
    counts: dict[str, int] = field(default_factory=dict)
    published_per_year: dict[int, int] = field(default_factory=dict)
    parsed_per_year: dict[int, int] = field(default_factory=dict)
    verdicts: dict[int, str] = field(default_factory=dict)  # atopid -> verdict
    verdict_rows: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    answers: list[SheetAnswer] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    unreachable: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)  # with "snapshot_href" added
    alliances: list[int] = field(default_factory=list)
    agreement: tuple[int, int] | None = None  # (agree, determined) with the published ATOP 5.1


@dataclass
class Changes:
    """What differs from the previous run's state."""

    previous_as_of: str | None
    new_alliances: list[int] = field(default_factory=list)
    removed_alliances: list[int] = field(default_factory=list)
    verdict_changes: list[tuple[int, str, str]] = field(default_factory=list)  # atopid, before, now
    new_quarantines: list[str] = field(default_factory=list)
    resolved_quarantines: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (
            self.new_alliances or self.removed_alliances or self.verdict_changes or self.new_quarantines or self.resolved_quarantines
        )


# --------------------------------------------------------------------------------------------------
# Reading the warehouse


def _relations(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Every table and view with its column names."""
    out: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
    ).fetchall():
        out.setdefault(table, set()).add(column)
    return out


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Query rows as dicts."""
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _per_year(spans: Iterable[tuple[int | None, int | None]], last_year: int) -> dict[int, int]:
    """How many spans (begin year, end year; None/0 end = still running) cover each year."""
    counts: Counter[int] = Counter()
    for begin, end in spans:
        if not begin:
            continue
        stop = end if end else last_year
        for year in range(int(begin), int(stop) + 1):
            counts[year] += 1
    return dict(sorted(counts.items()))


# The report's queries. Column names are the warehouse DDL's; values are always bound parameters.
_SQL_PUBLISHED_SPANS = "SELECT begyr, endyr FROM published_atop_alliances"
_SQL_PARSED_SPANS = "SELECT begyr, endyr FROM alliances"
# An open-ended parsed alliance runs to the as-of year only while its latest verdict says in force;
# otherwise what is known is ATOP's: in effect at the 2018 cut-off.
_SQL_PARSED_SPANS_WITH_VERDICT = """
    SELECT a.begyr,
           CASE WHEN a.endyr > 0 THEN a.endyr
                WHEN s.verdict IS NULL OR s.verdict = 'in_force' THEN ?
                ELSE ? END AS last_year
    FROM alliances AS a LEFT JOIN current_in_force AS s USING (atopid)"""
_SQL_ALLIANCE_IDS = "SELECT atopid FROM alliances ORDER BY atopid"
_SQL_CURRENT_VERDICTS = """
    SELECT atopid, verdict, sheet_claim, sheet_claim_date, source_status, term_end, next_notice_deadline, as_of,
           json_extract_string(warnings_json, '$[*].kind') AS warnings
    FROM current_in_force ORDER BY atopid"""
# Only the disagreements of each alliance's current verdict; Q14 is the sheet's termination answer.
_SQL_DISAGREEMENTS = """
    SELECT d.atopid, d.ordinal, d.kind, d.disagreement, d.disagreement_json, c.sheet_claim, c.source_status, c.verdict,
           a.number AS question, a.line_start, a.line_end, s.source_file
    FROM in_force_disagreements AS d
    JOIN current_in_force AS c USING (atopid, as_of)
    LEFT JOIN answers AS a ON a.atopid = d.atopid AND a.number = 14
    LEFT JOIN codesheets AS s ON s.sha256 = a.sha256
    ORDER BY d.atopid, d.ordinal"""
# The sheet's cited URLs with their latest successful snapshot (the raw bytes behind the reading).
_SQL_SOURCES_OF = """
    SELECT c.url, snap.sha256, snap.snapshot_id, snap.fetched_at
    FROM citations AS c
    LEFT JOIN (
        SELECT * FROM source_snapshots WHERE sha256 IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC, snapshot_id) = 1
    ) AS snap ON snap.url = c.url
    WHERE c.atopid = ?
    GROUP BY ALL
    ORDER BY min(c.question), c.url"""
_SQL_ANSWER = """
    SELECT a.atopid, a.number, a.question_text, a.answer_text, a.line_start, a.line_end, s.source_file
    FROM answers AS a LEFT JOIN codesheets AS s ON s.sha256 = a.sha256
    WHERE a.atopid = ? AND a.number = ?"""
# Every cited source with its latest attempt, the latest page actually stored, and what it says.
_SQL_SOURCES = """
    WITH cited AS (
        SELECT url, string_agg(DISTINCT CAST(atopid AS VARCHAR), ', ' ORDER BY CAST(atopid AS VARCHAR)) AS atopids
        FROM citations GROUP BY url
    ), latest AS (
        SELECT url, outcome, fetched_at FROM source_snapshots
        QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC, snapshot_id DESC) = 1
    ), stored AS (
        SELECT url, snapshot_id, sha256 FROM source_snapshots WHERE sha256 IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC, snapshot_id DESC) = 1
    )
    SELECT c.url, c.atopids, l.outcome, l.fetched_at, s.sha256,
           r.status_norm, r.subject, r.status_class, r.title
    FROM cited AS c
    LEFT JOIN latest AS l USING (url)
    LEFT JOIN stored AS s USING (url)
    LEFT JOIN source_readings AS r ON r.snapshot_id = s.snapshot_id
    QUALIFY row_number() OVER (PARTITION BY c.url ORDER BY r.reader) = 1
    ORDER BY c.url"""
_SQL_AGREEMENT = "SELECT determined, agree FROM reconciliation_summary WHERE variable = '(all)'"
# Fetch failures are a source problem, not a quarantined sheet: they are listed under "unreachable".
_SQL_QUARANTINE = """
    SELECT source_file, atopid, stage, error, table_name, column_name, question, value, message
    FROM ingest_errors WHERE stage <> 'fetch'
    ORDER BY source_file, stage, error, column_name NULLS FIRST, question NULLS FIRST, value NULLS FIRST"""
# A URL is unreachable when its latest attempt did not bring the page (ok / not_modified are fine).
_SQL_UNREACHABLE = """
    SELECT url, outcome, status_code, error_message, fetched_at
    FROM source_snapshots
    QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC, snapshot_id) = 1
        AND outcome NOT IN ('ok', 'not_modified')
    ORDER BY url"""


def _snapshot_file(store_root: Path, sha256: str) -> Path:
    """Where the content-addressed snapshot store keeps these bytes (`SnapshotStore.path_for`'s layout)."""
    return store_root / sha256[:2] / f"{sha256}.bin"


def gather(con: duckdb.DuckDBPyConnection, *, as_of: dt.date, warehouse: str, snapshot_root: Path | None, out_dir: Path) -> ReportData:
    """Read what the report shows from an open (read-only) warehouse connection."""
    rel = _relations(con)
    data = ReportData(as_of=as_of, warehouse=warehouse)

    if "published_atop_alliances" in rel:
        spans = con.execute(_SQL_PUBLISHED_SPANS).fetchall()
        data.published_per_year = _per_year(spans, ATOP_CUTOFF_YEAR)
        data.counts["published ATOP 5.1 alliances"] = len(spans)
    if "alliances" in rel:
        if "current_in_force" in rel:
            spans = con.execute(_SQL_PARSED_SPANS_WITH_VERDICT, [as_of.year, ATOP_CUTOFF_YEAR]).fetchall()
        else:
            spans = con.execute(_SQL_PARSED_SPANS).fetchall()
        data.parsed_per_year = _per_year(spans, as_of.year)
        data.alliances = [int(r[0]) for r in con.execute(_SQL_ALLIANCE_IDS).fetchall()]
        data.counts["parsed alliances"] = len(data.alliances)
    if "reconciliation_summary" in rel:
        row = con.execute(_SQL_AGREEMENT).fetchone()
        if row is not None and row[0]:
            data.agreement = (int(row[1]), int(row[0]))
    if "current_in_force" in rel:
        data.verdict_rows = _rows(con, _SQL_CURRENT_VERDICTS)
        data.verdicts = {int(r["atopid"]): str(r["verdict"]) for r in data.verdict_rows}
        for r in data.verdict_rows:
            r["warnings"] = ", ".join(str(w).replace("_", " ") for w in (r.get("warnings") or []))
        data.counts["stale sheet claims"] = sum("stale claim" in r["warnings"] for r in data.verdict_rows)
    if "in_force_disagreements" in rel:
        data.disagreements = _disagreements(con, snapshot_root, out_dir)
        for atopid, question in sorted({(d.atopid, d.question) for d in data.disagreements}):
            for row in _rows(con, _SQL_ANSWER, [atopid, question]):
                data.answers.append(
                    SheetAnswer(atopid, question, row["question_text"], row["answer_text"], row["source_file"] or "", row["line_start"], row["line_end"])
                )
    if "ingest_errors" in rel:
        data.quarantined = _rows(con, _SQL_QUARANTINE)
        data.counts["quarantined sheets"] = len({q["source_file"] for q in data.quarantined})
    if {"source_snapshots", "citations", "source_readings"} <= set(rel):
        data.sources = _rows(con, _SQL_SOURCES)
        for src in data.sources:
            src["snapshot_href"] = (
                os.path.relpath(_snapshot_file(Path(snapshot_root).resolve(), str(src["sha256"])), out_dir).replace(os.sep, "/")
                if src["sha256"] and snapshot_root is not None
                else ""
            )
    if "source_snapshots" in rel:
        data.unreachable = _rows(con, _SQL_UNREACHABLE)
        data.counts["unreachable sources"] = len(data.unreachable)
    return data


def _json_object(text: Any) -> dict[str, Any]:
    """A JSON object from text, or {} when it is a plain string or not JSON."""
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {"detail": value} if isinstance(value, str) else {}


def _disagreements(con: duckdb.DuckDBPyConnection, snapshot_root: Path | None, out_dir: Path) -> list[Disagreement]:
    """Current disagreements, each with the sheet's Q14 location and the cited sources' snapshots."""
    out: list[Disagreement] = []
    sources: dict[int, list[dict[str, Any]]] = {}
    for row in _rows(con, _SQL_DISAGREEMENTS):
        atopid = int(row["atopid"])
        item = _json_object(row["disagreement_json"])
        if atopid not in sources:
            sources[atopid] = _rows(con, _SQL_SOURCES_OF, [atopid])
        cited = sources[atopid]
        # the source the disagreement names, else the first cited source that was fetched
        named = str(item.get("url") or "")
        first = next((s for s in cited if named and s["url"] == named), None) or next((s for s in cited if s["sha256"]), None)
        href = ""
        if first is not None and first["sha256"] and snapshot_root is not None:
            href = os.path.relpath(_snapshot_file(Path(snapshot_root).resolve(), str(first["sha256"])), out_dir).replace(os.sep, "/")
        kind = str(item.get("kind") or row["kind"] or "")
        text = str(item.get("detail") or item.get("message") or row["disagreement"] or "")
        detail = f"{kind}: {text}" if kind else text
        out.append(
            Disagreement(
                atopid=atopid,
                sheet_claim=str(row["sheet_claim"] or ""),
                source_says=str(row["source_status"] or row["verdict"] or ""),
                detail=detail,
                url=named or (str(first["url"]) if first is not None else ""),
                snapshot_href=href,
                sheet_file=str(row["source_file"] or ""),
                question=int(row["question"] or 14),
                line_start=row["line_start"],
                line_end=row["line_end"],
            )
        )
    return out


# --------------------------------------------------------------------------------------------------
# State and changes


def state_of(data: ReportData) -> dict[str, Any]:
    """The small JSON state of one run, for the next run's "what changed"."""
    return {
        "as_of": data.as_of.isoformat(),
        "alliances": sorted(data.alliances),
        "verdicts": {str(k): v for k, v in sorted(data.verdicts.items())},
        "quarantined": sorted({str(q.get("source_file") or "") for q in data.quarantined if q.get("source_file")}),
    }


def compare(previous: dict[str, Any] | None, current: dict[str, Any]) -> Changes:
    """What changed between two run states (None: no previous run)."""
    if previous is None:
        return Changes(previous_as_of=None)
    before_a, now_a = set(previous.get("alliances", [])), set(current["alliances"])
    before_v, now_v = previous.get("verdicts", {}), current["verdicts"]
    before_q, now_q = set(previous.get("quarantined", [])), set(current["quarantined"])
    return Changes(
        previous_as_of=previous.get("as_of"),
        new_alliances=sorted(now_a - before_a),
        removed_alliances=sorted(before_a - now_a),
        verdict_changes=[
            (int(k), before_v[k], now_v[k]) for k in sorted(now_v, key=int) if k in before_v and before_v[k] != now_v[k]
        ],
        new_quarantines=sorted(now_q - before_q),
        resolved_quarantines=sorted(before_q - now_q),
    )


def _load_state(path: Path | None) -> dict[str, Any] | None:
    """A state file's content; a report's HTML path stands for the JSON beside it."""
    if path is None:
        return None
    if path.suffix == ".html":
        path = path.with_suffix(".json")
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a broken state file only costs the "what changed" section


# --------------------------------------------------------------------------------------------------
# Plots: matplotlib's object API (no pyplot global state), rendered to inline SVG


def _svg(fig: Any, *, element_id: str, title: str, salt: str) -> str:
    """A matplotlib figure as an inline <svg> element with an id and an accessible title."""
    import matplotlib

    buf = io.StringIO()
    # text as <text> (small, searchable); fixed hash salt and no date so the output is reproducible
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE: this is inline HTML
    svg = svg.replace(
        "<svg ",
        f'<svg id="{html.escape(element_id)}" role="img" aria-labelledby="{html.escape(element_id)}-title" ',
        1,
    )
    head_end = svg.index(">") + 1
    return svg[:head_end] + f'<title id="{html.escape(element_id)}-title">{html.escape(title)}</title>' + svg[head_end:]


def plot_in_force_per_year(data: ReportData) -> str:
    """Inline SVG: alliances in force per year, published ATOP 5.1 and parsed sheets."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    first = min([*data.published_per_year, *data.parsed_per_year, 1815])
    last = max([*data.published_per_year, *data.parsed_per_year, data.as_of.year])
    years = list(range(first, last + 1))
    # the published series stops at the cut-off: after it ATOP says nothing, which is not zero
    pub_years = [y for y in years if y <= ATOP_CUTOFF_YEAR]
    pub = [data.published_per_year.get(y, 0) for y in pub_years]
    parsed = [data.parsed_per_year.get(y, 0) for y in years]
    top.fill_between(pub_years, pub, step="mid", alpha=0.18, color="#1f5f99")
    top.step(pub_years, pub, where="mid", color="#1f5f99", linewidth=1.4, label="published ATOP 5.1")
    top.axvline(ATOP_CUTOFF_YEAR + 0.5, color="#888", linewidth=0.8, linestyle=":")
    top.text(ATOP_CUTOFF_YEAR + 0.5, max(pub + [1]) * 0.95, " ATOP cut-off", fontsize=8, color="#666", va="top")
    top.set_ylabel("alliances in force")
    top.set_title("Published ATOP 5.1", fontsize=10, loc="left")
    bottom.step(years, parsed, where="mid", color="#c2571a", linewidth=1.6, label="parsed sheets")
    bottom.fill_between(years, parsed, step="mid", alpha=0.2, color="#c2571a")
    bottom.set_ylabel("in force")
    bottom.set_ylim(0, max(parsed + [1]) * 1.25)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    bottom.set_title("Parsed codesheets in this warehouse", fontsize=10, loc="left")
    bottom.set_xlim(first, last + 1)
    for ax in (top, bottom):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        ax.legend(loc="upper left", frameon=False, fontsize=8)
    fig.align_ylabels([top, bottom])
    return _svg(fig, element_id="plot-in-force-per-year", title="Alliances in force per year", salt="in-force-per-year")


def _verdict_counts(data: ReportData) -> list[tuple[str, int]]:
    """(verdict, count) in the fixed verdict order, then others alphabetically."""
    counts = Counter(data.verdicts.values())
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    return sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def plot_verdicts(counts: list[tuple[str, int]]) -> str:
    """Inline SVG: a horizontal bar per verdict category."""
    from matplotlib.figure import Figure

    palette = {"in_force": "#2e7d32", "terminated": "#616161", "expired": "#8d6e63", "conflicting": "#c62828", "unknown": "#9e9e9e"}
    fig = Figure(figsize=(6, 0.5 + 0.45 * max(len(counts), 1)))
    ax = fig.subplots()
    labels = [c[0] for c in counts][::-1]
    values = [c[1] for c in counts][::-1]
    bars = ax.barh(labels, values, color=[palette.get(l, "#1f5f99") for l in labels])
    ax.bar_label(bars, padding=3, fontsize=9)
    ax.set_xlabel("alliances")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlim(0, max(values + [1]) * 1.15)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig, element_id="plot-verdicts", title="In-force verdicts by category", salt="verdicts")


# --------------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
header{background:#17324d;color:#fff;padding:1.2rem 2rem}
header h1{margin:0;font-size:1.5rem}header p{margin:.3rem 0 0;opacity:.85}
main{max-width:1100px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:1rem 1.4rem;margin:1.2rem 0}
h2{font-size:1.15rem;margin:.2rem 0 .8rem}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}
.card{flex:1 1 110px;background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:.7rem 1rem}
.card b{display:block;font-size:1.6rem}.card span{color:#57606a;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eaecef;vertical-align:top}
th{background:#f3f5f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}
svg{max-width:100%;height:auto}
#plot-in-force-per-year{width:100%}
.muted{color:#6a737d}.changed{color:#b35900}
pre{white-space:pre-wrap;background:#f6f8fa;padding:.6rem;border-radius:6px;font-size:.82rem}
.verdict{display:inline-block;padding:0 .45rem;border-radius:10px;background:#eef;font-size:.8rem}
.two{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem;align-items:start}
footer{color:#6a737d;font-size:.8rem;text-align:center;padding:1rem}
"""


def _e(value: Any) -> str:
    """Escape any value for HTML text or attribute use (None shows as empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str, text: str | None = None) -> str:
    """A link to an http(s) URL from the data; anything else (javascript:, data:, ...) is shown as text only."""
    shown = _e(url if text is None else text)
    if not url.lower().startswith(("http://", "https://")):
        return shown
    return f'<a href="{_e(url)}" rel="noreferrer noopener">{shown}</a>'


def _table(table_id: str, headers: Sequence[str], rows: Iterable[Sequence[str]], *, caption: str = "") -> str:
    """An HTML table; `rows` cells must already be escaped HTML."""
    head = "".join(f"<th scope=\"col\">{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption class=\"muted\">{_e(caption)}</caption>" if caption else ""
    return f'<table id="{_e(table_id)}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _lines(start: Any, end: Any) -> str:
    """A line span as text ("L12-L20")."""
    if start is None:
        return ""
    return f"L{start}" + (f"-L{end}" if end is not None and end != start else "")


def _changes_html(changes: Changes) -> str:
    """The "what changed" section body."""
    if changes.previous_as_of is None:
        return '<p class="muted">First report in this folder: nothing to compare with yet.</p>'
    if changes.empty:
        return f"<p>No changes since the previous run ({_e(changes.previous_as_of)}).</p>"
    items: list[str] = []
    for atopid, before, now in changes.verdict_changes:
        items.append(f'<li class="changed">ATOP {_e(atopid)}: verdict {_e(before)} → <b>{_e(now)}</b></li>')
    if changes.new_alliances:
        items.append("<li>New alliances: " + ", ".join(_e(a) for a in changes.new_alliances) + "</li>")
    if changes.removed_alliances:
        items.append("<li>Alliances no longer in the warehouse: " + ", ".join(_e(a) for a in changes.removed_alliances) + "</li>")
    if changes.new_quarantines:
        items.append("<li>Newly quarantined sheets: " + ", ".join(f"<code>{_e(q)}</code>" for q in changes.new_quarantines) + "</li>")
    if changes.resolved_quarantines:
        items.append("<li>No longer quarantined: " + ", ".join(f"<code>{_e(q)}</code>" for q in changes.resolved_quarantines) + "</li>")
    return f"<p>Since the previous run ({_e(changes.previous_as_of)}):</p><ul id=\"changes-list\">{''.join(items)}</ul>"


def render_html(data: ReportData, changes: Changes) -> str:
    """The whole report page."""
    counts = _verdict_counts(data)
    total = sum(c for _, c in counts) or 1
    cards = "".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for k, v in data.counts.items())
    cards += f'<div class="card"><b>{len(data.disagreements)}</b><span>disagreements</span></div>'
    if data.agreement is not None:
        agree, determined = data.agreement
        cards += (f'<div class="card" id="agreement"><b>{100 * agree / determined:.1f}%</b>'
                  f"<span>agree with ATOP 5.1 ({agree}/{determined} values)</span></div>")

    if counts:
        verdict_body = (
            '<div class="two"><div>' + plot_verdicts(counts) + "</div><div>"
            + _table("verdicts-table", ["verdict", "alliances", "share"],
                     ([f'<span class="verdict">{_e(v)}</span>', f'<span class="num">{c}</span>', f"{100 * c / total:.0f}%"] for v, c in counts))
            + "</div></div>"
        )
        detail_cols = ["atopid", "verdict", "sheet_claim", "sheet_claim_date", "source_status", "term_end", "next_notice_deadline", "warnings"]
        # a short list is worth showing; a long one stays folded
        verdict_body += f"<details{' open' if len(data.verdict_rows) <= 30 else ''}><summary>Verdict per alliance</summary>" + _table(
            "verdict-detail-table", [c.replace("_", " ") for c in detail_cols], ([_e(r.get(c)) for c in detail_cols] for r in data.verdict_rows)
        ) + "</details>"
    else:
        verdict_body = '<p class="muted">No in-force verdicts in this warehouse yet.</p>' + _table("verdicts-table", ["verdict", "alliances", "share"], [])

    dis_rows = []
    for d in data.disagreements:
        sheet_link = f'<a href="#{_e(f"sheet-{d.atopid}-q{d.question}")}">Q{_e(d.question)}</a>'
        where = " ".join(x for x in (d.sheet_file, _lines(d.line_start, d.line_end)) if x)
        source = _link(d.url)
        snap = f'<a href="{_e(d.snapshot_href)}">snapshot</a>' if d.snapshot_href else '<span class="muted">no snapshot</span>'
        dis_rows.append([_e(d.atopid), _e(d.sheet_claim), _e(d.source_says), _e(d.detail), f"{sheet_link} <span class=\"muted\">{_e(where)}</span>", f"{source}<br>{snap}"])
    disagreements = (
        _table("disagreements-table", ["ATOP ID", "sheet says", "source says", "why", "sheet question", "source"], dis_rows)
        if dis_rows
        else '<p>No disagreements between sheets and sources.</p>' + _table("disagreements-table", ["ATOP ID", "sheet says", "source says", "why", "sheet question", "source"], [])
    )

    answers = "".join(
        f'<article id="{_e(a.anchor)}"><h3>ATOP {_e(a.atopid)}, Q{_e(a.question)} '
        f'<span class="muted">{_e(a.source_file)} {_e(_lines(a.line_start, a.line_end))}</span></h3>'
        f"<p class=\"muted\">{_e(a.question_text)}</p><pre>{_e(a.answer_text)}</pre></article>"
        for a in data.answers
    ) or '<p class="muted">No sheet answers cited.</p>'

    q_rows = []
    for q in data.quarantined:
        where = " ".join(x for x in (q.get("table_name") and f"{q['table_name']}.{q.get('column_name') or ''}", q.get("question") and f"Q{q['question']}") if x)
        q_rows.append([f"<code>{_e(q.get('source_file'))}</code>", _e(q.get("atopid")), _e(q.get("stage")), _e(q.get("error")), _e(where), _e(q.get("value")), _e(q.get("message"))])
    quarantine = (
        _table("quarantine-table", ["sheet file", "ATOP ID", "stage", "check", "where", "value", "message"], q_rows)
        if q_rows
        else "<p>No quarantined sheets.</p>"
    )
    u_rows = [[_e(u["url"]), _e(u["outcome"]), _e(u["status_code"]), _e(u["error_message"]), _e(u["fetched_at"])] for u in data.unreachable]
    unreachable = (
        _table("unreachable-table", ["URL", "outcome", "HTTP status", "error", "last attempt"], u_rows)
        if u_rows
        else "<p>Every cited source was reached on its latest attempt.</p>"
    )

    s_rows = []
    for src in data.sources:
        snap = f'<a href="{_e(src["snapshot_href"])}">raw snapshot</a>' if src["snapshot_href"] else '<span class="muted">none stored</span>'
        says = " ".join(x for x in (src["status_norm"], src["subject"] and f"({str(src['subject']).replace('_', ' ')})") if x)
        s_rows.append([
            f'{_link(str(src["url"]))}<br><span class="muted">{_e(src["title"])}</span>',
            _e(src["atopids"]), _e(src["outcome"]), _e(src["fetched_at"]), _e(says), snap,
        ])
    sources = (
        _table("sources-table", ["URL", "cited by", "latest attempt", "when", "page says", "stored page"], s_rows)
        if s_rows
        else '<p class="muted">No cited sources recorded.</p>'
    )

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>ATOP pipeline status, {_e(data.as_of.isoformat())}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>ATOP pipeline status</h1><p>as of {_e(data.as_of.isoformat())} · warehouse <code>{_e(data.warehouse)}</code></p></header>
<main>
<div class="cards" id="summary">{cards}</div>
<section id="changes"><h2>What changed since the previous run</h2>{_changes_html(changes)}</section>
<section id="in-force-per-year"><h2>Alliances in force per year</h2>{plot_in_force_per_year(data)}
<p class="muted">Published ATOP 5.1 rows with no end date count as in force through {ATOP_CUTOFF_YEAR}, the dataset's cut-off;
a parsed sheet's alliance with no end date counts through {data.as_of.year} while its latest verdict is
"in force", otherwise through {ATOP_CUTOFF_YEAR}.</p></section>
<section id="verdicts"><h2>In-force verdicts by category</h2>{verdict_body}</section>
<section id="disagreements"><h2>Disagreements between sheet and source</h2>{disagreements}</section>
<section id="quarantine"><h2>Quarantined sheets and why</h2>{quarantine}</section>
<section id="sources"><h2>Sources consulted</h2>{sources}</section>
<section id="unreachable"><h2>Sources that could not be reached</h2>{unreachable}</section>
<section id="sheet-answers"><h2>Sheet answers cited above</h2>{answers}</section>
</main>
<footer>Generated by atop-pipeline. ATOP data: Leeds, Ritter, Mitchell and Long (2002), "Alliance Treaty Obligations and Provisions, 1815-1944", <i>International Interactions</i> 28: 237-60.</footer>
</body>
</html>
"""


def render_report(
    warehouse_path: Path,
    out_dir: Path,
    *,
    previous: Path | None = None,
    as_of: dt.date | None = None,
    snapshot_root: Path | None = None,
) -> Path:
    """Write `status_<date>.html`, `index.html` and the run's state JSON into out_dir; returns the dated page.

    `previous` is the previous run's state JSON (or its HTML page, whose JSON sits beside it);
    without it the last state written into `out_dir` is used. `snapshot_root` is the raw snapshot
    store (default: the `snapshots` folder beside the warehouse, where `status` keeps them).
    """
    as_of = as_of or dt.date.today()
    if snapshot_root is None:
        try:
            from atop_pipeline.sources.commands import snapshot_root as default_snapshot_root

            snapshot_root = default_snapshot_root(Path(warehouse_path))
        except ImportError:
            snapshot_root = Path(warehouse_path).parent / "snapshots"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # matplotlib keeps its font cache in its config dir, by default under HOME (~/.cache, ~/.config);
    # unless the caller chose one, keep it beside the reports so a run writes nothing outside the project.
    os.environ.setdefault("MPLCONFIGDIR", str((out_dir / ".matplotlib").resolve()))
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        data = gather(con, as_of=as_of, warehouse=str(warehouse_path), snapshot_root=snapshot_root, out_dir=out_dir.resolve())
    finally:
        con.close()
    state = state_of(data)
    prior = _load_state(previous if previous is not None else out_dir / STATE_LATEST)
    page = render_html(data, compare(prior, state))

    dated = out_dir / f"status_{as_of.isoformat()}.html"
    state_text = json.dumps(state, indent=2, sort_keys=True) + "\n"
    for path, text in ((dated, page), (out_dir / "index.html", page), (dated.with_suffix(".json"), state_text), (out_dir / STATE_LATEST, state_text)):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)  # a reader never sees half a page
    return dated
