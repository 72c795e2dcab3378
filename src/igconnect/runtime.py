"""The application runtime: paths, settings, secret store, state store and HTTP clients, built lazily.

The CLI builds one Runtime per invocation; core functions (login, doctor, trackers, export) take it as
their first argument. It knows no domain rules: connections/clients.py builds the client that acts
as a connection. Nothing here prints: what the user must hear goes to `warnings` and `notices`.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from igconnect.errors import ConfigError
from igconnect.paths import Paths, resolve_paths
from igconnect.redact import remember_secret
from igconnect.settings import ConfigFile, Settings
from igconnect.trust import guard_token_destination

if TYPE_CHECKING:
    from tomlkit import TOMLDocument

    from igconnect.connections.usage import UsageRecorder
    from igconnect.meta.client import GraphClient
    from igconnect.meta.endpoints import Endpoints
    from igconnect.secretstore import SecretStore
    from igconnect.state.db import StateStore

log = logging.getLogger("igconnect")


class Runtime:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self._doc: TOMLDocument | None = None
        self.warnings: list[str] = []  # things the user must hear about, printed by the CLI
        self.notices: list[str] = []  # things worth one line of information (an upgrade done)

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
            doc = self.config_file.read()
            if _holds_state(doc):
                doc = self._upgrade()
            self._doc = doc
        return self._doc

    @property
    def settings(self) -> Settings:
        return Settings(self.document(), self.environ)

    @contextlib.contextmanager
    def edit(self) -> Iterator[TOMLDocument]:
        """Change the settings file under its lock; the runtime sees the result afterwards."""
        self.document()  # an old file is upgraded before anyone edits it
        with self.config_file.edit() as doc:
            yield doc
        self._doc = doc

    # -- the state store -------------------------------------------------------------------------
    @cached_property
    def state(self) -> StateStore:
        self.document()  # connections or trackers still in config.toml move to the store first
        return self._state_file

    @cached_property
    def _state_file(self) -> StateStore:
        from igconnect.state.db import StateStore

        return StateStore(self.paths.state_file)

    def _upgrade(self) -> TOMLDocument:
        from igconnect.config_upgrade import upgrade_config

        notice = upgrade_config(self.config_file, self._state_file)
        if notice:
            self.notices.append(notice)
        return self.config_file.read()

    @cached_property
    def usage_recorder(self) -> UsageRecorder:
        from igconnect.connections.usage import UsageRecorder

        return UsageRecorder()

    def close(self) -> None:
        """Write what the run learnt in passing (rate-limit usage) and close the state store."""
        if "usage_recorder" in self.__dict__:
            rows = self.usage_recorder.take()
            if rows:
                from igconnect.connections.usage import UsageStore

                try:
                    with self.state.transaction() as db:
                        UsageStore(db).write(rows)
                except Exception as exc:  # advisory figures must never fail a command
                    log.info("could not record rate-limit usage: %s", exc)
        if "_state_file" in self.__dict__:
            self._state_file.close()

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

    def app_secret_or_none(self) -> str | None:
        """The app secret when it is known: `appsecret_proof` is only sent then."""
        try:
            return self.app_secret()
        except ConfigError:
            return None

    # -- Meta ------------------------------------------------------------------------------------
    @property
    def endpoints(self) -> Endpoints:
        from igconnect.meta.endpoints import Endpoints

        return Endpoints.from_settings(self.settings)

    def graph_client(
        self,
        base_url: str,
        *,
        token: str | None = None,
        auth_scheme: str = "OAuth",
        app_secret: str | None = None,
        reconnect_hint: str | None = None,
        on_usage: Callable[[Any], None] | None = None,
    ) -> GraphClient:
        """A client for one Meta host with this run's version, timeouts and retries."""
        from igconnect.meta.client import GraphClient

        settings = self.settings
        guard_token_destination(base_url, settings, self.paths)
        return GraphClient(
            base_url,
            settings.get("graph_version"),
            token=token,
            auth_scheme=auth_scheme,
            app_secret=app_secret,
            timeout=settings.get("http_timeout"),
            retries=settings.get("http_retries"),
            reconnect_hint=reconnect_hint,
            on_usage=on_usage,
        )


def _holds_state(doc: Mapping[str, Any]) -> bool:
    from igconnect.settings import DATA_TABLES

    return any(table in doc for table in DATA_TABLES)
