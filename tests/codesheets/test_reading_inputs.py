"""iter_inputs: walking a batch folder or zip safely and deterministically."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest

from atop_pipeline.codesheets.model import SheetError
from atop_pipeline.codesheets.reading import SHEET_SUFFIXES, RawInput, iter_inputs


def _write(path: Path, data: bytes = b"1. ATOP ID: 6070\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _split(items: list[RawInput | SheetError]) -> tuple[dict[str, bytes], dict[str, SheetError]]:
    inputs = {i.source_file: i.data for i in items if isinstance(i, RawInput)}
    errors = {e.source_file: e for e in items if isinstance(e, SheetError)}
    return inputs, errors


def _snapshot(root: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p), p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*"))


def test_sheet_suffixes_are_txt_and_pdf() -> None:
    assert SHEET_SUFFIXES == (".txt", ".pdf")


def test_folder_is_walked_recursively_in_sorted_order_with_posix_relative_paths(tmp_path: Path) -> None:
    for rel in ["b.txt", "a/z.pdf", "a/deep/er/c.TXT", "a.txt", "A/Upper.Pdf"]:
        _write(tmp_path / rel, rel.encode())
    items = list(iter_inputs(tmp_path))
    assert all(isinstance(i, RawInput) for i in items)
    names = [i.source_file for i in items]
    assert names == sorted(names)
    assert set(names) == {"b.txt", "a/z.pdf", "a/deep/er/c.TXT", "a.txt", "A/Upper.Pdf"}
    assert {i.source_file: i.data for i in items}["a/deep/er/c.TXT"] == b"a/deep/er/c.TXT"


def test_walking_twice_gives_the_same_sequence(tmp_path: Path) -> None:
    for n in range(20):
        _write(tmp_path / f"d{n % 3}" / f"s{n}.txt", str(n).encode())
    first = [(i.source_file, i.sha256) for i in iter_inputs(tmp_path)]
    assert first == [(i.source_file, i.sha256) for i in iter_inputs(tmp_path)]


def test_raw_input_sha256_is_of_the_bytes() -> None:
    raw = RawInput("x.txt", b"abc")
    assert raw.sha256 == hashlib.sha256(b"abc").hexdigest()


def test_other_files_are_reported_as_not_a_sheet_file(tmp_path: Path) -> None:
    _write(tmp_path / "ok.txt")
    _write(tmp_path / "notes" / "readme.md")
    _write(tmp_path / "scan.png", b"\x89PNG")
    _write(tmp_path / "sheet.txt.bak")
    inputs, errors = _split(list(iter_inputs(tmp_path)))
    assert set(inputs) == {"ok.txt"}
    assert set(errors) == {"notes/readme.md", "scan.png", "sheet.txt.bak"}
    for name, error in errors.items():
        assert error.error == "not_a_sheet_file"
        assert error.stage == "read"
        assert error.message.startswith(f"{name}: ")


def test_hidden_files_and_folders_are_skipped_silently(tmp_path: Path) -> None:
    _write(tmp_path / "ok.txt")
    _write(tmp_path / ".DS_Store", b"\x00\x01")
    _write(tmp_path / ".git" / "sheet.txt")
    _write(tmp_path / "sub" / ".~lock.sheet.txt#")
    _write(tmp_path / "sub" / ".hidden.txt")
    assert [i.source_file for i in iter_inputs(tmp_path)] == ["ok.txt"]


def test_symlink_leaving_the_root_is_reported_and_not_read(tmp_path: Path) -> None:
    root = tmp_path / "batch"
    secret = _write(tmp_path / "outside" / "secret.txt", b"do not read me")
    _write(root / "ok.txt")
    (root / "link.txt").symlink_to(secret)
    (root / "dirlink").symlink_to(secret.parent, target_is_directory=True)
    items = list(iter_inputs(root))
    inputs, errors = _split(items)
    assert set(inputs) == {"ok.txt"}
    assert errors["link.txt"].error == "symlink_outside_root"
    assert errors["dirlink"].error == "symlink_outside_root"
    assert "outside the batch folder" in errors["link.txt"].message
    assert all(b"do not read me" not in i.data for i in items if isinstance(i, RawInput))


def test_relative_symlink_escaping_with_dotdot_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "batch"
    _write(tmp_path / "secret.txt")
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "up.txt").symlink_to(Path("..") / ".." / "secret.txt")
    _, errors = _split(list(iter_inputs(root)))
    assert errors["sub/up.txt"].error == "symlink_outside_root"


def test_symlink_to_a_file_inside_the_root_is_read_and_folder_links_are_not_followed(tmp_path: Path) -> None:
    real = _write(tmp_path / "real" / "s.txt", b"inside")
    (tmp_path / "alias.txt").symlink_to(real)
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    inputs, errors = _split(list(iter_inputs(tmp_path)))
    assert inputs == {"alias.txt": b"inside", "real/s.txt": b"inside"}
    assert errors == {}


def test_broken_symlink_is_reported(tmp_path: Path) -> None:
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    _, errors = _split(list(iter_inputs(tmp_path)))
    assert errors["gone.txt"].error == "broken_symlink"


def test_file_over_the_limit_is_reported_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.txt"
    with big.open("wb") as handle:
        handle.truncate(25_000_000)  # sparse: costs no disk and would cost 25 MB of memory to read
    _write(tmp_path / "small.txt", b"x" * 100)
    inputs, errors = _split(list(iter_inputs(tmp_path)))
    assert set(inputs) == {"small.txt"}
    assert errors["huge.txt"].error == "file_too_large"
    assert "25,000,000 bytes" in errors["huge.txt"].message


def test_max_file_bytes_is_configurable(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", b"x" * 101)
    _write(tmp_path / "b.txt", b"x" * 100)
    inputs, errors = _split(list(iter_inputs(tmp_path, max_file_bytes=100)))
    assert set(inputs) == {"b.txt"}
    assert errors["a.txt"].error == "file_too_large"


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(iter_inputs(tmp_path / "nope"))


def test_root_may_be_a_single_sheet_file(tmp_path: Path) -> None:
    sheet = _write(tmp_path / "6070.txt")
    assert [i.source_file for i in iter_inputs(sheet)] == ["6070.txt"]


def test_nothing_is_written_while_walking(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt")
    _write(tmp_path / "b" / "c.pdf", b"%PDF-1.4")
    _write(tmp_path / "batch.zip", _zip_bytes({"x/y.txt": b"1", "../evil.txt": b"2"}))
    before = _snapshot(tmp_path)
    list(iter_inputs(tmp_path))
    list(iter_inputs(tmp_path / "batch.zip"))
    assert _snapshot(tmp_path) == before
    assert not (tmp_path.parent / "evil.txt").exists()


# -- zip archives -----------------------------------------------------------------------------------


def test_zip_root_yields_members_with_bang_paths_including_nested_folders(tmp_path: Path) -> None:
    archive = _write(
        tmp_path / "batch.zip",
        _zip_bytes({"b/2.txt": b"two", "a/deep/1.PDF": b"%PDF-one", "top.txt": b"top", "a/": b""}),
    )
    items = list(iter_inputs(archive))
    assert [i.source_file for i in items] == ["batch.zip!a/deep/1.PDF", "batch.zip!b/2.txt", "batch.zip!top.txt"]
    assert {i.source_file: i.data for i in items if isinstance(i, RawInput)}["batch.zip!b/2.txt"] == b"two"


def test_zip_found_in_a_folder_is_expanded_in_place(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt")
    _write(tmp_path / "sub" / "more.ZIP", _zip_bytes({"x.txt": b"x", "notes.docx": b"PK"}))
    inputs, errors = _split(list(iter_inputs(tmp_path)))
    assert set(inputs) == {"a.txt", "sub/more.ZIP!x.txt"}
    assert errors["sub/more.ZIP!notes.docx"].error == "not_a_sheet_file"


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "a/../../evil.txt", "/etc/evil.txt", "C:/evil.txt", "..\\evil.txt"],
)
def test_zip_member_with_absolute_or_parent_path_is_refused(tmp_path: Path, name: str) -> None:
    archive = _write(tmp_path / "batch.zip", _zip_bytes({name: b"evil", "ok.txt": b"ok"}))
    inputs, errors = _split(list(iter_inputs(archive)))
    assert inputs == {"batch.zip!ok.txt": b"ok"}
    [error] = errors.values()
    assert error.error == "unsafe_zip_member"
    assert error.source_file.startswith("batch.zip!")


def test_zip_hidden_members_and_macos_forks_are_skipped(tmp_path: Path) -> None:
    archive = _write(
        tmp_path / "b.zip",
        _zip_bytes({"ok.txt": b"ok", "__MACOSX/._ok.txt": b"\x00", ".hidden/x.txt": b"x", "d/.y.txt": b"y"}),
    )
    assert [i.source_file for i in iter_inputs(archive)] == ["b.zip!ok.txt"]


def test_zip_bomb_member_is_refused_by_its_uncompressed_size(tmp_path: Path) -> None:
    archive = _write(tmp_path / "bomb.zip", _zip_bytes({"bomb.txt": bytes(30_000_000), "ok.txt": b"ok"}))
    assert archive.stat().st_size < 100_000
    inputs, errors = _split(list(iter_inputs(archive)))
    assert set(inputs) == {"bomb.zip!ok.txt"}
    assert errors["bomb.zip!bomb.txt"].error == "file_too_large"


def test_zip_total_uncompressed_size_is_capped(tmp_path: Path) -> None:
    members = {f"s{n}.txt": b"x" * 1000 for n in range(5)}
    archive = _write(tmp_path / "many.zip", _zip_bytes(members))
    inputs, errors = _split(list(iter_inputs(archive, max_archive_bytes=3000)))
    assert set(inputs) == {"many.zip!s0.txt", "many.zip!s1.txt", "many.zip!s2.txt"}
    assert {e.error for e in errors.values()} == {"zip_too_large"}
    assert len(errors) == 2


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"PK\x03\x04 this is not really a zip", id="garbage"),
        pytest.param(b"", id="empty"),
    ],
)
def test_corrupt_zip_is_reported(tmp_path: Path, data: bytes) -> None:
    _write(tmp_path / "bad.zip", data)
    _write(tmp_path / "ok.txt")
    inputs, errors = _split(list(iter_inputs(tmp_path)))
    assert set(inputs) == {"ok.txt"}
    assert errors["bad.zip"].error == "corrupt_zip"
    assert errors["bad.zip"].message.startswith("bad.zip: ")


def test_damaged_zip_member_is_reported_and_the_others_still_read(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("a.txt", b"A" * 200)
        archive.writestr("b.txt", b"B" * 200)
    good = buffer.getvalue()
    # Change one stored byte of a.txt: its CRC check fails.
    at = good.index(b"A" * 200) + 100
    archive_path = _write(tmp_path / "d.zip", good[:at] + b"Z" + good[at + 1 :])
    inputs, errors = _split(list(iter_inputs(archive_path)))
    assert inputs == {"d.zip!b.txt": b"B" * 200}
    assert errors["d.zip!a.txt"].error == "corrupt_zip"


def test_zip_inside_a_zip_is_reported_not_expanded(tmp_path: Path) -> None:
    inner = _zip_bytes({"x.txt": b"x"})
    archive = _write(tmp_path / "outer.zip", _zip_bytes({"inner.zip": inner}))
    _, errors = _split(list(iter_inputs(archive)))
    assert errors["outer.zip!inner.zip"].error == "nested_zip"


def test_password_protected_zip_member_is_reported(tmp_path: Path) -> None:
    data = bytearray(_zip_bytes({"locked.txt": b"ciphertext"}))
    # Set the "encrypted" bit, as an encrypting zip tool would, in the local and central headers.
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    path = _write(tmp_path / "p.zip", bytes(data))
    _, errors = _split(list(iter_inputs(path)))
    assert errors["p.zip!locked.txt"].error == "encrypted_zip_member"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_reported_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")  # opening it for reading would block forever
    _, errors = _split(list(iter_inputs(tmp_path)))
    assert errors["pipe.txt"].error == "not_a_sheet_file"
