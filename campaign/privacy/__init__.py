"""Supporters' personal data: sealed at rest, found again through keyed hashes, deleted on schedule."""
