"""Environment checks: settings file, Meta app, secret store, Meta reachable."""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

from igconnect.doctor.model import (
    SCOPE_ENVIRONMENT,
    Finding,
    check,
    could_not_check,
    failure,
    ok,
    warning,
)
from igconnect.doctor.state import EnvState
from igconnect.errors import (
    ConfigError,
    FileStoreError,
    InsecureBackendError,
    KeyringLockedError,
    KeyringTimeoutError,
    NoKeyringError,
    SecretStoreError,
)

OPT_INTO_FILE_STORE = "igconnect config set token_store file"


@check(
    "env.settings",
    "Settings file readable",
    scope=SCOPE_ENVIRONMENT,
    proves="the settings file parses and every value in it is valid",
    usual_fix="fix the line named in the evidence by hand, or move the file away to start afresh",
)
def settings_readable(env: EnvState) -> Finding:
    runtime = env.runtime
    path = runtime.paths.config_file
    try:
        runtime.document()
    except ConfigError as exc:
        steps = [
            f"Open {path} in an editor and fix what the evidence names (it was left as it is).",
            "Or move it away to start afresh: the settings go back to their defaults (connections "
            "and trackers are in the state store and stay).",
        ]
        return failure(exc.message, steps, "igconnect config show", path=str(path))
    if not path.exists():
        return ok(f"no settings file yet ({path}): defaults in use", path=str(path))
    return ok(f"{path}", path=str(path))


@check(
    "env.app",
    "Meta app id and secret present",
    scope=SCOPE_ENVIRONMENT,
    depends=("env.settings",),
    proves="the agency's Meta app id is set and its secret can be read",
    usual_fix="`igconnect app set --app-id ID` (the secret is asked for, or read from stdin)",
)
def app_present(env: EnvState) -> Finding:
    runtime = env.runtime
    try:
        env.app_id = runtime.app_id()
    except ConfigError:
        return failure(
            "no Meta app id is set",
            [
                "Create (or open) your Meta app on developers.facebook.com and copy its App ID "
                "and App Secret (App settings → Basic).",
                "Store them; the secret is asked for without echo.",
            ],
            "igconnect app set --app-id APP_ID",
        )
    source = "IGCONNECT_APP_SECRET" if runtime.environ.get("IGCONNECT_APP_SECRET") else None
    try:
        env.app_secret = runtime.app_secret()
    except SecretStoreError as exc:
        return could_not_check(
            f"app {env.app_id}: the secret could not be read ({exc.message}; see env.secret-store)",
            app_id=env.app_id,
        )
    except ConfigError:
        return failure(
            f"app {env.app_id} is set but its secret is not stored",
            [
                "Copy the App Secret from App settings → Basic on developers.facebook.com.",
                "Store it again with the app id.",
            ],
            f"igconnect app set --app-id {env.app_id}",
            app_id=env.app_id,
        )
    where = source or f"the {runtime.secret_store.description}"
    return ok(f"app {env.app_id}; secret from {where}", app_id=env.app_id, secret_source=where)


@check(
    "env.instagram-app",
    "Instagram app id and secret present",
    scope=SCOPE_ENVIRONMENT,
    depends=("env.settings",),
    proves="wherever an Instagram Login connection exists, the Instagram app's own id (not the "
    "Meta app's) is set and its secret can be read",
    usual_fix="`igconnect app set --instagram-app-id ID` with the Instagram app ID and secret from "
    "App Dashboard → Instagram → API setup with Instagram login",
)
def instagram_app_present(env: EnvState) -> Finding:
    from igconnect.meta_app import (
        INSTAGRAM_APP_PLACE,
        SET_INSTAGRAM_APP,
        instagram_app_id,
        instagram_app_secret,
    )

    runtime = env.runtime
    names = [
        r[0]
        for r in runtime.state.db.execute(
            "SELECT name FROM connections WHERE provider = 'instagram' ORDER BY name"
        )
    ]
    fix = [
        f"Open {INSTAGRAM_APP_PLACE} on developers.facebook.com and copy the Instagram app ID and "
        "Instagram app secret (they differ from the Meta app's, under App settings → Basic).",
        "Store them; the secret is asked for without echo.",
    ]
    try:
        app_id = instagram_app_id(runtime)
    except ConfigError as exc:
        if not names:
            return ok(
                "not needed: no Instagram Login connection (Facebook Login uses the Meta app)"
            )
        return failure(
            f"{exc.message}; Instagram Login connections: {', '.join(names)} (their reconnects, "
            "and appsecret_proof on graph.instagram.com, need it)",
            fix,
            SET_INSTAGRAM_APP,
            connections=names,
        )
    try:
        instagram_app_secret(runtime)
    except SecretStoreError as exc:
        return could_not_check(
            f"Instagram app {app_id}: the secret could not be read ({exc.message}; see "
            "env.secret-store)",
            instagram_app_id=app_id,
        )
    except ConfigError:
        if not names:
            return ok(
                f"Instagram app {app_id} is set, its secret is not stored: not needed until an "
                "Instagram Login connection is added",
                instagram_app_id=app_id,
            )
        return failure(
            f"Instagram app {app_id} is set but its secret is not stored",
            fix,
            f"igconnect app set --instagram-app-id {app_id}",
            instagram_app_id=app_id,
        )
    return ok(
        f"Instagram app {app_id}"
        + (f"; used by {', '.join(names)}" if names else "; no Instagram Login connection yet"),
        instagram_app_id=app_id,
    )


def _session_facts() -> dict[str, object]:
    return {
        "dbus_session_bus_address": "set"
        if os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        else "unset",
        "ssh_session": bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY")),
        "xdg_runtime_dir": os.environ.get("XDG_RUNTIME_DIR") or None,
    }


@check(
    "env.secret-store",
    "Secret store usable",
    scope=SCOPE_ENVIRONMENT,
    depends=("env.settings",),
    proves="tokens can be read from the OS keyring (or the opt-in file store) right now",
    usual_fix="unlock or reach the session keyring (DBUS_SESSION_BUS_ADDRESS), or opt into the "
    "file store with `igconnect config set token_store file`",
)
def secret_store_usable(env: EnvState) -> Finding:
    runtime = env.runtime
    store = runtime.secret_store
    facts = _session_facts()
    try:
        store.check()
    except NoKeyringError:
        bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        why = (
            "DBUS_SESSION_BUS_ADDRESS is not set, so no session keyring can be reached (usual "
            "under cron or SSH)"
            if not bus
            else "DBUS_SESSION_BUS_ADDRESS is set but no keyring service answers on that bus"
        )
        return failure(
            f"no OS keyring is available: {why}",
            [
                "Run `igconnect doctor` from your desktop session once: if the keyring works "
                "there, the tokens are fine and only this session cannot reach them.",
                "For cron or SSH while you are logged in to the desktop, export the session's "
                "bus first: export DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$(id -u)/bus "
                "(the keyring must be unlocked).",
                "On a server with no desktop session, opt into the 0600 file store instead, then "
                "log in again for each connection.",
            ],
            OPT_INTO_FILE_STORE,
            backend=store.description,
            **facts,
        )
    except KeyringLockedError:
        return failure(
            f"the {store.description} is locked",
            [
                "Unlock it: log in to the desktop session, or run "
                "`gnome-keyring-daemon --unlock` in that session.",
                "Check again.",
            ],
            "igconnect doctor",
            backend=store.description,
            **facts,
        )
    except KeyringTimeoutError as exc:
        return failure(
            exc.message,
            [
                "Make sure the keyring daemon runs and is unlocked (a hidden unlock prompt "
                "can keep it waiting).",
                "If it is just slow, raise the wait.",
            ],
            "igconnect config set keyring_timeout 15",
            backend=store.description,
        )
    except InsecureBackendError as exc:
        return failure(
            exc.message,
            [
                "Uninstall keyrings.alt, or set PYTHON_KEYRING_BACKEND to a real OS keyring.",
                "Or opt into igconnect's own 0600 file store.",
            ],
            OPT_INTO_FILE_STORE,
        )
    except FileStoreError as exc:
        return failure(exc.message, [exc.hint or "Repair the secret file."], "igconnect doctor")
    except SecretStoreError as exc:
        return failure(
            exc.message,
            [exc.hint or "Check that the keyring daemon is running and unlocked."],
            "igconnect doctor",
            backend=store.description,
        )
    if store.is_plaintext:
        return warning(
            f"tokens are kept in a plaintext file, by your choice: {store.description}",
            [
                "Anyone who can read this file as you can use the tokens; keep it at mode 0600 "
                "and out of backups you share.",
                "Where a desktop keyring is available, switch back to it and log in again for "
                "each connection.",
            ],
            "igconnect config set token_store keyring",
            backend=store.description,
        )
    return ok(store.description, backend=store.description, **facts)


@check(
    "env.meta",
    "Meta reachable",
    scope=SCOPE_ENVIRONMENT,
    depends=("env.settings",),
    proves="Meta's Graph API hosts answer over the network (an unauthenticated request)",
    usual_fix="check the network, proxy and the endpoint settings (`igconnect config show`)",
)
def meta_reachable(env: EnvState) -> Finding:
    from igconnect.meta.errors import MetaApiError, MetaUnreachable, TransientError

    runtime = env.runtime
    endpoints = runtime.endpoints
    urls = [endpoints.graph_url]
    providers = {
        r[0] for r in runtime.state.db.execute("SELECT DISTINCT provider FROM connections")
    }
    if "instagram" in providers:
        urls.append(endpoints.instagram_graph_url)
    answered: dict[str, str] = {}
    for url in urls:
        host = urlsplit(url).netloc
        client = runtime.graph_client(url)
        client.retries = 0  # a reachability probe: one try, the verdict is "could not check"
        started = time.monotonic()
        try:
            client.request("GET", "", authenticated=False)
        except (MetaUnreachable, TransientError) as exc:
            return could_not_check(
                f"{host}: {exc.message}",
                [
                    "Check the network connection (and proxy variables such as HTTPS_PROXY).",
                    "Check the endpoint settings if you changed them.",
                ],
                "igconnect config show",
                url=url,
            )
        except MetaApiError:
            pass  # any answer from Meta, even an error, proves the host is reachable
        finally:
            client.close()
        answered[host] = f"{(time.monotonic() - started) * 1000:.0f} ms"
    summary = ", ".join(f"{h} answered in {t}" for h, t in answered.items())
    return ok(summary, hosts=answered)


@check(
    "env.file-modes",
    "igconnect's files private",
    scope=SCOPE_ENVIRONMENT,
    depends=("env.settings",),
    proves="no one else can change the files that decide where tokens go (config.toml, the "
    "secrets file and their folders), nor read the data dir, the state store or the archive",
    usual_fix="`chmod` as the evidence says (folders 700, files 600)",
)
def file_modes(env: EnvState) -> Finding:
    from igconnect.trust import loose_modes

    runtime = env.runtime
    found = loose_modes(runtime.paths, token_store=runtime.settings.get("token_store"))
    if not found:
        return ok("config, secrets, state store and archive are yours alone")
    steering = [f for f in found if f.steers_tokens]
    evidence = "; ".join(f"{f.path} is {f.problem} ({f.mode:04o})" for f in found[:3])
    steps = [f"Run `{f.fix}`." for f in found]
    if steering:
        steps.insert(0, "While a file that steers tokens is loose, igconnect sends no token.")
        return failure(evidence, steps, found[0].fix, loose=[f.to_json() for f in found])
    return warning(evidence, steps, found[0].fix, loose=[f.to_json() for f in found])
