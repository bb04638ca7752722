"""Stage 4's pieces on small models: the clipped objective and its gradient, the KL, the group baseline,
the rubric, and what a large KL penalty does."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from generator.rubric import rubric_score, states, words
from generator.training.autograd import Parameter
from generator.training.model import GPT, GPTConfig, RewardModel, generate
from generator.training.optim import AdamW
from generator.training.rl import (
    RLConfig,
    clipped_surrogate,
    group_advantages,
    kl_penalty,
    log_softmax,
    picked,
    reinforce,
    rl_step,
)

from .test_autograd import numeric_grad

CFG = GPTConfig(vocab_size=12, block_size=32, n_layer=1, n_head=2, n_embd=16)
PAD, END = 0, 1


def test_clipped_surrogate_matches_its_definition_and_finite_differences():
    rng = np.random.default_rng(0)
    old = np.log(rng.uniform(0.1, 0.9, size=(3, 4)))
    new = Parameter(old + rng.normal(0, 0.4, size=(3, 4)))           # ratios well inside and outside 1 +- 0.2
    advantages, mask = np.array([1.5, -0.7, 0.3]), np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1.0]])
    loss, clipfrac = clipped_surrogate(new, old, advantages, mask, clip=0.2)
    ratio = np.exp(new.data - old)
    by_hand = np.minimum(ratio * advantages[:, None], np.clip(ratio, 0.8, 1.2) * advantages[:, None])
    assert float(loss.data) == pytest.approx(-(by_hand * mask).sum() / mask.sum())
    active = np.clip(ratio, 0.8, 1.2) * advantages[:, None] < ratio * advantages[:, None]
    assert clipfrac == pytest.approx((active * mask).sum() / mask.sum())
    assert 0 < clipfrac < 1, "the example has clipped and unclipped tokens"
    loss.backward()

    def f():
        return float(clipped_surrogate(new, old, advantages, mask, clip=0.2)[0].data)

    np.testing.assert_allclose(new.grad, numeric_grad(f, new.data), rtol=1e-5, atol=1e-8)
    assert (new.grad[active & (mask > 0)] == 0).all(), "a clipped token gets no gradient"


def test_group_advantages_compare_answers_to_the_same_prompt_only():
    rewards = np.array([1.0, 2.0, 3.0, 10.0, 10.0, 13.0])
    adv = group_advantages(rewards, k=3)
    np.testing.assert_allclose(adv.reshape(2, 3).mean(axis=1), 0.0, atol=1e-9)
    np.testing.assert_allclose(adv[:3], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)], rtol=1e-5)
    assert adv[5] > 0 > adv[3] == adv[4]


def test_kl_to_the_reference_is_zero_when_policy_and_reference_are_the_same_model():
    model = GPT(np.random.default_rng(1), CFG)
    x, y = np.array([[2, 3, 4, 5]]), np.array([[3, 4, 5, 1]])
    lp = picked(log_softmax(model(x).data), y)
    lp_ref = picked(log_softmax(copy.deepcopy(model)(x).data), y)
    assert ((lp - lp_ref) == 0).all()


def test_kl_penalty_is_zero_at_the_reference_positive_elsewhere_and_has_the_right_gradient():
    rng = np.random.default_rng(5)
    ref = np.log(rng.uniform(0.05, 0.9, size=(2, 5)))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1.0]])
    assert float(kl_penalty(Parameter(ref.copy()), ref, mask).data) == 0.0
    log_probs = Parameter(ref + rng.normal(0, 0.5, size=ref.shape))
    penalty = kl_penalty(log_probs, ref, mask)
    d = ref - log_probs.data
    assert float(penalty.data) == pytest.approx(((np.exp(d) - d - 1) * mask).sum() / mask.sum())
    assert float(penalty.data) > 0
    penalty.backward()

    def f():
        return float(kl_penalty(log_probs, ref, mask).data)

    np.testing.assert_allclose(log_probs.grad, numeric_grad(f, log_probs.data), rtol=1e-5, atol=1e-8)


def test_picked_log_probs_have_the_gradient_of_the_log_softmax():
    logits = Parameter(np.random.default_rng(2).normal(size=(2, 3, 5)))
    y = np.array([[0, 4, 2], [1, 1, 3]])
    out = picked(logits.log_softmax(), y)
    np.testing.assert_allclose(out.data, picked(log_softmax(logits.data), y))
    out.sum().backward()
    probs = np.exp(log_softmax(logits.data))
    one_hot = np.eye(5)[y]
    np.testing.assert_allclose(logits.grad, one_hot - probs, atol=1e-12)


def _tiny_rl(beta: float, steps: int = 6) -> tuple[GPT, GPT, dict]:
    rng = np.random.default_rng(3)
    reference = GPT(rng, CFG)
    judge = RewardModel(rng, copy.deepcopy(reference))
    judge.head.weight.data[...] = rng.normal(0, 5.0, judge.head.weight.data.shape)   # a judge with opinions
    policy = copy.deepcopy(reference)
    prompts = [[2, 3], [4, 5], [6, 7], [8, 9]]
    cfg = RLConfig(steps=steps, prompts_per_step=2, samples_per_prompt=4, max_tokens=6, lr=3e-3, beta=beta,
                   eval_every=steps)
    history = reinforce(policy, reference, judge, prompts, cfg, np.random.default_rng(4), PAD, END, log=lambda _: None)
    return policy, reference, history


def test_rl_is_deterministic():
    first, _, h1 = _tiny_rl(beta=0.1, steps=3)
    second, _, h2 = _tiny_rl(beta=0.1, steps=3)
    assert h1.scores == h2.scores and h1.kl == h2.kl
    for a, b in zip(first.parameters(), second.parameters()):
        assert (a.data == b.data).all()


def test_a_large_kl_penalty_keeps_the_policy_at_the_reference():
    _, _, free = _tiny_rl(beta=0.0)
    _, _, held = _tiny_rl(beta=100.0)
    assert free.kl[0] == 0.0 == held.kl[0], "the first step samples from the reference itself"
    assert held.kl[-1] < 0.25 * free.kl[-1]


def test_a_step_logs_what_its_answers_score_and_how_far_the_policy_is_from_the_reference():
    """The figures one RL step logs, computed again here one answer at a time in float64: the same answers
    (the same random draws, at the configured temperature), each scored alone by the judge; KL and entropy
    summed over each answer's tokens under the policy as it was before the step's update."""
    rng = np.random.default_rng(5)
    reference = GPT(rng, CFG)
    judge = RewardModel(rng, copy.deepcopy(reference))
    judge.head.weight.data[...] = rng.normal(0, 5.0, judge.head.weight.data.shape)
    policy = copy.deepcopy(reference)
    for p in policy.parameters():                      # a policy that has already moved away from the reference
        p.data += rng.normal(0, 0.05, p.data.shape).astype(np.float32)
    before = copy.deepcopy(policy)
    prompts = [[2, 3], [4, 5, 6]]
    cfg = RLConfig(prompts_per_step=2, samples_per_prompt=4, max_tokens=8, temperature=0.7, beta=0.3)
    draws = np.random.default_rng(9)
    stats = rl_step(policy, reference, judge, prompts, cfg, AdamW(policy.parameters(), cfg.lr),
                    copy.deepcopy(draws), PAD, END, step=0)

    group = [p for p in prompts for _ in range(cfg.samples_per_prompt)]
    answers = generate(before, group, cfg.max_tokens, draws, cfg.temperature, stop=END)
    assert any(a[-1:] == [END] for a in answers) and any(a[-1:] != [END] for a in answers)

    def answer_log_probs(model, prompt, answer):        # (len(answer), V): each answer token's distribution
        logits = model(np.array([prompt + answer])).data[0].astype(np.float64)
        z = logits - logits.max(axis=-1, keepdims=True)
        return (z - np.log(np.exp(z).sum(axis=-1, keepdims=True)))[len(prompt) - 1:len(prompt) + len(answer) - 1]

    scores, kls, entropies = [], [], []
    for prompt, answer in zip(group, answers):
        ended = answer if answer[-1:] == [END] else answer + [END]       # the judge reads a finished answer
        scores.append(float(judge(np.array([prompt + ended]), np.array([len(prompt + ended) - 1])).data[0]))
        own, ref = answer_log_probs(before, prompt, answer), answer_log_probs(reference, prompt, answer)
        tokens = np.arange(len(answer))
        kls.append(float((own[tokens, answer] - ref[tokens, answer]).sum()))
        entropies.append(float(-(np.exp(own) * own).sum()))
    expected = {"scores": np.mean(scores), "kl": np.mean(kls), "entropy": np.mean(entropies),
                "rlhf_reward": np.mean(np.array(scores) - cfg.beta * np.array(kls)),
                "length": np.mean([len(a) for a in answers])}
    assert abs(np.mean(kls)) > 0.01, "the policy differs from the reference, so KL is not zero"
    for name, value in expected.items():
        assert stats[name] == pytest.approx(value, rel=1e-4, abs=1e-4), name


def test_rubric_counts_facts_stated_minus_errors_made():
    must, must_not = ("stop", "egfr 30|egfr of 30", "insulin|linagliptin"), ("carry on|no need to worry",)
    assert rubric_score("Stop metformin: below eGFR 30 it is unsafe. Switch to insulin.", must, must_not) == 1.0
    assert rubric_score("Stop it; use insulin.", must, must_not) == pytest.approx(2 / 3)
    assert rubric_score("Stop? No need to worry, carry on.", must, must_not) == 0.0           # never below 0
    assert words("Dose 2.5 mg, eGFR<30!") == ["dose", "2.5", "mg", "egfr", "30"]
    assert states(words("do not use it"), "avoid|do not use") and not states(words("do use not"), "do not use")
