"""Webhooks: an organization's HTTPS endpoints told of signatures and letters, through their own outbox."""
