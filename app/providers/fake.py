"""The `fake` provider: a deterministic, offline chat model answering from the prompt."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

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


class FakeChatModel(BaseChatModel):
    """Answers without a network; `latency_ms` delays the first token without blocking."""

    model_name: str = "fake-echo"
    temperature: float = 0.7
    max_tokens: int | None = None
    latency_ms: int = 0
    token_latency_ms: int = 0

    @property
    def _llm_type(self) -> str:
        return "llmchain-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature}

    def _tokens(self, messages: Sequence[BaseMessage]) -> tuple[list[str], UsageMetadata]:
        """The reply split into tokens (cut at max_tokens) and its usage."""
        tokens = _TOKEN.findall(fake_reply(messages, self.model_name))
        if self.max_tokens is not None:
            tokens = tokens[: self.max_tokens]
        prompt_tokens = sum(count_tokens(m.text) for m in messages)
        usage = UsageMetadata(
            input_tokens=prompt_tokens,
            output_tokens=len(tokens),
            total_tokens=prompt_tokens + len(tokens),
        )
        return tokens, usage

    def _result(self, messages: Sequence[BaseMessage]) -> ChatResult:
        tokens, usage = self._tokens(messages)
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
        return self._result(messages)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        return self._result(messages)

    def _chunks(self, messages: Sequence[BaseMessage]) -> Iterator[ChatGenerationChunk]:
        tokens, usage = self._tokens(messages)
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
        for chunk in self._chunks(messages):
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
        for chunk in self._chunks(messages):
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
            if self.token_latency_ms:
                await asyncio.sleep(self.token_latency_ms / 1000)
