"""Errors raised by services. Views turn them into messages, the API into JSON."""

from django.core.exceptions import ValidationError  # noqa: F401  (re-exported for services)


class ApplicationError(Exception):
    """A business rule refused the action. `message` is meant for the user."""

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
