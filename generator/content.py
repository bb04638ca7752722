"""Read and validate a course folder (content/) into a typed `Course`.

Every problem is collected as `file:line: field: what is wrong, what to do`,
so a teacher sees all of them at once and nothing is trained until all are fixed.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import deck, figures, source
from .format import METRICS, unknown_placeholders
from .training.model import GPTConfig
from .training.pretrain import PretrainConfig
from .training.reward import RewardConfig
from .training.reward_baselines import giveaway_word, words
from .training.rl import RLConfig
from .training.sft import SFTConfig
from .training.tokenizer import END_OF_TEXT, SPECIAL_TOKENS, Tokenizer, chat_example, train_bpe

MIN_PREFERENCE_PAIRS = 4
STAGES = ("pretrain", "sft", "reward", "rl")
QUESTION_STAGES = (*STAGES, "overall")
TRAINING_TABLES = {"model": GPTConfig, "pretrain": PretrainConfig, "sft": SFTConfig, "reward": RewardConfig,
                   "rl": RLConfig}
TRAINING_KEYS = {"seed": int, "vocab_size": int, "val_fraction": float}
COURSE_KEYS = ("title", "subtitle", "domain", "audience")
STAGE_KEYS = ("name", "tagline", "data", "problem_left", "without_it", "analogy_title", "analogy")
NOTE_KEYS = ("say", "ask", "answer")   # a slide's speaker notes: what to say, the question to ask, the answer to expect


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ContentError(Exception):
    """One or more problems in the course folder."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Document:
    name: str
    text: str


@dataclass(frozen=True)
class SFTPair:
    id: str
    question: str
    answer: str
    must: tuple[str, ...] = ()          # held-out only: the rubric's facts a right answer states
    must_not: tuple[str, ...] = ()      # ... and the errors it must not make (see generator/rubric.py)


@dataclass(frozen=True)
class PreferencePair:
    id: str
    category: str
    prompt: str
    chosen: str
    rejected: str
    rationale: str


@dataclass(frozen=True)
class Case:
    prompt_prefix: str
    question: str
    specific_answer: str
    vague_answer: str
    sample_prompts: tuple[str, ...]
    must: tuple[str, ...] = ()          # the rubric for the case question (see SFTPair, generator/rubric.py)
    must_not: tuple[str, ...] = ()


@dataclass(frozen=True)
class Concept:
    concept: str
    idea: str                   # two or three plain sentences
    doc_ref: str                # where the teacher's own documents explain it
    guide: str                  # the study-guide heading (without its number) or walked-through symbol
    symbol: str
    lines: tuple[str, ...]      # pieces of the symbol's key lines, located at build time
    metric: str                 # a key of format.METRICS or figures.FIGURES
    stage: str
    misconception: str
    in_class: str               # a sentence the teacher can say against the misconception


@dataclass(frozen=True)
class Settings:
    seed: int
    vocab_size: int
    val_fraction: float
    model: GPTConfig
    pretrain: PretrainConfig
    sft: SFTConfig
    reward: RewardConfig
    rl: RLConfig


@dataclass(frozen=True)
class Course:
    root: Path
    meta: dict                      # [course]: title, subtitle, domain, audience
    settings: Settings
    quick_settings: Settings        # settings with [quick.*] applied, for --quick
    corpus: tuple[Document, ...]
    sft_pairs: tuple[SFTPair, ...]
    heldout_pairs: tuple[SFTPair, ...]
    preferences: tuple[PreferencePair, ...]
    case: Case
    teaching: dict                  # teaching.toml as parsed (validated shape)
    production: tuple[dict, ...]    # production.toml [[system]] entries
    concepts: tuple[Concept, ...]

    def with_seed(self, seed: int) -> Course:
        """The same course trained from another seed."""
        return dataclasses.replace(
            self, settings=dataclasses.replace(self.settings, seed=seed),
            quick_settings=dataclasses.replace(self.quick_settings, seed=seed))

    def texts(self) -> list[str]:
        """Every text the model will read, so the tokenizer's alphabet can cover it."""
        out = [d.text for d in self.corpus]
        out += [t for p in self.sft_pairs + self.heldout_pairs for t in (p.question, p.answer)]
        out += [t for p in self.preferences for t in (p.prompt, p.chosen, p.rejected)]
        c = self.case
        out += [c.prompt_prefix, c.question, c.specific_answer, c.vague_answer, *c.sample_prompts]
        return out

    def alphabet(self) -> str:
        return "".join(sorted(set("".join(self.texts()))))

    def tokenizer(self, vocab_size: int) -> Tokenizer:
        """The course's byte-pair tokenizer, trained on the corpus (each document ending with
        <|endoftext|>); trained once per process, whether checking content or training."""
        return _bpe("".join(d.text + END_OF_TEXT for d in self.corpus), self.alphabet(), vocab_size)


@functools.lru_cache(maxsize=4)
def _bpe(corpus: str, alphabet: str, vocab_size: int) -> Tokenizer:
    return train_bpe(corpus, alphabet, vocab_size)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def _line_index(text: str) -> dict[tuple[str, int | None, str], int]:
    """Map (table, array index or None, key) -> line number, by scanning the TOML text.

    The table of a top-level key is ''. A table header itself is stored with key ''.
    """
    index: dict[tuple[str, int | None, str], int] = {}
    counts: dict[str, int] = {}
    table, position = "", None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = header.group(2).replace('"', "")
            if header.group(1) == "[[":
                position = counts.get(table, 0)
                counts[table] = position + 1
            else:
                position = None
            index.setdefault((table, position, ""), number)
            continue
        key = _KEY.match(line)
        if key:
            index.setdefault((table, position, key.group(1)), number)
    return index


class _Reader:
    """Loads the files of one course folder and records problems with their lines."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.lines: dict[str, dict] = {}

    def line(self, file: str, table: str = "", position: int | None = None, key: str = "") -> int:
        index = self.lines.get(file, {})
        return index.get((table, position, key)) or index.get((table, position, "")) or 1

    def problem(self, file: str, field_name: str, message: str, line: int = 1) -> None:
        self.problems.append(Problem(file, line, field_name, message))

    def text(self, name: str) -> str | None:
        path = self.root / name
        if not path.is_file():
            self.problem(name, "file", "missing; create it (see the README section 'Writing a course')")
            return None
        data = path.read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            self.problem(name, "encoding", "not valid UTF-8; save the file as UTF-8",
                         line=data[:err.start].count(b"\n") + 1)
            return None

    def toml(self, name: str) -> dict | None:
        text = self.text(name)
        if text is None:
            return None
        self.lines[name] = _line_index(text)
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            found = re.search(r"line (\d+)", str(err))
            self.problem(name, "syntax", f"invalid TOML ({str(err).split(' (at')[0]}); fix the syntax",
                         line=int(found.group(1)) if found else 1)
            return None

    def strings(self, file: str, table: str, position: int | None, item, keys: tuple[str, ...],
                label: str, optional: tuple[str, ...] = (), lists: tuple[str, ...] = ()) -> dict | None:
        """Check `item` is a table whose `keys` are non-empty strings (lists of them for `lists`), no other keys."""
        here = self.line(file, table, position)
        if not isinstance(item, dict):
            self.problem(file, label, "must be a table of text values", here)
            return None
        ok = True
        for key in keys:
            value = item.get(key)
            if key not in item:
                if key not in optional:
                    self.problem(file, f"{label}.{key}", "missing; add a text value", here)
                    ok = False
            elif key in lists:
                if not isinstance(value, list) or not value or \
                        not all(isinstance(v, str) and v.strip() for v in value):
                    self.problem(file, f"{label}.{key}", f'must be a list of non-empty texts, e.g. ["a", "b"], '
                                 f"got {value!r}", self.line(file, table, position, key))
                    ok = False
            elif not isinstance(value, str) or not value.strip():
                self.problem(file, f"{label}.{key}", f"must be non-empty text, got {value!r}",
                             self.line(file, table, position, key))
                ok = False
            else:
                for unknown in unknown_placeholders(value):
                    self.problem(file, f"{label}.{key}", f"unknown figure {{{unknown}}}; "
                                 f"{_suggest(unknown, METRICS)}", self.line(file, table, position, key))
                    ok = False
        for extra in sorted(set(item) - set(keys)):
            self.problem(file, f"{label}.{extra}", f"unknown key; expected {', '.join(keys)}",
                         self.line(file, table, position, extra))
            ok = False
        return item if ok else None

    def entries(self, file: str, data: dict, table: str, keys: tuple[str, ...],
                key: str | None = None, lists: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> list[dict]:
        """Validate an array of tables ([[table]], stored under `key`): every entry's keys, unique ids."""
        items = data.get(key or table, [])
        if not isinstance(items, list):
            self.problem(file, table, f"must be a list of [[{table}]] tables", self.line(file, table))
            return []
        out, seen = [], {}
        for i, item in enumerate(items):
            item_id = item.get("id") if isinstance(item, dict) else None
            label = f"{table}[{i}]" + (f" ({item_id})" if item_id else "")
            checked = self.strings(file, table, i, item, keys, label, lists=lists, optional=optional)
            if item_id is not None and item_id in seen:
                self.problem(file, f"{label}.id", f"duplicate id (also {table}[{seen[item_id]}]); "
                             "give each entry its own id", self.line(file, table, i, "id"))
                continue
            seen[item_id] = i
            if checked is not None:
                out.append({k: v.strip() if isinstance(v, str) else tuple(x.strip() for x in v)
                            for k, v in checked.items()})
        return out


def _suggest(name: str, known) -> str:
    """'did you mean X?' for a misspelt name, else where to find the list."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else "see docs/metrics.md for the figures you can quote"


def _settings(reader: _Reader, data: dict, quick: bool) -> Settings | None:
    """[training], [model], [pretrain], [sft], [reward] (+ [quick.*] overrides) -> Settings."""
    f = "course.toml"
    before = len(reader.problems)
    values: dict[str, dict] = {}
    overrides = data.get("quick", {}) if quick else {}
    for table, spec in {"training": TRAINING_KEYS, **TRAINING_TABLES}.items():
        given = data.get(table, {})
        if not isinstance(given, dict):
            reader.problem(f, table, f"must be a [{table}] table", reader.line(f, table))
            continue
        merged = {**given, **overrides.get(table, {})}
        types = spec if isinstance(spec, dict) else {x.name: type(x.default) for x in dataclasses.fields(spec)}
        values[table] = {}
        for key, value in merged.items():
            where = f"quick.{table}" if key in overrides.get(table, {}) else table
            line = reader.line(f, where, None, key)
            expected = types.get(key)
            if expected is None:
                reader.problem(f, f"{where}.{key}", f"unknown key; expected one of {', '.join(types)}", line)
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    (expected is int and not isinstance(value, int)):
                reader.problem(f, f"{where}.{key}", f"must be {'a whole number' if expected is int else 'a number'}"
                               f", got {value!r}", line)
            elif value < 0 or (value == 0 and key != "weight_decay"):
                reader.problem(f, f"{where}.{key}", f"must be positive, got {value!r}", line)
            else:
                values[table][key] = expected(value)
    training = values.get("training", {})
    for key in TRAINING_KEYS:
        if key not in training and not any(p.field == f"training.{key}" for p in reader.problems):
            reader.problem(f, f"training.{key}", "missing; add it under [training]", reader.line(f, "training"))
    if training.get("val_fraction", 0.1) >= 0.5:
        reader.problem(f, "training.val_fraction", "must be below 0.5 (most text is for training)",
                       reader.line(f, "training", None, "val_fraction"))
    model = values.get("model", {})
    if model.get("n_embd", GPTConfig.n_embd) % model.get("n_head", GPTConfig.n_head):
        reader.problem(f, "model.n_embd", "must be a multiple of model.n_head", reader.line(f, "model", None, "n_embd"))
    reward = values.get("reward", {})
    if reward.get("folds", RewardConfig.folds) < 2:
        reader.problem(f, "reward.folds", "needs at least 2 folds for cross-validation",
                       reader.line(f, "reward", None, "folds"))
    if len(reader.problems) > before:
        return None
    return Settings(seed=training["seed"], vocab_size=training["vocab_size"],
                    val_fraction=training["val_fraction"],
                    model=GPTConfig(vocab_size=training["vocab_size"], **model),
                    pretrain=PretrainConfig(**values["pretrain"]), sft=SFTConfig(**values["sft"]),
                    reward=RewardConfig(**values["reward"]), rl=RLConfig(**values["rl"]))


def _teaching(reader: _Reader, data: dict) -> dict:
    """teaching.toml: disclaimer, a table per stage, questions, takeaways and the handout."""
    f = "teaching.toml"
    if not isinstance(data.get("disclaimer"), str) or not data["disclaimer"].strip():
        reader.problem(f, "disclaimer", "missing; add one line saying this is teaching material",
                       reader.line(f, "", None, "disclaimer"))
    stages = data.get("stages", {})
    for stage in STAGES:
        if stage not in stages:
            reader.problem(f, f"stages.{stage}", f"missing; add a [stages.{stage}] table")
        else:
            reader.strings(f, f"stages.{stage}", None, stages[stage], STAGE_KEYS, f"stages.{stage}")
    for extra in sorted(set(stages) - set(STAGES)):
        reader.problem(f, f"stages.{extra}", f"unknown stage; expected {', '.join(STAGES)}",
                       reader.line(f, f"stages.{extra}"))
    questions = reader.entries(f, data, "question", ("stage", "question", "answer"))
    for i, q in enumerate(questions):
        if q["stage"] not in QUESTION_STAGES:
            reader.problem(f, f"question[{i}].stage", f"{q['stage']!r} is not one of {', '.join(QUESTION_STAGES)}",
                           reader.line(f, "question", i, "stage"))
    if not questions:
        reader.problem(f, "question", "add at least one [[question]] for the classroom")
    if not reader.entries(f, data, "takeaway", ("text",)):
        reader.problem(f, "takeaway", "add at least one [[takeaway]]")
    handout = data.get("handout", {})
    plain = {k: v for k, v in handout.items() if k != "item"} if isinstance(handout, dict) else handout
    if reader.strings(f, "handout", None, plain, ("title", "intro", "key_insight"), "handout") is not None:
        items = reader.entries(f, handout, "handout.item", ("stage", "learns", "data", "limitation"), "item")
        if sorted(i["stage"] for i in items) != sorted(STAGES):
            reader.problem(f, "handout.item", f"needs one [[handout.item]] per stage: {', '.join(STAGES)}",
                           reader.line(f, "handout"))
    _notes(reader, data.get("notes", {}))
    for extra in sorted(set(data) - {"disclaimer", "stages", "question", "takeaway", "handout", "notes"}):
        reader.problem(f, extra, "unknown key or table", reader.line(f, extra) if extra else 1)
    return data


def _notes(reader: _Reader, notes) -> None:
    """[notes.<slide id>]: speaker notes for a slide of the deck (all optional; a course may have none)."""
    f = "teaching.toml"
    if not isinstance(notes, dict):
        reader.problem(f, "notes", "must be tables like [notes.pretraining-loss]", reader.line(f, "notes"))
        return
    known = deck.slide_ids()
    for slide, note in notes.items():
        where = f"notes.{slide}"
        if slide not in known:
            close = difflib.get_close_matches(slide, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "the slide ids are listed in generator/deck.py"
            reader.problem(f, where, f"no slide has this id; {hint}", reader.line(f, where))
            continue
        checked = reader.strings(f, where, None, note, NOTE_KEYS, where, optional=NOTE_KEYS)
        if checked is not None and ("ask" in checked) != ("answer" in checked):
            reader.problem(f, where, "give the question to ask and the answer to expect together (ask and answer)",
                           reader.line(f, where))
        elif checked is not None and not checked:
            reader.problem(f, where, "empty; add say, or ask and answer", reader.line(f, where))


def load_course(root: Path | str) -> Course:
    """Read the course folder, or raise ContentError listing every problem found."""
    root = Path(root)
    if not (root / "course.toml").is_file():
        raise ContentError([Problem(str(root), 1, "folder", "no course.toml here; pass the folder "
                                    "that holds course.toml (e.g. --content content)")])
    reader = _Reader(root)

    course_toml = reader.toml("course.toml") or {}
    meta = reader.strings("course.toml", "course", None, course_toml.get("course", {}), COURSE_KEYS, "course",
                          optional=("audience",)) if course_toml else None
    for extra in sorted(set(course_toml) - {"course", "training", "quick", *TRAINING_TABLES}):
        reader.problem("course.toml", extra, "unknown table", reader.line("course.toml", extra))
    settings = _settings(reader, course_toml, quick=False) if course_toml else None
    quick = _settings(reader, course_toml, quick=True) if settings else None

    corpus = []
    for path in sorted((root / "corpus").glob("*.txt")):
        text = reader.text(f"corpus/{path.name}")
        if text is not None and text.strip():
            corpus.append(Document(path.stem, text.strip() + "\n"))
    if not corpus:
        reader.problem("corpus/", "corpus", "no text found; add .txt files of course reading")

    sft_data = reader.toml("sft.toml") or {}
    sft_pairs = reader.entries("sft.toml", sft_data, "pair", ("id", "question", "answer"))
    heldout = reader.entries("sft.toml", sft_data, "heldout", ("id", "question", "answer", "must", "must_not"),
                             lists=("must", "must_not"), optional=("must", "must_not"))
    if "sft.toml" in reader.lines and sft_data and not sft_pairs:
        reader.problem("sft.toml", "pair", "needs at least one [[pair]] with a question and an answer")

    pref_data = reader.toml("preferences.toml") or {}
    prefs = reader.entries("preferences.toml", pref_data, "pair",
                           ("id", "category", "prompt", "chosen", "rejected", "rationale"))
    if pref_data and len(prefs) < MIN_PREFERENCE_PAIRS:
        reader.problem("preferences.toml", "pair", f"has {len(prefs)} usable pairs; needs at least "
                       f"{MIN_PREFERENCE_PAIRS} (20 recommended)")
    for i, pair in enumerate(prefs):
        if pair["chosen"] == pair["rejected"]:
            reader.problem("preferences.toml", f"pair ({pair['id']}).rejected",
                           "is the same as chosen; the two answers must differ",
                           reader.line("preferences.toml", "pair", i, "rejected"))

    case_data = reader.toml("case.toml") or {}
    case = None
    if case_data:
        prompts = case_data.get("sample_prompts")
        plain = {k: v for k, v in case_data.items() if k != "sample_prompts"}
        checked = reader.strings("case.toml", "", None, plain,
                                 ("prompt_prefix", "question", "specific_answer", "vague_answer", "must", "must_not"),
                                 "case", lists=("must", "must_not"), optional=("must", "must_not"))
        if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) and p for p in prompts):
            reader.problem("case.toml", "sample_prompts", "must be a list of short texts, e.g. [\"Metformin\"]",
                           reader.line("case.toml", "", None, "sample_prompts"))
        elif checked:
            case = Case(checked["prompt_prefix"], checked["question"], checked["specific_answer"],
                        checked["vague_answer"], tuple(prompts),
                        *(tuple(x.strip() for x in checked.get(k, ())) for k in ("must", "must_not")))

    teaching = _teaching(reader, reader.toml("teaching.toml") or {})
    production = reader.entries("production.toml", reader.toml("production.toml") or {}, "system",
                                ("name", "stage", "figure", "source"))
    concept_data = reader.toml("concept_map.toml") or {}
    concepts = reader.entries("concept_map.toml", concept_data, "concept",
                              tuple(f.name for f in dataclasses.fields(Concept)), lists=("lines",))
    for i, entry in enumerate(concepts):
        _check_concept(reader, i, entry)

    course = Course(root, meta, settings, quick, tuple(corpus),
                    tuple(SFTPair(**p) for p in sft_pairs), tuple(SFTPair(**p) for p in heldout),
                    tuple(PreferencePair(**p) for p in prefs), case, teaching, tuple(production),
                    tuple(Concept(**c) for c in concepts))
    longest = _check_fit(reader, course)
    if reader.problems:
        raise ContentError(reader.problems)
    return _with_context(course, longest)


def _with_context(course: Course, longest: int) -> Course:
    """Pretraining windows as long as the longest text a later stage reads, so every position the
    later stages use is pretrained (unless course.toml sets [pretrain] seq_len); fine-tuning replays
    windows of that length too (unless [sft] replay_len is set)."""
    def fit(s: Settings) -> Settings:
        window = s.pretrain.seq_len or min(longest, s.model.block_size)
        return dataclasses.replace(s, pretrain=dataclasses.replace(s.pretrain, seq_len=window),
                                   sft=dataclasses.replace(s.sft, replay_len=s.sft.replay_len or window))
    return dataclasses.replace(course, settings=fit(course.settings), quick_settings=fit(course.quick_settings))


def _check_concept(reader: _Reader, i: int, entry: dict) -> None:
    """A concept's symbol names real code, its lines are in that code, its figure exists."""
    f = "concept_map.toml"
    if not source.exists(entry["symbol"]):
        reader.problem(f, f"concept[{i}].symbol",
                       f"{entry['symbol']!r} names no function or class in generator/training; "
                       "use module.function or module.Class.method", reader.line(f, "concept", i, "symbol"))
    else:
        excerpt = source.locate(entry["symbol"])
        for needle in entry["lines"]:
            if excerpt.find(needle) is None:
                reader.problem(f, f"concept[{i}].lines", f"{needle!r} is in no line of {entry['symbol']} "
                               f"({excerpt.location}); copy a piece of the line you mean",
                               reader.line(f, "concept", i, "lines"))
    if entry["metric"] not in figures.KEYS:
        reader.problem(f, f"concept[{i}].metric",
                       f"{entry['metric']!r} is not a run figure; {_suggest(entry['metric'], figures.KEYS)}",
                       reader.line(f, "concept", i, "metric"))


def _check_fit(reader: _Reader, course: Course) -> int:
    """Settings that cannot work with this content: the vocabulary, reserved tokens, the context window.

    Runs on whatever loaded, so it is reported together with any other problems.
    Returns the length in tokens of the longest text a later stage reads (0 if not measured).
    """
    texts = course.texts() if course.case else [d.text for d in course.corpus]
    alphabet = set("".join(texts))
    needed = len(alphabet) + len(SPECIAL_TOKENS)
    if course.settings is not None and course.settings.vocab_size < needed:
        reader.problem("course.toml", "training.vocab_size",
                       f"{course.settings.vocab_size} is too small: the course uses {len(alphabet)} "
                       f"different characters plus {len(SPECIAL_TOKENS)} special tokens; "
                       f"set it to at least {needed}", reader.line("course.toml", "training", None, "vocab_size"))
    for special in SPECIAL_TOKENS:
        if any(special in text for text in texts):
            reader.problem("content", "text", f"contains the reserved token {special}; remove it")
    return 0 if reader.problems else _check_lengths(reader, course)


def _check_lengths(reader: _Reader, course: Course) -> int:
    """Every chat example, tokenized as training will, must fit the model's context window.
    Returns the longest one's length in tokens."""
    tok = course.tokenizer(course.settings.vocab_size)
    block = min(course.settings.model.block_size, course.quick_settings.model.block_size)
    examples = [("sft.toml", "pair", i, "answer", p.question, p.answer) for i, p in enumerate(course.sft_pairs)]
    examples += [("sft.toml", "heldout", i, "answer", p.question, p.answer) for i, p in enumerate(course.heldout_pairs)]
    examples += [("preferences.toml", "pair", i, side, p.prompt, getattr(p, side))
                 for i, p in enumerate(course.preferences) for side in ("chosen", "rejected")]
    examples += [("case.toml", "", None, side, course.case.question, getattr(course.case, side))
                 for side in ("specific_answer", "vague_answer")]
    longest = 0
    for file, table, i, key, question, answer in examples:
        tokens = len(tok.encode(chat_example(question, answer)))
        longest = max(longest, tokens)
        if tokens > block:
            where = f"{table}[{i}].{key}" if table else key
            reader.problem(file, where, f"with its question this is {tokens} tokens, more than "
                           f"model.block_size ({block}) holds; shorten it or raise block_size",
                           reader.line(file, table, i, key))
    return longest


def authoring_notes(course: Course) -> list[str]:
    """Advice that is not an error: a word that gives the preference pairs away.

    When one word sits in (almost) every rejected answer and no chosen one, or the other way
    round, a reward model can learn that word instead of what makes an answer better.
    """
    chosen, rejected = [p.chosen for p in course.preferences], [p.rejected for p in course.preferences]
    word, side = giveaway_word(chosen, rejected)
    if not word:
        return []
    (marked, kind), other = ((rejected, "rejected"), chosen) if side > 0 else ((chosen, "chosen"), rejected)
    in_marked, in_other = (sum(word in words(text) for text in texts) for texts in (marked, other))
    if in_marked - in_other < 0.75 * len(marked):
        return []
    return [f'preferences.toml: the word "{word}" is in {in_marked} of the {len(marked)} {kind} answers '
            f"and {in_other} of the others, so a reward model can rank the pairs by that word alone; "
            "vary the wording of the answers if you can (the page reports how much the model relies on it)"]
