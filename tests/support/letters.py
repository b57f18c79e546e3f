"""What the letter tests start from: a small directory of officials and a letter's templates."""

from __future__ import annotations

OFFICIALS = [
    # (key, name, title, country, region, email)
    ("ca-foreign", "Alex Federal", "Minister of Foreign Affairs", "CA", None, "ca-foreign@example.org"),
    ("ca-trade", "Jordan Federal", "Minister of Trade", "CA", None, "ca-trade@example.org"),
    ("ca-on", "Morgan Ontario", "Member of Provincial Parliament", "CA", "CA-ON", "ca-on@example.org"),
    ("ca-qc", "Camille Quebec", "Member of the National Assembly", "CA", "CA-QC", "ca-qc@example.org"),
    ("fr", "Claire France", "Minister for Foreign Affairs", "FR", None, "fr@example.org"),
]

SUBJECT = "Suspend the permits, from $name"
BODY = "Dear $official_name,\n\nI write from $place.\n\n$message\n\nYours,\n$name\n"
