"""The upload client behind `hub upload`: it sends a file through the hub's public HTTP API
and follows the upload to its end, as a partner's own system would. It imports nothing of the
server: a partner could run it from this package alone (with `requests`).
"""

from hub.client.report import progress_line, render
from hub.client.sender import (
    DEFAULT_URL,
    REFUSED,
    Sender,
    SendFailed,
    media_type_of,
    outcome_code,
)

__all__ = [
    "DEFAULT_URL",
    "REFUSED",
    "SendFailed",
    "Sender",
    "media_type_of",
    "outcome_code",
    "progress_line",
    "render",
]
