"""The program taught in class: a tiny GPT trained in four stages, in NumPy only."""
