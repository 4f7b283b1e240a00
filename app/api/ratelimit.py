"""Rate limits per API key: a token bucket, in Redis when replicas must share it."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.auth import PROTECTED_PREFIX, presented_key
from app.api.middleware import send_json
from app.core.errors import error_body

log = logging.getLogger(__name__)
MAX_MEMORY_BUCKETS = 10_000

# Atomic in Redis: refill by elapsed time (Redis's clock, the same for every replica),
# take one token or say how long until one is there.
BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class Bucket(Protocol):
    """Takes one token for a key; returns 0 when allowed, else seconds to wait."""

    async def take(self, key: str) -> float: ...


class MemoryBucket:
    """One process's buckets: right for a single replica."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60
        self.burst = burst
        self.buckets: dict[str, tuple[float, float]] = {}

    async def take(self, key: str) -> float:
        """Refill by elapsed time, then take one token (or say how long to wait)."""
        now = time.monotonic()
        if len(self.buckets) > MAX_MEMORY_BUCKETS:  # forget keys idle long enough to be full
            full_after = self.burst / self.rate
            self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < full_after}
        tokens, then = self.buckets.get(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            return 0.0
        self.buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate


class RedisBucket:
    """Buckets in Redis: every replica draws from the same one per key."""

    def __init__(self, url: str, per_minute: int, burst: int) -> None:
        import redis.asyncio as redis  # imported only when a Redis URL is configured

        self.client: Any = redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.script = self.client.register_script(BUCKET_LUA)
        self.rate = per_minute / 60
        self.burst = burst

    async def take(self, key: str) -> float:
        """One round trip: the script refills and takes atomically."""
        wait = await self.script(keys=[f"llmchain:ratelimit:{key}"], args=[self.rate, self.burst])
        return float(wait)


def client_key(scope: Scope) -> str:
    """Whom a request counts against: its API key (hashed), else its address."""
    presented = presented_key(scope)
    if presented:
        return "key:" + hashlib.sha256(presented.encode()).hexdigest()[:16]
    client = scope.get("client") or ("unknown", 0)
    return f"ip:{client[0]}"


class RateLimitMiddleware:
    """429 with Retry-After when a key has used its requests; Redis outages fail open."""

    def __init__(self, app: ASGIApp, bucket: Bucket) -> None:
        self.app = app
        self.bucket = bucket
        self._warned = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PROTECTED_PREFIX):
            try:
                wait = await self.bucket.take(client_key(scope))
            except Exception as exc:  # the limiter must not take the service down with it
                if time.monotonic() - self._warned > 60:
                    self._warned = time.monotonic()
                    log.warning(
                        "rate limiter unavailable, allowing requests: %s", type(exc).__name__
                    )
                wait = 0.0
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                body = error_body("rate_limited", f"too many requests; retry after {seconds} s")
                await send_json(send, 429, body, [(b"retry-after", str(seconds).encode())])
                return
        await self.app(scope, receive, send)
