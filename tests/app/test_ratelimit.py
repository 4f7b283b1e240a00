"""Rate limits per API key: one bucket per key, shared by replicas through Redis."""

from __future__ import annotations

import signal
import time

import httpx

from tests.app.helpers import assert_error
from tests.conftest import Server, ServerFactory, free_port
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


def test_a_redis_outage_falls_back_to_per_replica_limits(
    servers: ServerFactory, redis_server: RedisServer
) -> None:
    """Redis gone: requests are still served, and still limited, by this replica alone."""
    env = {**LIMIT, "LLMCHAIN_REDIS_URL": redis_server.url}
    server = servers.start(env)
    assert invoke(server, "key-a").status_code == 200
    redis_server.stop()  # the limiter's store is gone: requests still get served
    # The replica's own bucket (as large as the shared one) takes over, not "no limit".
    assert [invoke(server, "key-a").status_code for _ in range(8)] == [200] * 6 + [429] * 2
    assert "is unreachable" in server.logs()
    assert "counted by each replica alone" in server.logs()


def limiter_metrics(server: Server) -> tuple[float, float]:
    """(failed Redis calls so far, whether the breaker is open) from /metrics."""
    failures, breaker = 0.0, 0.0
    for line in httpx.get(f"{server.url}/metrics", timeout=30).text.splitlines():
        if line.startswith("llmchain_rate_limiter_failures_total{"):
            failures += float(line.rsplit(" ", 1)[1])
        elif line.startswith("llmchain_rate_limiter_breaker_open "):
            breaker = float(line.rsplit(" ", 1)[1])
    return failures, breaker


def test_a_frozen_redis_is_skipped_by_the_breaker_then_used_again(
    servers: ServerFactory, redis_server: RedisServer
) -> None:
    """SIGSTOP: Redis accepts connections but never answers, the worst case for a client."""
    env = {
        **KEYS,
        "LLMCHAIN_RATE_LIMIT_PER_MINUTE": "10",
        "LLMCHAIN_REDIS_URL": redis_server.url,
        "LLMCHAIN_REDIS_BREAKER_COOLDOWN_S": "2",
    }
    server = servers.start(env)
    assert invoke(server, "key-a").status_code == 200
    assert limiter_metrics(server) == (0.0, 0.0)
    assert redis_server.proc is not None
    redis_server.proc.send_signal(signal.SIGSTOP)
    try:
        frozen = [invoke(server, "key-b").status_code for _ in range(15)]
        # Limited in-process meanwhile: key-b's own bucket of 10, then 429.
        assert frozen == [200] * 10 + [429] * 5
        failures, breaker = limiter_metrics(server)
        # Only the calls before the breaker opened (3), and at most a probe per cool-down,
        # waited for Redis: not one wait per request.
        assert 3 <= failures < len(frozen), failures
        assert breaker == 1.0
    finally:
        redis_server.proc.send_signal(signal.SIGCONT)
    for _ in range(40):  # after a cool-down one request probes Redis and closes the breaker
        invoke(server, "key-b")
        if limiter_metrics(server)[1] == 0.0:
            break
        time.sleep(0.25)
    else:
        raise AssertionError(f"the breaker never closed:\n{server.logs()[-3000:]}")
    # Shared again: key-a's bucket in Redis still holds what it had (9 of 10 left).
    statuses = [invoke(server, "key-a").status_code for _ in range(10)]
    assert statuses == [200] * 9 + [429], statuses
    assert "answers again" in server.logs()


def test_an_unreachable_redis_at_start_is_warned_about(servers: ServerFactory) -> None:
    """The service starts, says so, and limits each replica on its own."""
    env = {**LIMIT, "LLMCHAIN_REDIS_URL": f"redis://:s3cret@127.0.0.1:{free_port()}/0"}
    server = servers.start(env)
    logs = server.logs()
    assert "LLMCHAIN_REDIS_URL redis://127.0.0.1:" in logs
    assert "is unreachable" in logs
    assert "s3cret" not in logs
    assert [invoke(server, "key-a").status_code for _ in range(7)] == [200] * 6 + [429]
    failures, breaker = limiter_metrics(server)
    assert failures == 1.0  # the start-up check; the breaker kept requests off Redis
    assert breaker == 1.0
