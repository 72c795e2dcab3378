"""The agency's apps at Meta: ids in the settings file, secrets in the secret store.

Meta gives an agency two sets of credentials. Facebook Login (and graph.facebook.com) uses the Meta
app's App ID and App Secret (App Dashboard → App settings → Basic). Instagram Login ("Instagram API
with Instagram login") uses the separate Instagram app ID and Instagram app secret shown under
Instagram → API setup with Instagram login: for the instagram.com dialog, the code exchange on
api.instagram.com, the long-lived exchange and `appsecret_proof` on graph.instagram.com. Sending the
Meta app's id there gets Meta's "Invalid platform app".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from igconnect.errors import ConfigError, IgconnectError, UsageError
from igconnect.redact import remember_secret
from igconnect.runtime import Runtime
from igconnect.secretstore import APP_SECRET_KEY

INSTAGRAM_APP_SECRET_KEY = "instagram_app_secret"
INSTAGRAM_APP_SECRET_ENV = "IGCONNECT_INSTAGRAM_APP_SECRET"
META_APP_PLACE = "App Dashboard → App settings → Basic on developers.facebook.com"
INSTAGRAM_APP_PLACE = (
    "App Dashboard → Instagram → API setup with Instagram login on developers.facebook.com"
)
SET_INSTAGRAM_APP = "igconnect app set --instagram-app-id INSTAGRAM_APP_ID"


@dataclass(frozen=True)
class AppCredentials:
    """The id and secret one login path uses."""

    provider: str  # facebook | instagram
    app_id: str
    secret: str


def _valid_id(app_id: str, what: str, where: str) -> str:
    app_id = app_id.strip()
    if not re.fullmatch(r"\d{5,20}", app_id):
        raise UsageError(f"'{app_id}' is not {what}", hint=f"copy the numeric id from {where}")
    return app_id


def _valid_secret(secret: str, where: str) -> str:
    if not secret or any(c.isspace() for c in secret):
        raise UsageError(
            "the app secret is empty or malformed", hint=f"copy the secret from {where}"
        )
    remember_secret(secret)
    return secret


def store_app(runtime: Runtime, app_id: str, secret: str) -> str:
    """Validate and store the Meta app; returns the description of the secret store used."""
    app_id = _valid_id(app_id, "a Meta app id", META_APP_PLACE)
    secret = _valid_secret(secret, META_APP_PLACE)
    instagram_id = runtime.settings.get("instagram_app_id")
    if instagram_id and str(instagram_id) == app_id:
        raise UsageError(
            f"{app_id} is already set as the Instagram app's id",
            hint=f"the Meta app's id is the App ID under {META_APP_PLACE}",
        )
    store = runtime.secret_store
    store.set(APP_SECRET_KEY, secret)  # the secret first: an id without its secret is useless
    with runtime.edit() as doc:
        doc["app_id"] = app_id
    return store.description


def store_instagram_app(runtime: Runtime, app_id: str, secret: str) -> str:
    """Validate and store the Instagram app of Instagram Login; returns the secret store used."""
    app_id = _valid_id(app_id, "an Instagram app id", INSTAGRAM_APP_PLACE)
    meta_id = runtime.settings.get("app_id")
    if meta_id and str(meta_id) == app_id:
        raise UsageError(
            f"{app_id} is the Meta app's id; Instagram Login needs the Instagram app's own id",
            hint=f"copy the Instagram app ID and secret from {INSTAGRAM_APP_PLACE}",
        )
    secret = _valid_secret(secret, INSTAGRAM_APP_PLACE)
    store = runtime.secret_store
    store.set(INSTAGRAM_APP_SECRET_KEY, secret)
    with runtime.edit() as doc:
        doc["instagram_app_id"] = app_id
    return store.description


def instagram_app_id(runtime: Runtime) -> str:
    """The Instagram app's id; refused when missing or when it is the Meta app's."""
    app_id = runtime.settings.get("instagram_app_id")
    if not app_id:
        raise ConfigError(
            "Instagram Login needs the Instagram app's own id and secret, and none is set",
            hint=f"copy them from {INSTAGRAM_APP_PLACE} and run `{SET_INSTAGRAM_APP}`",
        )
    meta_id = runtime.settings.get("app_id")
    if meta_id and str(meta_id) == str(app_id):
        raise ConfigError(
            f"instagram_app_id is set to the Meta app's id ({app_id}); Meta answers \"Invalid "
            'platform app" to it on the Instagram Login path',
            hint=f"copy the Instagram app ID and secret from {INSTAGRAM_APP_PLACE} and run "
            f"`{SET_INSTAGRAM_APP}`",
        )
    return str(app_id)


def instagram_app_secret(runtime: Runtime) -> str:
    """The Instagram app's secret: IGCONNECT_INSTAGRAM_APP_SECRET, else the secret store."""
    from_env = runtime.environ.get(INSTAGRAM_APP_SECRET_ENV)
    if from_env:
        remember_secret(from_env)
        return from_env
    secret = runtime.secret_store.get(INSTAGRAM_APP_SECRET_KEY)
    if not secret:
        raise ConfigError(
            "the Instagram app secret is not stored",
            hint=f"copy it from {INSTAGRAM_APP_PLACE} and run `{SET_INSTAGRAM_APP}`",
        )
    return secret


def credentials(runtime: Runtime, provider: str) -> AppCredentials:
    """The id and secret of the app `provider`'s login path uses."""
    if provider == "instagram":
        return AppCredentials(provider, instagram_app_id(runtime), instagram_app_secret(runtime))
    return AppCredentials(provider, runtime.app_id(), runtime.app_secret())


def secret_or_none(runtime: Runtime, provider: str) -> str | None:
    """The secret `appsecret_proof` is computed with on `provider`'s API host, when known."""
    if provider != "instagram":
        return runtime.app_secret_or_none()
    try:
        return instagram_app_secret(runtime)
    except ConfigError:
        return None


def _secret_status(runtime: Runtime, env: str, key: str) -> str:
    if runtime.environ.get(env):
        return f"set by {env}"
    try:
        stored = runtime.secret_store.get(key)
        where = runtime.secret_store.description
        return f"stored in the {where}" if stored else f"not stored ({where})"
    except IgconnectError as exc:
        return f"unknown: {exc.message}"


def describe_app(runtime: Runtime) -> dict[str, str | None]:
    app_id, source = runtime.settings.get_with_source("app_id")
    ig_id, ig_source = runtime.settings.get_with_source("instagram_app_id")
    return {
        "app_id": app_id,
        "app_id_source": source,
        "secret": _secret_status(runtime, "IGCONNECT_APP_SECRET", APP_SECRET_KEY),
        "instagram_app_id": ig_id,
        "instagram_app_id_source": ig_source,
        "instagram_secret": _secret_status(
            runtime, INSTAGRAM_APP_SECRET_ENV, INSTAGRAM_APP_SECRET_KEY
        ),
    }
