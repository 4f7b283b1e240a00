"""OpenTelemetry traces reach an OTLP receiver; token cost shows in usage, logs and metrics."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.app.helpers import PRODUCT, metric, sse_events
from tests.conftest import Server, ServerFactory


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver: keeps every span it is sent."""

    spans: list[dict[str, Any]]
    services: set[str]


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            for attribute in resource_spans.resource.attributes:
                if attribute.key == "service.name":
                    self.server.services.add(attribute.value.string_value)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.server.spans.append(
                        {
                            "name": span.name,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                            "error": span.status.code == 2,
                            "attributes": {
                                a.key: a.value.string_value or a.value.int_value
                                for a in span.attributes
                            },
                        }
                    )
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), _Handler)
    server.spans, server.services = [], set()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def wait_for(receiver: Receiver, name: str, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Spans received so far, once one named `name` is among them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(s["name"] == name for s in receiver.spans):
            return list(receiver.spans)
        time.sleep(0.1)
    raise AssertionError(f"no span {name!r}; got {[s['name'] for s in receiver.spans]}")


def test_agent_request_model_and_tool_spans_in_one_trace(
    servers: ServerFactory, receiver: Receiver
) -> None:
    server = servers.start(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.server_port}",
            "OTEL_SERVICE_NAME": "llmchain-test",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        }
    )
    response = httpx.post(
        f"{server.url}/v1/agent",
        json={"session_id": "traced", "message": "what is 12*7?"},
        timeout=30,
    )
    assert response.status_code == 200
    spans = wait_for(receiver, "POST /v1/agent")
    assert receiver.services == {"llmchain-test"}
    request = next(s for s in spans if s["name"] == "POST /v1/agent")
    trace = [s for s in spans if s["trace_id"] == request["trace_id"]]
    names = [s["name"] for s in trace]
    assert "tool calculator" in names
    assert names.count("llm fake-echo") == 2  # asked for the tool, then answered
    by_id = {s["span_id"]: s for s in trace}

    def ancestors(span: dict[str, Any]) -> list[str]:
        chain = []
        while span["parent"] in by_id:
            span = by_id[span["parent"]]
            chain.append(span["name"])
        return chain

    tool = next(s for s in trace if s["name"] == "tool calculator")
    assert "POST /v1/agent" in ancestors(tool)  # nested under the request, not a trace apart
    model = next(s for s in trace if s["name"] == "llm fake-echo")
    assert model["attributes"]["gen_ai.request.model"] == "fake-echo"
    assert model["attributes"]["gen_ai.usage.output_tokens"] > 0
    # The access log names the trace, so logs lead to traces.
    access = [
        json.loads(line)
        for line in server.logs().splitlines()
        if line.startswith("{") and '"route":"/v1/agent"' in line
    ]
    assert access[-1]["trace_id"] == request["trace_id"]


def test_a_failed_model_call_is_an_error_span(servers: ServerFactory, receiver: Receiver) -> None:
    server = servers.start(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.server_port}",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "LLMCHAIN_FAKE_FAIL_FIRST": "1",
            "LLMCHAIN_RETRY_ATTEMPTS": "2",
        }
    )
    response = httpx.post(f"{server.url}{PRODUCT}/invoke", json={"input": {"product": "x"}})
    assert response.status_code == 200
    spans = wait_for(receiver, "POST /v1/chains/{name}/invoke")
    models = [s for s in spans if s["name"] == "llm fake-echo"]
    assert [s["error"] for s in models] == [True, False]  # the retry shows in the trace


def test_no_endpoint_no_tracing(service: Server) -> None:
    response = httpx.post(f"{service.url}{PRODUCT}/invoke", json={"input": {"product": "x"}})
    assert response.status_code == 200
    assert "trace_id" not in service.logs()


PRICES = json.dumps({"fake-echo": [1000.0, 2000.0]})  # USD per million tokens, for the test


def test_cost_in_usage_logs_and_metrics_streaming_included(servers: ServerFactory) -> None:
    server = servers.start({"LLMCHAIN_PRICES": PRICES})
    request = {"model": "chat", "messages": [{"role": "user", "content": "price me"}]}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        usage = client.post("/v1/chat/completions", json=request).json()["usage"]
        expected = (usage["prompt_tokens"] * 1000 + usage["completion_tokens"] * 2000) / 1e6
        assert usage["cost_usd"] == pytest.approx(expected)
        assert usage["cost_usd"] > 0
        streamed = client.post(
            "/v1/chat/completions",
            json={**request, "stream": True, "stream_options": {"include_usage": True}},
        )
        chunks = [json.loads(d) for _, d in sse_events(streamed.text) if d != "[DONE]"]
        stream_usage = chunks[-1]["usage"]
        assert stream_usage == usage  # same prompt, same answer, same bill
        spent = metric(client, "llmchain_model_cost_usd_total", model="fake-echo")
        assert spent == pytest.approx(2 * expected)
    access = [
        json.loads(line)
        for line in server.logs().splitlines()
        if line.startswith("{") and '"route":"/v1/chat/completions"' in line
    ]
    assert len(access) == 2
    for record in access:
        assert record["tokens_in"] == usage["prompt_tokens"]
        assert record["tokens_out"] == usage["completion_tokens"]
        assert record["cost_usd"] == pytest.approx(expected)
