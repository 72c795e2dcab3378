"""The agency's Meta app: its id in the settings file, its secret in the secret store."""

from __future__ import annotations

import re

from igconnect.errors import IgconnectError, UsageError
from igconnect.redact import remember_secret
from igconnect.runtime import Runtime
from igconnect.secretstore import APP_SECRET_KEY


def store_app(runtime: Runtime, app_id: str, secret: str) -> str:
    """Validate and store the app; returns the description of the secret store used."""
    app_id = app_id.strip()
    if not re.fullmatch(r"\d{5,20}", app_id):
        raise UsageError(
            f"'{app_id}' is not a Meta app id",
            hint="copy the numeric App ID from your app's dashboard on developers.facebook.com",
        )
    if not secret or any(c.isspace() for c in secret):
        raise UsageError(
            "the app secret is empty or malformed",
            hint="copy the App Secret from App settings → Basic on developers.facebook.com",
        )
    remember_secret(secret)
    store = runtime.secret_store
    store.set(APP_SECRET_KEY, secret)  # the secret first: an id without its secret is useless
    with runtime.edit() as doc:
        doc["app_id"] = app_id
    return store.description


def describe_app(runtime: Runtime) -> dict[str, str | None]:
    app_id, source = runtime.settings.get_with_source("app_id")
    if runtime.environ.get("IGCONNECT_APP_SECRET"):
        secret = "set by IGCONNECT_APP_SECRET"
    else:
        try:
            stored = runtime.secret_store.get(APP_SECRET_KEY)
            where = runtime.secret_store.description
            secret = f"stored in the {where}" if stored else f"not stored ({where})"
        except IgconnectError as exc:
            secret = f"unknown: {exc.message}"
    return {"app_id": app_id, "app_id_source": source, "secret": secret}
