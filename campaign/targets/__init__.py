"""Letters to officials: the officials directory, routing and respectful delivery."""
