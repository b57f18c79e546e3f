"""Users, organizations and tokens for the API tests."""

from collections.abc import Callable
from typing import Any

import pytest

from campaign.accounts.models import Role
from campaign.accounts.organizations import create_organization
from campaign.accounts.service import create_user
from campaign.api.tokens import create_token

PASSWORD = "correct horse battery staple 2026"


@pytest.fixture
def api_user(db: Any) -> Callable[..., tuple[Any, dict[str, str]]]:
    """A user of the given role (in a new organization if given a name, which lets its members
    export when told so) and the headers of their token."""

    def make(
        email: str,
        role: Role = Role.ORGANIZER,
        organization: str | None = None,
        allows_exports: bool = False,
    ) -> tuple[Any, dict]:
        user = create_user(email, PASSWORD, role)
        db.session.flush()
        org = create_organization(organization, user) if organization else None
        if org is not None:
            org.allows_member_exports = allows_exports
        _token, secret = create_token(user, "tests", actor="cli:tests")
        db.session.commit()
        return (org or user), {"OSDI-API-Token": secret}

    return make
