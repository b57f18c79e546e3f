"""Campaigns: the model, the public pages and (later) the builder and moderation."""
