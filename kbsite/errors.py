"""Domain exceptions, raised by services and mapped once to HTML or JSON responses."""

from __future__ import annotations


class DomainError(Exception):
    """Base of errors a user can act on; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class Invalid(DomainError):
    """The input is malformed or breaks a rule."""

    status = 400


class Forbidden(DomainError):
    """The user may not do this."""

    status = 403


class NotFound(DomainError):
    """No such thing, or not visible to this user."""

    status = 404


class Conflict(DomainError):
    """The request was based on a stale state (e.g. an edit of an old revision)."""

    status = 409
