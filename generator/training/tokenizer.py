"""Byte-pair encoding (BPE), the way GPT tokenizers are built, at classroom size.

Start from single characters, then repeatedly merge the most frequent
adjacent pair into a new token until the vocabulary is full.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

# Special tokens for documents and for the chat template used in SFT and the reward model.
END_OF_TEXT = "<|endoftext|>"
USER = "<|user|>"
ASSISTANT = "<|assistant|>"
END = "<|end|>"
SPECIAL_TOKENS = (END_OF_TEXT, USER, ASSISTANT, END)
_SPECIAL_PATTERN = re.compile("(" + "|".join(map(re.escape, SPECIAL_TOKENS)) + ")")


@dataclass
class Tokenizer:
    vocab: list[str]                 # token id -> text
    merges: list[tuple[int, int]]    # learned merges, in the order they were learned

    def __post_init__(self):
        self.ids = {text: i for i, text in enumerate(self.vocab)}

    @property
    def size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        """Text -> token ids: characters first, then apply merges in learned order."""
        ids = []
        for piece, is_special in _split_special(text):
            if is_special:
                ids.append(self.ids[piece])
            else:
                ids.extend(self._encode_plain(piece))
        return ids

    def _encode_plain(self, text: str) -> list[int]:
        ids = [self.ids[ch] for ch in text]
        first_merged_id = self.size - len(self.merges)
        for rank, pair in enumerate(self.merges):   # replay the merges in the order they were learned
            ids = _merge(ids, pair, first_merged_id + rank)
        return ids

    def decode(self, ids: list[int]) -> str:
        return "".join(self.vocab[i] for i in ids)


def train_bpe(corpus: str, alphabet: str, vocab_size: int) -> Tokenizer:
    """Learn merges on `corpus` until the vocabulary has `vocab_size` tokens.

    `alphabet` holds every character the course uses, so any course text encodes.
    """
    vocab = list(SPECIAL_TOKENS) + sorted(set(alphabet))
    if vocab_size < len(vocab):
        raise ValueError(f"vocab_size {vocab_size} is smaller than the alphabet plus "
                         f"special tokens ({len(vocab)})")
    ids = {text: i for i, text in enumerate(vocab)}
    # Train on the plain-text pieces between special tokens (merges never cross them).
    sequences = [[ids[ch] for ch in piece] for piece, special in _split_special(corpus) if not special]
    merges = []
    while len(vocab) < vocab_size:
        pair_counts = Counter(p for seq in sequences for p in zip(seq, seq[1:]))
        if not pair_counts:
            break
        # most frequent pair; ties broken by the smaller ids, so training is deterministic
        pair = max(pair_counts, key=lambda p: (pair_counts[p], -p[0], -p[1]))
        new_id = len(vocab)
        vocab.append(vocab[pair[0]] + vocab[pair[1]])
        merges.append(pair)
        sequences = [_merge(seq, pair, new_id) for seq in sequences]
    return Tokenizer(vocab, merges)


def _merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in `ids` with `new_id`."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _split_special(text: str) -> list[tuple[str, bool]]:
    """Split text into (piece, is_special_token) parts."""
    return [(piece, piece in SPECIAL_TOKENS) for piece in _SPECIAL_PATTERN.split(text) if piece]


def chat_prompt(question: str) -> str:
    """The chat template up to where the assistant starts answering."""
    return f"{USER}{question}{ASSISTANT}"


def chat_example(question: str, answer: str) -> str:
    """A whole chat turn: the question, the answer, and the end-of-turn token."""
    return f"{chat_prompt(question)}{answer}{END}"
