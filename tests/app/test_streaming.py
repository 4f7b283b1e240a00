"""SSE behind load balancers: headers, keep-alive comments, and cancelling on disconnect."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.app.helpers import PRODUCT, metric, sse_events
from tests.conftest import ServerFactory


def test_stream_headers_for_proxies(servers: ServerFactory) -> None:
    server = servers.start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for path, body in [
            (f"{PRODUCT}/stream", {"input": {"product": "x"}}),
            (
                "/v1/chat/completions",
                {"model": "chat", "stream": True, "messages": [{"role": "user", "content": "x"}]},
            ),
        ]:
            response = client.post(path, json=body)
            assert response.headers["cache-control"] == "no-cache"
            assert response.headers["x-accel-buffering"] == "no"
            assert response.headers["content-type"].startswith("text/event-stream")
        assert response.text.rstrip().endswith("data: [DONE]")


def test_keep_alive_comment_while_the_model_thinks(servers: ServerFactory) -> None:
    server = servers.start({"LLMCHAIN_FAKE_LATENCY_MS": "2500", "LLMCHAIN_SSE_PING_S": "0.5"})
    with httpx.Client(base_url=server.url, timeout=30) as client:
        text = client.post(f"{PRODUCT}/stream", json={"input": {"product": "x"}}).text
    before_data = text.split("event: data")[0]
    assert re.search(r"^: ping", before_data, re.MULTILINE), before_data


def test_client_disconnect_cancels_the_model_call(servers: ServerFactory) -> None:
    server = servers.start({"LLMCHAIN_FAKE_TOKEN_LATENCY_MS": "300"})
    with httpx.Client(base_url=server.url, timeout=30) as client:
        with client.stream("POST", f"{PRODUCT}/stream", json={"input": {"product": "x"}}) as r:
            for line in r.iter_lines():
                if line.startswith("event: data"):
                    break  # got a token: hang up mid-stream
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if metric(client, "llmchain_model_calls_total", outcome="cancelled") >= 1:
                break
            time.sleep(0.1)
        assert metric(client, "llmchain_model_calls_total", outcome="cancelled") == 1
        assert metric(client, "llmchain_model_calls_total", outcome="ok") == 0
        assert metric(client, "llmchain_model_calls_in_flight", provider="fake") == 0


def test_stream_error_event_when_the_provider_fails(servers: ServerFactory) -> None:
    from tests.conftest import free_port

    server = servers.start(
        {
            "LLMCHAIN_PROVIDER": "openai-compatible",
            "LLMCHAIN_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        }
    )
    with httpx.Client(base_url=server.url, timeout=60) as client:
        text = client.post(f"{PRODUCT}/stream", json={"input": {"product": "x"}}).text
        assert "event: error" in text
        assert '"status_code":502' in text
        assert "unreachable" in text
        oai = client.post(
            "/v1/chat/completions",
            json={"model": "chat", "stream": True, "messages": [{"role": "user", "content": "x"}]},
        ).text
        assert '"type":"provider_error"' in oai


def test_sigterm_lets_a_stream_and_a_request_in_flight_finish(servers: ServerFactory) -> None:
    env = {
        "LLMCHAIN_FAKE_LATENCY_MS": "1500",
        "LLMCHAIN_FAKE_TOKEN_LATENCY_MS": "100",
        "LLMCHAIN_SHUTDOWN_GRACE_S": "20",
    }
    server = servers.start(env)
    body = {"input": {"product": "a slow answer"}}
    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=server.url, timeout=30) as client:
        stream = pool.submit(client.post, f"{PRODUCT}/stream", json=body)
        invoke = pool.submit(client.post, f"{PRODUCT}/invoke", json=body)
        time.sleep(0.5)  # both are waiting on the model
        server.proc.send_signal(signal.SIGTERM)
        streamed, invoked = stream.result(30), invoke.result(30)
    assert server.proc.wait(30) == 0
    assert invoked.status_code == 200
    assert invoked.json()["output"].endswith("a slow answer.")
    events = sse_events(streamed.text)
    assert events[-1][0] == "end"
    assert "".join(json.loads(d) for e, d in events if e == "data") == invoked.json()["output"]


def test_a_stream_cut_by_a_short_grace_ends_with_an_error_event(servers: ServerFactory) -> None:
    """SIGTERM with a 2 s grace while slow answers stream: each ends with an error event
    (LangServe's `error` event; OpenAI's error object) instead of just stopping."""
    server = servers.start(
        {"LLMCHAIN_FAKE_TOKEN_LATENCY_MS": "400", "LLMCHAIN_SHUTDOWN_GRACE_S": "2"}
    )
    long = " ".join(["word"] * 60)  # 60+ tokens at 400 ms: far beyond the grace period

    def chain_stream(started: threading.Event) -> list[str]:
        with (
            httpx.Client(base_url=server.url, timeout=30) as client,
            client.stream("POST", f"{PRODUCT}/stream", json={"input": {"product": long}}) as r,
        ):
            lines = []
            for line in r.iter_lines():
                lines.append(line)
                if line.startswith("event: data"):
                    started.set()
            return lines

    def openai_stream(started: threading.Event) -> list[str]:
        body = {
            "model": "chat",
            "user": "cut-by-stop",
            "stream": True,
            "messages": [{"role": "user", "content": long}],
        }
        with (
            httpx.Client(base_url=server.url, timeout=30) as client,
            client.stream("POST", "/v1/chat/completions", json=body) as r,
        ):
            lines = []
            for line in r.iter_lines():
                lines.append(line)
                if '"content":"[' in line:
                    started.set()
            return lines

    events = [threading.Event(), threading.Event()]
    with ThreadPoolExecutor(2) as pool:
        chain = pool.submit(chain_stream, events[0])
        oai = pool.submit(openai_stream, events[1])
        for event in events:
            assert event.wait(30), "no token streamed"
        server.proc.send_signal(signal.SIGTERM)
        chain_lines, oai_lines = chain.result(30), oai.result(30)
    assert server.proc.wait(30) == 0

    chain_events = sse_events("\n".join(chain_lines))
    assert chain_events[-1][0] == "error", chain_events[-3:]
    error = json.loads(chain_events[-1][1])
    assert error["status_code"] == 503
    assert "LLMCHAIN_SHUTDOWN_GRACE_S" in error["message"]

    data = [line[6:] for line in oai_lines if line.startswith("data: ")]
    last = json.loads(data[-1])
    assert last["error"]["type"] == "unavailable", data[-3:]
    assert last["error"]["code"] == "shutting_down"
    assert "LLMCHAIN_SHUTDOWN_GRACE_S" in last["error"]["message"]
    assert "[DONE]" not in data


def test_a_stream_longer_than_the_request_timeout_ends_with_a_timeout_event(
    servers: ServerFactory,
) -> None:
    """LLMCHAIN_REQUEST_TIMEOUT_S bounds a stream as it bounds a call (issue 17 item 20)."""
    server = servers.start(
        {"LLMCHAIN_FAKE_TOKEN_LATENCY_MS": "300", "LLMCHAIN_REQUEST_TIMEOUT_S": "2"}
    )
    long = " ".join(["word"] * 60)  # 60+ tokens at 300 ms each
    with httpx.Client(base_url=server.url, timeout=30) as client:
        events = sse_events(
            client.post(f"{PRODUCT}/stream", json={"input": {"product": long}}).text
        )
        body = {"model": "chat", "stream": True, "messages": [{"role": "user", "content": long}]}
        data = [
            line[6:]
            for line in client.post("/v1/chat/completions", json=body).text.splitlines()
            if line.startswith("data: ")
        ]
        logged = sse_events(
            client.post(f"{PRODUCT}/stream_log", json={"input": {"product": long}}).text
        )
    assert logged[-1][0] == "error"
    assert json.loads(logged[-1][1])["status_code"] == 504
    assert [e for e, _ in events].count("data") >= 1  # it streamed, then it was cut
    assert events[-1][0] == "error"
    error = json.loads(events[-1][1])
    assert error["status_code"] == 504
    assert "LLMCHAIN_REQUEST_TIMEOUT_S" in error["message"]
    last = json.loads(data[-1])
    assert last["error"]["type"] == "timeout"
    assert "LLMCHAIN_REQUEST_TIMEOUT_S" in last["error"]["message"]
