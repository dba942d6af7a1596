"""The anonymous browser session: a random owner id in a signed cookie.

The session owns jobs and uploads; nothing else identifies a user. The cookie holds only the
id, signed with the server's secret key (itsdangerous), so it cannot be forged or changed to
reach another session's jobs. A request without a valid cookie gets a fresh id, and the
response sets the cookie (HttpOnly, SameSite=Lax, Secure over HTTPS).

This is a plain ASGI middleware rather than a dependency, so that every response (errors,
files, server-sent events) carries the cookie the request was served under.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "plotforge_session"
COOKIE_MAX_AGE_S = 365 * 24 * 3600
SALT = "plotforge.session.v1"
STATE_KEY = "session_owner"


class SessionSigner:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)

    def sign(self, owner: str) -> str:
        return self._serializer.dumps(owner)

    def owner_of(self, cookie_value: str) -> str | None:
        """The owner id in a cookie value, or None when it is not one we signed."""
        try:
            owner = self._serializer.loads(cookie_value)
        except BadSignature:
            return None
        return owner if isinstance(owner, str) and 16 <= len(owner) <= 64 else None


def new_owner() -> str:
    return "s-" + secrets.token_urlsafe(24)


def _cookie_from(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is the client's problem: treat as absent
                continue
            if COOKIE_NAME in jar:
                return jar[COOKIE_NAME].value
    return None


class SessionMiddleware:
    def __init__(self, app: ASGIApp, secret_key: str) -> None:
        self.app = app
        self.signer = SessionSigner(secret_key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = _cookie_from(scope)
        owner = self.signer.owner_of(presented) if presented else None
        is_new = owner is None
        if owner is None:
            owner = new_owner()
        scope.setdefault("state", {})[STATE_KEY] = owner
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if is_new and message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", self._cookie(owner, secure))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, owner: str, secure: bool) -> str:
        parts = [f"{COOKIE_NAME}={self.signer.sign(owner)}", "Path=/", f"Max-Age={COOKIE_MAX_AGE_S}", "HttpOnly",
                 "SameSite=Lax"]
        if secure:
            parts.append("Secure")
        return "; ".join(parts)

