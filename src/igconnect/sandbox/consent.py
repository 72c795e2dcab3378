"""Follow the sandbox's consent page without a browser, like a user clicking Continue or Cancel."""

from __future__ import annotations

from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import urljoin


class ConsentError(RuntimeError):
    """The dialog answered an error page (unknown app, blocked redirect URI, personal account)."""


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.in_consent = False
        self.action = ""
        self.fields: list[tuple[str, str, str, bool]] = []  # (type, name, value, checked)
        self.error = ""
        self._in_error = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.in_consent = a.get("id") == "consent"
            if self.in_consent:
                self.action = a.get("action", "")
        elif tag == "input" and self.in_consent:
            self.fields.append(
                (a.get("type", "text"), a.get("name", ""), a.get("value", ""), "checked" in a)
            )
        elif a.get("id") == "error":
            self._in_error = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_consent = False
        self._in_error = False

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error += data


def follow_consent(
    authorize_url: str,
    *,
    decline_scopes: Iterable[str] = (),
    pages: Iterable[str] | None = None,
    cancel: bool = False,
) -> str:
    """GET the dialog, submit it, return the redirect URL (to `redirect_uri`) without requesting it.

    `decline_scopes` unticks those permissions; `pages` ticks exactly these Page ids (None keeps the
    page's own defaults); `cancel` clicks Cancel.
    """
    import httpx

    with httpx.Client(follow_redirects=False, timeout=10) as client:
        resp = client.get(authorize_url)
        parser = _FormParser()
        parser.feed(resp.text)
        if not parser.action:
            raise ConsentError(parser.error.strip() or f"no consent form (HTTP {resp.status_code})")
        declined = set(decline_scopes)
        wanted_pages = None if pages is None else set(pages)
        data: list[tuple[str, str]] = []
        for typ, name, value, checked in parser.fields:
            if typ == "hidden":
                data.append((name, value))
            elif typ == "checkbox" and name == "scope":
                if checked and value not in declined:
                    data.append((name, value))
            elif typ == "checkbox" and name == "page":
                keep = checked if wanted_pages is None else value in wanted_pages
                if keep:
                    data.append((name, value))
        data.append(("action", "cancel" if cancel else "continue"))
        form: dict[str, list[str]] = {}
        for name, value in data:
            form.setdefault(name, []).append(value)
        post = client.post(urljoin(str(resp.url), parser.action), data=form)
        if post.status_code != 302:
            p = _FormParser()
            p.feed(post.text)
            raise ConsentError(p.error.strip() or f"the dialog answered HTTP {post.status_code}")
        return post.headers["location"]
