"""Signing: the sign form, confirmation by email, duplicates."""
