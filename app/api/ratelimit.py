"""Rate limits per API key: a token bucket, in Redis when replicas must share it.

When Redis fails or freezes, requests are limited by this replica alone (an in-process
bucket of the same size), never left unlimited: a call waits at most
LLMCHAIN_REDIS_TIMEOUT_S, and after a few failures in a row a breaker skips Redis for
LLMCHAIN_REDIS_BREAKER_COOLDOWN_S, then lets one request try it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from typing import Any, Protocol
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.auth import PROTECTED_PREFIX, presented_key
from app.api.middleware import send_json
from app.core.errors import error_body
from app.core.metrics import RATE_LIMITER_BREAKER_OPEN, RATE_LIMITER_FAILURES

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

    async def start(self) -> None:
        """Check what the bucket needs, when the app starts."""


class MemoryBucket:
    """One process's buckets: right for a single replica."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60
        self.burst = burst
        self.buckets: dict[str, tuple[float, float]] = {}

    async def start(self) -> None:
        """Nothing to check."""

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


class Breaker:
    """Skips a failing dependency: open after `threshold` failures in a row, for
    `cooldown_s`; then one call (not every waiting one) tries it again."""

    def __init__(self, threshold: int, cooldown_s: float) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.failures = 0
        self.open_until = 0.0

    @property
    def is_open(self) -> bool:
        """Whether the dependency is being skipped."""
        return self.failures >= self.threshold

    def allow(self) -> bool:
        """Whether this call may use the dependency (the probe, when a cool-down ended)."""
        if not self.is_open:
            return True
        now = time.monotonic()
        if now < self.open_until:
            return False
        self.open_until = now + self.cooldown_s  # this call probes; the others skip
        return True

    def succeeded(self) -> None:
        """The dependency answered: close."""
        self.failures = 0

    def trip(self) -> bool:
        """Open now, whatever the count; True when it was closed."""
        was_open = self.is_open
        self.failures = max(self.failures, self.threshold)
        self.open_until = time.monotonic() + self.cooldown_s
        return not was_open

    def failed(self) -> bool:
        """Count a failure; True when that opened the breaker."""
        was_open = self.is_open
        self.failures += 1
        if self.is_open:
            self.open_until = time.monotonic() + self.cooldown_s
        return self.is_open and not was_open


def redis_location(url: str) -> str:
    """host:port/db of a Redis URL, without its password, for logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


class RedisBucket:
    """Buckets in Redis: every replica draws from the same one per key."""

    FAILURES_TO_OPEN = 3

    def __init__(
        self,
        url: str,
        per_minute: int,
        burst: int,
        *,
        timeout_s: float = 0.25,
        cooldown_s: float = 10.0,
    ) -> None:
        import redis.asyncio as redis  # imported only when a Redis URL is configured
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # No retries: a slow limiter must not hold the request up; the breaker decides.
        self.client: Any = redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        self.script = self.client.register_script(BUCKET_LUA)
        self.rate = per_minute / 60
        self.burst = burst
        self.location = redis_location(url)
        # A script not yet loaded takes two round trips (EVALSHA, then EVAL).
        self.call_timeout_s = 2 * timeout_s
        self.breaker = Breaker(self.FAILURES_TO_OPEN, cooldown_s)
        self.fallback = MemoryBucket(per_minute, burst)

    async def start(self) -> None:
        """Warn, loudly, when Redis cannot be reached at start: limits are per replica then."""
        try:
            async with asyncio.timeout(self.call_timeout_s):
                await self.client.ping()
        except Exception as exc:
            self._failed(exc, at_start=True)
            return
        log.info("rate limits are shared through Redis at %s", self.location)

    def _failed(self, exc: Exception, *, at_start: bool = False) -> None:
        RATE_LIMITER_FAILURES.labels(type(exc).__name__).inc()
        opened = self.breaker.trip() if at_start else self.breaker.failed()
        if opened:
            RATE_LIMITER_BREAKER_OPEN.set(1)
            log.warning(
                "LLMCHAIN_REDIS_URL %s is unreachable (%s: %s): rate limits are counted by "
                "each replica alone until it answers; trying again in %g s",
                self.location,
                type(exc).__name__,
                str(exc).splitlines()[0] if str(exc) else "no answer",
                self.breaker.cooldown_s,
            )

    async def take(self, key: str) -> float:
        """One round trip: the script refills and takes atomically (in-process if Redis fails)."""
        if not self.breaker.allow():
            return await self.fallback.take(key)
        try:
            async with asyncio.timeout(self.call_timeout_s):
                wait = await self.script(
                    keys=[f"llmchain:ratelimit:{key}"], args=[self.rate, self.burst]
                )
        except Exception as exc:
            self._failed(exc)
            return await self.fallback.take(key)
        if self.breaker.is_open:
            log.info("Redis at %s answers again: rate limits are shared again", self.location)
            RATE_LIMITER_BREAKER_OPEN.set(0)
        self.breaker.succeeded()
        return float(wait)


def client_key(scope: Scope) -> str:
    """Whom a request counts against: its API key (hashed), else its address."""
    presented = presented_key(scope)
    if presented:
        return "key:" + hashlib.sha256(presented.encode()).hexdigest()[:16]
    client = scope.get("client") or ("unknown", 0)
    return f"ip:{client[0]}"


class RateLimitMiddleware:
    """429 with Retry-After when a key has used its requests; checks the bucket at start."""

    def __init__(self, app: ASGIApp, bucket: Bucket) -> None:
        self.app = app
        self.bucket = bucket
        self._warned = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":

            async def receive_startup() -> Message:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.bucket.start()
                return message

            await self.app(scope, receive_startup, send)
            return
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
