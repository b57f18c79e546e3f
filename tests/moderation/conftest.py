"""The moderation tests use the builder's people and helpers."""

from tests.builder.conftest import fresh_limits, team

__all__ = ["fresh_limits", "team"]
