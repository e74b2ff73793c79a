"""Who may call the API and how often, and the headers that protect the page.

* API keys (optional): `python -m summarizer keys add NAME` prints a new key once
  and stores only its SHA-256; requests send `Authorization: Bearer KEY` or
  `X-API-Key: KEY`; hashes are compared with hmac.compare_digest.
* Rate limits (Flask-Limiter): per API key, else per client address; in memory
  by default, `SUMMARIZER_RATE_LIMIT_STORAGE=redis://...` for several instances.
* Security headers on every response; CORS off unless origins are configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from pathlib import Path

from flask import Flask, g, request

from .errors import Forbidden, Unauthorized

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
PROTECTED_PREFIX = "/api/"
OPEN_PATHS = {"/api/v1/openapi.json"}


class KeyStore:
    """API keys kept as SHA-256 hashes in a JSON file; the keys themselves are never stored."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _load(self) -> dict:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _save(self, keys: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(keys, handle, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)  # atomic: never a half-written key file

    def add(self, name: str) -> str:
        """Create a key for name and return it (shown once); ValueError if the name exists."""
        keys = self._load()
        if name in keys:
            raise ValueError(f"a key named {name!r} exists; revoke it first")
        key = "sk_" + secrets.token_urlsafe(32)
        keys[name] = {"sha256": _digest(key), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self._save(keys)
        return key

    def revoke(self, name: str) -> bool:
        """Remove a key; False if there was none by that name."""
        keys = self._load()
        if keys.pop(name, None) is None:
            return False
        self._save(keys)
        return True

    def names(self) -> list[str]:
        """The names of the stored keys."""
        return sorted(self._load())

    def verify(self, key: str) -> str | None:
        """The name of the key, or None; every stored hash is compared, in constant time each."""
        digest = _digest(key)
        found = None
        for name, entry in self._load().items():
            if hmac.compare_digest(digest, entry["sha256"]):
                found = name
        return found


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _presented_key() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("X-API-Key") or None


def client_identity() -> str:
    """Rate-limit key: the API key's name when there is one, else the client address."""
    name = g.get("api_key_name")
    return f"key:{name}" if name else f"ip:{request.remote_addr}"


def init_app(app: Flask, settings) -> None:
    """API keys, rate limits, security headers and CORS, as configured."""
    keys = KeyStore(settings.api_keys_file) if settings.api_keys_file else None
    app.extensions["summarizer.keys"] = keys  # the LibreTranslate routes check their `api_key` against it

    @app.before_request
    def _authenticate():
        if keys is None or not request.path.startswith(PROTECTED_PREFIX) or request.path in OPEN_PATHS:
            return None
        if request.method == "OPTIONS":
            return None
        key = _presented_key()
        if key is None:
            raise Unauthorized("An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        name = keys.verify(key)
        if name is None:
            raise Forbidden("The API key is not valid")
        g.api_key_name = name
        return None

    if settings.rate_limit:
        from flask_limiter import Limiter

        limiter = Limiter(
            client_identity,
            app=app,
            storage_uri=settings.redis_url
            if settings.redis_url and settings.rate_limit_storage == "memory://"
            else settings.rate_limit_storage,
            headers_enabled=True,
            strategy="fixed-window",
        )
        for name in ("api.summarize", "api.translate", "api.detect", "jobs.submit", "libretranslate.translate", "libretranslate.detect"):
            if name in app.view_functions:  # the LibreTranslate routes may be switched off
                app.view_functions[name] = limiter.limit(settings.rate_limit)(app.view_functions[name])
        app.extensions["summarizer.limiter"] = limiter

    if settings.cors_origins:
        from flask_cors import CORS

        CORS(
            app,
            resources={r"/api/*": {"origins": [o.strip() for o in settings.cors_origins.split(",")]}},
            allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if keys is not None and response.status_code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="summarizer"'
        return response
