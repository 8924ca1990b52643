"""The one error of the plugin's logic: bad input, naming the field at fault."""

from __future__ import annotations


class ConsentInputError(ValueError):
    """Input that cannot be accepted; nothing was stored (the caller rolls back).

    `field` names the form field or command option at fault (`purpose`, `given_at`,
    `duration_months`, `expires_at`, `proof`, ...); str() is one sentence that names it.
    `status` is the HTTP status a page answers with.
    """

    status = 400

    def __init__(self, field: str, message: str, status: int | None = None) -> None:
        self.field = field
        self.message = message
        if status is not None:
            self.status = status
        super().__init__(f"{field}: {message}")
