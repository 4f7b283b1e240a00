"""The fake provider: deterministic, derived from the prompt, streams, waits without blocking."""

from __future__ import annotations

import asyncio
import json

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from app.providers.fake import FakeChatModel


def test_answer_is_deterministic_and_tells_inputs_apart() -> None:
    model = FakeChatModel()
    first = model.invoke([HumanMessage("red shoes")]).text
    again = model.invoke([HumanMessage("red shoes")]).text
    other = model.invoke([HumanMessage("blue shoes")]).text
    assert first == again
    assert first != other
    assert "red shoes" in first
    assert "blue shoes" in other


def test_answer_counts_the_turns_it_was_given() -> None:
    model = FakeChatModel()
    history = [HumanMessage("hi"), AIMessage("hello"), HumanMessage("and now?")]
    assert "turn 2: and now?" in model.invoke(history).text


def test_stream_is_token_by_token_and_matches_invoke() -> None:
    model = FakeChatModel()
    prompt = [SystemMessage("be brief"), HumanMessage("a lamp for reading at night")]
    chunks = list(model.stream(prompt))
    assert len(chunks) > 5
    assert "".join(c.text for c in chunks) == model.invoke(prompt).text
    assert chunks[-1].usage_metadata is not None
    assert all(c.usage_metadata is None for c in chunks[:-1])


def test_usage_and_max_tokens() -> None:
    message = FakeChatModel(max_tokens=3).invoke([HumanMessage("one two three four five")])
    assert len(message.text.split()) == 3
    assert message.usage_metadata == {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8}


def test_json_when_the_prompt_asks_for_json() -> None:
    text = FakeChatModel().invoke([SystemMessage("Answer in JSON."), HumanMessage("tea")]).text
    assert json.loads(text)["answer"] == "tea"


async def test_latency_does_not_block_the_event_loop() -> None:
    model = FakeChatModel(latency_ms=500)
    call = asyncio.create_task(model.ainvoke([HumanMessage("slow")]))
    await asyncio.sleep(0.01)
    # A blocking sleep would have run the whole call before this coroutine resumed.
    assert not call.done()
    stream = model.astream([HumanMessage("slow")])
    first = asyncio.create_task(anext(stream))  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    assert not first.done()
    assert "slow" in (await call).text
    assert (await first).text
    await stream.aclose()
