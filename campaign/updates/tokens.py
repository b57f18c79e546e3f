"""Signed tokens for one-click unsubscribe links: which person, which campaign; they do not expire."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "unsubscribe-updates"


@dataclass(frozen=True)
class Subscription:
    """The person and the campaign an unsubscribe link names."""

    campaign_id: int
    person_id: int


def _serializer() -> URLSafeSerializer:
    """The serializer keyed by the app's secret."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(campaign_id: int, person_id: int) -> str:
    """A token naming the person and campaign, for the link in every update."""
    return str(_serializer().dumps([campaign_id, person_id]))


def read_unsubscribe_token(token: str) -> Subscription | None:
    """What a token names, or None if it was forged, altered or cut short."""
    if len(token) > 200:
        return None
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, list) or len(payload) != 2:
        return None
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in payload):
        return None
    return Subscription(payload[0], payload[1])
