"""One Graph API call as the endpoints see it: state, host, version, parameters, token, account."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import MetaError
from .fields import Field, parse_fields
from .state import State, Token
from .world import IgAccount


@dataclass
class Call:
    state: State
    base_url: str  # the sandbox's own URL, for `paging.next` links
    host: str  # "graph" | "ig-graph"
    version: str
    params: dict[str, str]
    token: Token | None = None  # set once the call is authenticated
    account: IgAccount | None = None  # the Instagram account the path names, if any
    token_value: str = ""

    @property
    def provider(self) -> str:
        return "facebook" if self.host == "graph" else "instagram"

    @property
    def user_token(self) -> Token:
        """The caller's token; endpoints run only after authentication set it."""
        assert self.token is not None
        return self.token

    def fields(self, *default: str) -> list[Field]:
        """The `fields` parameter, or `default` when it is absent or empty."""
        return parse_fields(self.params.get("fields")) or [Field(name) for name in default]


def nonexisting_field(name: str, node: str) -> MetaError:
    return MetaError(
        100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"
    )
