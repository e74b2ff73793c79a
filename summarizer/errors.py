"""The error vocabulary: each error knows its HTTP status and a stable code.

Errors are raised where they are known (detection, the model store, the
service) and turned into HTTP in one place (the web layer), so the pipeline
itself never imports Flask.
"""

from __future__ import annotations


class SummarizerError(Exception):
    """Base class: a message for people, a stable machine code, an HTTP status."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict:
        """The one JSON error shape: code, message and (where useful) details."""
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(SummarizerError):
    """The request is malformed: missing, empty or wrongly typed input."""

    status = 400
    code = "invalid_input"


class Unauthorized(SummarizerError):
    """No API key was sent while keys are required."""

    status = 401
    code = "unauthorized"


class Forbidden(SummarizerError):
    """The API key sent is not valid."""

    status = 403
    code = "forbidden"


class NotFound(SummarizerError):
    """No such thing: a job that is unknown, expired, or another API key's."""

    status = 404
    code = "not_found"


class Conflict(SummarizerError):
    """The request does not fit the thing's state: cancelling a finished job."""

    status = 409
    code = "conflict"


class UnsupportedMediaType(SummarizerError):
    """The body is neither JSON, a form, nor a file upload."""

    status = 415
    code = "unsupported_media_type"


class UnsupportedLanguage(SummarizerError):
    """The text is in a language we do not translate or summarize."""

    status = 422
    code = "unsupported_language"


class TextTooLong(SummarizerError):
    """The text is over the configured character limit."""

    status = 413
    code = "text_too_long"


class ModelUnavailable(SummarizerError):
    """A model the request needs is not in the model store or failed to load."""

    status = 503
    code = "model_unavailable"


class Overloaded(SummarizerError):
    """The translation queue is full; the client should retry later."""

    status = 503
    code = "overloaded"

    def __init__(self, message: str, retry_after: int = 1, **details):
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class DeadlineExceeded(SummarizerError):
    """The request took longer than the configured deadline."""

    status = 504
    code = "deadline_exceeded"
