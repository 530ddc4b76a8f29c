"""1vN code-quality analysis pipeline."""
