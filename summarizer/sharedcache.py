"""A shared Redis tier behind the local translation cache, so that web replicas and workers share translations."""

from __future__ import annotations

import hashlib
import logging

log = logging.getLogger(__name__)

PREFIX = "summarizer:tc:"


class SharedTranslationCache:
    """The local LRU first, then Redis (entries expire after ttl_s); same interface as the local cache.

    The key is what decides a translation (engine, model and its revision, decoding settings, beam size, the
    sentence); it is hashed, so no text is stored in a Redis key. Redis errors are logged and count as misses:
    the cache never fails a translation.
    """

    def __init__(self, local, client, ttl_s: int, namespace: str = ""):
        self.local = local
        self.namespace = namespace
        self.redis = client
        self.ttl_s = int(ttl_s)
        self.shared_hits = 0

    def redis_key(self, key) -> str:
        """The Redis key of a cache key: a hash of the namespace (model and revision) and the key's repr."""
        return PREFIX + hashlib.sha256(repr((self.namespace, key)).encode("utf-8")).hexdigest()

    def get(self, key) -> str | None:
        """The cached translation from this process, else from Redis, else None."""
        value = self.local.get(key)
        if value is not None:
            return value
        try:
            raw = self.redis.get(self.redis_key(key))
        except Exception as exc:  # noqa: BLE001 - Redis and connection errors: a miss, never a failed request
            log.warning("shared translation cache unavailable: %s", exc)
            return None
        if raw is None:
            return None
        value = raw.decode("utf-8")
        self.shared_hits += 1
        self.local.put(key, value)
        return value

    def put(self, key, value: str) -> None:
        """Remember a translation here and in Redis."""
        self.local.put(key, value)
        try:
            self.redis.set(self.redis_key(key), value.encode("utf-8"), ex=self.ttl_s)
        except Exception as exc:  # noqa: BLE001 - as in get
            log.warning("shared translation cache unavailable: %s", exc)

    def stats(self) -> dict:
        """The local cache's figures plus hits served from Redis."""
        return self.local.stats() | {"shared_hits": self.shared_hits}


def attach(translator, settings, store, name: str | None = None) -> None:
    """Put the shared Redis tier behind translator's cache when SUMMARIZER_REDIS_URL is set (name: its model,
    default the Arabic->English setting)."""
    if not settings.redis_url or settings.translation_cache_size <= 0:
        return
    from .worker import redis_client

    name = name or settings.translation_model
    revision = store.snapshot(name).get("commit", "") if name in store.entries else ""
    translator.cache = SharedTranslationCache(
        translator.cache, redis_client(settings.redis_url), settings.translation_cache_ttl_s, f"{name}@{revision}"
    )
