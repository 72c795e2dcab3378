"""Base URLs and the Graph API version, from settings (the sandbox and tests point them at localhost)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class _Settings(Protocol):
    def get(self, key: str) -> Any: ...


@dataclass(frozen=True)
class Endpoints:
    graph_url: str  # graph.facebook.com
    facebook_url: str  # www.facebook.com (login dialog)
    instagram_graph_url: str  # graph.instagram.com
    instagram_url: str  # www.instagram.com (login dialog)
    instagram_api_url: str  # api.instagram.com (code exchange)
    version: str

    @classmethod
    def from_settings(cls, settings: _Settings) -> Endpoints:
        return cls(
            graph_url=settings.get("graph_url"),
            facebook_url=settings.get("facebook_url"),
            instagram_graph_url=settings.get("instagram_graph_url"),
            instagram_url=settings.get("instagram_url"),
            instagram_api_url=settings.get("instagram_api_url"),
            version=settings.get("graph_version"),
        )

    def api_url(self, provider: str) -> str:
        """The Graph host a connection of `provider` ('facebook' or 'instagram') talks to."""
        return self.instagram_graph_url if provider == "instagram" else self.graph_url
