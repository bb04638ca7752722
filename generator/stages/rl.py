"""Stage 4 in the pipeline: reinforcement learning of the fine-tuned model against the reward model,
twice side by side (the course's KL penalty beta, and beta = 0), judged on held-out questions by the
reward model (the proxy it trains on) and by the rubric (which it never sees); and the honest
baseline, best-of-n sampling from the fine-tuned model with the same number of answers per prompt."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable

import numpy as np

from ..rubric import rubric_score
from ..training.model import GPT, RewardModel, generate
from ..training.reward import score
from ..training.rl import RLConfig, reinforce
from ..workers import worker_pool
from .context import Context
from .sft import answer_budget

TITLE = "reinforcement learning against the reward model (PPO)"


@dataclasses.dataclass(frozen=True)
class Judges:
    """What an RL run is evaluated with: the held-out questions, their rubrics and the reward model."""
    prompts: list[list[int]]
    must: list[tuple[str, ...]]
    must_not: list[tuple[str, ...]]
    judge: RewardModel
    decode: Callable[[list[int]], str]
    pad: int
    end: int
    budget: int              # answer length

    def answers(self, model: GPT) -> list[list[int]]:
        """Greedy answers, each ending with <|end|> (added if the budget ran out first)."""
        outs = generate(model, self.prompts, self.budget, stop=self.end)
        return [out if out[-1:] == [self.end] else out + [self.end] for out in outs]

    def judge_answers(self, answers: list[list[int]]) -> dict:
        texts = [self.decode([t for t in a if t != self.end]) for a in answers]
        scores = score(self.judge, [p + a for p, a in zip(self.prompts, answers)], self.pad)
        rubric = [rubric_score(t, m, n) for t, m, n in zip(texts, self.must, self.must_not)]
        return {"answers": texts, "scores": [float(x) for x in scores], "rubric": rubric,
                "score": float(np.mean(scores)), "rubric_score": float(np.mean(rubric)),
                "length": float(np.mean([len(a) for a in answers]))}

    def __call__(self, model: GPT) -> dict:
        return self.judge_answers(self.answers(model))


def train_policy(sft_model: GPT, judge, prompts: list[list[int]], cfg: RLConfig, seed: int, pad: int, end: int,
                 judges: Judges) -> tuple[GPT, dict]:
    """One RL run from the fine-tuned model (a worker process runs it; the reference stays frozen)."""
    policy = copy.deepcopy(sft_model)
    history = reinforce(policy, sft_model, judge, prompts, cfg, np.random.default_rng([seed, 4]), pad, end,
                        evaluate=judges, log=lambda _: None)
    return policy, dataclasses.asdict(history)


def best_of_n(model: GPT, judges: Judges, n: int, cfg: RLConfig, rng: np.random.Generator) -> dict:
    """For each question, n sampled answers from `model`; keep the one the reward model scores highest."""
    group = [p for p in judges.prompts for _ in range(n)]
    outs = generate(model, group, cfg.max_tokens, rng, cfg.temperature, stop=judges.end)
    outs = [out if out[-1:] == [judges.end] else out + [judges.end] for out in outs]
    scores = score(judges.judge, [p + a for p, a in zip(group, outs)], judges.pad).reshape(-1, n)
    best = [outs[i * n + int(np.argmax(row))] for i, row in enumerate(scores)]
    return judges.judge_answers(best)


def run(ctx: Context) -> dict:
    course, s = ctx.course, ctx.settings
    cfg = s.rl if s.rl.max_tokens else dataclasses.replace(s.rl, max_tokens=answer_budget(ctx))
    prompts = [ctx.prompt(p) for p in dict.fromkeys(pair.prompt for pair in course.preferences)]
    heldout = course.heldout_pairs
    judges = Judges([ctx.prompt(p.question) for p in heldout], [p.must for p in heldout],
                    [p.must_not for p in heldout], ctx.models["reward"], ctx.tok.decode, ctx.pad, ctx.end,
                    cfg.max_tokens)
    sft_model = ctx.models["sft"]
    ctx.log(f"two runs side by side: beta = {cfg.beta:g} and beta = 0 (no KL penalty)")
    runs = {"beta": cfg, "beta0": dataclasses.replace(cfg, beta=0.0)}
    with worker_pool(jobs=len(runs)) as cores:
        pending = {name: cores.apply_async(train_policy, (sft_model, ctx.models["reward"], prompts, run_cfg,
                                                          s.seed, ctx.pad, ctx.end, judges))
                   for name, run_cfg in runs.items()}
        results = {name: job.get() for name, job in pending.items()}
    policy, history = results["beta"]
    ctx.models["policy"] = policy
    for name, (_, h) in results.items():
        ctx.log(f"{name}: reward-model score {h['scores'][0]:+.3f} -> {h['scores'][-1]:+.3f}, "
                f"KL {h['kl'][-1]:.3f}")

    samples_per_prompt = cfg.steps * cfg.prompts_per_step * cfg.samples_per_prompt // len(prompts)
    baseline = best_of_n(sft_model, judges, max(1, samples_per_prompt), cfg, np.random.default_rng([s.seed, 5]))
    case = course.case
    case_answer = ctx.answers(policy, [case.question], cfg.max_tokens)[0]
    ctx.case.update(rl_answer=case_answer,
                    rl_answer_score=float(score(ctx.models["reward"], [ctx.chat(case.question, case_answer)],
                                                ctx.pad)[0]))
    return {
        "prompts": len(prompts), "eval_questions": [p.id for p in heldout],
        "beta": cfg.beta, "samples_per_prompt": cfg.samples_per_prompt, "max_tokens": cfg.max_tokens,
        "best_of_n": {"n": samples_per_prompt, **baseline},
        "runs": {name: history for name, (_, history) in results.items()},
    }


def summarise(part: dict) -> dict:
    main, free = part["runs"]["beta"], part["runs"]["beta0"]
    before, after, after0 = main["evals"][0], main["evals"][-1], free["evals"][-1]
    return {
        "reward_before": before["score"], "reward_after": after["score"],
        "rubric_before": before["rubric_score"], "rubric_after": after["rubric_score"],
        "length_before": before["length"], "length_after": after["length"],
        "best_of_n_reward": part["best_of_n"]["score"], "best_of_n_rubric": part["best_of_n"]["rubric_score"],
        "best_of_n": part["best_of_n"]["n"],
        "kl_final": main["kl"][-1],
        "beta0_reward_after": after0["score"], "beta0_rubric_after": after0["rubric_score"],
        "beta0_kl_final": free["kl"][-1], "beta0_length_after": after0["length"],
        "first_score": main["scores"][0], "final_score": main["scores"][-1],
        "steps": len(main["scores"]), "prompts": part["prompts"],
        "beta": part["beta"], "samples_per_prompt": part["samples_per_prompt"],
    }
