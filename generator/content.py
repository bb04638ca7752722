"""Read and validate a course folder (content/) into a typed `Course`.

Every problem is collected as `file:line: field: what is wrong, what to do`,
so a teacher sees all of them at once and nothing is trained until all are fixed.
"""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import functools
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import deck, figures, source
from .format import METRICS
from .training.model import GPTConfig
from .training.pretrain import PretrainConfig
from .training.reward import RewardConfig
from .training.reward_baselines import giveaway_word, words
from .training.rl import RLConfig
from .training.sft import SFTConfig
from .training.tokenizer import END_OF_TEXT, SPECIAL_TOKENS, Tokenizer, chat_example, train_bpe

MIN_PREFERENCE_PAIRS = 4
CHARS_PER_MERGE = 100       # corpus characters per learned merge, so each merged token is seen often enough to learn
STAGES = ("pretrain", "sft", "reward", "rl")
QUESTION_STAGES = (*STAGES, "overall")
TRAINING_TABLES = {"model": GPTConfig, "pretrain": PretrainConfig, "sft": SFTConfig, "reward": RewardConfig,
                   "rl": RLConfig}
TRAINING_KEYS = {"seed": int, "vocab_size": int, "val_fraction": float}
SET_UNDER_TRAINING = {"vocab_size"}     # GPTConfig fields that [training] sets, not [model]
MAY_BE_ZERO = {"seed", "weight_decay", "dev_pairs", "min_delta"}
# [text] plain_punctuation = true: typographic punctuation in the texts the model reads, written plainly
PLAIN_PUNCTUATION = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'",
                                   "\u201c": '"', "\u201d": '"', "\u201e": '"',
                                   "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...",
                                   "\u00a0": " ", "\u202f": " "})
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
class TextSizes:
    """How many tokens each stage reads, with the tokenizer of one vocabulary size."""
    documents: tuple[int, ...]              # each corpus file
    sft_examples: tuple[int, ...]           # each demonstration (question and answer), as a chat turn
    preference_examples: tuple[int, ...]    # each chosen and each rejected answer, with its prompt

    def split(self, val_fraction: float) -> tuple[int, int]:
        """(training, validation) tokens of the corpus, cut as pipeline.split_corpus cuts it: the last
        `val_fraction` of each file is held out, and each part of a file ends with <|endoftext|>."""
        train = sum(int(n * (1 - val_fraction)) + 1 for n in self.documents)
        return train, sum(self.documents) + 2 * len(self.documents) - train


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

    def model_texts(self) -> dict[str, list[str]]:
        """Every text the model will read, by the file it comes from (corpus/<name>.txt, sft.toml, ...)."""
        texts = {f"corpus/{d.name}.txt": [d.text] for d in self.corpus}
        texts["sft.toml"] = [t for p in self.sft_pairs + self.heldout_pairs for t in (p.question, p.answer)]
        texts["preferences.toml"] = [t for p in self.preferences for t in (p.prompt, p.chosen, p.rejected)]
        if self.case:
            c = self.case
            texts["case.toml"] = [c.prompt_prefix, c.question, c.specific_answer, c.vague_answer, *c.sample_prompts]
        return texts

    def texts(self) -> list[str]:
        """Every text the model will read, so the tokenizer's alphabet can cover it."""
        return [text for texts in self.model_texts().values() for text in texts]

    def alphabet(self) -> str:
        return "".join(sorted(set("".join(self.texts()))))

    def tokenizer(self, vocab_size: int) -> Tokenizer:
        """The course's byte-pair tokenizer, trained on the corpus (each document ending with
        <|endoftext|>); trained once per process, whether checking content or training."""
        return _bpe(self.corpus, self.alphabet(), vocab_size)

    def sizes(self, vocab_size: int) -> TextSizes:
        """Token counts of what the stages read, with the tokenizer of `vocab_size` tokens (counted once)."""
        return _sizes(self.corpus, self.sft_pairs, self.preferences, self.alphabet(), vocab_size)

    def with_plain_punctuation(self) -> Course:
        """The course with typographic quotes, dashes, ellipses and no-break spaces written plainly
        in every text the model reads ([text] plain_punctuation = true)."""
        def plain(text: str) -> str:
            return text.translate(PLAIN_PUNCTUATION)

        def plain_pair(p: SFTPair) -> SFTPair:
            return dataclasses.replace(p, question=plain(p.question), answer=plain(p.answer))

        c = self.case
        return dataclasses.replace(
            self, corpus=tuple(Document(d.name, plain(d.text)) for d in self.corpus),
            sft_pairs=tuple(map(plain_pair, self.sft_pairs)), heldout_pairs=tuple(map(plain_pair, self.heldout_pairs)),
            preferences=tuple(dataclasses.replace(p, prompt=plain(p.prompt), chosen=plain(p.chosen),
                                                  rejected=plain(p.rejected)) for p in self.preferences),
            case=c and dataclasses.replace(c, prompt_prefix=plain(c.prompt_prefix), question=plain(c.question),
                                           specific_answer=plain(c.specific_answer),
                                           vague_answer=plain(c.vague_answer),
                                           sample_prompts=tuple(map(plain, c.sample_prompts))))


@functools.lru_cache(maxsize=4)
def _bpe(corpus: tuple[Document, ...], alphabet: str, vocab_size: int) -> Tokenizer:
    return train_bpe("".join(d.text + END_OF_TEXT for d in corpus), alphabet, vocab_size)


@functools.lru_cache(maxsize=4)
def _sizes(corpus: tuple[Document, ...], sft_pairs: tuple[SFTPair, ...], preferences: tuple[PreferencePair, ...],
           alphabet: str, vocab_size: int) -> TextSizes:
    tok = _bpe(corpus, alphabet, vocab_size)
    return TextSizes(
        tuple(len(tok.encode(d.text)) for d in corpus),
        tuple(len(tok.encode(chat_example(p.question, p.answer))) for p in sft_pairs),
        tuple(len(tok.encode(chat_example(p.prompt, answer)))
              for p in preferences for answer in (p.chosen, p.rejected)))


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


def _field_at(index: dict[tuple[str, int | None, str], int], line: int) -> str:
    """The field a line of a TOML file belongs to (the last key at or above it), e.g. 'pair[2].answer'."""
    above = [(number, place) for place, number in index.items() if number <= line]
    if not above:
        return "text"
    table, position, key = max(above, key=lambda found: found[0])[1]
    name = table + (f"[{position}]" if position is not None else "")
    return ".".join(part for part in (name, key) if part)


class _Reader:
    """Loads the files of one course folder and records problems with their lines."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.lines: dict[str, dict] = {}
        self.raw: dict[str, str] = {}       # file -> its text as read, to find where a text sits

    def line(self, file: str, table: str = "", position: int | None = None, key: str = "") -> int:
        index = self.lines.get(file, {})
        return index.get((table, position, key)) or index.get((table, position, "")) or 1

    def problem(self, file: str, field_name: str, message: str, line: int = 1) -> None:
        self.problems.append(Problem(file, line, field_name, message))

    def locate(self, file: str, needle: str) -> tuple[int, str]:
        """(line, field) of the first line of `file` holding `needle`; a corpus file's field is 'text'."""
        lines = self.raw.get(file, "").splitlines()
        line = next((n for n, text in enumerate(lines, 1) if needle in text), 1)
        return line, _field_at(self.lines[file], line) if file in self.lines else "text"

    def text(self, name: str) -> str | None:
        path = self.root / name
        if not path.is_file():
            self.problem(name, "file", "missing; create it (see the README section 'Writing a course')")
            return None
        data = path.read_bytes()
        if data.startswith(codecs.BOM_UTF8):
            self.problem(name, "encoding", "starts with a byte-order mark (BOM); remove it: "
                         "save the file as UTF-8 without BOM")
            return None
        try:
            self.raw[name] = data.decode("utf-8")
        except UnicodeDecodeError as err:
            self.problem(name, "encoding", "not valid UTF-8; save the file as UTF-8",
                         line=data[:err.start].count(b"\n") + 1)
            return None
        return self.raw[name]

    def toml(self, name: str, required: bool = True) -> dict | None:
        """The parsed file, or None (and one problem) if it is missing, invalid, or `required` and empty."""
        text = self.text(name)
        if text is None:
            return None
        self.lines[name] = _line_index(text)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            found = re.search(r"line (\d+)", str(err))
            self.problem(name, "syntax", f"invalid TOML ({str(err).split(' (at')[0]}); fix the syntax",
                         line=int(found.group(1)) if found else 1)
            return None
        if required and not data:
            self.problem(name, "file", f"holds nothing but comments; fill it in (content/{name} is an example)")
            return None
        return data

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
                    what = 'a list of texts, e.g. ["a", "b"]' if key in lists else "a text value"
                    self.problem(file, f"{label}.{key}", f"missing; add {what}", here)
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
                for mistake in _placeholder_mistakes(value):
                    self.problem(file, f"{label}.{key}", mistake, self.line(file, table, position, key))
                    ok = False
        for extra in sorted(set(item) - set(keys)):
            self.problem(file, f"{label}.{extra}", _unknown("key", extra, keys),
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
            item_id = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
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


def _suggest(name: str, known, otherwise: str = "see docs/metrics.md for the figures you can quote") -> str:
    """'did you mean X?' for a misspelt name, else `otherwise` (where to find the list)."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else otherwise


def _unknown(kind: str, name: str, known) -> str:
    """'unknown key; did you mean 'lr'?', or the names expected when none is close."""
    return f"unknown {kind}; {_suggest(name, known, 'expected ' + ', '.join(known))}"


_PLACEHOLDER_LIKE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)([:!][^{}]*)?\}")   # {name}, {a.b}, {a.b:.2f}


def _placeholder_mistakes(text: str) -> list[str]:
    """What is wrong with each {placeholder} in `text` that names no figure or adds a format: the
    page would show it as typed."""
    mistakes = []
    for found in _PLACEHOLDER_LIKE.finditer(text):
        name, spec = found.groups()
        if name in METRICS and spec:
            mistakes.append(f"{found.group(0)}: placeholders take no format (each figure is always formatted "
                            f"the same way); write {{{name}}}")
        elif name not in METRICS and "." not in name:
            mistakes.append(f"{found.group(0)} names no figure: a placeholder names a stage and a figure, "
                            f"e.g. {{pretrain.final_val_loss}}; {_suggest(name, METRICS)}")
        elif name not in METRICS:
            mistakes.append(f"unknown figure {{{name}}}; {_suggest(name, METRICS)}")
    return mistakes


# names other tools use for a setting -> ours, so a key written the Hugging Face way finds its match
SETTING_ALIASES = {"learning_rate": "lr", "d_model": "n_embd", "hidden_size": "n_embd", "num_layers": "n_layer",
                   "num_heads": "n_head", "context_length": "block_size", "max_steps": "steps",
                   "warmup_steps": "warmup", "vocabulary_size": "vocab_size"}


def _setting_types(table: str) -> dict[str, type]:
    """The keys a settings table takes, with their types."""
    if table == "training":
        return TRAINING_KEYS
    fields = dataclasses.fields(TRAINING_TABLES[table])
    return {x.name: type(x.default) for x in fields if not (table == "model" and x.name in SET_UNDER_TRAINING)}


def _unknown_setting(table: str, key: str) -> str:
    """Where a key that [table] does not take belongs, or the nearest name it does take."""
    homes = [f"[{t}]" for t in ("training", *TRAINING_TABLES) if t != table and key in _setting_types(t)]
    if homes:
        return f"belongs under {' or '.join(homes)}, not [{table}]; move it there"
    known = _setting_types(table)
    alias = difflib.get_close_matches(key, [a for a, ours in SETTING_ALIASES.items() if ours in known], n=1)
    if alias and not difflib.get_close_matches(key, known, n=1):
        return f"unknown key; did you mean {SETTING_ALIASES[alias[0]]!r}?"
    return _unknown("key", key, known)


def _setting_value(key: str, value, expected: type) -> str | None:
    """What is wrong with one setting's value, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (expected is int and not isinstance(value, int)):
        return f"must be {'a whole number' if expected is int else 'a number'}, got {value!r}"
    if not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    if value < 0 or (value == 0 and key not in MAY_BE_ZERO):
        return f"must be {'zero or more' if key in MAY_BE_ZERO else 'positive'}, got {value!r}"
    return None


def _settings(reader: _Reader, data: dict, quick: bool) -> Settings | None:
    """[training], [model], [pretrain], [sft], [reward] (+ [quick.*] overrides) -> Settings."""
    f = "course.toml"
    if "training" not in data:
        if not quick:
            reader.problem(f, "training", "missing; add a [training] table with seed, vocab_size and val_fraction "
                           "(see content/course.toml)")
        return None
    before = len(reader.problems)
    values: dict[str, dict] = {}
    overrides = data.get("quick", {}) if quick else {}
    for table in ("training", *TRAINING_TABLES):
        given, override = data.get(table, {}), overrides.get(table, {})
        if not isinstance(given, dict) or not isinstance(override, dict):
            where = table if not isinstance(given, dict) else f"quick.{table}"
            reader.problem(f, where, f"must be a [{where}] table", reader.line(f, where))
            continue
        types = _setting_types(table)
        values[table] = {}
        for key, value in {**given, **override}.items():
            where = f"quick.{table}" if key in override else table
            line = reader.line(f, where, None, key)
            wrong = _unknown_setting(table, key) if key not in types else _setting_value(key, value, types[key])
            if wrong:
                reader.problem(f, f"{where}.{key}", wrong, line)
            else:
                values[table][key] = types[key](value)
    training = values.get("training", {})
    for key in TRAINING_KEYS:
        if key not in training and not any(p.field.endswith(f"training.{key}") for p in reader.problems):
            reader.problem(f, f"training.{key}", "missing; add it under [training]", reader.line(f, "training"))
    if training.get("val_fraction", 0.1) >= 0.5:
        reader.problem(f, "training.val_fraction", "must be below 0.5 (most text is for training)",
                       reader.line(f, "training", None, "val_fraction"))
    model = values.get("model", {})
    if model.get("n_embd", GPTConfig.n_embd) % model.get("n_head", GPTConfig.n_head):
        reader.problem(f, "model.n_embd", "must be a multiple of model.n_head", reader.line(f, "model", None, "n_embd"))
    if values.get("sft", {}).get("min_delta", 0.0) >= 1:
        reader.problem(f, "sft.min_delta", "must be below 1: it is the share by which a dev loss must fall to count "
                       "as a new lowest (0.005 is half a percent)", reader.line(f, "sft", None, "min_delta"))
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


def _plain_punctuation(reader: _Reader, data: dict) -> bool:
    """[text] plain_punctuation: read curly quotes, long dashes, ellipses and no-break spaces as plain ones."""
    f, table = "course.toml", data.get("text", {})
    if not isinstance(table, dict):
        reader.problem(f, "text", "must be a [text] table", reader.line(f, "text"))
        return False
    for key, value in table.items():
        if key != "plain_punctuation":
            reader.problem(f, f"text.{key}", _unknown("key", key, ["plain_punctuation"]),
                           reader.line(f, "text", None, key))
        elif not isinstance(value, bool):
            reader.problem(f, "text.plain_punctuation", f"must be true or false, got {value!r}",
                           reader.line(f, "text", None, key))
    return table.get("plain_punctuation") is True


def _teaching(reader: _Reader, data: dict) -> dict:
    """teaching.toml: disclaimer, a table per stage, questions, takeaways and the handout."""
    f = "teaching.toml"
    if not isinstance(data.get("disclaimer"), str) or not data["disclaimer"].strip():
        reader.problem(f, "disclaimer", "missing; add one line saying this is teaching material",
                       reader.line(f, "", None, "disclaimer"))
    stages = data.get("stages", {}) if isinstance(data.get("stages"), dict) else {}
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
    known = ("disclaimer", "stages", "question", "takeaway", "handout", "notes")
    for extra in sorted(set(data) - set(known)):
        reader.problem(f, extra, _unknown("key or table", extra, known), reader.line(f, extra) if extra else 1)
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
    if not root.is_dir():
        raise ContentError([Problem("", 1, "folder", "no such folder; pass the course folder "
                                    "(e.g. --content content)")])
    if not (root / "course.toml").is_file():
        raise ContentError([Problem("course.toml", 1, "file", "missing, so this is no course folder; pass the "
                                    "folder that holds course.toml (e.g. --content content)")])
    reader = _Reader(root)

    course_toml = reader.toml("course.toml")
    meta = settings = quick = None
    plain = False
    if course_toml is not None:
        meta = _course_meta(reader, course_toml)
        plain = _plain_punctuation(reader, course_toml)
        settings = _settings(reader, course_toml, quick=False)
        quick = _settings(reader, course_toml, quick=True) if settings else None

    corpus = []
    for path in sorted((root / "corpus").glob("*.txt")):
        text = reader.text(f"corpus/{path.name}")
        if text is not None and text.strip():
            corpus.append(Document(path.stem, text.strip() + "\n"))
    if not corpus:
        reader.problem("corpus/", "corpus", "no text found; add .txt files of course reading")

    sft_data = reader.toml("sft.toml")
    sft_pairs = reader.entries("sft.toml", sft_data or {}, "pair", ("id", "question", "answer"))
    heldout = reader.entries("sft.toml", sft_data or {}, "heldout", ("id", "question", "answer", "must", "must_not"),
                             lists=("must", "must_not"), optional=("must_not",))
    if sft_data is not None and not sft_data.get("heldout"):
        reader.problem("sft.toml", "heldout", "needs at least one [[heldout]] question, never trained on, with a "
                       "rubric (must = [...]): it judges whether fine-tuning and stage 4 carry over to new questions")
    if sft_data is not None and not sft_data.get("pair"):
        reader.problem("sft.toml", "pair", "needs at least one [[pair]] with a question and an answer")

    pref_data = reader.toml("preferences.toml")
    prefs = reader.entries("preferences.toml", pref_data or {}, "pair",
                           ("id", "category", "prompt", "chosen", "rejected", "rationale"))
    if pref_data is not None and len(prefs) < MIN_PREFERENCE_PAIRS:
        reader.problem("preferences.toml", "pair", f"has {len(prefs)} usable pairs; needs at least "
                       f"{MIN_PREFERENCE_PAIRS} (20 recommended)")
    for i, pair in enumerate(prefs):
        if pair["chosen"] == pair["rejected"]:
            reader.problem("preferences.toml", f"pair ({pair['id']}).rejected",
                           "is the same as chosen; the two answers must differ",
                           reader.line("preferences.toml", "pair", i, "rejected"))

    case_data = reader.toml("case.toml")
    case = _case(reader, case_data) if case_data is not None else None

    teaching_data = reader.toml("teaching.toml")
    teaching = _teaching(reader, teaching_data) if teaching_data is not None else {}
    production = reader.entries("production.toml", reader.toml("production.toml", required=False) or {}, "system",
                                ("name", "stage", "figure", "source"))
    concept_data = reader.toml("concept_map.toml", required=False) or {}
    concepts = reader.entries("concept_map.toml", concept_data, "concept",
                              tuple(f.name for f in dataclasses.fields(Concept)), lists=("lines",))
    for i, entry in enumerate(concepts):
        _check_concept(reader, i, entry)

    course = Course(root, meta, settings, quick, tuple(corpus),
                    tuple(SFTPair(**p) for p in sft_pairs), tuple(SFTPair(**p) for p in heldout),
                    tuple(PreferencePair(**p) for p in prefs), case, teaching, tuple(production),
                    tuple(Concept(**c) for c in concepts))
    if plain:
        course = course.with_plain_punctuation()
    course = _check_fit(reader, course, (course_toml or {}).get("quick", {}))
    if reader.problems:
        raise ContentError(reader.problems)
    return course


def _with_context(course: Course, longest: int) -> Course:
    """Pretraining windows as long as the longest text a later stage reads, so every position the
    later stages use is pretrained (unless course.toml sets [pretrain] seq_len); fine-tuning replays
    windows of that length too (unless [sft] replay_len is set)."""
    def fit(s: Settings) -> Settings:
        window = s.pretrain.seq_len or min(longest, s.model.block_size)
        return dataclasses.replace(s, pretrain=dataclasses.replace(s.pretrain, seq_len=window),
                                   sft=dataclasses.replace(s.sft, replay_len=s.sft.replay_len or window))
    return dataclasses.replace(course, settings=fit(course.settings), quick_settings=fit(course.quick_settings))


def _course_meta(reader: _Reader, data: dict) -> dict | None:
    """[course]: title, subtitle, domain (and audience); and no table course.toml does not know."""
    f = "course.toml"
    known = ("course", "training", "text", *TRAINING_TABLES, "quick")
    for extra in sorted(set(data) - set(known)):
        reader.problem(f, extra, _unknown("table", extra, known), reader.line(f, extra))
    quick = data.get("quick", {})
    for extra in sorted(set(quick) - {"training", *TRAINING_TABLES}) if isinstance(quick, dict) else ():
        reader.problem(f, f"quick.{extra}", _unknown("table", extra, ("training", *TRAINING_TABLES)),
                       reader.line(f, f"quick.{extra}"))
    if "course" not in data:
        reader.problem(f, "course", "missing; add a [course] table with title, subtitle and domain")
        return None
    return reader.strings(f, "course", None, data["course"], COURSE_KEYS, "course", optional=("audience",))


def _case(reader: _Reader, data: dict) -> Case | None:
    """case.toml: the case traced through every stage, and the prompts the pretrained model continues."""
    prompts = data.get("sample_prompts")
    plain = {k: v for k, v in data.items() if k != "sample_prompts"}
    checked = reader.strings("case.toml", "", None, plain,
                             ("prompt_prefix", "question", "specific_answer", "vague_answer", "must", "must_not"),
                             "case", lists=("must", "must_not"), optional=("must", "must_not"))
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) and p.strip() for p in prompts):
        reader.problem("case.toml", "sample_prompts", "must be a list of short texts, e.g. [\"Metformin\"]",
                       reader.line("case.toml", "", None, "sample_prompts"))
        return None
    if not checked:
        return None
    return Case(checked["prompt_prefix"], checked["question"], checked["specific_answer"],
                checked["vague_answer"], tuple(prompts),
                *(tuple(x.strip() for x in checked.get(k, ())) for k in ("must", "must_not")))


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


def _check_fit(reader: _Reader, course: Course, quick_tables: dict) -> Course:
    """Texts and settings that cannot work together: reserved tokens, the settings' fit, each example's length.

    Runs on whatever loaded, so it is reported together with any other problems. Once every
    example is measured, returns the course with its pretraining windows sized (_with_context).
    """
    for file, texts in course.model_texts().items():
        for special in SPECIAL_TOKENS:
            if any(special in text for text in texts):
                line, field = reader.locate(file, special)
                reader.problem(file, field, f"contains {special}, a token the chat template reserves; "
                               "remove it or write it differently", line)
    if course.settings is not None and course.corpus:
        _check_settings_fit(reader, course, quick_tables)
    if reader.problems:
        return course
    course = _with_context(course, _check_lengths(reader, course))
    _check_settings_fit(reader, course, quick_tables)          # the windows, now that they are sized
    return course


def _check_settings_fit(reader: _Reader, course: Course, quick_tables: dict) -> None:
    """settings_misfits for the settings and the --quick ones, each reported once at its line."""
    reported = set()
    for settings, quick in ((course.settings, False), (course.quick_settings, True)):
        for field, message in settings_misfits(course, settings):
            table, _, key = field.partition(".")
            overridden = quick and key in quick_tables.get(table, {})
            where = f"quick.{table}" if overridden else table
            if (where, key) in reported:
                continue
            reported.add((where, key))
            message += " (in the --quick settings)" if quick and not overridden else ""
            if field == "corpus":
                reader.problem("corpus/", "corpus", message)
            else:
                reader.problem("course.toml", f"{where}.{key}", message, reader.line("course.toml", where, None, key))


def settings_misfits(course: Course, s: Settings) -> list[tuple[str, str]]:
    """(field, what is wrong and what to do) for each of the settings `s` that cannot work with
    this course's text; the field is 'table.key', or 'corpus' when the text is what falls short.

    Training needs a vocabulary that holds every character, with no more merges than the corpus
    can teach; windows (pretraining's seq_len, SFT's replay_len) that fit the model's context and
    that the training text can fill, a validation text that fills a pretraining window; and at
    least one preference pair per fold.
    """
    found = []
    needed = len(course.alphabet()) + len(SPECIAL_TOKENS)
    characters = sum(len(d.text) for d in course.corpus)
    most = needed + characters // CHARS_PER_MERGE
    if s.vocab_size < needed:
        found.append(("training.vocab_size", f"{s.vocab_size} is too small: the course uses "
                      f"{len(course.alphabet())} different characters{_beyond_ascii(course)} plus "
                      f"{len(SPECIAL_TOKENS)} special tokens; set it to at least {needed}"))
    elif s.vocab_size > most:
        found.append(("training.vocab_size", f"{s.vocab_size} leaves {s.vocab_size - needed} merges for the "
                      f"tokenizer to learn from {characters:,} characters of corpus, more than it can teach: a "
                      f"merged token needs about {CHARS_PER_MERGE} characters of text to be seen often enough to "
                      f"learn; set it to at most {most}, or add text"))
    for field, length in (("pretrain.seq_len", s.pretrain.seq_len), ("sft.replay_len", s.sft.replay_len)):
        if length > s.model.block_size:
            found.append((field, f"{length} is more than model.block_size ({s.model.block_size}), the longest "
                          f"context the model has; lower it to at most {s.model.block_size}"))
    if MIN_PREFERENCE_PAIRS <= len(course.preferences) < s.reward.folds:
        found.append(("reward.folds", f"{s.reward.folds} folds need at least {s.reward.folds} preference pairs "
                      f"(each fold holds some out), and preferences.toml has {len(course.preferences)}; "
                      f"lower it to at most {len(course.preferences)}"))
    if any(field == "training.vocab_size" for field, _ in found) or not s.pretrain.seq_len:
        return found    # token counts need a vocabulary that fits; windows are judged once sized (_with_context)
    sizes = course.sizes(s.vocab_size)
    train, val = sizes.split(s.val_fraction)
    longest, name = max((s.pretrain.seq_len, "pretrain.seq_len"), (s.sft.replay_len, "sft.replay_len"))
    if train <= longest + 1:            # a window's inputs and, one token on, its targets; and a second start
        found.append(("corpus", f"its training part is {train} tokens, too few for windows of {longest + 1} "
                      f"tokens ({name} + 1); add text, or set a smaller {name}"))
    window = s.pretrain.seq_len + 1
    if val < window:
        enough = next((f / 100 for f in range(1, 50) if sizes.split(f / 100)[1] >= window), None)
        found.append(("training.val_fraction", f"{s.val_fraction} holds out {val} tokens for validation, fewer "
                      f"than one pretraining window ({window} tokens, pretrain.seq_len + 1); raise it to {enough}")
                     if enough else
                     ("corpus", f"its validation part is {val} tokens, fewer than one pretraining window of "
                      f"{window} tokens (pretrain.seq_len + 1), and no val_fraction below 0.5 holds out enough; "
                      "add text, or set a smaller pretrain.seq_len"))
    return found


def _beyond_ascii(course: Course) -> str:
    """' (3 beyond plain ASCII: ° in corpus/a.txt; é in sft.toml, case.toml; ...)' or ''."""
    where = _special_characters(course)
    if not where:
        return ""
    listing = "; ".join(f"{ch} in {', '.join(files)}" for ch, files in where.items())
    return f" ({len(where)} beyond plain ASCII: {listing})"


def _special_characters(course: Course) -> dict[str, list[str]]:
    """Each character beyond plain ASCII in the texts the model reads -> the files it is in."""
    where: dict[str, list[str]] = {}
    for file, texts in course.model_texts().items():
        for ch in sorted(set("".join(texts))):
            if ord(ch) > 127:
                where.setdefault(ch, []).append(file)
    return dict(sorted(where.items()))


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


MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]*\](?:\([^)\n]*\)|\[[^\]\n]*\])?")   # ![alt](url), ![alt][ref], ![alt]


def authoring_notes(course: Course) -> list[str]:
    """Advice that is not an error, each note starting with the file it is about."""
    return _giveaway_note(course) + _special_character_note(course) + _image_notes(course)


def _giveaway_note(course: Course) -> list[str]:
    """A word that gives the preference pairs away.

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


def _special_character_note(course: Course) -> list[str]:
    """Characters beyond plain ASCII in what the model reads: each takes a vocabulary slot from the merges."""
    where = _special_characters(course)
    if not where:
        return []
    merges = course.settings.vocab_size - len(course.alphabet()) - len(SPECIAL_TOKENS)
    listing = "; ".join(f"{ch} in {', '.join(files)}" for ch, files in where.items())
    typographic = [ch for ch in where if ord(ch) in PLAIN_PUNCTUATION]
    offer = (f", or add [text] plain_punctuation = true to course.toml to read {' '.join(typographic)} as plain "
             "quotes, dashes and spaces") if typographic else ""
    return [f"course.toml: training.vocab_size: {len(where)} characters beyond plain ASCII take {len(where)} of "
            f"the {course.settings.vocab_size} vocabulary slots, leaving {merges} for merges instead of "
            f"{merges + len(where)}: {listing}; write them plainly where you can{offer}"]


def _image_notes(course: Course) -> list[str]:
    """Markdown images in the course's texts: never shown (the page loads nothing), they appear as typed."""
    notes = []
    for path in sorted(course.root.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        index = _line_index(text)
        for number, line in enumerate(text.splitlines(), 1):
            for image in MARKDOWN_IMAGE.findall(line):
                notes.append(f"{path.name}:{number}: {_field_at(index, number)}: {image} is a markdown image; "
                             "images from content are never shown (the page and documents load nothing from "
                             "elsewhere), so it appears as typed: write [text](address) for a link instead")
    return notes
