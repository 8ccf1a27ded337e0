"""Training entry point and evaluation."""
