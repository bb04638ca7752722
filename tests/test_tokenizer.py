"""Byte-pair encoding: round trips, merges and special tokens."""

from hypothesis import given
from hypothesis import strategies as st

from generator.training.tokenizer import (
    ASSISTANT,
    END,
    SPECIAL_TOKENS,
    USER,
    chat_example,
    train_bpe,
)

CORPUS = "the eGFR is low. the dose is reduced. the eGFR falls when the kidney fails.\n" * 5
ALPHABET = "".join(sorted(set(CORPUS + "?")))
TOKENIZER = train_bpe(CORPUS, ALPHABET, 40)


@given(st.text(alphabet=ALPHABET, max_size=200))
def test_encode_decode_round_trips_any_text_of_the_alphabet(text):
    assert TOKENIZER.decode(TOKENIZER.encode(text)) == text


@given(st.lists(st.sampled_from(list(SPECIAL_TOKENS) + ["the dose", "eGFR", " ", "?"]), max_size=20))
def test_special_tokens_stay_single_tokens(pieces):
    text = "".join(pieces)
    ids = TOKENIZER.encode(text)
    assert TOKENIZER.decode(ids) == text
    assert sum(TOKENIZER.vocab[i] in SPECIAL_TOKENS for i in ids) == sum(p in SPECIAL_TOKENS for p in pieces)


def test_vocabulary_reaches_the_requested_size_with_merges():
    assert TOKENIZER.size == 40
    assert len(TOKENIZER.merges) == 40 - len(SPECIAL_TOKENS) - len(ALPHABET)


def test_frequent_words_compress_into_fewer_tokens():
    assert len(TOKENIZER.encode("the eGFR")) < len("the eGFR")


def test_chat_template_marks_turns():
    text = chat_example("Dose?", "Reduce it.")
    assert text == f"{USER}Dose?{ASSISTANT}Reduce it.{END}"


def test_training_is_deterministic():
    assert train_bpe(CORPUS, ALPHABET, 40).merges == TOKENIZER.merges


def test_vocabulary_smaller_than_alphabet_is_refused():
    import pytest
    with pytest.raises(ValueError, match="smaller than the alphabet"):
        train_bpe(CORPUS, ALPHABET, 5)
