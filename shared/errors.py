"""The domain's closed error hierarchy. Each error knows its HTTP status and a stable code;
services raise these and the API renders them as problem+json in one place."""

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"
    title = "Forbidden"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"
    title = "Unauthorized"


class Invalid(DomainError):
    status_code = 422
    code = "validation_error"
    title = "Validation failed"

    @classmethod
    def field(
        cls, loc: tuple[str | int, ...], message: str, kind: str = "value_error"
    ) -> "Invalid":
        return cls(message, errors=[{"loc": list(loc), "msg": message, "type": kind}])


class TooManyRequests(DomainError):
    status_code = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
