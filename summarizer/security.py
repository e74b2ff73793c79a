"""Who may call the API and how often, and the headers that protect the page.

* API keys (optional): `python -m summarizer keys add NAME` prints a new key once
  and stores only its SHA-256; requests send `Authorization: Bearer KEY` or
  `X-API-Key: KEY`; hashes are compared with hmac.compare_digest.
* Rate limits (Flask-Limiter): one moving-window budget shared by the API's POST
  endpoints and the web form, per API key, else per client address; in memory by
  default, `SUMMARIZER_RATE_LIMIT_STORAGE=redis://...` for several instances.
* Security headers on every response; CORS off unless origins are configured.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from flask import Flask, g, request
from flask.typing import RouteCallable

from .errors import Forbidden, SummarizerError, Unauthorized

log = logging.getLogger(__name__)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
PROTECTED_PREFIX = "/api/"
# The views that run the pipeline; they share one rate-limit budget per client.
LIMITED_VIEWS = (
    "api.summarize",
    "api.translate",
    "api.detect",
    "web.submit",
    "jobs.submit",
    "libretranslate.translate",
    "libretranslate.detect",
)
# Flask-Limiter puts Retry-After on every response it counts; it writes it under this name instead, and
# the value is moved to Retry-After on a 429 only (a 503 keeps the queue's own Retry-After).
_LIMITER_RETRY_AFTER = "X-Summarizer-Limit-Retry-After"
OPEN_PATHS = {"/api/v1/openapi.json"}


class KeyFileError(SummarizerError):
    """The key file cannot be read as a key file: no key can be checked until it is fixed."""

    status = 503
    code = "key_file_unreadable"


class KeyStore:
    """API keys kept as SHA-256 hashes in a JSON file; the keys themselves are never stored.

    Changes hold an exclusive lock on a file beside it (KEYFILE.lock) from reading to replacing, so
    concurrent `keys add` commands each see the others' keys; the file is replaced atomically.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._read: tuple[tuple[int, int, int], dict] | None = None  # (the file's identity, its keys)

    def check(self) -> None:
        """Raise KeyFileError, naming the file, if it exists but is not a valid key file."""
        self._load()

    def _load(self) -> dict:
        """The keys; the file is parsed again only when it changed (a new inode, size or time: keys revoked or
        added take effect at the next request)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise KeyFileError(f"The API key file {self.path} cannot be read: {exc}") from None
        identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if self._read is None or self._read[0] != identity:
            self._read = (identity, self._parse())
        return dict(self._read[1])  # a copy: add and revoke change theirs, and only the file changes ours

    def _parse(self) -> dict:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyFileError(f"The API key file {self.path} cannot be read: {exc}") from None
        try:
            keys = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KeyFileError(f"The API key file {self.path} is not valid JSON ({exc}); fix or remove it") from None
        valid = isinstance(keys, dict) and all(
            isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64
            for entry in keys.values()
        )
        if not valid:
            raise KeyFileError(
                f'The API key file {self.path} is not a key file (expected {{name: {{"sha256": ...}}}}); '
                "fix or remove it"
            )
        return keys

    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _save(self, keys: dict) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(keys, handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)  # atomic: never a half-written key file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, name: str) -> str:
        """Create a key for name and return it (shown once); ValueError if the name exists, KeyFileError."""
        key = "sk_" + secrets.token_urlsafe(32)
        with self._locked():
            keys = self._load()
            if name in keys:
                raise ValueError(f"a key named {name!r} exists; revoke it first")
            keys[name] = {"sha256": _digest(key), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            self._save(keys)
        return key

    def revoke(self, name: str) -> bool:
        """Remove a key; False if there was none by that name; KeyFileError."""
        with self._locked():
            keys = self._load()
            if keys.pop(name, None) is None:
                return False
            self._save(keys)
        return True

    def names(self) -> list[str]:
        """The names of the stored keys."""
        return sorted(self._load())

    def name_of(self, key: str) -> str:
        """The name of a valid key; Forbidden for any other; KeyFileError, without the server's path, when the
        file is damaged (the log names it)."""
        try:
            name = self.verify(key)
        except KeyFileError as exc:
            log.error("%s", exc.message)
            raise KeyFileError("API keys cannot be checked: the server's key file is damaged") from None
        if name is None:
            raise Forbidden("The API key is not valid")
        return name

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
    if keys is not None:
        keys.check()  # a corrupt key file stops start-up, naming the file, rather than refusing every caller

    @app.before_request
    def _authenticate():
        if keys is None or not request.path.startswith(PROTECTED_PREFIX) or request.path in OPEN_PATHS:
            return
        if request.method == "OPTIONS":
            return
        key = _presented_key()
        if key is None:
            raise Unauthorized("An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        g.api_key_name = keys.name_of(key)

    if settings.rate_limit:
        _init_rate_limit(app, settings)

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


def _init_rate_limit(app: Flask, settings) -> None:
    """One moving-window limit shared by the pipeline's views, per key or address; Retry-After only on 429."""
    from flask_limiter import HeaderNames, Limiter

    @app.after_request
    def _retry_after_only_when_refused(response):
        # Registered before the Limiter, so it runs after the Limiter has added its headers.
        limiter_retry = response.headers.pop(_LIMITER_RETRY_AFTER, None)
        if response.status_code == 429 and limiter_retry is not None:
            response.headers["Retry-After"] = limiter_retry
        return response

    limiter = Limiter(
        client_identity,
        app=app,
        # with SUMMARIZER_REDIS_URL the limit is shared by every replica, unless a storage is named
        storage_uri=settings.redis_url
        if settings.redis_url and settings.rate_limit_storage == "memory://"
        else settings.rate_limit_storage,
        headers_enabled=True,
        header_name_mapping={HeaderNames.RETRY_AFTER: _LIMITER_RETRY_AFTER},
        # A fixed window lets twice the limit through around a window boundary; a moving window never does.
        strategy="moving-window",
    )
    shared = limiter.shared_limit(settings.rate_limit, scope="pipeline")
    for name in LIMITED_VIEWS:
        if name in app.view_functions:  # the LibreTranslate routes may be switched off
            # The decorator keeps the view's signature; mypy cannot carry Flask's union of sync and async view
            # types through its ParamSpec, so it is restated.
            app.view_functions[name] = cast(RouteCallable, shared(app.view_functions[name]))
    app.extensions["summarizer.limiter"] = limiter
