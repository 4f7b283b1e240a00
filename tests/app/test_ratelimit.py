"""Rate limits per API key: one bucket per key, shared by replicas through Redis."""

from __future__ import annotations

import httpx

from tests.app.test_chain_routes import assert_error
from tests.conftest import Server, ServerFactory
from tests.redis import RedisServer

KEYS = {"LLMCHAIN_API_KEYS": "key-a,key-b"}
# 6 a minute with a burst of 6: the test's requests never earn a token back meanwhile
# (one every 10 s).
LIMIT = {"LLMCHAIN_RATE_LIMIT_PER_MINUTE": "6", **KEYS}


def invoke(server: Server, key: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/chains/product-description/invoke",
        json={"input": {"product": "a"}},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_in_process_limit_per_key_with_retry_after(servers: ServerFactory) -> None:
    server = servers.start(LIMIT)
    statuses = [invoke(server, "key-a").status_code for _ in range(8)]
    assert statuses == [200] * 6 + [429] * 2
    refused = invoke(server, "key-a")
    assert_error(refused, 429, "rate_limited", "too many requests; retry after")
    assert 1 <= int(refused.headers["retry-after"]) <= 10
    assert invoke(server, "key-b").status_code == 200  # another key has its own bucket
    # Probes and metrics are never limited: an orchestrator must always reach them.
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert httpx.get(f"{server.url}/metrics").status_code == 200
    # A wrong key is refused by auth before it can spend (or create) a bucket.
    assert invoke(server, "not-a-key").status_code == 401


def test_two_replicas_share_one_limit_in_redis(
    servers: ServerFactory, redis_server: RedisServer
) -> None:
    env = {**LIMIT, "LLMCHAIN_REDIS_URL": redis_server.url}
    first, second = servers.start(env), servers.start(env)
    statuses = [invoke(server, "key-a").status_code for server in [first, second] * 4]
    assert statuses.count(200) == 6, statuses  # one bucket of 6, whichever replica answers
    assert statuses[-2:] == [429, 429]
    assert invoke(second, "key-b").status_code == 200


def test_a_redis_outage_fails_open(servers: ServerFactory, redis_server: RedisServer) -> None:
    env = {**LIMIT, "LLMCHAIN_REDIS_URL": redis_server.url}
    server = servers.start(env)
    assert invoke(server, "key-a").status_code == 200
    redis_server.stop()  # the limiter's store is gone: requests still get served
    assert [invoke(server, "key-a").status_code for _ in range(8)] == [200] * 8
    assert "rate limiter unavailable, allowing requests" in server.logs()
