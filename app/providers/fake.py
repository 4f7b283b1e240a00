"""The `fake` provider: a deterministic, offline chat model answering from the prompt.

It can also call tools (so the agent works offline) and fail on purpose (so retries,
fallbacks and timeouts can be tested and drilled): `failure_rate` of its calls, or its
first `fail_first` calls, raise a 429, a 500, or hang.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.exceptions import ModelAPIError, ModelRateLimitError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCall
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field, PrivateAttr

_TOKEN = re.compile(r"\S+\s*")


def count_tokens(text: str) -> int:
    """A whitespace token count: what the fake model reports as usage."""
    return len(_TOKEN.findall(text))


def fake_reply(messages: Sequence[BaseMessage], model_name: str) -> str:
    """The answer for a prompt: the last user message, the turn and a digest of the prompt.

    The digest lets tests tell any two prompts apart; the turn number (user messages
    seen) shows that chat memory reached the model.
    """
    human = [m for m in messages if m.type == "human"]
    last = human[-1].text if human else ""
    prompt = "\n".join(f"{m.type}: {m.text}" for m in messages)
    digest = hashlib.sha256(prompt.encode()).hexdigest()[:8]
    if "json" in prompt.lower():
        return json.dumps({"answer": last, "turn": len(human), "id": digest})
    return f"[{model_name} {digest}] turn {len(human)}: {last}"


_ARITHMETIC = re.compile(
    r"[-+*/%().\d\s^]*\d[-+*/%().\d\s^]*[-+*/%^][-+*/%().\d\s^]*\d[-+*/%().\d\s^]*"
)
_TIME = re.compile(r"\btime\b.*?\bin\s+([A-Za-z_]+(?:/[A-Za-z_]+)+|UTC)", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")
_LOOKUP = re.compile(r"\b(?:look ?up|search|find|docs? (?:about|on))\s+(.+)", re.IGNORECASE)


def choose_tool(question: str, tools: set[str]) -> tuple[str, dict[str, str]] | None:
    """The tool a careful assistant would call for this question, if any (deterministic)."""
    if "http_get" in tools and (match := _URL.search(question)):
        return "http_get", {"url": match.group(0).rstrip(".,?!")}
    if "current_time" in tools and (match := _TIME.search(question)):
        return "current_time", {"timezone": match.group(1)}
    if "lookup" in tools and (match := _LOOKUP.search(question)):
        return "lookup", {"query": match.group(1).rstrip("?.! ")}
    if "calculator" in tools and (match := _ARITHMETIC.search(question)):
        return "calculator", {"expression": match.group(0).strip()}
    return None


class FakeProviderError(Exception):
    """An injected failure shaped like a provider's (status code, Retry-After)."""


class FakeRateLimited(FakeProviderError, ModelRateLimitError):
    """An injected 429."""

    status_code = 429

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("fake provider: rate limited (injected 429)")
        self.retry_after = retry_after


class FakeServerError(FakeProviderError, ModelAPIError):
    """An injected 500."""

    status_code = 500

    def __init__(self) -> None:
        super().__init__("fake provider: internal error (injected 500)")


class FakeChatModel(BaseChatModel):
    """Answers without a network; `latency_ms` delays the first token without blocking."""

    model_name: str = "fake-echo"
    temperature: float = 0.7
    max_tokens: int | None = None
    latency_ms: int = 0
    token_latency_ms: int = 0
    failure_rate: float = 0.0
    failure_kind: Literal["429", "500", "hang"] = "500"
    fail_first: int = 0
    failure_seed: int | None = None
    tool_names: list[str] = Field(default_factory=list)
    _calls: int = PrivateAttr(default=0)
    _random: random.Random = PrivateAttr(default_factory=random.Random)

    def model_post_init(self, context: Any) -> None:
        """Seed the fault dice, so a drill can be replayed."""
        if self.failure_seed is not None:
            self._random.seed(self.failure_seed)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, AIMessage]:
        """Remember which tools exist; `choose_tool` picks among them."""
        names = [convert_to_openai_tool(t)["function"]["name"] for t in tools]
        return self.model_copy(update={"tool_names": names})

    def _fault(self) -> BaseException | None:
        """The failure this call suffers, if any (the first `fail_first`, then by rate)."""
        self._calls += 1
        failing = self._calls <= self.fail_first or (
            self.failure_rate > 0 and self._random.random() < self.failure_rate
        )
        if not failing:
            return None
        if self.failure_kind == "429":
            return FakeRateLimited(retry_after=0.05)
        if self.failure_kind == "500":
            return FakeServerError()
        return TimeoutError()  # "hang": raised by the caller after sleeping

    async def _afault(self) -> None:
        fault = self._fault()
        if isinstance(fault, TimeoutError):
            await asyncio.sleep(3600)  # a provider that never answers; cancelled by timeouts
        if fault is not None:
            raise fault

    def _tool_call(self, messages: Sequence[BaseMessage]) -> AIMessage | None:
        """With tools bound: call one for a fresh question, or answer from a tool's result."""
        if not self.tool_names or not messages:
            return None
        last = messages[-1]
        if last.type == "tool":  # answer from what the tool said, failure included
            if getattr(last, "status", "success") == "error":
                return AIMessage(content=f"The {last.name} tool failed: {last.text}")
            if last.name == "calculator":
                return AIMessage(content=f"The result is {last.text}.")
            return AIMessage(content=f"According to {last.name}: {last.text}")
        if last.type != "human":
            return None
        choice = choose_tool(last.text, set(self.tool_names))
        if choice is None:
            return None
        name, args = choice
        call_id = "call_" + hashlib.sha256(f"{name}{args}{len(messages)}".encode()).hexdigest()[:12]
        return AIMessage(content="", tool_calls=[ToolCall(name=name, args=args, id=call_id)])

    @property
    def _llm_type(self) -> str:
        return "llmchain-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature}

    def _tokens(
        self,
        messages: Sequence[BaseMessage],
        stop: Sequence[str] | None = None,
        max_tokens: int | None = None,
    ) -> tuple[list[str], UsageMetadata]:
        """The reply split into tokens, cut before a stop sequence and at max tokens (the
        model's own, or the call's when lower), and its usage."""
        text = fake_reply(messages, self.model_name)
        for sequence in stop or ():
            if sequence and sequence in text:
                text = text[: text.index(sequence)]
        tokens = _TOKEN.findall(text)
        limits = [n for n in (self.max_tokens, max_tokens) if n is not None]
        if limits:
            tokens = tokens[: min(limits)]
        prompt_tokens = sum(count_tokens(m.text) for m in messages)
        usage = UsageMetadata(
            input_tokens=prompt_tokens,
            output_tokens=len(tokens),
            total_tokens=prompt_tokens + len(tokens),
        )
        return tokens, usage

    def _result(
        self,
        messages: Sequence[BaseMessage],
        stop: Sequence[str] | None = None,
        max_tokens: int | None = None,
    ) -> ChatResult:
        tool_message = self._tool_call(messages)
        if tool_message is not None:
            prompt_tokens = sum(count_tokens(m.text) for m in messages)
            out = count_tokens(tool_message.text) + len(tool_message.tool_calls)
            tool_message.usage_metadata = UsageMetadata(
                input_tokens=prompt_tokens, output_tokens=out, total_tokens=prompt_tokens + out
            )
            tool_message.response_metadata = {"model_name": self.model_name}
            return ChatResult(generations=[ChatGeneration(message=tool_message)])
        tokens, usage = self._tokens(messages, stop, max_tokens)
        message = AIMessage(
            content="".join(tokens),
            usage_metadata=usage,
            response_metadata={"model_name": self.model_name, "finish_reason": "stop"},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        time.sleep(self.latency_ms / 1000)
        fault = self._fault()
        if fault is not None:
            raise fault
        return self._result(messages, stop, kwargs.get("max_tokens"))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        await self._afault()
        return self._result(messages, stop, kwargs.get("max_tokens"))

    def _chunks(
        self,
        messages: Sequence[BaseMessage],
        stop: Sequence[str] | None = None,
        max_tokens: int | None = None,
    ) -> Iterator[ChatGenerationChunk]:
        tool_message = self._tool_call(messages)
        if tool_message is not None:  # tool calls come in one chunk
            message = self._result(messages).generations[0].message
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content=message.content,
                    tool_call_chunks=[
                        {
                            "name": c["name"],
                            "args": json.dumps(c["args"]),
                            "id": c["id"],
                            "index": 0,
                        }
                        for c in tool_message.tool_calls
                    ],
                    usage_metadata=getattr(message, "usage_metadata", None),
                    chunk_position="last",
                )
            )
            return
        tokens, usage = self._tokens(messages, stop, max_tokens)
        for index, token in enumerate(tokens):
            last = index == len(tokens) - 1
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content=token,
                    usage_metadata=usage if last else None,
                    response_metadata=(
                        {"model_name": self.model_name, "finish_reason": "stop"} if last else {}
                    ),
                    chunk_position="last" if last else None,
                )
            )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        time.sleep(self.latency_ms / 1000)
        fault = self._fault()
        if fault is not None:
            raise fault
        for chunk in self._chunks(messages, stop, kwargs.get("max_tokens")):
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
            time.sleep(self.token_latency_ms / 1000)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        await self._afault()
        for chunk in self._chunks(messages, stop, kwargs.get("max_tokens")):
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
            if self.token_latency_ms:
                await asyncio.sleep(self.token_latency_ms / 1000)
