"""Development helpers of the embedded default: the local mailbox page."""
