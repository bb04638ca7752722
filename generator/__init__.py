"""Build an interactive infographic and study guide from a real, tiny LLM training run."""
