"""The program taught in class: a tiny GPT trained in three stages, in NumPy only."""
