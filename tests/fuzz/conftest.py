"""The fuzz pass borrows the API's token users and the builder's signed-in team."""

from tests.api.conftest import api_user  # noqa: F401
from tests.builder.conftest import team  # noqa: F401
