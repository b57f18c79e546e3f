"""Passwords: argon2id hashes with OWASP's parameters, and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext

# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB of memory, two
# iterations, one degree of parallelism.
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)

MIN_LENGTH = 12
# Long enough for any passphrase; short enough that hashing stays cheap.
MAX_LENGTH = 256

# The most common choices of people asked for twelve characters or more.
COMMON = frozenset(
    {
        "123456789012",
        "1234567890123",
        "qwertyuiopas",
        "qwertyuiop123",
        "passwordpassword",
        "password1234",
        "password12345",
        "password123456",
        "iloveyou1234",
        "administrator",
        "letmeinletmein",
        "welcome12345",
        "changeme1234",
        "correcthorsebatterystaple",
        "aaaaaaaaaaaa",
        "abcdefghijkl",
        "abc123abc123",
        "111111111111",
        "000000000000",
        "qwerty123456",
        "1q2w3e4r5t6y",
        "campaign1234",
    }
)

# Verified against when the account does not exist, so that a wrong address
# costs the same time as a wrong password.
_DUMMY_HASH = HASHER.hash("not a password anyone has")


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether the password matches the hash."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nothing(password: str) -> None:
    """Spend the time a verification costs, for an account that does not exist."""
    verify_password(_DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    """Tell whether the hash was made with weaker parameters than today's."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def weakness(password: str, email: str = "") -> str | None:
    """Why a new password is refused, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return gettext("Please choose a password of at least %(count)s characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return gettext("Please choose a password of at most %(count)s characters.", count=MAX_LENGTH)
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 5:
        return gettext("This password is too easy to guess. Please choose another.")
    address = email.lower()
    local_part = address.partition("@")[0]
    if (address and address in lowered) or (len(local_part) >= 4 and local_part in lowered):
        return gettext("Please choose a password that does not contain your email address.")
    return None
