"""Who is calling: the identity a verified access token carries."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("uploader", "analyst", "ig_officer", "admin")


@dataclass(frozen=True)
class Identity:
    client_id: str
    partner: str
    roles: frozenset[str]

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))
