"""Atomic writes under fault injection: whatever fails, and wherever, build/ is a whole build.

A failure while the new files are written leaves the previous build byte for byte; a failure
between the two steps of the swap leaves build/ present, holding the whole previous build or
the whole new one, never a mixture and never nothing.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import cache, output
from generator.__main__ import main
from generator.content import load_course
from generator.errors import UserError
from generator.render import ALIGNMENT, GUIDE, METRICS, PAGE

from .conftest import CONTENT, PROJECT
from .test_authoring import folder_digest
from .test_robustness import fake_build

OUTPUTS = {PAGE, GUIDE, ALIGNMENT, METRICS}


def leftovers(out: Path) -> list[str]:
    """What a build left beside `out` besides its lock: staging folders, old builds."""
    return sorted(p.name for p in out.parent.iterdir() if p.name not in (out.name, f".{out.name}.lock", ".cache"))


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    return fake_build(tmp_path / "build", "last week")


def fail_on_the_nth_output_file(monkeypatch, n: int) -> list[str]:
    """Make the n-th output file written (by any path that writes text) fail as a full disk does."""
    written: list[str] = []
    write_text, write_bytes = Path.write_text, Path.write_bytes

    def guarded(original):
        def write(self, *args, **kwargs):
            if self.name in OUTPUTS:
                written.append(self.name)
                if len(written) == n:
                    raise OSError(errno.ENOSPC, "No space left on device", str(self))
            return original(self, *args, **kwargs)
        return write

    monkeypatch.setattr(Path, "write_text", guarded(write_text))
    monkeypatch.setattr(Path, "write_bytes", guarded(write_bytes))
    return written


def test_a_failure_while_writing_the_second_file_leaves_the_previous_build(capsys, monkeypatch, tmp_path,
                                                                          previous, quick_build):
    """Through the real command: the run comes from the cache, rendering happens, the second file fails."""
    course = load_course(CONTENT)
    cache.save(tmp_path / ".cache", cache.run_key(course, quick=True), quick_build.run)
    before = folder_digest(previous)
    written = fail_on_the_nth_output_file(monkeypatch, 2)
    code = main(["build", "--quick", "--content", str(CONTENT), "--out", str(previous)])
    said = capsys.readouterr()
    assert len(written) == 2, "the build should have gone on to write a second file"
    assert code == 1 and "No space left on device" in said.err and "the previous build is unchanged" in said.err
    assert folder_digest(previous) == before
    assert leftovers(previous) == []


def test_the_same_build_without_the_fault_replaces_the_previous_one(capsys, tmp_path, previous, quick_build):
    course = load_course(CONTENT)
    cache.save(tmp_path / ".cache", cache.run_key(course, quick=True), quick_build.run)
    assert main(["build", "--quick", "--content", str(CONTENT), "--out", str(previous)]) == 0
    capsys.readouterr()
    assert folder_digest(previous) == folder_digest(quick_build.out)
    assert leftovers(previous) == []


def test_nothing_reaches_build_before_the_swap(previous):
    """The files of a build in progress are somewhere else until the swap."""
    before = folder_digest(previous)
    with output.replacing(previous) as folder:
        output.write_files(folder, {PAGE: "<p>new</p>\n", METRICS: "{}\n"})
        assert folder.parent == previous.parent and folder != previous
        assert folder_digest(previous) == before
    assert (previous / PAGE).read_text() == "<p>new</p>\n"


def test_a_failed_exchange_leaves_the_previous_build(monkeypatch, previous):
    def refused(a, b):
        raise OSError(errno.EACCES, "Permission denied", str(b))

    monkeypatch.setattr(output, "_exchange", refused)
    before = folder_digest(previous)
    with pytest.raises(OSError, match="Permission denied"), output.replacing(previous) as folder:
        output.write_files(folder, {PAGE: "<p>new</p>\n"})
    assert folder_digest(previous) == before
    assert leftovers(previous) == []


def test_a_failure_after_the_exchange_leaves_the_new_build_whole(monkeypatch, previous):
    """The exchange put the new build in place; removing the previous one then fails."""
    new = folder_digest(fake_build(previous.parent / "reference", "this week"))

    def rmtree_fails(path, *args, **kwargs):
        raise RuntimeError("killed while deleting the old build")

    monkeypatch.setattr(shutil, "rmtree", rmtree_fails)
    with pytest.raises(RuntimeError), output.replacing(previous) as folder:
        output.write_files(folder, {PAGE: "<p>this week</p>\n", METRICS: '{"text": "this week"}\n'})
    assert folder_digest(previous) == new


def failing_rename(monkeypatch, n: int) -> list[Path]:
    """Make the n-th Path.rename fail (as a disk error would); returns the paths renamed so far."""
    calls: list[Path] = []
    rename = Path.rename

    def flaky(path: Path, target):
        calls.append(path)
        if len(calls) == n:
            raise OSError(errno.EIO, "Input/output error", str(path))
        return rename(path, target)

    monkeypatch.setattr(Path, "rename", flaky)
    return calls


@pytest.mark.parametrize("failing", [1, 2], ids=["first rename", "second rename"])
def test_where_folders_cannot_be_exchanged_a_failed_rename_leaves_the_previous_build(monkeypatch, previous,
                                                                                     failing):
    """Two renames (build/ aside, the new one in): a failure at either leaves build/ present and whole."""
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    renamed = failing_rename(monkeypatch, failing)
    before = folder_digest(previous)
    with pytest.raises(OSError, match="Input/output error"), output.replacing(previous) as folder:
        output.write_files(folder, {PAGE: "<p>new</p>\n"})
    assert len(renamed) >= failing
    assert previous.is_dir() and folder_digest(previous) == before
    assert leftovers(previous) == []


def test_exchange_swaps_two_folders_in_one_call(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "name").write_text("a")
    (b / "name").write_text("b")
    assert output._exchange(a, b) is True
    assert ((a / "name").read_text(), (b / "name").read_text()) == ("b", "a")
    ctypes.set_errno(0)                             # the kernel's error must be read after this very call
    with pytest.raises(FileNotFoundError) as missing:
        output._exchange(a, tmp_path / "missing")
    assert (missing.value.strerror, missing.value.filename) == (os.strerror(errno.ENOENT), str(tmp_path / "missing"))
    (tmp_path / "file").write_text("")
    ctypes.set_errno(0)
    with pytest.raises(NotADirectoryError):
        output._exchange(a, tmp_path / "file" / "below")


@pytest.mark.parametrize("code", [errno.EINVAL, errno.ENOSYS, errno.ENOTSUP])
def test_a_system_that_cannot_exchange_says_so_instead_of_failing(monkeypatch, tmp_path, code):
    """renameat2 refusing RENAME_EXCHANGE (a file system or kernel without it) means: use two renames."""
    monkeypatch.setattr(output.ctypes, "get_errno", lambda: code)
    assert output._exchange(tmp_path / "missing", tmp_path / "also missing") is False


def test_a_system_without_renameat2_uses_two_renames(monkeypatch, tmp_path):
    monkeypatch.setattr(output.ctypes, "CDLL", lambda *args, **kwargs: object())
    assert output._exchange(tmp_path / "a", tmp_path / "b") is False
    out = fake_build(fake_build(tmp_path / "build", "one"), "two")
    assert (out / PAGE).read_text() == "<p>two</p>\n" and leftovers(out) == []


def test_a_build_folder_whose_parents_do_not_exist_yet_is_made_with_them(tmp_path):
    out = fake_build(tmp_path / "courses" / "autumn" / "build", "first")
    assert (out / PAGE).read_text() == "<p>first</p>\n"


def test_an_out_below_a_file_is_one_message_naming_the_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(UserError) as refused:
        fake_build(tmp_path / "notes.txt" / "build", "never")
    assert str(refused.value) == (f"cannot write the build into {tmp_path / 'notes.txt'}: "
                                  f"{os.strerror(errno.EEXIST).lower()}; choose another --out, or make that "
                                  "folder writable")


def test_a_staging_folder_that_cannot_be_made_is_one_message(monkeypatch, previous):
    """Where the new build's folder is to go, something else already is (here: a file of that name)."""
    monkeypatch.setattr(output.secrets, "token_hex", lambda nbytes: "taken")
    (previous.parent / f".{previous.name}.new-taken").write_text("")
    before = folder_digest(previous)
    with pytest.raises(UserError) as refused, output.replacing(previous):
        pass
    assert str(refused.value) == (f"cannot write the build into {previous.parent}: "
                                  f"{os.strerror(errno.EEXIST).lower()}; choose another --out, or make that "
                                  "folder writable")
    assert folder_digest(previous) == before


def test_what_cannot_be_deleted_after_the_swap_does_not_fail_the_build(monkeypatch, previous):
    """A file that will not go, in an interrupted build's folder and in the previous build: the new build
    still lands; what stays behind is only ever beside build/."""
    leftover = previous.parent / f".{previous.name}.new-interrupted"
    leftover.mkdir()
    (leftover / output.MARKER).write_text(output.MARKER_TEXT)
    for folder in (leftover, previous):
        (folder / "stuck").write_text("")
    unlink = os.unlink

    def refuse_stuck(path, *args, **kwargs):
        if Path(path).name == "stuck":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refuse_stuck)
    fake_build(previous, "this week")
    assert (previous / PAGE).read_text() == "<p>this week</p>\n" and not (previous / "stuck").exists()


def test_files_are_written_as_utf8_whatever_the_locale(tmp_path):
    """A teacher's machine with a non-UTF-8 locale (here C, with Python's UTF-8 mode off) writes the same bytes."""
    text = "eGFR < 30 mL/min/1.73 m²: “stop” — café"
    here, c_locale = tmp_path / "here", tmp_path / "c-locale"
    for folder in (here, c_locale):
        folder.mkdir()
    output.write_files(here, {PAGE: text})
    script = ("import sys; from pathlib import Path; from generator import output; "
              f"output.write_files(Path(sys.argv[1]), {{{PAGE!r}: {ascii(text)}}})")
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0"}
    said = subprocess.run([sys.executable, "-c", script, str(c_locale)], cwd=PROJECT, env=env,
                          capture_output=True, text=True)
    assert said.returncode == 0, said.stderr
    assert (here / PAGE).read_bytes() == (c_locale / PAGE).read_bytes() == text.encode("utf-8")
