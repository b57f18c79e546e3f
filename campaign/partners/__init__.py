"""Co-hosted campaigns: partner organizations, and supporters' consents to hear from each of them."""
