"""Build an interactive infographic and study guide from a real, tiny LLM training run."""

import os

# The model's matrices are small, so BLAS worker threads cost more in hand-offs than
# they save, and on a shared machine a waiting thread spins on a busy core (the
# pipeline ran ~1.6x slower with 2 threads than with 1 on our 2-core test machine).
# Set before NumPy is first imported; an explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .allocator import keep_freed_memory  # noqa: E402

keep_freed_memory()
