"""The JSON API at /api/v1, in OSDI's shapes and names (HAL+JSON), and its OpenAPI document."""
