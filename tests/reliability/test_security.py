"""Security properties: no SQL built from data, no shell, confinement of paths, the fetch address policy
for URLs that sheets cite, and size caps.

The static checks read the package's source with `ast`. SQL text built with f-strings is allowed only
at reviewed sites that splice identifiers checked against an allow-list (table names from the pandera
registry, column names from the catalog); a new site fails the test until it is reviewed and listed.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import duckdb
import pytest

from atop_pipeline.sources.http import FetchSettings, PoliteFetcher
from tests.reliability.conftest import REPO, snapshot_tree
from tests.reliability.hostile import FIXTURES, REAL_6070
from tests.sources.server import LoopbackServer, Reply

pytestmark = pytest.mark.timeout(300)

PACKAGE = REPO / "atop_pipeline"
_SQL_WORDS = re.compile(r"\b(SELECT|INSERT|DELETE|UPDATE|CREATE|DROP|ALTER|ATTACH|COPY|PRAGMA|INSTALL|LOAD)\b")

#: (file, function) -> the names it may splice into SQL, and why that is safe. Reviewed by hand.
REVIEWED_SQL_SITES: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    ("pipeline.py", "table_preview"): (frozenset({"name"}), "name = _table_sql(table): the pandera registry allow-list"),
    ("pipeline.py", "check_table"): (frozenset({"name"}), "name = _table_sql(table): the pandera registry allow-list"),
    ("pipeline.py", "prepare_warehouse"): (frozenset({"_table_sql(t)"}), "constant tuple, then allow-list"),
    ("pipeline.py", "publish"): (frozenset({"_table_sql(t)"}), "constant tuple, then allow-list"),
    ("warehouse/db.py", "reconciliation_sql"): (frozenset({"v", "body"}),
                                                "v matched against ALLIANCE_COLUMNS and an identifier regex"),
    ("warehouse/db.py", "_table_counts"): (frozenset({"name"}), "names from duckdb_tables(), identifier regex"),
    ("warehouse/export.py", "<module>"): (frozenset({"view"}), "keys of the constant EXPORT_VIEWS"),
    ("warehouse/writer.py", "write_rows"): (frozenset({"table", "_INCOMING", "match", "select"}),
                                            "table and columns checked by _check_identifier against SCHEMAS and the catalog"),
    ("warehouse/writer.py", "replace_table"): (frozenset({"table", "select", "_INCOMING"}), "validated() checks the table"),
    ("warehouse/writer.py", "delete_alliances"): (frozenset({"table"}), "_check_identifier against SCHEMAS"),
}


def _package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _functions_by_node(tree: ast.AST) -> dict[int, str]:
    owner: dict[int, str] = {}
    for func in ast.walk(tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                owner[id(node)] = func.name  # innermost wins: inner functions are walked later
    return owner


def _sql_fstrings() -> list[tuple[str, str, int, list[str]]]:
    """(file, function, line, spliced expressions) of every f-string that looks like SQL."""
    found = []
    for path in _package_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner = _functions_by_node(tree)
        rel = str(path.relative_to(PACKAGE))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
                if _SQL_WORDS.search(text) and re.search(r"\b(FROM|INTO|TABLE|VIEW|SET)\b", text):
                    spliced = [ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)]
                    found.append((rel, owner.get(id(node), "<module>"), node.lineno, spliced))
    return found


def test_sql_is_never_formatted_from_data() -> None:
    unreviewed = []
    for rel, function, line, spliced in _sql_fstrings():
        allowed, _ = REVIEWED_SQL_SITES.get((rel, function), (frozenset(), ""))
        extra = [s for s in spliced if s not in allowed]
        if extra:
            unreviewed.append(f"{rel}:{line} in {function}() splices {extra}")
    assert not unreviewed, "SQL built by formatting; bind values with ? or add a reviewed identifier site:\n" + "\n".join(unreviewed)


def test_no_sql_is_built_with_percent_or_format() -> None:
    offenders = []
    for path in _package_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            template = None
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)) and isinstance(node.left, ast.Constant):
                template = node.left.value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
                  and isinstance(node.func.value, ast.Constant)):
                template = node.func.value.value
            if isinstance(template, str) and _SQL_WORDS.search(template) and re.search(r"\b(FROM|INTO)\b", template):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


def test_every_reviewed_sql_site_still_exists() -> None:
    # Keeps the review list honest: a site that went away must leave the list too.
    present = {(rel, function) for rel, function, _, _ in _sql_fstrings()}
    assert set(REVIEWED_SQL_SITES) <= present, set(REVIEWED_SQL_SITES) - present


def test_no_shell_no_eval_no_os_system() -> None:
    offenders = []
    for path in _package_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            if name in {"os.system", "os.popen", "eval", "exec", "os.execv", "os.execvp", "os.spawnl", "pty.spawn"}:
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} {name}")
            for keyword in node.keywords:
                if keyword.arg == "shell" and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} shell=")
            if name.startswith("subprocess.") and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr)):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} {name} with a command string")
    assert offenders == []


@pytest.mark.parametrize("table", ["alliances; DROP TABLE members", "alliances --", "main.alliances", "ALLIANCES"])
def test_table_names_outside_the_allow_list_are_refused(table: str) -> None:
    import pandas as pd

    from atop_pipeline.warehouse.writer import delete_alliances, write_rows

    con = duckdb.connect(":memory:")
    with pytest.raises(ValueError):
        write_rows(con, table, pd.DataFrame({"atopid": [1]}), key=["atopid"])
    with pytest.raises(ValueError):
        delete_alliances(con, table, [1])


# --------------------------------------------------------------------------------------------------
# URLs that sheets cite: only http(s), and only public addresses unless configured otherwise.

HOSTILE_CITATIONS = (
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[::1]:{port}/ipv6-loopback",
    "http://127.0.0.1:{port}/loopback",
    "http://0x7f000001:{port}/hex-loopback",
    "http://10.0.0.1:{port}/private",
)


def _sheet_citing(urls: list[str], *, extra_text: str = "") -> bytes:
    text = REAL_6070.read_text(encoding="utf-8")
    adilet = "http://adilet.zan.kz/rus/docs/Z1400000246"
    assert adilet in text
    text = text.replace(adilet, " ".join(urls) + extra_text)  # no real host is ever contacted
    return text.encode("utf-8")


def test_urls_cited_by_a_sheet_are_refused_outside_the_address_policy(tmp_path: Path) -> None:
    from atop_pipeline.pipeline import run_ingest

    with LoopbackServer(fallback=Reply(200, b"<html>secret</html>", {"Content-Type": "text/html"})) as server:
        urls = [u.format(port=server.port) for u in HOSTILE_CITATIONS]
        sheets = tmp_path / "sheets"
        sheets.mkdir()
        (sheets / "codesheet_6070.txt").write_bytes(_sheet_citing(urls))
        settings = FetchSettings(min_interval_s=0.01, connect_timeout_s=1.0, read_timeout_s=1.0, max_retries=0,
                                 total_deadline_s=5.0)  # the default address policy: public addresses only
        assert not settings.allow_private_addresses
        warehouse = tmp_path / "warehouse" / "atop.duckdb"
        run_ingest(sheets, warehouse, offline=False, as_of=dt.date(2026, 11, 28), fetch_settings=settings)
        assert server.requests == []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        outcomes = dict(con.execute("SELECT url, outcome FROM source_snapshots").fetchall())
    finally:
        con.close()
    assert set(outcomes) == set(urls)
    assert set(outcomes.values()) == {"address_refused"}, outcomes


def test_a_file_url_cited_by_a_sheet_is_refused_and_recorded(tmp_path: Path) -> None:
    from atop_pipeline.codesheets.parser import parse_bytes

    sheet = parse_bytes(_sheet_citing(["file:///etc/passwd"]), "codesheet_6070.txt")
    recorded = [c.url for c in sheet.citations] + sheet.warnings
    assert any("file:///etc/passwd" in item for item in recorded)


# --------------------------------------------------------------------------------------------------
# Paths: nothing named by input content escapes its folder.


#: Identifiers that hold text from input (sheets, pages, URLs) when they appear in a path expression.
_DATA_NAMES = {"source_file", "url", "final_url", "title", "answer_text", "quote", "text", "location", "name",
               "filename", "member", "label", "article"}

#: (file, expression) -> why joining that name into a path is confined. Reviewed by hand.
REVIEWED_PATH_JOINS: dict[tuple[str, str], str] = {
    ("sources/fetch.py", "root / name"): "name = safe_file_name(...) ([A-Za-z0-9._-] only), then is_relative_to(root)",
    ("warehouse/reference.py", "directory / name"): "name from the constant list of reference files",
    ("commands_ingest.py", "Path.cwd() / name"): "name from the constant INSTANCE_FILES",
    ("commands_ingest.py", "published.parent / f\".{published.name.removesuffix('.duckdb')}.run.lock\""):
        "the configured warehouse path (trusted configuration), not input",
}


def test_paths_are_never_built_from_input_text_outside_reviewed_confined_sites() -> None:
    unreviewed = []
    for path in _package_files():
        rel = str(path.relative_to(PACKAGE))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                target = node.right
                if isinstance(target, ast.Call) and ast.unparse(target.func) in {"max", "len", "float", "int"}:
                    continue  # arithmetic, not a path
            elif isinstance(node, ast.Call) and ast.unparse(node.func) in {"Path", "open", "os.open", "pathlib.Path"}:
                target = node.args[0] if node.args else None
            else:
                continue
            if target is None:
                continue
            names = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
            names |= {n.attr for n in ast.walk(target) if isinstance(n, ast.Attribute)}
            expression = ast.unparse(node)
            if names & _DATA_NAMES and (rel, expression) not in REVIEWED_PATH_JOINS:
                unreviewed.append(f"{rel}:{node.lineno} {expression}")
    assert not unreviewed, "path built from input-derived names; confine it and add it to the review list:\n" + "\n".join(unreviewed)


@pytest.mark.parametrize("path", [
    "/..%2F..%2F..%2Fetc%2Fpasswd",
    "/a/..%5C..%5Cevil.txt",
    "/%2e%2e/%2e%2e/outside.txt",
    "/sheets/..",
])
def test_a_downloaded_file_stays_in_its_folder_whatever_the_url_says(tmp_path: Path, path: str) -> None:
    from atop_pipeline.sources.fetch import download

    dest = tmp_path / "downloads"
    before = snapshot_tree(tmp_path)
    with LoopbackServer(fallback=Reply(200, REAL_6070.read_bytes(), {"Content-Type": "text/plain"})) as server:
        settings = FetchSettings(allow_private_addresses=True, min_interval_s=0.0, max_retries=0, respect_robots=False)
        with PoliteFetcher(settings) as fetcher:
            target = download(server.url(path), dest, fetcher)
    assert target.resolve().is_relative_to(dest.resolve())
    created = set(snapshot_tree(tmp_path)) - set(before)
    assert all(c == "downloads" or c.startswith("downloads/") for c in created), created


def test_zip_members_with_escaping_names_are_refused_and_nothing_is_extracted(tmp_path: Path) -> None:
    from atop_pipeline.codesheets.model import SheetError
    from atop_pipeline.codesheets.reading import iter_inputs

    good = (FIXTURES / "variant_3505_uk_malta.txt").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../escaped.txt", good)
        archive.writestr("/absolute/escaped.txt", good)
        archive.writestr("C:/windows/escaped.txt", good)
        archive.writestr("ok/sheet.txt", good)
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "sheets.zip").write_bytes(buffer.getvalue())
    before = snapshot_tree(tmp_path)
    items = list(iter_inputs(batch))
    assert snapshot_tree(tmp_path) == before
    refused = sorted(i.error for i in items if isinstance(i, SheetError))
    assert refused == ["unsafe_zip_member"] * 3
    assert [i.source_file for i in items if not isinstance(i, SheetError)] == ["sheets.zip!ok/sheet.txt"]


def test_the_snapshot_store_refuses_names_that_are_not_hashes(tmp_path: Path) -> None:
    from atop_pipeline.sources.store import SnapshotStore

    store = SnapshotStore(tmp_path / "store")
    for name in ("../../etc/passwd", "a" * 63 + "/", "/" + "a" * 64):
        with pytest.raises(ValueError):
            store.path_for(name)


# --------------------------------------------------------------------------------------------------
# Size caps.


def test_size_caps_are_finite_by_default() -> None:
    from atop_pipeline.codesheets import reading

    settings = FetchSettings()
    assert 0 < settings.max_bytes <= 50_000_000
    assert 0 < reading.DEFAULT_MAX_FILE_BYTES <= 50_000_000
    assert 0 < reading.DEFAULT_MAX_ARCHIVE_BYTES <= 1_000_000_000
    assert settings.max_redirects <= 10 and settings.total_deadline_s <= 600


def test_a_zip_bomb_member_is_not_inflated(tmp_path: Path) -> None:
    from atop_pipeline.codesheets.model import SheetError
    from atop_pipeline.codesheets.reading import iter_inputs

    batch = tmp_path / "batch"
    batch.mkdir()
    with zipfile.ZipFile(batch / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb.txt", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(64):  # 64 MB of zeros, ~64 KB compressed
                member.write(block)
    items = list(iter_inputs(batch, max_file_bytes=1_000_000))
    assert [(i.error) for i in items if isinstance(i, SheetError)] == ["file_too_large"]
