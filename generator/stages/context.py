"""What the stages share: the course, its settings, the tokenizer, and the models trained so far."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..content import Course, Settings
from ..training.model import GPT, generate
from ..training.tokenizer import END, END_OF_TEXT, Tokenizer, chat_example, chat_prompt

Log = Callable[[str], None]


@dataclass
class Context:
    course: Course
    settings: Settings
    quick: bool
    tok: Tokenizer
    log: Log
    train_ids: np.ndarray                               # the corpus, tokenised: training part
    val_ids: np.ndarray                                 # ... and validation part
    models: dict[str, object] = field(default_factory=dict)   # "pretrained", "sft", "reward", as they are trained
    case: dict = field(default_factory=dict)            # the traced case, filled in stage by stage

    @property
    def pad(self) -> int:
        """The token that pads sequences of different lengths into one batch."""
        return self.tok.ids[END_OF_TEXT]

    @property
    def end(self) -> int:
        """The token that ends an answer."""
        return self.tok.ids[END]

    def chat(self, question: str, answer: str) -> list[int]:
        """A whole chat turn, tokenised."""
        return self.tok.encode(chat_example(question, answer))

    def prompt(self, question: str) -> list[int]:
        """The chat template up to where the assistant answers, tokenised."""
        return self.tok.encode(chat_prompt(question))

    def answers(self, model: GPT, questions: list[str], max_tokens: int) -> list[str]:
        """Ask chat questions; the model answers each greedily until <|end|> (or max_tokens)."""
        outs = generate(model, [self.prompt(q) for q in questions], max_tokens, stop=self.end)
        return [self.tok.decode([i for i in out if i != self.end]) for out in outs]
