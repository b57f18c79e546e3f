"""Counts: signature counters and the folding that keeps them."""
