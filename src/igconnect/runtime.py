"""The application runtime: paths, settings, secret store and Meta clients, built lazily.

The CLI builds one Runtime per invocation; core functions (login, doctor, trackers, export) take it as
their first argument. Nothing here prints.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from igconnect.errors import AuthError, ConfigError
from igconnect.paths import Paths, resolve_paths
from igconnect.redact import remember_secret
from igconnect.settings import ConfigFile, Settings

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

    from igconnect.connections import Connection
    from igconnect.meta.client import GraphClient
    from igconnect.meta.endpoints import Endpoints
    from igconnect.secretstore import SecretStore
    from igconnect.usagelog import UsageLog

log = logging.getLogger("igconnect")


class Runtime:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self._doc: TOMLDocument | None = None
        self.warnings: list[str] = []  # things the user must hear about, printed by the CLI

    # -- files and settings ----------------------------------------------------------------------
    @cached_property
    def paths(self) -> Paths:
        return resolve_paths(dict(self.environ))

    @cached_property
    def config_file(self) -> ConfigFile:
        return ConfigFile(self.paths.config_file)

    def document(self) -> TOMLDocument:
        """The settings file as last read (read on first use)."""
        if self._doc is None:
            self._doc = self.config_file.read()
        return self._doc

    @property
    def settings(self) -> Settings:
        return Settings(self.document(), self.environ)

    @contextlib.contextmanager
    def edit(self) -> Iterator[TOMLDocument]:
        """Change the settings file under its lock; the runtime sees the result afterwards."""
        with self.config_file.edit() as doc:
            yield doc
        self._doc = doc

    # -- secrets ---------------------------------------------------------------------------------
    @cached_property
    def secret_store(self) -> SecretStore:
        from igconnect.secretstore import open_secret_store

        store = open_secret_store(
            self.settings.get("token_store"),
            keyring_timeout=self.settings.get("keyring_timeout"),
            file_path=self.paths.token_file,
        )
        if store.is_plaintext:
            self.warnings.append(
                f"tokens are kept in a plaintext file ({self.paths.token_file}), by your choice "
                "(token_store = file)"
            )
        return store

    def app_id(self) -> str:
        app_id = self.settings.get("app_id")
        if not app_id:
            raise ConfigError(
                "no Meta app is set up",
                hint="run `igconnect app set --app-id ID` (docs/getting-started.md explains how to "
                "create the app)",
            )
        return str(app_id)

    def app_secret(self) -> str:
        """The app secret: IGCONNECT_APP_SECRET, else the secret store."""
        from_env = self.environ.get("IGCONNECT_APP_SECRET")
        if from_env:
            remember_secret(from_env)
            return from_env
        from igconnect.secretstore import APP_SECRET_KEY

        secret = self.secret_store.get(APP_SECRET_KEY)
        if not secret:
            raise ConfigError(
                "the Meta app secret is not stored",
                hint="run `igconnect app set --app-id ID` and enter the secret when asked",
            )
        return secret

    def token_for(self, connection: Connection) -> str:
        from igconnect.secretstore import token_key

        token = self.secret_store.get(token_key(connection.id))
        if not token:
            raise AuthError(
                f"connection '{connection.name}' has no token in the {self.secret_store.description}",
                hint=f"run `igconnect login --reconnect {connection.name}`",
            )
        return token

    # -- Meta ------------------------------------------------------------------------------------
    @property
    def endpoints(self) -> Endpoints:
        from igconnect.meta.endpoints import Endpoints

        return Endpoints.from_settings(self.settings)

    @cached_property
    def usage_log(self) -> UsageLog:
        from igconnect.usagelog import UsageLog

        return UsageLog(self.paths.usage_file)

    def graph_client(
        self,
        base_url: str,
        *,
        token: str | None = None,
        auth_scheme: str = "OAuth",
        connection_name: str | None = None,
        app_secret: str | None = None,
    ) -> GraphClient:
        from igconnect.meta.client import GraphClient

        settings = self.settings
        on_usage = None
        if connection_name:
            usage_log = self.usage_log

            def on_usage(usage: Any) -> None:
                usage_log.record(connection_name, usage)

        return GraphClient(
            base_url,
            settings.get("graph_version"),
            token=token,
            auth_scheme=auth_scheme,
            app_secret=app_secret,
            timeout=settings.get("http_timeout"),
            retries=settings.get("http_retries"),
            reconnect_hint=(
                f"run `igconnect login --reconnect {connection_name}`" if connection_name else None
            ),
            on_usage=on_usage,
        )

    def client_for(self, connection: Connection) -> GraphClient:
        """A client acting as `connection`, on the host of its provider.

        An Instagram Login token that is due is refreshed first, so every command that uses a
        connection keeps it alive (Facebook tokens cannot be refreshed).
        """
        if connection.provider == "instagram":
            from igconnect.login.refresh import refresh_if_due

            refresh_if_due(self, connection)
        token = self.token_for(connection)
        from igconnect.meta.client import auth_scheme

        app_secret: str | None
        try:
            app_secret = self.app_secret()
        except ConfigError:
            app_secret = None  # appsecret_proof is only sent when we know the secret
        return self.graph_client(
            self.endpoints.api_url(connection.provider),
            token=token,
            auth_scheme=auth_scheme(connection.provider),
            connection_name=connection.name,
            app_secret=app_secret,
        )
