"""The static HTML status report: content, links, escaping, offline-ness and "what changed"."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from atop_pipeline.analyst.report import compare, render_report
from atop_pipeline.cli import main
from atop_pipeline.sources.store import SnapshotStore

from analyst_warehouses import SNAPSHOT_SHA, build_hand_warehouse

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BeautifulSoup]:
    """The report of the hand-built warehouse, rendered once for the tests that only read it."""
    return _render(tmp_path_factory.mktemp("report"))


def _render(tmp_path: Path, **kwargs) -> tuple[Path, BeautifulSoup]:
    wh = build_hand_warehouse(tmp_path / "atop.duckdb", **kwargs)
    page = render_report(wh, tmp_path / "reports", as_of=AS_OF, snapshot_root=tmp_path / "snapshots")
    return page, BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def test_report_writes_dated_page_latest_index_and_state(page: tuple[Path, BeautifulSoup]) -> None:
    dated, _ = page
    reports = dated.parent
    assert dated.name == "status_2026-11-28.html"
    assert (reports / "index.html").read_text(encoding="utf-8") == dated.read_text(encoding="utf-8")
    state = json.loads((reports / "status_2026-11-28.json").read_text(encoding="utf-8"))
    assert state == {"as_of": "2026-11-28", "alliances": [6070], "verdicts": {"6070": "conflicting"},
                     "quarantined": ["codesheet_9999.txt"]}


def test_sheet_text_is_escaped_not_executed(tmp_path: Path) -> None:
    hostile = 'Still in effect <script>alert("x")</script><img src=x onerror=alert(1)>'
    page, soup = _render(tmp_path, hostile_text=hostile)
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text
    assert soup.find("img") is None
    assert hostile in soup.find(id="sheet-6070-q14").get_text()


def test_only_http_urls_from_the_data_become_links(page: tuple[Path, BeautifulSoup]) -> None:
    _, soup = page
    assert "javascript:alert(1)" in soup.find(id="sources-table").get_text()  # shown, as text
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert hrefs and not [h for h in hrefs if h.lower().startswith(("javascript:", "data:", "vbscript:"))]


def test_page_loads_nothing_from_the_network(page: tuple[Path, BeautifulSoup]) -> None:
    _, soup = page
    assert soup.find("script") is None and soup.find("link") is None and soup.find("iframe") is None
    assert [t for t in soup.find_all(src=True)] == []
    assert "@import" not in soup.find("style").get_text() and "url(" not in soup.find("style").get_text()


def test_in_force_plot_is_inline_svg_with_both_series(page: tuple[Path, BeautifulSoup]) -> None:
    _, soup = page
    svg = soup.find("svg", id="plot-in-force-per-year")
    assert svg is not None
    assert svg.find("title").get_text() == "Alliances in force per year"
    labels = svg.get_text(" ")
    assert "published ATOP 5.1" in labels and "parsed sheets" in labels


def test_verdicts_are_counted_by_category(page: tuple[Path, BeautifulSoup]) -> None:
    _, soup = page
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in soup.find(id="verdicts-table").tbody.find_all("tr")]
    assert rows == [["conflicting", "1", "100%"]]
    assert soup.find("svg", id="plot-verdicts") is not None


def test_disagreement_links_to_the_sheet_answer_and_the_raw_snapshot(page: tuple[Path, BeautifulSoup]) -> None:
    dated, soup = page
    tmp_path = dated.parent.parent
    row = soup.find(id="disagreements-table").tbody.find("tr")
    cells = row.find_all("td")
    assert cells[0].get_text() == "6070"
    assert "denunciation" in cells[3].get_text()
    sheet_link = cells[4].find("a")["href"]
    assert sheet_link == "#sheet-6070-q14" and soup.find(id="sheet-6070-q14") is not None
    assert "codesheet_6070.txt L60-L66" in cells[4].get_text()
    snapshot = [a["href"] for a in cells[5].find_all("a") if a.get_text() == "snapshot"][0]
    expected = SnapshotStore(tmp_path / "snapshots").path_for(SNAPSHOT_SHA)
    assert snapshot == os.path.relpath(expected, tmp_path / "reports")
    assert not Path(snapshot).is_absolute()


def test_quarantined_sheets_and_unreachable_sources_are_listed(page: tuple[Path, BeautifulSoup]) -> None:
    _, soup = page
    quarantine = soup.find(id="quarantine-table").get_text(" ")
    assert "codesheet_9999.txt" in quarantine and "atopid_range" in quarantine and "alliances.atopid" in quarantine
    unreachable = soup.find(id="unreachable-table").get_text(" ")
    assert "https://example.org/dead" in unreachable and "timeout" in unreachable


def test_second_run_lists_what_changed(tmp_path: Path) -> None:
    first = build_hand_warehouse(tmp_path / "one.duckdb", verdict_6070="in_force")
    render_report(first, tmp_path / "reports", as_of=dt.date(2026, 11, 27))
    second = build_hand_warehouse(tmp_path / "two.duckdb", verdict_6070="conflicting")
    page = render_report(second, tmp_path / "reports", as_of=AS_OF)
    changes = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find(id="changes").get_text(" ")
    assert "2026-11-27" in changes
    assert "ATOP 6070: verdict in_force → conflicting" in " ".join(changes.split())


def test_first_run_says_there_is_nothing_to_compare(page: tuple[Path, BeautifulSoup]) -> None:
    _, soup = page
    assert "nothing to compare" in soup.find(id="changes").get_text()


def test_compare_finds_new_and_removed_alliances_and_new_quarantines() -> None:
    before = {"as_of": "2026-01-01", "alliances": [1005, 6070], "verdicts": {"6070": "in_force"}, "quarantined": ["a.txt"]}
    now = {"as_of": "2026-02-01", "alliances": [6070, 7000], "verdicts": {"6070": "in_force"}, "quarantined": ["a.txt", "b.txt"]}
    changes = compare(before, now)
    assert (changes.new_alliances, changes.removed_alliances, changes.new_quarantines) == ([7000], [1005], ["b.txt"])
    assert changes.verdict_changes == []


def test_previous_report_page_can_be_named_explicitly(tmp_path: Path) -> None:
    old = build_hand_warehouse(tmp_path / "one.duckdb", verdict_6070="in_force")
    earlier = render_report(old, tmp_path / "earlier", as_of=dt.date(2026, 11, 1))
    new = build_hand_warehouse(tmp_path / "two.duckdb")
    page = render_report(new, tmp_path / "reports", as_of=AS_OF, previous=earlier)
    changes = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find(id="changes").get_text(" ")
    assert "in_force → conflicting" in " ".join(changes.split())


def test_report_command_writes_the_page(tmp_path: Path, capsys) -> None:
    wh = build_hand_warehouse(tmp_path / "atop.duckdb")
    assert main(["report", "--warehouse", str(wh), "--out", str(tmp_path / "out"), "--as-of", "2026-11-28"]) == 0
    assert (tmp_path / "out" / "index.html").is_file() and (tmp_path / "out" / "status_2026-11-28.html").is_file()
    assert main(["report", "--warehouse", str(tmp_path / "missing.duckdb"), "--out", str(tmp_path / "out")]) == 1


def test_report_of_the_sample_warehouse_shows_the_parsed_alliance(sample_warehouse: Path, tmp_path: Path) -> None:
    page = render_report(sample_warehouse, tmp_path / "reports", as_of=AS_OF)
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in soup.find(id="verdicts-table").tbody.find_all("tr")]
    assert rows == [["in_force", "1", "100%"]]
    assert "6070" in soup.find(id="verdict-detail-table").get_text()
    assert soup.find("svg", id="plot-in-force-per-year") is not None
    assert "agree with ATOP 5.1" in soup.find(id="agreement").get_text()


def test_sources_section_links_each_cited_url_to_its_stored_page(sample_warehouse: Path, tmp_path: Path) -> None:
    page = render_report(sample_warehouse, tmp_path / "reports", as_of=AS_OF)
    row = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find(id="sources-table").tbody.find("tr")
    assert "http://adilet.zan.kz/rus/docs/Z1400000246" in row.get_text()
    assert "in_force (ratifying act)" in row.get_text(" ")
    href = row.find("a", string="raw snapshot")["href"]
    assert not Path(href).is_absolute() and href.endswith(".bin")
    assert (page.parent / href).resolve().is_file()  # the link opens the stored bytes


def test_parsed_open_ended_alliance_counts_to_today_only_while_in_force(tmp_path: Path) -> None:
    import duckdb

    from atop_pipeline.analyst.report import gather

    for verdict, last_year in (("in_force", 2026), ("terminated", 2018)):
        wh = build_hand_warehouse(tmp_path / f"{verdict}.duckdb", verdict_6070=verdict)
        con = duckdb.connect(str(wh), read_only=True)
        try:
            data = gather(con, as_of=AS_OF, warehouse=str(wh), snapshot_root=None, out_dir=tmp_path)
        finally:
            con.close()
        assert (min(data.parsed_per_year), max(data.parsed_per_year)) == (2013, last_year), verdict
        assert max(data.published_per_year) == 2018  # ATOP says nothing after its cut-off


def test_rendering_writes_nothing_under_home(tmp_path: Path) -> None:
    import subprocess
    import sys

    wh = build_hand_warehouse(tmp_path / "atop.duckdb")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPL", "XDG_"))}
    env["HOME"] = str(home)
    code = ("import sys; from pathlib import Path; from atop_pipeline.analyst.report import render_report; "
            "render_report(Path(sys.argv[1]), Path(sys.argv[2]))")
    done = subprocess.run([sys.executable, "-c", code, str(wh), str(tmp_path / "reports")], env=env,
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "reports" / "index.html").is_file()
    assert list(home.rglob("*")) == []  # no ~/.cache/matplotlib, no ~/.config/matplotlib
