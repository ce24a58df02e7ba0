"""Server-side console sessions: a random id in an HttpOnly, SameSite=Strict cookie scoped
to /console, a CSRF token per session, idle and absolute expiry, one-shot flash messages.

Sessions live in memory: a restart signs everyone out. Nothing secret is kept in them: a
signed-in session holds the access key id and a keyed fingerprint of the secret (so a
re-keyed or removed identity is signed out at its next request), never the secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from objstore.auth.identities import Identity, IdentityStore

COOKIE = "objstore_console"
COOKIE_PATH = "/console"
IDLE_SECONDS = 2 * 3600
MAX_AGE_SECONDS = 12 * 3600
MAX_SESSIONS = 10_000


@dataclass
class Session:
    id: str
    csrf_token: str
    created: float
    last_seen: float
    access_key: str | None = None
    fingerprint: bytes | None = None
    flashes: list[tuple[str, str]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # view state; never secrets

    def flash(self, message: str, kind: str = "ok") -> None:
        """A message for the next page shown (kind: ok, error, info)."""
        self.flashes.append((kind, message))

    def pop_flashes(self) -> list[tuple[str, str]]:
        shown, self.flashes = self.flashes, []
        return shown


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._pepper = secrets.token_bytes(32)  # fingerprints mean nothing outside

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        now = time.time()
        if session is None or now - session.last_seen > IDLE_SECONDS \
                or now - session.created > MAX_AGE_SECONDS:
            self._sessions.pop(session_id, None)
            return None
        session.last_seen = now
        return session

    def new(self) -> Session:
        if len(self._sessions) >= MAX_SESSIONS:
            self._evict()
        now = time.time()
        session = Session(id=secrets.token_urlsafe(32), csrf_token=secrets.token_urlsafe(32),
                          created=now, last_seen=now)
        self._sessions[session.id] = session
        return session

    def sign_in(self, old: Session | None, identity: Identity) -> Session:
        """A fresh session (new id and CSRF token: no fixation) for this identity."""
        if old is not None:
            self.drop(old)
        session = self.new()
        session.access_key = identity.access_key
        session.fingerprint = self._fingerprint(identity.secret_key)
        return session

    def drop(self, session: Session) -> None:
        self._sessions.pop(session.id, None)

    def identity(self, session: Session | None, identities: IdentityStore) -> Identity | None:
        """The signed-in identity, if its access key still exists with the same secret."""
        if session is None or session.access_key is None or session.fingerprint is None:
            return None
        identity = identities.lookup(session.access_key)
        if identity is None or not hmac.compare_digest(
                self._fingerprint(identity.secret_key), session.fingerprint):
            session.access_key = session.fingerprint = None
            return None
        return identity

    def _fingerprint(self, secret: str) -> bytes:
        return hmac.new(self._pepper, secret.encode(), hashlib.sha256).digest()

    def _evict(self) -> None:
        by_age = sorted(self._sessions.values(), key=lambda s: s.last_seen)
        for session in by_age[: len(by_age) // 10 + 1]:
            self._sessions.pop(session.id, None)


def set_cookie(request: web.Request, response: web.StreamResponse, session: Session) -> None:
    response.set_cookie(COOKIE, session.id, path=COOKIE_PATH, httponly=True,
                        samesite="Strict", secure=request.secure, max_age=MAX_AGE_SECONDS)


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path=COOKIE_PATH)


def check_secret(identity: Identity | None, secret: str) -> bool:
    """Constant-time comparison (a wrong access key costs the same as a wrong secret)."""
    expected = identity.secret_key if identity is not None else secrets.token_urlsafe(30)
    return hmac.compare_digest(expected.encode(), secret.encode()) and identity is not None
