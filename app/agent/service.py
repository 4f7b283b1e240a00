"""The agent: `langchain.agents.create_agent` with the tools, call limits and per-session memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, cast

from langchain.agents import create_agent
from langchain.agents.middleware import (
    AgentMiddleware,
    ModelCallLimitMiddleware,
    ModelRequest,
    ModelResponse,
    ToolCallLimitMiddleware,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from app.memory.store import MemoryStore
from app.providers.resilience import with_call_options

SYSTEM_PROMPT = (
    "You are llmchain's assistant. Use the tools for arithmetic, the current time, the "
    "service's own documents and (when allowed) web pages; answer briefly from their results."
)
THREAD_PREFIX = "agent:"  # the same checkpointer as chat, its own threads


@dataclass
class AgentReply:
    """The agent's answer and the tools it used on the way."""

    reply: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def _reply_of(messages: list[BaseMessage], since: int) -> AgentReply:
    """The final answer of a run and the tool calls made in it (results joined by call id)."""
    new = messages[since:]
    results = {m.tool_call_id: m.text for m in new if isinstance(m, ToolMessage)}
    calls = [
        {"name": call["name"], "args": call["args"], "result": results.get(call["id"] or "")}
        for m in new
        if isinstance(m, AIMessage)
        for call in m.tool_calls
    ]
    final = next((m for m in reversed(new) if isinstance(m, AIMessage) and not m.tool_calls), None)
    return AgentReply(reply=final.text if final else "", tool_calls=calls)


def _as_messages(message: str | Sequence[BaseMessage]) -> list[AnyMessage | dict[str, Any]]:
    """A new user message, or a conversation as it was sent."""
    if isinstance(message, str):
        return [HumanMessage(message)]
    return [cast(AnyMessage, m) for m in message]


@dataclass
class CallContext:
    """A run's runtime context: the model options of the request (max_tokens, stop...)."""

    model_options: dict[str, Any] = field(default_factory=dict)


class ModelOptionsMiddleware(AgentMiddleware[Any, CallContext]):
    """Each model call of a run made with the request's options (from the run's context)."""

    async def awrap_model_call(
        self,
        request: ModelRequest[CallContext],
        handler: Callable[[ModelRequest[CallContext]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        """Swap in the model with the options; tools are bound to it after this."""
        context = request.runtime.context
        if isinstance(context, CallContext) and context.model_options:
            model = with_call_options(request.model, context.model_options)
            request = request.override(model=model)
        return await handler(request)


class AgentService:
    """Runs agent turns; one at a time per session, like chat."""

    def __init__(
        self,
        model: BaseChatModel,
        tools: list[BaseTool],
        store: MemoryStore,
        max_model_calls: int,
        max_tool_calls: int,
    ) -> None:
        self.tools = tools
        # A run may not loop: beyond these, it ends (model) or the model is told (tools).
        limits: list[Any] = [
            ModelCallLimitMiddleware(run_limit=max_model_calls, exit_behavior="end"),
            ToolCallLimitMiddleware(run_limit=max_tool_calls, exit_behavior="continue"),
            ModelOptionsMiddleware(),
        ]
        self.graph = create_agent(
            model,
            tools,
            system_prompt=SYSTEM_PROMPT,
            middleware=limits,
            context_schema=CallContext,
            checkpointer=store.saver,
            name="llmchain-agent",
        )
        self.locks = store.locks  # one turn at a time per session, across replicas too

    @staticmethod
    def _config(session_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": THREAD_PREFIX + session_id}}

    async def _history_length(self, session_id: str) -> int:
        snapshot = await self.graph.aget_state(self._config(session_id))
        return len(snapshot.values.get("messages", [])) if snapshot else 0

    async def run(
        self,
        session_id: str,
        message: str | Sequence[BaseMessage],
        options: dict[str, Any] | None = None,
    ) -> AgentReply:
        """One turn: the agent thinks, calls tools, answers; stored when it is done.

        `message` is the user's new message, or a whole conversation (a stateless call);
        `options` (max_tokens, stop, temperature) apply to each model call of the turn.
        """
        given = _as_messages(message)
        async with self.locks.hold(THREAD_PREFIX + session_id):
            since = await self._history_length(session_id) + len(given)  # the reply starts here
            state = await self.graph.ainvoke(
                {"messages": given},
                self._config(session_id),
                context=CallContext(options or {}),
                durability="sync",
            )
        return _reply_of(state["messages"], since)

    async def stream(
        self,
        session_id: str,
        message: str | Sequence[BaseMessage],
        options: dict[str, Any] | None = None,
    ) -> AsyncIterator[str]:
        """The answer's tokens as they come (tool calls and results are not streamed)."""
        async with self.locks.hold(THREAD_PREFIX + session_id):
            stream = self.graph.astream(
                {"messages": _as_messages(message)},
                self._config(session_id),
                context=CallContext(options or {}),
                stream_mode="messages",
                durability="sync",
            )
            # Closed with this generator (a client that went away): the graph's tasks,
            # the model call among them, are cancelled.
            async with aclosing(stream):
                async for chunk, _meta in stream:
                    if (
                        isinstance(chunk, AIMessageChunk | AIMessage)
                        and chunk.text
                        and not chunk.tool_calls
                    ):
                        yield chunk.text
