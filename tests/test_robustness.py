"""Never lose a user's files, never show a traceback.

Each case checks the exit code, the one message, that no traceback shows, and that the
previous build is byte for byte what it was. Everything runs in this process through the
command line's main() on `check`-sized work: no case here trains a model.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import stat
import threading
import time
from pathlib import Path

import markdown as markdown_lib
import pytest

from generator import estimate, output, serve
from generator.__main__ import _parser, main
from generator.content import load_course
from generator.errors import UserError
from generator.pipeline import split_corpus
from generator.render import METRICS, PAGE, markdown_html, markdown_text, table_cell

from .conftest import PROJECT, tiny_course_dir
from .test_authoring import folder_digest
from .test_content import edit, line_of, set_setting
from .test_serve import wait_for


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


def problem_lines(said: str) -> list[str]:
    return [line.strip() for line in said.splitlines() if line.startswith("  ")]


def fails_cleanly(capsys, course: Path, previous: Path) -> str:
    """`check` and `build` both refuse the course with one problem line (returned) and exit 2;
    the previous build is untouched."""
    before = folder_digest(previous)
    code, said = cli(capsys, "check", "--content", str(course))
    assert code == 2 and "Traceback" not in said, said
    found = problem_lines(said)
    assert len(found) == 1, said
    code, said = cli(capsys, "build", "--quick", "--content", str(course), "--out", str(previous))
    assert code == 2 and "the previous build is unchanged" in said and "Traceback" not in said
    assert folder_digest(previous) == before
    return found[0]


# ---------------------------------------------------------------- input that check used to pass


def test_a_corpus_of_ten_words(capsys, course, previous):
    edit(course / "course.toml", "[pretrain]\n", "[pretrain]\nseq_len = 32\n")
    for path in (course / "corpus").glob("*.txt"):
        path.unlink()
    (course / "corpus" / "notes.txt").write_text("one two three four five six seven eight nine ten\n")
    found = fails_cleanly(capsys, course, previous)
    toml = course / "course.toml"
    assert found.startswith(f"{course}/course.toml:{line_of(toml, 'vocab_size')}: training.vocab_size: 100 leaves ")
    smallest = int(re.search(r"set it to at most (\d+), or add text", found).group(1))
    set_setting(toml, "vocab_size", str(smallest))          # the advice taken: the text is still too short
    found = fails_cleanly(capsys, course, previous)
    assert found.startswith(f"{course}/corpus:1: corpus: its validation part is ")
    assert "fewer than one pretraining window of 33 tokens (pretrain.seq_len + 1), and no val_fraction below 0.5 " \
           "holds out enough; add text" in found


@pytest.mark.parametrize("name", ["course.toml", "sft.toml", "case.toml", "preferences.toml", "teaching.toml"])
def test_a_file_of_comments_only(capsys, course, previous, name):
    (course / name).write_text("# nothing here yet\n")
    assert fails_cleanly(capsys, course, previous) == \
        f"{course}/{name}:1: file: holds nothing but comments; fill it in (content/{name} is an example)"


@pytest.mark.parametrize("table, key", [("pretrain", "seq_len"), ("sft", "replay_len")])
def test_a_window_longer_than_the_context(capsys, course, previous, table, key):
    toml = course / "course.toml"
    edit(toml, f"[{table}]\n", f"[{table}]\n{key} = 300\n")
    assert fails_cleanly(capsys, course, previous) == (
        f"{course}/course.toml:{line_of(toml, f'{key} = 300')}: {table}.{key}: 300 is more than model.block_size "
        "(256), the longest context the model has; lower it to at most 256")


def test_more_folds_than_preference_pairs(capsys, course, previous):
    toml = course / "course.toml"
    edit(toml, "folds = 5", "folds = 25")
    assert fails_cleanly(capsys, course, previous) == (
        f"{course}/course.toml:{line_of(toml, 'folds = 25')}: reward.folds: 25 folds need at least 25 preference "
        "pairs (each fold holds some out), and preferences.toml has 20; lower it to at most 20")


def test_too_small_a_validation_share(capsys, course, previous):
    toml = course / "course.toml"
    set_setting(toml, "val_fraction", "0.0001")
    found = fails_cleanly(capsys, course, previous)
    assert found.startswith(f"{course}/course.toml:{line_of(toml, 'val_fraction')}: training.val_fraction: 0.0001 "
                            "holds out ")
    enough = float(re.search(r"raise it to ([\d.]+)$", found).group(1))
    set_setting(toml, "val_fraction", str(enough))           # the advice taken: it checks
    assert cli(capsys, "check", "--content", str(course))[0] == 0


def test_a_vocabulary_the_corpus_cannot_teach_is_refused_at_once(capsys, course, previous):
    toml = course / "course.toml"
    set_setting(toml, "vocab_size", "5000")
    found = fails_cleanly(capsys, course, previous)
    assert found.startswith(f"{course}/course.toml:{line_of(toml, 'vocab_size')}: training.vocab_size: 5000 leaves ")
    assert "a merged token needs about 100 characters of text" in found


def test_vocab_size_under_model(capsys, course, previous):
    toml = course / "course.toml"
    edit(toml, "block_size = 256", "block_size = 256\nvocab_size = 100")
    assert fails_cleanly(capsys, course, previous) == (
        f"{course}/course.toml:{line_of(toml, 'vocab_size', 2)}: model.vocab_size: belongs under [training], "
        "not [model]; move it there")


def test_the_token_counts_check_judges_are_the_ones_training_reads():
    loaded = load_course(PROJECT / "content")
    s = loaded.settings
    train, val = split_corpus(loaded.tokenizer(s.vocab_size), loaded, s.val_fraction)
    assert loaded.sizes(s.vocab_size).split(s.val_fraction) == (len(train), len(val))


# ---------------------------------------------------------------- clearer messages


def test_a_byte_order_mark_is_named(capsys, course, previous):
    toml = course / "sft.toml"
    toml.write_bytes(b"\xef\xbb\xbf" + toml.read_bytes())
    assert fails_cleanly(capsys, course, previous) == (
        f"{course}/sft.toml:1: encoding: starts with a byte-order mark (BOM); remove it: "
        "save the file as UTF-8 without BOM")


def test_a_missing_teaching_file_is_reported_once(capsys, course, previous):
    (course / "teaching.toml").unlink()
    assert fails_cleanly(capsys, course, previous).startswith(f"{course}/teaching.toml:1: file: missing")


@pytest.mark.parametrize("typed, advice", [
    ("{nonexistent}", "{nonexistent} names no figure: a placeholder names a stage and a figure, "
                      "e.g. {pretrain.final_val_loss}"),
    ("{final_val_loss}", "did you mean 'pretrain.final_val_loss'?"),
    ("{pretrain.final_val_loss:.2f}", "{pretrain.final_val_loss:.2f}: placeholders take no format (each figure "
                                      "is always formatted the same way); write {pretrain.final_val_loss}"),
])
def test_a_malformed_placeholder_says_what_to_write(capsys, course, previous, typed, advice):
    teaching = course / "teaching.toml"
    edit(teaching, "loss of {pretrain.final_val_loss}", f"loss of {typed}")
    found = fails_cleanly(capsys, course, previous)
    assert found.startswith(f"{course}/teaching.toml:{line_of(teaching, typed)}: ") and advice in found


@pytest.mark.parametrize("typed, suggestion", [("batch_sise", "batch_size"), ("learing_rate", "lr")])
def test_an_unknown_key_suggests_the_nearest(capsys, course, previous, typed, suggestion):
    toml = course / "course.toml"
    edit(toml, "[pretrain]\n", f"[pretrain]\n{typed} = 1\n")
    assert fails_cleanly(capsys, course, previous) == (
        f"{course}/course.toml:{line_of(toml, typed)}: pretrain.{typed}: unknown key; did you mean {suggestion!r}?")


def test_a_reserved_token_is_found_where_it_is(capsys, course, previous):
    sft = course / "sft.toml"
    answer = line_of(sft, "answer = ", 3)
    lines = sft.read_text().splitlines()
    lines[answer - 1] = lines[answer - 1].replace('answer = "', 'answer = "Done<|end|> ', 1)
    sft.write_text("\n".join(lines) + "\n")
    assert fails_cleanly(capsys, course, previous) == (
        f"{course}/sft.toml:{answer}: pair[2].answer: contains <|end|>, a token the chat template reserves; "
        "remove it or write it differently")


def test_paths_are_not_doubled(capsys, tmp_path):
    code, said = cli(capsys, "check", "--content", str(tmp_path / "nowhere"))
    assert code == 2 and problem_lines(said) == [f"{tmp_path}/nowhere:1: folder: no such folder; pass the course "
                                                 "folder (e.g. --content content)"]
    code, said = cli(capsys, "check", "--content", str(tmp_path))
    assert code == 2 and problem_lines(said)[0].startswith(f"{tmp_path}/course.toml:1: file: missing")


def test_seed_zero_is_a_seed(capsys, course):
    set_setting(course / "course.toml", "seed", "0")
    assert cli(capsys, "check", "--content", str(course))[0] == 0


def test_a_small_vocabulary_names_the_special_characters(capsys, course, previous):
    corpus = sorted((course / "corpus").glob("*.txt"))[0]
    corpus.write_text(corpus.read_text() + "Store below 25 °C; 500 µg.\n")
    toml = course / "course.toml"
    set_setting(toml, "vocab_size", "40")
    found = fails_cleanly(capsys, course, previous)
    assert found.startswith(f"{course}/course.toml:{line_of(toml, 'vocab_size')}: training.vocab_size: 40 is too small")
    assert f"(2 beyond plain ASCII: ° in corpus/{corpus.name}; µ in corpus/{corpus.name})" in found


def test_special_characters_are_a_note_with_their_cost(capsys, course):
    edit(course / "sft.toml", 'answer = "', 'answer = "It\u2019s 10\u201320 mg. ')
    code, said = cli(capsys, "check", "--content", str(course))
    assert code == 0
    note = next(line for line in said.splitlines() if "beyond plain ASCII" in line)
    alphabet = len(load_course(course).alphabet())
    merges = 100 - alphabet - 4
    assert note.startswith(f"note: {course}/course.toml: training.vocab_size: 2 characters beyond plain ASCII take "
                           f"2 of the 100 vocabulary slots, leaving {merges} for merges instead of {merges + 2}: "
                           "\u2013 in sft.toml; \u2019 in sft.toml")
    assert "[text] plain_punctuation = true" in note

    toml = course / "course.toml"
    toml.write_text(toml.read_text() + "\n[text]\nplain_punctuation = true\n")
    code, said = cli(capsys, "check", "--content", str(course))
    assert code == 0 and "beyond plain ASCII" not in said
    assert load_course(course).sft_pairs[0].answer.startswith("It's 10-20 mg. ")


def test_a_markdown_image_in_content_is_a_note(capsys, course):
    teaching = course / "teaching.toml"
    edit(teaching, 'analogy = "', 'analogy = "![diagram](https://example.com/p.png) ')
    code, said = cli(capsys, "check", "--content", str(course))
    line = line_of(teaching, "![diagram]")
    assert code == 0
    assert f"note: {course}/teaching.toml:{line}: stages.pretrain.analogy: ![diagram](https://example.com/p.png) " \
           "is a markdown image; images from content are never shown" in said


# ---------------------------------------------------------------- training time


def test_a_run_of_months_stops_before_training_and_says_how_to_go_ahead(capsys, monkeypatch, course, previous):
    no_training(monkeypatch)
    set_setting(course / "course.toml", "steps", "1000000000")
    code, said = cli(capsys, "check", "--content", str(course))
    assert code == 0 and "days" in said and "so build and train need --allow-long" in said
    before = folder_digest(previous)
    code, said = cli(capsys, "build", "--content", str(course), "--out", str(previous))
    assert code == 2 and "Traceback" not in said
    assert re.search(r"error: training would take about [\d,]+ days \(pretraining [\d,]+ days, ", said)
    assert "pass --allow-long to train anyway" in said
    assert folder_digest(previous) == before


def test_the_estimate_is_a_sum_of_stages_that_grows_with_the_steps(course):
    loaded = load_course(course)
    s = loaded.settings
    stages = estimate.stage_seconds(loaded, s)
    assert list(stages) == ["pretraining", "SFT", "reward model", "RL"]
    assert 2 < sum(stages.values()) < estimate.LIMIT_SECONDS
    longer = dataclasses.replace(s, pretrain=dataclasses.replace(s.pretrain, steps=10 * s.pretrain.steps))
    assert estimate.stage_seconds(loaded, longer)["pretraining"] > 5 * stages["pretraining"]
    months = dataclasses.replace(s, pretrain=dataclasses.replace(s.pretrain, steps=10 ** 9))
    with pytest.raises(UserError):
        estimate.announce(loaded, months, quick=False, allow_long=False)
    assert estimate.announce(loaded, months, quick=False, allow_long=True).startswith("training: about ")


# ---------------------------------------------------------------- an unexpected error


def test_an_unexpected_error_is_one_line_and_debug_shows_where(capsys, monkeypatch, course, previous):
    def broken(*args, **kwargs):
        raise ValueError("cannot reshape array of size 0")
    monkeypatch.setattr("generator.build.train", broken)
    before = folder_digest(previous)
    code, said = cli(capsys, "build", "--quick", "--no-cache", "--content", str(course), "--out", str(previous))
    assert code == 1 and "Traceback" not in said
    assert said.strip().splitlines() == [
        "error: unexpected ValueError: cannot reshape array of size 0; run again with --debug to see where it "
        "happened, and report it. Nothing was built; the previous build is unchanged."]
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
    assert code == 2 and said.strip().splitlines() == [
        f"error: --out {notes} is a file, not a folder; choose a folder for the build, e.g. --out build. "
        "Nothing was built; the previous build is unchanged."]
    assert notes.read_text() == "keep\n" and sorted(p.name for p in tmp_path.iterdir()) == ["course", "notes.txt"]


def test_out_refuses_a_folder_the_generator_did_not_make(capsys, monkeypatch, course, tmp_path):
    no_training(monkeypatch)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("keep\n")
    before = folder_digest(notes)
    code, said = cli(capsys, "build", "--quick", "--content", str(course), "--out", str(notes))
    assert code == 2 and "Traceback" not in said
    assert f"error: --out {notes} holds files the generator did not write (it has no .generator-build file), and " \
           "a build replaces its output folder whole; choose a new or empty folder. Nothing was built" in said
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


def test_out_refuses_a_symbolic_link(capsys, monkeypatch, course, tmp_path, previous):
    no_training(monkeypatch)
    link = tmp_path / "link"
    link.symlink_to(previous)
    before = folder_digest(previous)
    code, said = cli(capsys, "build", "--quick", "--content", str(course), "--out", str(link))
    assert code == 2 and f"error: --out {link} is a symbolic link; pass the folder it points to, {previous}" in said
    assert link.is_symlink() and folder_digest(previous) == before


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
    try:                                            # the system's own words for why, found a second way
        open(parent / ".build.lock", "a").close()   # noqa: SIM115
        pytest.fail(f"{parent} is writable")
    except OSError as err:
        why = err.strerror.lower()
    code, said = cli(capsys, "build", "--quick", "--no-cache", "--content", str(course),
                     "--out", str(parent / "build"))
    assert code == 2 and said.strip().splitlines() == [
        f"error: cannot write the build into {parent}: {why}; choose another --out, or make that folder writable. "
        "Nothing was built; the previous build is unchanged."]


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


# ---------------------------------------------------------------- make serve


def test_serve_checks_the_port_before_building(capsys, monkeypatch, course, tmp_path):
    no_training(monkeypatch)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, said = cli(capsys, "serve", "--quick", "--content", str(course), "--out", str(tmp_path / "build"),
                         "--port", str(port))
    assert code == 2 and "Traceback" not in said
    assert f"error: port {port} on 127.0.0.1 is already in use (another preview?); stop it, or choose another " \
           f'port: make serve ARGS="--port {port + 1}"' in said
    assert not (tmp_path / "build").exists()


def test_the_preview_outlives_every_failed_build(capsys, monkeypatch, course, tmp_path):
    """One failure of each kind, an edit each; the next edit builds, and the browser is told."""
    failures = iter([PermissionError(13, "Permission denied"), ValueError("boom")])

    def flaky_build(*args, **kwargs):
        failure = next(failures, None)
        if failure:
            raise failure

    monkeypatch.setattr(serve, "build", flaky_build)
    monkeypatch.setattr(serve, "POLL_SECONDS", 0.02)
    args = _parser().parse_args(["serve", "--content", str(course), "--out", str(tmp_path / "build")])
    preview, stop = serve.Preview(args), threading.Event()
    attempts, rebuild = [], preview.rebuild
    preview.rebuild = lambda: attempts.append(rebuild())
    watcher = threading.Thread(target=preview.watch, args=(stop,))
    watcher.start()
    sft = course / "sft.toml"
    good = sft.read_text()
    try:
        time.sleep(0.2)                                  # the watcher has looked at the files as they are
        for edit_number, text in enumerate([good + "# 1\n", good + "# 2\n", "[[pair]\n", good], start=1):
            saved = tmp_path / "saved.toml"                 # saved whole, as editors do: the watcher never sees
            saved.write_text(text)                          # a half-written file (that would be one more build)
            os.replace(saved, sft)
            wait_for(lambda n=edit_number: len(attempts) == n, 10)
    finally:
        stop.set()
        watcher.join(5)
    said = capsys.readouterr().out
    assert attempts == [1, 1, 2, 0] and preview.version == 1
    assert "error: unexpected PermissionError: [Errno 13] Permission denied; run again with --debug" in said
    assert "error: unexpected ValueError: boom; run again with --debug" in said
    assert f"{course}/sft.toml:1: syntax: invalid TOML" in said and "Traceback" not in said


# ---------------------------------------------------------------- content never loads anything


IMAGES = "See ![a chart](https://example.com/p.png), ![ref image][r] and ![short].\n\n[r]: https://example.com/q.png\n"


def test_a_markdown_image_is_never_an_image_on_the_page():
    page = markdown_html(IMAGES)
    assert "<img" not in page and "![a chart](https://example.com/p.png)" in page


def test_a_markdown_image_is_never_an_image_in_the_documents():
    doc = markdown_text(IMAGES)
    viewed = markdown_lib.markdown(doc)                      # as a markdown viewer shows the document
    assert "<img" not in viewed and "![a chart](https://example.com/p.png)" in viewed
    assert "<img" not in markdown_lib.markdown(table_cell(IMAGES))
