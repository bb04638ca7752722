"""Course validation: each mistake a teacher can make gets one clear file:line message."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from generator.__main__ import main
from generator.content import CHARS_PER_MERGE, MIN_PREFERENCE_PAIRS, ContentError, load_course, settings_misfits
from generator.rubric import rubric_score
from generator.training.tokenizer import chat_example

from .conftest import PROJECT

CONTENT = Path(__file__).parent.parent / "content"


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    target = tmp_path / "course"
    shutil.copytree(CONTENT, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def set_setting(path: Path, key: str, value: str) -> None:
    """Replace the value of `key = ...` (keeping any comment out), whatever it was."""
    text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", path.read_text(encoding="utf-8"), count=1)
    assert count == 1, f"{key} not in {path.name}"
    path.write_text(text, encoding="utf-8")


def problems(course_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as err:
        load_course(course_dir)
    return [str(p) for p in err.value.problems]


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    lines = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def test_default_course_is_valid():
    course = load_course(CONTENT)
    assert len(course.preferences) == 20
    assert len(course.sft_pairs) >= 5 and course.heldout_pairs
    assert sum(len(d.text.split()) for d in course.corpus) >= 3000


@pytest.mark.parametrize("root", [CONTENT, PROJECT / "examples" / "food-safety"], ids=["default", "example"])
def test_every_reference_answer_meets_its_rubric(root):
    """Each held-out answer and the case's specific answer score 1.0 on their own rubric; the vague answer 0."""
    course = load_course(root)
    for pair in course.heldout_pairs:
        assert 2 <= len(pair.must) <= 4 and 1 <= len(pair.must_not) <= 3, pair.id
        assert rubric_score(pair.answer, pair.must, pair.must_not) == 1.0, pair.id
        assert rubric_score(course.case.vague_answer, pair.must, pair.must_not) == 0.0, pair.id
    case = course.case
    assert case.must and rubric_score(case.specific_answer, case.must, case.must_not) == 1.0
    assert rubric_score(case.vague_answer, case.must, case.must_not) == 0.0


def test_case_rubric_must_be_a_list(course_dir):
    case = course_dir / "case.toml"
    case.write_text(re.sub(r"(?ms)^must = \[.*?^\]\n", 'must = "stop metformin"\n', case.read_text(), count=1))
    assert f"case.toml:{line_of(case, 'must = ')}: case.must: must be a list of non-empty texts" \
        in "\n".join(problems(course_dir))


def test_invalid_toml_names_file_and_line(course_dir):
    (course_dir / "sft.toml").write_text('[[pair]]\nid = "a"\nquestion = "unterminated\n')
    assert any(p.startswith("sft.toml:3: syntax: invalid TOML") for p in problems(course_dir))


def test_missing_file(course_dir):
    (course_dir / "case.toml").unlink()
    assert "case.toml:1: file: missing" in problems(course_dir)[0]


def test_missing_and_unknown_keys_point_at_their_lines(course_dir):
    prefs = course_dir / "preferences.toml"
    edit(prefs, 'rationale = "Names the eGFR 30', 'colour = "red"\nrationale = "Names the eGFR 30')
    edit(prefs, 'category = "renal dosing"\nprompt = "Enoxaparin', 'prompt = "Enoxaparin')
    found = problems(course_dir)
    assert f"preferences.toml:{line_of(prefs, 'colour')}: pair[0] (p01-metformin-egfr28).colour: unknown key; " \
        "expected id, category, prompt, chosen, rejected, rationale" in found      # no key is close: all are listed
    assert any("pair[1] (p02-enoxaparin-crcl24).category: missing" in p for p in found)


def test_wrong_type_is_named(course_dir):
    course = course_dir / "course.toml"
    set_setting(course, "n_head", '"four"')
    assert f"course.toml:{line_of(course, 'n_head')}: model.n_head: must be a whole number, got 'four'" \
        in problems(course_dir)


def test_empty_corpus(course_dir):
    for path in (course_dir / "corpus").glob("*.txt"):
        path.write_text("  \n")
    assert any("corpus: no text found" in p for p in problems(course_dir))


def test_too_few_pairs(course_dir):
    prefs = course_dir / "preferences.toml"
    text = prefs.read_text()
    prefs.write_text(text[:text.index("[[pair]]", text.index("[[pair]]") + 1)])
    assert any("has 1 usable pairs; needs at least 4" in p for p in problems(course_dir))


def test_duplicate_ids(course_dir):
    prefs = course_dir / "preferences.toml"
    edit(prefs, 'id = "p02-enoxaparin-crcl24"', 'id = "p01-metformin-egfr28"')
    assert f"preferences.toml:{line_of(prefs, 'p01-metformin-egfr28', 2)}: pair[1] (p01-metformin-egfr28).id: " \
        "duplicate id (also pair[0]); give each entry its own id" in problems(course_dir)


def test_chosen_equal_to_rejected(course_dir):
    prefs = course_dir / "preferences.toml"
    load = __import__("tomllib").loads(prefs.read_text())
    chosen = load["pair"][0]["chosen"]
    edit(prefs, f'rejected = "{load["pair"][0]["rejected"]}"', f'rejected = "{chosen}"')
    assert any("(p01-metformin-egfr28).rejected: is the same as chosen" in p for p in problems(course_dir))


def concept_index(concepts: Path, key: str, value: str) -> int:
    """Which [[concept]] of concept_map.toml has `key = value` (counted from 0, as the messages count)."""
    entries = __import__("tomllib").loads(concepts.read_text(encoding="utf-8"))["concept"]
    return next(i for i, entry in enumerate(entries) if entry[key] == value)


def test_concept_naming_missing_symbol(course_dir):
    """One message: the file, the line, the field, what is wrong and how to write it."""
    concepts = course_dir / "concept_map.toml"
    edit(concepts, 'symbol = "reward.bradley_terry_loss"', 'symbol = "reward.bt_loss"')
    i, line = concept_index(concepts, "symbol", "reward.bt_loss"), line_of(concepts, 'symbol = "reward.bt_loss"')
    assert f"concept_map.toml:{line}: concept[{i}].symbol: 'reward.bt_loss' names no function or class in " \
           "generator/training; use module.function or module.Class.method" in problems(course_dir)


def test_concept_key_line_not_in_its_code(course_dir):
    concepts = course_dir / "concept_map.toml"
    edit(concepts, 'lines = ["neg_log_sigmoid()"]', 'lines = ["neg_log_sigmoid()", "sigmoid_cross_entropy("]')
    line = line_of(concepts, '"sigmoid_cross_entropy("')
    assert any(p.startswith(f"concept_map.toml:{line}: concept[") and
               "'sigmoid_cross_entropy(' is in no line of reward.bradley_terry_loss" in p
               for p in problems(course_dir))


def test_concept_figure_may_be_derived_but_must_exist(course_dir):
    concepts = course_dir / "concept_map.toml"
    edit(concepts, 'metric = "pretrain.lr_schedule"', 'metric = "pretrain.lr_shedule"')
    i, line = concept_index(concepts, "metric", "pretrain.lr_shedule"), line_of(concepts, '"pretrain.lr_shedule"')
    assert f"concept_map.toml:{line}: concept[{i}].metric: 'pretrain.lr_shedule' is not a run figure; " \
           "did you mean 'pretrain.lr_schedule'?" in problems(course_dir)


def test_an_answer_longer_than_the_context_window(course_dir):
    """check, not only build, finds a pair that cannot fit block_size, and points at its line."""
    prefs = course_dir / "preferences.toml"
    rejected = line_of(prefs, "rejected = ", occurrence=3)
    lines = prefs.read_text().splitlines()
    lines[rejected - 1] = lines[rejected - 1].replace('rejected = "', 'rejected = "' + "Far too long. " * 30, 1)
    prefs.write_text("\n".join(lines) + "\n")
    found = problems(course_dir)
    assert len(found) == 1 and found[0].startswith(f"preferences.toml:{rejected}: pair[2].rejected: ")
    assert "more than model.block_size (256) holds; shorten it or raise block_size" in found[0]



@pytest.mark.parametrize("table, occurrence, at", [("pair", 2, "pair[1].answer"), ("heldout", 1, "heldout[0].answer")])
def test_a_fine_tuning_answer_longer_than_the_context_window(course_dir, table, occurrence, at):
    """A demonstration or a held-out answer too long: the message names sft.toml, the answer's line and which one."""
    sft = course_dir / "sft.toml"
    lines = sft.read_text().splitlines()
    start = [i for i, line in enumerate(lines, 1) if line == f"[[{table}]]"][occurrence - 1]
    answer = next(i for i, line in enumerate(lines, 1) if i > start and line.startswith("answer"))
    lines[answer - 1] = lines[answer - 1].replace('answer = "', 'answer = "' + "Far too long. " * 30, 1)
    sft.write_text("\n".join(lines) + "\n")
    found = problems(course_dir)
    assert len(found) == 1 and found[0].startswith(f"sft.toml:{answer}: {at}: with its question this is ")
    assert found[0].endswith("tokens, more than model.block_size (256) holds; shorten it or raise block_size")



def test_a_case_answer_longer_than_the_context_window(course_dir):
    """The case study's answers are checked too: the message names case.toml, the line and the key."""
    case = course_dir / "case.toml"
    edit(case, 'vague_answer = "', 'vague_answer = "' + "Far too long. " * 30)
    found = problems(course_dir)
    line = line_of(case, "vague_answer = ")
    assert len(found) == 1 and found[0].startswith(f"case.toml:{line}: vague_answer: with its question this is ")


def test_vocabulary_too_small(course_dir):
    set_setting(course_dir / "course.toml", "vocab_size", "40")
    assert any("training.vocab_size: 40 is too small" in p and "set it to at least" in p
               for p in problems(course_dir))


def test_non_utf8_file(course_dir):
    (course_dir / "corpus" / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    assert "corpus/latin1.txt:1: encoding: not valid UTF-8; save the file as UTF-8" in problems(course_dir)


def test_unknown_placeholder_suggests_the_right_one(course_dir):
    edit(course_dir / "teaching.toml", "loss of {pretrain.final_val_loss}", "loss of {pretrain.final_vall_loss}")
    assert any("did you mean 'pretrain.final_val_loss'?" in p for p in problems(course_dir))


def test_all_problems_reported_at_once(course_dir):
    toml, prefs = course_dir / "course.toml", course_dir / "preferences.toml"
    set_setting(toml, "n_head", "0")
    edit(prefs, 'id = "p02-enoxaparin-crcl24"', 'id = "p01-metformin-egfr28"')
    (course_dir / "corpus" / "latin1.txt").write_bytes(b"\xe9")
    assert sorted(problems(course_dir)) == sorted([
        f"course.toml:{line_of(toml, 'n_head')}: model.n_head: must be positive, got 0",
        "corpus/latin1.txt:1: encoding: not valid UTF-8; save the file as UTF-8",
        f"preferences.toml:{line_of(prefs, 'p01-metformin-egfr28', 2)}: pair[1] (p01-metformin-egfr28).id: "
        "duplicate id (also pair[0]); give each entry its own id",
    ])


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("min_delta", "1.5", "sft.min_delta: must be below 1: it is the share by which a dev loss must fall to count as "
                         "a new lowest (0.005 is half a percent)"),
    ("patience", "0", "sft.patience: must be positive, got 0"),
    ("dev_pairs", "-1", "sft.dev_pairs: must be zero or more, got -1"),
])
def test_early_stopping_settings_out_of_range_name_their_line(course_dir, key, value, expected):
    toml = course_dir / "course.toml"
    set_setting(toml, key, value)
    assert problems(course_dir) == [f"course.toml:{line_of(toml, key)}: {expected}"]


def test_early_stopping_may_be_switched_off_or_take_any_dip(course_dir):
    toml = course_dir / "course.toml"
    set_setting(toml, "min_delta", "0")
    set_setting(toml, "dev_pairs", "0")
    settings = load_course(course_dir).settings.sft
    assert (settings.min_delta, settings.dev_pairs) == (0.0, 0)


def check(capsys, course: Path) -> tuple[int, str, str]:
    """`python -m generator check`, in this process: (exit code, stdout, stderr)."""
    code = main(["check", "--content", str(course)])
    said = capsys.readouterr()
    return code, said.out, said.err


def test_check_command_exits_non_zero_without_traceback(capsys, course_dir):
    set_setting(course_dir / "course.toml", "n_head", "0")
    code, out, err = check(capsys, course_dir)
    assert code == 2 and out == ""
    assert err.splitlines() == [f"error: 1 problem(s) in the course folder {course_dir}:",
                                f"  {course_dir}/course.toml:{line_of(course_dir / 'course.toml', 'n_head')}: "
                                "model.n_head: must be positive, got 0"]


def test_check_notes_a_giveaway_word_without_failing(capsys, course_dir):
    """Advice, not an error: a word in every rejected answer and no chosen one is named; shipped courses have none."""
    prefs = course_dir / "preferences.toml"
    prefs.write_text(re.sub(r'^rejected = "', 'rejected = "Just so you know: ', prefs.read_text(), flags=re.M))
    runs = {name: check(capsys, path) for name, path in (("edited", course_dir), ("default", PROJECT / "content"),
                                                          ("example", PROJECT / "examples" / "food-safety"))}
    assert [code for code, _, _ in runs.values()] == [0, 0, 0]
    assert 'preferences.toml: the word "just" is in 20 of the 20 rejected answers and 0 of the others' \
        in runs["edited"][2]
    assert "note:" not in runs["default"][2] and "note:" not in runs["example"][2]
    assert all(": OK (" in out for _, out, _ in runs.values())


def test_a_misplaced_or_unknown_setting_says_where_it_belongs_or_what_the_table_takes(course_dir):
    toml, teaching = course_dir / "course.toml", course_dir / "teaching.toml"
    edit(toml, "[model]\n", "[model]\nsteps = 5\nzzz = 1\n")
    edit(toml, "[pretrain]\n", "[pretrain]\nlearning_rate = 1\n")
    edit(teaching, "loss of {pretrain.final_val_loss}", "loss of {nothing.like_this_at_all}")
    found = problems(course_dir)
    assert f"course.toml:{line_of(toml, 'steps = 5')}: model.steps: belongs under [pretrain] or [sft] or [reward] " \
           "or [rl], not [model]; move it there" in found
    assert f"course.toml:{line_of(toml, 'zzz')}: model.zzz: unknown key; expected block_size, n_layer, n_head, " \
           "n_embd" in found                                     # nothing close: what [model] takes
    assert f"course.toml:{line_of(toml, 'learning_rate')}: pretrain.learning_rate: unknown key; did you mean 'lr'?" \
        in found                                                 # another library's name for it
    assert any(p.startswith(f"teaching.toml:{line_of(teaching, 'nothing.like_this')}: ") and p.endswith(
        ": unknown figure {nothing.like_this_at_all}; see docs/metrics.md for the figures you can quote")
        for p in found)


# ---------------------------------------------------------------- settings the course's text cannot fill
# settings_misfits at each of its boundaries, against figures counted here from the course's own text.

@pytest.fixture(scope="module")
def default_course():
    return load_course(CONTENT)


def tuned(s, **changes):
    """Settings `s` with some fields changed: vocab_size=..., or a table's field as table__key=..."""
    tables = {}
    for name, value in changes.items():
        table, _, key = name.partition("__")
        if key:
            tables.setdefault(table, {})[key] = value
        else:
            s = dataclasses.replace(s, **{table: value})
    return dataclasses.replace(s, **{t: dataclasses.replace(getattr(s, t), **v) for t, v in tables.items()})


def test_a_vocabulary_one_merge_beyond_what_the_corpus_teaches(default_course):
    """The most merges a corpus teaches: one per CHARS_PER_MERGE characters, counted here from its text."""
    first = default_course.corpus[0]
    course = dataclasses.replace(default_course, corpus=(dataclasses.replace(first, text=first.text[:2000]),))
    needed = len(set("".join(course.texts()))) + 4          # every character, and 4 special tokens
    characters = 2000
    most = needed + characters // CHARS_PER_MERGE
    s = tuned(default_course.settings, pretrain__seq_len=8, sft__replay_len=8)    # windows the short text fills
    assert settings_misfits(course, tuned(s, vocab_size=most)) == []
    assert settings_misfits(course, tuned(s, vocab_size=most + 1)) == [(
        "training.vocab_size", f"{most + 1} leaves {most + 1 - needed} merges for the tokenizer to learn from "
        f"{characters:,} characters of corpus, more than it can teach: a merged token needs about "
        f"{CHARS_PER_MERGE} characters of text to be seen often enough to learn; set it to at most {most}, "
        "or add text")]


def test_one_fold_more_than_preference_pairs(default_course):
    """Folds need a pair each; below MIN_PREFERENCE_PAIRS pairs another check speaks, not this one."""
    fewest = dataclasses.replace(default_course, preferences=default_course.preferences[:MIN_PREFERENCE_PAIRS])
    s = default_course.settings
    assert settings_misfits(fewest, tuned(s, reward__folds=MIN_PREFERENCE_PAIRS)) == []
    assert settings_misfits(fewest, tuned(s, reward__folds=MIN_PREFERENCE_PAIRS + 1)) == [(
        "reward.folds", f"{MIN_PREFERENCE_PAIRS + 1} folds need at least {MIN_PREFERENCE_PAIRS + 1} preference "
        f"pairs (each fold holds some out), and preferences.toml has {MIN_PREFERENCE_PAIRS}; lower it to at most "
        f"{MIN_PREFERENCE_PAIRS}")]
    too_few = dataclasses.replace(default_course, preferences=default_course.preferences[:MIN_PREFERENCE_PAIRS - 1])
    assert settings_misfits(too_few, tuned(s, reward__folds=MIN_PREFERENCE_PAIRS + 1)) == []


@pytest.fixture(scope="module")
def held_out(default_course):
    """fraction -> (training, validation) tokens as the pipeline cuts the corpus: the tokens of each file,
    counted here with the course's tokenizer, the last `fraction` held out, each part ending with <|endoftext|>."""
    tok = default_course.tokenizer(default_course.settings.vocab_size)
    counts = [len(tok.encode(document.text)) for document in default_course.corpus]

    def split(fraction: float) -> tuple[int, int]:
        train = sum(int(n * (1 - fraction)) + 1 for n in counts)
        return train, sum(counts) + 2 * len(counts) - train
    return split


@pytest.mark.parametrize("longer, name", [("sft__replay_len", "sft.replay_len"),
                                           ("pretrain__seq_len", "pretrain.seq_len")])
def test_a_window_the_training_text_cannot_fill_twice(default_course, held_out, longer, name):
    """A window's inputs and its targets one token on, and a second start: training needs its longest
    window + 2 tokens; the message names that window's setting."""
    s = default_course.settings
    train, val = held_out(s.val_fraction)
    short = {"pretrain__seq_len": 8, "sft__replay_len": 8}
    fits = tuned(s, model__block_size=train, **{**short, longer: train - 2})
    assert not any(message.startswith("its training part") for _, message in settings_misfits(default_course, fits))
    misfit = tuned(s, model__block_size=train, **{**short, longer: train - 1})
    assert ("corpus", f"its training part is {train} tokens, too few for windows of {train} tokens ({name} + 1); "
            f"add text, or set a smaller {name}") in settings_misfits(default_course, misfit)


def test_a_validation_part_exactly_one_window_long_is_enough(default_course, held_out):
    s = default_course.settings
    _, val = held_out(s.val_fraction)
    assert settings_misfits(default_course, tuned(s, pretrain__seq_len=val - 1, model__block_size=val)) == []


@pytest.mark.parametrize("advised", [0.01, 0.2, 0.49])
def test_too_short_a_validation_part_is_advised_the_smallest_fraction_that_fills_a_window(default_course, held_out,
                                                                                         advised):
    """A window exactly as long as what `advised` holds out: that hundredth is the advice, not the next."""
    s = tuned(default_course.settings, val_fraction=0.001)
    _, window = held_out(advised)
    assert held_out(round(advised - 0.01, 2))[1] < window
    found = settings_misfits(default_course, tuned(s, pretrain__seq_len=window - 1, model__block_size=window))
    val = held_out(0.001)[1]
    assert found == [("training.val_fraction", f"0.001 holds out {val} tokens for validation, fewer than one "
                      f"pretraining window ({window} tokens, pretrain.seq_len + 1); raise it to {advised}")]


def test_when_only_half_the_corpus_would_fill_a_window_the_text_is_what_falls_short(default_course, held_out):
    s = tuned(default_course.settings, val_fraction=0.001)
    _, window = held_out(0.5)
    assert held_out(0.49)[1] < window
    val = held_out(0.001)[1]
    found = settings_misfits(default_course, tuned(s, pretrain__seq_len=window - 1, model__block_size=window))
    assert ("corpus", f"its validation part is {val} tokens, fewer than one pretraining window of {window} tokens "
            "(pretrain.seq_len + 1), and no val_fraction below 0.5 holds out enough; add text, or set a smaller "
            "pretrain.seq_len") in found


def test_a_misfit_of_the_quick_settings_alone_says_so_at_the_line_it_comes_from(course_dir):
    """[quick.model] block_size is lowered below [pretrain] seq_len: the full run is fine, --quick is not."""
    toml = course_dir / "course.toml"
    edit(toml, "[pretrain]\n", "[pretrain]\nseq_len = 200\n")
    edit(toml, "[quick.pretrain]\n", "[quick.model]\nblock_size = 150\n[quick.pretrain]\n")
    assert problems(course_dir) == [
        f"course.toml:{line_of(toml, 'seq_len = 200')}: pretrain.seq_len: 200 is more than model.block_size (150), "
        "the longest context the model has; lower it to at most 150 (in the --quick settings)"]


def test_each_misfit_is_reported_once_and_a_quick_one_at_its_quick_line(course_dir):
    """A vocabulary too large misfits both runs (one message); [quick.reward] folds misfits --quick alone."""
    toml = course_dir / "course.toml"
    edit(toml, "[quick.reward]\nsteps = 4\nfolds = 2\n", "[quick.reward]\nsteps = 4\nfolds = 25\n")
    set_setting(toml, "vocab_size", "5000")
    found = problems(course_dir)
    assert [problem.split(": ")[:2] for problem in found] == [
        [f"course.toml:{line_of(toml, 'vocab_size')}", "training.vocab_size"],
        [f"course.toml:{line_of(toml, 'folds = 25')}", "quick.reward.folds"]]
    assert found[1].endswith("25 folds need at least 25 preference pairs (each fold holds some out), and "
                             "preferences.toml has 20; lower it to at most 20")


@pytest.mark.parametrize("value, expected", [('"fast"', "must be a number, got 'fast'"),
                                             ("true", "must be a number, got True"),
                                             ("inf", "must be a finite number, got inf")])
def test_a_rate_that_is_not_a_number_is_named(course_dir, value, expected):
    toml = course_dir / "course.toml"
    set_setting(toml, "lr", value)
    assert problems(course_dir) == [f"course.toml:{line_of(toml, 'lr = ')}: pretrain.lr: {expected}"]


def test_a_context_exactly_as_long_as_the_longest_example_holds_it(course_dir):
    """block_size equal to the longest chat example, counted here with the course's tokenizer, is enough."""
    course = load_course(course_dir)
    tok = course.tokenizer(course.settings.vocab_size)
    chats = [(p.question, p.answer) for p in course.sft_pairs + course.heldout_pairs]
    chats += [(p.prompt, answer) for p in course.preferences for answer in (p.chosen, p.rejected)]
    chats += [(course.case.question, course.case.specific_answer), (course.case.question, course.case.vague_answer)]
    longest = max(len(tok.encode(chat_example(question, answer))) for question, answer in chats)
    toml = course_dir / "course.toml"
    set_setting(toml, "block_size", str(longest))
    assert load_course(course_dir).settings.model.block_size == longest
    set_setting(toml, "block_size", str(longest - 1))
    assert any(f"more than model.block_size ({longest - 1}) holds" in problem for problem in problems(course_dir))
