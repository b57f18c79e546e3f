"""The public ledger: an append-only Merkle tree of the events that change a campaign's count."""
