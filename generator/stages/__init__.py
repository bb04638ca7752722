"""The pipeline's stages, in order. Each runs its part of generator/training and records what it produced.

A stage module has `run(ctx) -> dict` (its part of the Run, under its own key) and
`summarise(part) -> dict` (its headline figures). A new stage is a new module and one
more entry in STAGES.
"""

from . import pretrain, reward, rl, sft

STAGES = {"pretrain": pretrain, "sft": sft, "reward": reward, "rl": rl}
