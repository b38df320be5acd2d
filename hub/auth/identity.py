"""Who is calling: a person signed in at their partner's OpenID Provider, or a system (an
OAuth client of the hub's own authorization server)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("uploader", "analyst", "ig_officer", "admin")


@dataclass(frozen=True)
class Person:
    """A person as their partner's provider names them: issuer + subject is who they are (the
    subject alone is unique only within its issuer); `name` is what people read."""

    issuer: str
    subject: str
    name: str


@dataclass(frozen=True)
class Identity:
    # For a system, its OAuth client id; for a person, a stable label of issuer + subject
    # (hub.auth.sessions.person_label), so that records keyed by it stay one column wide.
    client_id: str
    partner: str
    roles: frozenset[str]
    person: Person | None = None
    # For a system: the name the hub's operators gave the client (who runs it).
    owner: str | None = None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def kind(self) -> str:
        return "person" if self.person is not None else "system"

    @property
    def display(self) -> str:
        """How pages name the caller: the person's name, or the system and its owner."""
        if self.person is not None:
            return self.person.name
        return f"system {self.client_id}" + (f" ({self.owner})" if self.owner else "")
