"""Stage 4 in the pipeline: reinforcement learning of the fine-tuned model against the reward model,
twice side by side (the course's KL penalty beta, and beta = 0), judged on held-out questions by the
reward model (the proxy it trains on) and by the rubric (which it never sees); and the honest
baseline, best-of-n sampling from the fine-tuned model with as many answers per question as RL
sampled per training prompt."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable

import numpy as np

from .. import stats
from ..checks import shared_wording
from ..rubric import rubric_score
from ..training.model import GPT, RewardModel, generate
from ..training.reward import score
from ..training.rl import RLConfig, log_softmax, picked, reinforce
from ..training.sft import build_batch
from ..workers import worker_pool
from .context import Context
from .sft import answer_budget

TITLE = "reinforcement learning against the reward model (PPO)"
EVAL_SAMPLES = 4       # sampled answers per held-out question at every evaluation
BEST_OF_N_DRAWS = 2    # best-of-n answers per held-out question


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """How a policy is judged on questions it never trained on: the reward model's score (the proxy RL
    optimises), the rubric (which it never sees), the KL from the reference and the answer length."""
    prompts: list[list[int]]
    must: list[tuple[str, ...]]
    must_not: list[tuple[str, ...]]
    judge: RewardModel
    reference: GPT
    decode: Callable[[list[int]], str]
    pad: int
    end: int
    cfg: RLConfig
    seed: int

    def sample(self, model: GPT, n: int, rng: np.random.Generator | None) -> tuple[list, list[list[int]]]:
        """n answers to every question (greedy when rng is None), each ending with <|end|>."""
        group = [p for p in self.prompts for _ in range(n)]
        outs = generate(model, group, self.cfg.max_tokens, rng, self.cfg.temperature, stop=self.end)
        return group, [out if out[-1:] == [self.end] else out + [self.end] for out in outs]

    def judge_answers(self, group: list[list[int]], answers: list[list[int]]) -> dict:
        """Score, rubric and length of each answer; the question's rubric is found by its prompt."""
        texts = [self.decode(a[:-1]) for a in answers]
        rubric_of = {tuple(p): (m, n) for p, m, n in zip(self.prompts, self.must, self.must_not)}
        scores = score(self.judge, [p + a for p, a in zip(group, answers)], self.pad)
        return {"texts": texts, "scores": [float(x) for x in scores],
                "rubric": [rubric_score(t, *rubric_of[tuple(p)]) for t, p in zip(texts, group)],
                "lengths": [len(a) for a in answers]}

    def kl(self, model: GPT, group: list[list[int]], answers: list[list[int]]) -> np.ndarray:
        """log(pi / pi_ref) summed over each answer's tokens: (N,)."""
        x, y, mask = build_batch(list(zip(group, answers)), self.pad)
        own, ref = (picked(log_softmax(m(x).data), y) for m in (model, self.reference))
        return ((own - ref) * mask).sum(axis=1)

    def __call__(self, model: GPT) -> dict:
        """The mean of EVAL_SAMPLES sampled answers per question (the same random draws every time)."""
        group, answers = self.sample(model, EVAL_SAMPLES, np.random.default_rng([self.seed, 6]))
        judged = self.judge_answers(group, answers)
        return {"score": float(np.mean(judged["scores"])), "rubric_score": float(np.mean(judged["rubric"])),
                "length": float(np.mean(judged["lengths"])), "kl": float(self.kl(model, group, answers).mean()),
                "question_scores": _per_question(judged["scores"], len(self.prompts)),
                "question_rubric": _per_question(judged["rubric"], len(self.prompts)),
                "samples": judged["texts"][::EVAL_SAMPLES]}             # one sampled answer per question


def train_policy(sft_model: GPT, prompts: list[list[int]], cfg: RLConfig, evaluation: Evaluation) -> tuple[GPT, dict]:
    """One RL run from the fine-tuned model (a worker process runs it; the reference stays frozen)."""
    policy = copy.deepcopy(sft_model)
    history = reinforce(policy, sft_model, evaluation.judge, prompts, cfg, np.random.default_rng([evaluation.seed, 4]),
                        evaluation.pad, evaluation.end, evaluate=evaluation, log=lambda _: None)
    return policy, dataclasses.asdict(history)


def best_of_n(model: GPT, evaluation: Evaluation, n: int) -> dict:
    """For each question, BEST_OF_N_DRAWS times: n sampled answers, keep the one the reward model scores highest."""
    group, answers = evaluation.sample(model, n * BEST_OF_N_DRAWS, np.random.default_rng([evaluation.seed, 5]))
    judged = evaluation.judge_answers(group, answers)
    best = np.array(judged["scores"]).reshape(-1, n).argmax(axis=1) + n * np.arange(len(group) // n)
    kept = {key: [values[i] for i in best] for key, values in judged.items()}
    return {"n": n, "score": float(np.mean(kept["scores"])), "rubric_score": float(np.mean(kept["rubric"])),
            "length": float(np.mean(kept["lengths"])),
            "kl": float(evaluation.kl(model, [group[i] for i in best], [answers[i] for i in best]).mean()),
            "question_scores": _per_question(kept["scores"], len(evaluation.prompts)),
            "question_rubric": _per_question(kept["rubric"], len(evaluation.prompts)),
            "answers": kept["texts"][::BEST_OF_N_DRAWS]}


def _per_question(values: list[float], questions: int) -> list[float]:
    return [float(v) for v in np.reshape(values, (questions, -1)).mean(axis=1)]


def run(ctx: Context) -> dict:
    course, s = ctx.course, ctx.settings
    cfg = s.rl if s.rl.max_tokens else dataclasses.replace(s.rl, max_tokens=answer_budget(ctx))
    prompts = [ctx.prompt(p) for p in dict.fromkeys(pair.prompt for pair in course.preferences)]
    heldout = course.heldout_pairs
    sft_model = ctx.models["sft"]
    evaluation = Evaluation([ctx.prompt(p.question) for p in heldout], [p.must for p in heldout],
                            [p.must_not for p in heldout], ctx.models["reward"], sft_model, ctx.tok.decode,
                            ctx.pad, ctx.end, cfg, s.seed)
    runs = {"beta": cfg, "beta0": dataclasses.replace(cfg, beta=0.0)}
    ctx.log(f"two runs side by side: beta = {cfg.beta:g} and beta = 0 (no KL penalty); meanwhile best-of-n")
    n = max(1, cfg.steps * cfg.prompts_per_step * cfg.samples_per_prompt // len(prompts))
    with worker_pool(jobs=len(runs)) as cores:
        pending = {name: cores.apply_async(train_policy, (sft_model, prompts, run_cfg, evaluation))
                   for name, run_cfg in runs.items()}
        baseline = best_of_n(sft_model, evaluation, n)                  # here, while the two runs train
        results = {name: job.get() for name, job in pending.items()}
    for name, (_, h) in results.items():
        ctx.log(f"{name}: held-out reward-model score {h['evals'][0]['score']:+.3f} -> {h['evals'][-1]['score']:+.3f}, "
                f"rubric {h['evals'][0]['rubric_score']:.2f} -> {h['evals'][-1]['rubric_score']:.2f}")
    policy, policy0 = results["beta"][0], results["beta0"][0]
    ctx.models["policy"] = policy

    greedy = {name: evaluation.judge_answers(*evaluation.sample(model, 1, None))
              for name, model in (("sft", sft_model), ("policy", policy), ("policy_beta0", policy0))}
    case = course.case
    case_answer = ctx.answers(policy, [case.question], cfg.max_tokens)[0]
    ctx.case.update(rl_answer=case_answer,
                    rl_answer_score=float(score(ctx.models["reward"], [ctx.chat(case.question, case_answer)],
                                                ctx.pad)[0]),
                    rl_answer_rubric=rubric_score(case_answer, case.must, case.must_not) if case.must else None,
                    sft_answer_rubric=rubric_score(ctx.case["sft_answer"], case.must, case.must_not)
                    if case.must else None,
                    # how nearly the case's question is one of the prompts RL trained on (findings: case_rl_seen)
                    rl_prompt_shared=max(shared_wording(case.question, pair.prompt) for pair in course.preferences))
    return {
        "prompts": len(prompts), "beta": cfg.beta, "samples_per_prompt": cfg.samples_per_prompt,
        "max_tokens": cfg.max_tokens, "eval_samples": EVAL_SAMPLES,
        "questions": [{"id": p.id, "question": p.question, "expert": p.answer,
                       **{f"{name}_answer": g["texts"][i] for name, g in greedy.items()},
                       **{f"{name}_score": g["scores"][i] for name, g in greedy.items()},
                       **{f"{name}_rubric": g["rubric"][i] for name, g in greedy.items()},
                       "best_of_n_answer": baseline["answers"][i]}
                      for i, p in enumerate(heldout)],
        "best_of_n": {k: v for k, v in baseline.items() if k != "answers"},
        "runs": {name: history for name, (_, history) in results.items()},
    }


def summarise(part: dict) -> dict:
    main, free, bon = part["runs"]["beta"], part["runs"]["beta0"], part["best_of_n"]
    before, after, after0 = main["evals"][0], main["evals"][-1], free["evals"][-1]
    return {
        "reward_before": before["score"], "reward_after": after["score"],
        "rubric_before": before["rubric_score"], "rubric_after": after["rubric_score"],
        "length_before": before["length"], "length_after": after["length"],
        "kl_after": after["kl"], "kl_final": main["kl"][-1],
        "best_of_n_reward": bon["score"], "best_of_n_rubric": bon["rubric_score"], "best_of_n": bon["n"],
        "beta0_reward_after": after0["score"], "beta0_rubric_after": after0["rubric_score"],
        "beta0_kl_after": after0["kl"], "beta0_kl_final": free["kl"][-1], "beta0_length_after": after0["length"],
        "first_score": main["scores"][0], "final_score": main["scores"][-1],
        "clipfrac_mean": float(np.mean(main["clipfrac"])),
        "steps": len(main["scores"]), "prompts": part["prompts"], "questions": len(part["questions"]),
        "beta": part["beta"], "samples_per_prompt": part["samples_per_prompt"],
        "eval_samples": part["eval_samples"],
        # paired sign tests over the held-out questions: is the RL policy better than best-of-n, and than before?
        "vs_best_of_n_p": stats.sign_test(after["question_scores"], bon["question_scores"]),
        "rubric_vs_before_p": stats.sign_test(after["question_rubric"], before["question_rubric"]),
        "reward_vs_before_p": stats.sign_test(after["question_scores"], before["question_scores"]),
    }
