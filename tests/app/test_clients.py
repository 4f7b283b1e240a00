"""Real clients against the server: LangServe's RemoteRunnable and the official openai SDK."""

from __future__ import annotations

import openai
import pytest
from langserve import RemoteRunnable

from tests.conftest import Server


@pytest.fixture(scope="module")
def remote(service: Server) -> RemoteRunnable:
    return RemoteRunnable(f"{service.url}/v1/chains/product-description/")


@pytest.fixture(scope="module")
def oai(service: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{service.url}/v1", api_key="unused", max_retries=0)


def test_remote_runnable_invoke_batch_stream(remote: RemoteRunnable) -> None:
    answer = remote.invoke({"product": "a kite"})
    assert "Write a product description for a kite." in answer
    batch = remote.batch([{"product": "a kite"}, {"product": "a drum"}])
    assert batch[0] == answer and "a drum" in batch[1]
    chunks = list(remote.stream({"product": "a kite"}))
    assert len(chunks) > 3
    assert "".join(chunks) == answer


async def test_remote_runnable_async(remote: RemoteRunnable) -> None:
    answer = await remote.ainvoke({"product": "a bell"})
    chunks = [c async for c in remote.astream({"product": "a bell"})]
    assert "".join(chunks) == answer


def test_remote_runnable_sees_server_errors(remote: RemoteRunnable) -> None:
    import httpx

    with pytest.raises(httpx.HTTPStatusError) as info:
        remote.invoke({"colour": "red"})
    assert info.value.response.status_code == 422
    assert "missing input variable(s): product" in info.value.response.text


def test_openai_models(oai: openai.OpenAI) -> None:
    ids = [model.id for model in oai.models.list()]
    assert ids[0] == "chat"
    assert {"product-description", "summarize", "extract-keywords"} <= set(ids)


def test_openai_completion_on_a_chain(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="product-description", messages=[{"role": "user", "content": "a garden hose"}]
    )
    assert "Write a product description for a garden hose." in completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_openai_stream_with_usage(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="product-description",
            messages=[{"role": "user", "content": "a garden hose"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "a garden hose" in text
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_openai_chain_with_several_variables_takes_json(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="summarize",
        messages=[{"role": "user", "content": '{"text": "long story", "max_words": "5"}'}],
    )
    assert "long story" in completion.choices[0].message.content
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(
            model="summarize", messages=[{"role": "user", "content": "just text"}]
        )
    assert "send the last user message as a JSON object" in str(info.value)


def test_openai_chat_with_memory_by_user(oai: openai.OpenAI, service: Server) -> None:
    first = oai.chat.completions.create(
        model="chat", user="sdk-user", messages=[{"role": "user", "content": "I like tea"}]
    )
    assert "turn 1: I like tea" in first.choices[0].message.content
    streamed = oai.chat.completions.create(
        model="chat",
        user="sdk-user",
        messages=[{"role": "user", "content": "what do I like?"}],
        stream=True,
    )
    text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert "turn 2: what do I like?" in text  # the model saw the first turn
    import httpx

    history = httpx.get(f"{service.url}/v1/chat/sdk-user").json()["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert history[3]["content"] == text


def test_openai_chat_without_user_is_stateless(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="chat",
        messages=[
            {"role": "system", "content": "be short"},
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "two"},
        ],
    )
    assert "turn 2: two" in completion.choices[0].message.content


def test_openai_unknown_model_is_404(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        oai.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "x"}])
    assert "unknown model 'gpt-9'" in str(info.value)


async def test_remote_runnable_astream_log(remote: RemoteRunnable) -> None:
    from langchain_core.tracers.log_stream import RunLog

    state = RunLog(state=None)  # type: ignore[arg-type]  # as LangChain starts its own log
    async for patch in remote.astream_log({"product": "a lamp"}):
        state = state + patch
    # The log's final state is the chain's answer, and its steps are the chain's runnables.
    assert "Write a product description for a lamp." in state.state["final_output"]
    assert {"ChatPromptTemplate", "FakeChatModel"} <= {
        entry["name"] for entry in state.state["logs"].values()
    }


async def test_remote_runnable_astream_events(remote: RemoteRunnable) -> None:
    from langchain_core.messages import AIMessageChunk

    events = [e async for e in remote.astream_events({"product": "a fan"}, version="v2")]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "on_chain_start" and kinds[-1] == "on_chain_end"
    chunks = [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]
    assert chunks and all(isinstance(c, AIMessageChunk) for c in chunks)  # rebuilt as LangChain's
    assert "a fan" in "".join(str(c.content) for c in chunks)
    assert "Write a product description for a fan." in events[-1]["data"]["output"]


async def test_remote_runnable_astream_log_sees_input_errors(remote: RemoteRunnable) -> None:
    import httpx

    with pytest.raises(httpx.HTTPStatusError) as info:
        async for _ in remote.astream_log({"colour": "red"}):
            pass
    assert info.value.response.status_code == 422


def test_schema_routes_as_langserve_serves_them(service: Server) -> None:
    import httpx

    base = f"{service.url}/v1/chains/summarize"
    config = httpx.get(f"{base}/config_schema")
    assert config.status_code == 200, config.text
    assert config.json()["type"] == "object" and config.json()["properties"] == {}
    assert httpx.get(f"{base}/input_schema").json()["required"] == ["text", "max_words"]
    assert httpx.get(f"{base}/output_schema").json()["type"] == "string"
    assert httpx.get(f"{service.url}/v1/chains/nope/config_schema").status_code == 404
