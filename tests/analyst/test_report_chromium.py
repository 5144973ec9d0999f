"""The status report as a browser renders it: Debian's headless Chromium, offline, file:// URL."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from atop_pipeline.analyst.report import render_report

from analyst_warehouses import build_hand_warehouse

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (CI installs it and never skips)",
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with no network-facing extras and a throw-away profile."""
    assert CHROMIUM is not None, "chromium is required in CI (apt-get install chromium)"
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}", *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}  # chromium writes caches under HOME
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, check=False)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    wh = build_hand_warehouse(tmp_path / "atop.duckdb")
    return render_report(wh, tmp_path / "reports", as_of=dt.date(2026, 11, 28), snapshot_root=tmp_path / "snapshots")


def test_rendered_page_has_the_plots_and_the_tables(tmp_path: Path, report: Path) -> None:
    done = _chromium(tmp_path, "--dump-dom", report.resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = BeautifulSoup(done.stdout, "html.parser")
    plot = dom.find("svg", id="plot-in-force-per-year")
    assert plot is not None and plot.find("title").get_text() == "Alliances in force per year"
    assert plot.find_all("path"), "the plot has no drawn lines"
    assert dom.find("svg", id="plot-verdicts") is not None
    verdicts = dom.find("table", id="verdicts-table")
    assert [td.get_text(strip=True) for td in verdicts.tbody.find("tr").find_all("td")][:2] == ["conflicting", "1"]
    disagreements = dom.find("table", id="disagreements-table")
    assert disagreements.tbody.find("tr").find("td").get_text() == "6070"


def test_screenshot_of_the_page_is_drawn(tmp_path: Path, report: Path) -> None:
    shot = tmp_path / "shot.png"
    done = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report.resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 60_000  # a near-blank 1280x2000 page is ~12 kB; plots and tables are far more
