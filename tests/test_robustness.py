"""Never lose a user's files, never show a traceback.

Each case checks the exit code, the one message, that no traceback shows, and that the
previous build is byte for byte what it was. Everything runs in this process through the
command line's main() on `check`-sized work: no case here trains a model.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from generator import output
from generator.__main__ import main
from generator.render import METRICS, PAGE

from .conftest import PROJECT, tiny_course_dir
from .test_authoring import folder_digest


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return tiny_course_dir(tmp_path / "course")


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """Last week's build, which no failed run may touch."""
    return fake_build(tmp_path / "build", "last week")


def fake_build(out: Path, text: str) -> Path:
    """A build folder as a build leaves it, with small stand-in files."""
    with output.replacing(out) as folder:
        output.write_files(folder, {PAGE: f"<p>{text}</p>\n", METRICS: f'{{"text": "{text}"}}\n'})
    return out


def cli(capsys, *args: str) -> tuple[int, str]:
    """Run the command line in this process: (exit code, everything it printed)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def no_training(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("training started")
    monkeypatch.setattr("generator.build.run_pipeline", refuse)


# ---------------------------------------------------------------- an unexpected error


def test_an_unexpected_error_is_one_line_and_debug_shows_where(capsys, monkeypatch, course, previous):
    def broken(*args, **kwargs):
        raise ValueError("cannot reshape array of size 0")
    monkeypatch.setattr("generator.build.train", broken)
    before = folder_digest(previous)
    code, said = cli(capsys, "build", "--quick", "--no-cache", "--content", str(course), "--out", str(previous))
    assert code == 1 and "Traceback" not in said
    assert "error: unexpected ValueError: cannot reshape array of size 0; run again with --debug to see where " \
           "it happened, and report it" in said
    assert folder_digest(previous) == before
    code, said = cli(capsys, "build", "--quick", "--no-cache", "--debug", "--content", str(course),
                     "--out", str(previous))
    assert code == 1 and "Traceback" in said and "in broken" in said
    assert folder_digest(previous) == before


# ---------------------------------------------------------------- --out never deletes what the generator did not make


def test_out_refuses_a_file(capsys, monkeypatch, course, tmp_path):
    no_training(monkeypatch)
    notes = tmp_path / "notes.txt"
    notes.write_text("keep\n")
    code, said = cli(capsys, "build", "--quick", "--content", str(course), "--out", str(notes))
    assert code == 2 and "Traceback" not in said
    assert f"error: --out {notes} is a file, not a folder; choose a folder for the build" in said
    assert notes.read_text() == "keep\n" and sorted(p.name for p in tmp_path.iterdir()) == ["course", "notes.txt"]


def test_out_refuses_a_folder_the_generator_did_not_make(capsys, monkeypatch, course, tmp_path):
    no_training(monkeypatch)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("keep\n")
    before = folder_digest(notes)
    code, said = cli(capsys, "build", "--quick", "--content", str(course), "--out", str(notes))
    assert code == 2 and "Traceback" not in said
    assert f"error: --out {notes} holds files the generator did not write (it has no .generator-build file)" in said
    assert folder_digest(notes) == before


@pytest.mark.parametrize("where", ["the course folder", "above the course folder", "the project folder"])
def test_out_refuses_the_course_and_the_folders_that_hold_it(capsys, monkeypatch, course, where):
    no_training(monkeypatch)
    out = {"the course folder": course, "above the course folder": course.parent.parent,
           "the project folder": PROJECT}[where]
    name = "the project folder" if where == "the project folder" else "the course folder"
    before = folder_digest(course)
    code, said = cli(capsys, "build", "--quick", "--content", str(course), "--out", str(out))
    assert code == 2 and "Traceback" not in said
    assert f"error: --out {out} is {name} or holds it, and a build replaces its output folder whole" in said
    assert folder_digest(course) == before


def test_out_dot_in_the_folder_holding_the_course(capsys, monkeypatch, course):
    no_training(monkeypatch)
    monkeypatch.chdir(course.parent)
    code, said = cli(capsys, "build", "--quick", "--content", "course", "--out", ".")
    assert code == 2 and "error: --out . is the course folder or holds it" in said
    assert sorted(p.name for p in course.parent.iterdir()) == ["course"]


def test_a_build_folder_is_marked_and_readable_by_others(tmp_path):
    out = fake_build(tmp_path / "build", "this week")
    umask = os.umask(0)
    os.umask(umask)
    assert (out / output.MARKER).is_file()
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask          # 0755 under the usual umask 022
    assert stat.S_IMODE((out / PAGE).stat().st_mode) == 0o666 & ~umask


def test_a_build_from_before_the_marker_is_still_replaced(tmp_path):
    out = tmp_path / "build"
    out.mkdir()
    for name in (PAGE, METRICS):
        (out / name).write_text("an older build\n")
    fake_build(out, "this week")
    assert (out / PAGE).read_text() == "<p>this week</p>\n"
    (out / "my notes.txt").write_text("keep\n")                     # now it holds a file of the teacher's
    assert output.replaceable(out)                                   # still marked: the build's to replace
    (out / output.MARKER).unlink()
    assert not output.replaceable(out)


def test_an_unwritable_output_fails_before_training(capsys, monkeypatch, course, tmp_path):
    no_training(monkeypatch)
    if os.geteuid() == 0:                   # folder modes do not stop root; the kernel's /sys refuses everyone
        parent = Path("/sys")
    else:
        parent = tmp_path / "read-only"
        parent.mkdir(mode=0o555)
    code, said = cli(capsys, "build", "--quick", "--no-cache", "--content", str(course),
                     "--out", str(parent / "build"))
    assert code == 2 and "Traceback" not in said
    assert f"error: cannot write the build into {parent}: " in said
    assert "choose another --out, or make that folder writable" in said


# ---------------------------------------------------------------- the swap is one step, one build at a time


def test_the_build_folder_never_goes_missing_while_builds_swap(tmp_path):
    """Two renames leave a moment with no build/ (the old way); one exchange leaves none."""
    out = fake_build(tmp_path / "build", "build 0")
    done = threading.Event()

    def rebuild_many() -> None:
        for i in range(1, 200):
            fake_build(out, f"build {i}")
        done.set()

    threading.Thread(target=rebuild_many).start()
    looks = 0
    while not done.is_set():
        assert os.path.isdir(out), f"{out} was missing"
        looks += 1
    assert looks > 100 and (out / PAGE).read_text() == "<p>build 199</p>\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.lock", "build"]


def test_where_folders_cannot_be_exchanged_two_renames_do_it(monkeypatch, tmp_path):
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    out = fake_build(fake_build(tmp_path / "build", "one"), "two")
    assert (out / PAGE).read_text() == "<p>two</p>\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.lock", "build"]


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_a_failure_while_writing_leaves_the_previous_build(tmp_path, previous, failure):
    before = folder_digest(previous)
    with pytest.raises(failure), output.replacing(previous) as folder:
        output.write_files(folder, {PAGE: "half"})
        raise failure()
    assert folder_digest(previous) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.lock", "build"]


def test_folders_a_killed_build_left_are_removed_but_no_others(tmp_path, previous):
    killed = tmp_path / ".build.new-killed"
    killed.mkdir()
    (killed / output.MARKER).write_text(output.MARKER_TEXT)
    mine = tmp_path / ".build.old-mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep\n")
    fake_build(previous, "again")
    assert not killed.exists() and (mine / "notes.txt").read_text() == "keep\n"


def test_a_second_build_waits_for_the_first(capsys, tmp_path, previous):
    first_inside, release = threading.Event(), threading.Event()

    def first() -> None:
        with output.replacing(previous) as folder:
            output.write_files(folder, {PAGE: "<p>first</p>\n"})
            first_inside.set()
            release.wait(10)

    one = threading.Thread(target=first)
    one.start()
    first_inside.wait(10)
    two = threading.Thread(target=fake_build, args=(previous, "second"))
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second build did not wait"
    assert f"another build into {previous} is running; waiting for it to finish" in capsys.readouterr().err
    release.set()
    one.join(10)
    two.join(10)
    assert (previous / PAGE).read_text() == "<p>second</p>\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.lock", "build"]
