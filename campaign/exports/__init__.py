"""Exports: staff exports of signature lists, streamed to CSV, audited, short-lived."""
