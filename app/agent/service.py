"""The agent: `langchain.agents.create_agent` with the tools, call limits and per-session memory.

A session's memory is a window of LLMCHAIN_AGENT_HISTORY_TOKENS (approximate tokens): the
model is sent no more, and what falls out of it leaves the checkpointed state at the end of
each turn, whose superseded checkpoints are then pruned. A stateless call (no session) runs
a graph without a checkpointer and stores nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing, asynccontextmanager
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
    RemoveMessage,
    ToolMessage,
    trim_messages,
)
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from app.memory.conversations import AGENT, thread_id
from app.memory.legacy import drop_legacy, legacy_messages
from app.memory.store import MemoryStore
from app.providers.resilience import with_call_options

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are llmchain's assistant. Use the tools for arithmetic, the current time, the "
    "service's own documents and (when allowed) web pages; answer briefly from their results."
)


@dataclass
class AgentReply:
    """The agent's answer and the tools it used on the way."""

    reply: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def _reply_of(messages: list[BaseMessage], asked: str) -> AgentReply:
    """The final answer of a run and the tool calls made in it (results joined by call id).

    The run's messages are those after the one it was asked with (id `asked`): the
    window may have dropped older ones, so a count from the start would not do.
    """
    start = next((i for i, m in enumerate(messages) if m.id == asked), -1)
    new = messages[start + 1 :]
    results = {m.tool_call_id: m.text for m in new if isinstance(m, ToolMessage)}
    calls = [
        {"name": call["name"], "args": call["args"], "result": results.get(call["id"] or "")}
        for m in new
        if isinstance(m, AIMessage)
        for call in m.tool_calls
    ]
    final = next((m for m in reversed(new) if isinstance(m, AIMessage) and not m.tool_calls), None)
    return AgentReply(reply=final.text if final else "", tool_calls=calls)


def _as_messages(message: str | Sequence[BaseMessage]) -> tuple[list[AnyMessage], str]:
    """A new user message, or a conversation as it was sent; and the id of its last message."""
    given: list[BaseMessage] = [HumanMessage(message)] if isinstance(message, str) else [*message]
    asked = f"ask-{uuid.uuid4().hex}"
    given[-1] = given[-1].model_copy(update={"id": asked})
    return [cast(AnyMessage, m) for m in given], asked


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


class HistoryWindow(AgentMiddleware[Any, CallContext]):
    """The model sees, and the session keeps, the last `max_tokens` of the conversation.

    LangChain's `trim_messages` with its approximate counter (about 4 characters a
    token), starting on a user message so no tool result is cut from its call. The
    latest user message always stays, even alone over the budget.
    """

    def __init__(self, max_tokens: int) -> None:
        super().__init__()
        self.max_tokens = max_tokens

    def window(self, messages: Sequence[AnyMessage]) -> list[AnyMessage]:
        """The last messages within the budget."""
        kept = trim_messages(
            messages,
            max_tokens=self.max_tokens,
            token_counter=count_tokens_approximately,
            strategy="last",
            start_on="human",
        )
        if kept:
            return cast(list[AnyMessage], kept)
        humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
        return list(messages[humans[-1] if humans else 0 :])

    async def awrap_model_call(
        self,
        request: ModelRequest[CallContext],
        handler: Callable[[ModelRequest[CallContext]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        """Send the model the window only."""
        return await handler(request.override(messages=self.window(request.messages)))

    async def aafter_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        """At the end of a run, drop what fell out of the window from the stored state."""
        messages = state["messages"]
        kept = {m.id for m in self.window(messages)}
        gone = [RemoveMessage(id=m.id) for m in messages if m.id and m.id not in kept]
        return {"messages": gone} if gone else None


class AgentService:
    """Runs agent turns; one at a time per session, like chat."""

    def __init__(
        self,
        model: BaseChatModel,
        tools: list[BaseTool],
        store: MemoryStore,
        max_model_calls: int,
        max_tool_calls: int,
        history_tokens: int = 8_000,
    ) -> None:
        self.tools = tools
        self.store = store
        self.window = HistoryWindow(history_tokens)
        # A run may not loop: beyond these, it ends (model) or the model is told (tools).
        middleware: list[Any] = [
            ModelCallLimitMiddleware(run_limit=max_model_calls, exit_behavior="end"),
            ToolCallLimitMiddleware(run_limit=max_tool_calls, exit_behavior="continue"),
            ModelOptionsMiddleware(),
            self.window,
        ]

        def build(checkpointer: Any) -> Any:
            return create_agent(
                model,
                tools,
                system_prompt=SYSTEM_PROMPT,
                middleware=middleware,
                context_schema=CallContext,
                checkpointer=checkpointer,
                name="llmchain-agent",
            )

        self.graph = build(store.saver)
        self.stateless = build(None)  # a call without a session: nothing to keep
        self.locks = store.locks  # one turn at a time per session, across replicas too

    @staticmethod
    def _config(session_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id(AGENT, session_id)}}

    async def _adopted(self, session_id: str) -> list[AnyMessage]:
        """The window of a session stored before namespaces, to start the turn with (the
        lock is held); empty for any other session."""
        if await self.store.conversations.exists(AGENT, session_id):
            return []
        old = await legacy_messages(self.store, AGENT, session_id)
        return self.window.window(cast(list[AnyMessage], old)) if old else []

    @asynccontextmanager
    async def _turn(self, session_id: str) -> AsyncIterator[None]:
        """Hold the session for a turn; if the turn fails or is cancelled, put it back.

        `create_agent` checkpoints the new message before the model answers, so a turn
        that never completes would otherwise leave it (unanswered) in the next turn's
        view. Chat keeps the new message apart instead; the agent's graph is LangChain's,
        so its state is restored to the checkpoint the turn started from.
        """
        async with self.locks.hold(thread_id(AGENT, session_id)):
            before = await self.store.saver.aget_tuple(self._config(session_id))
            try:
                yield
            except BaseException:
                # Shielded: a cancelled turn (client gone) must still be undone.
                await asyncio.shield(self._restore(session_id, before))
                raise

    async def _restore(self, session_id: str, before: Any) -> None:
        """The session's state as it was before a turn (no state: none)."""
        try:
            if before is None:
                await self.store.saver.adelete_thread(thread_id(AGENT, session_id))
            else:
                # A copy of the turn's starting checkpoint becomes the latest; what the
                # failed turn wrote is then superseded, and pruned.
                await self.graph.aupdate_state(before.config, None, as_node="__copy__")
                await self.store.prune(AGENT, session_id)
        except Exception as exc:  # the turn's own error is what the client must see
            log.warning("could not undo a failed agent turn: %s: %s", type(exc).__name__, exc)

    async def _kept(self, session_id: str) -> None:
        """After a durable turn: the session marked used, superseded checkpoints out."""
        await self.store.conversations.touch(AGENT, session_id)
        await drop_legacy(self.store, AGENT, session_id)  # adopted, if there was one
        await self.store.prune(AGENT, session_id)

    async def run(
        self,
        session_id: str | None,
        message: str | Sequence[BaseMessage],
        options: dict[str, Any] | None = None,
    ) -> AgentReply:
        """One turn: the agent thinks, calls tools, answers; stored when it is done.

        `message` is the user's new message, or a whole conversation; `session_id` None
        is a stateless call, which stores nothing. `options` (max_tokens, stop,
        temperature) apply to each model call of the turn.
        """
        given, asked = _as_messages(message)
        context = CallContext(options or {})
        if session_id is None:
            state = await self.stateless.ainvoke({"messages": given}, context=context)
            return _reply_of(state["messages"], asked)
        async with self._turn(session_id):
            given = [*await self._adopted(session_id), *given]
            state = await self.graph.ainvoke(
                {"messages": given},
                self._config(session_id),
                context=context,
                durability="sync",
            )
            await self._kept(session_id)
        return _reply_of(state["messages"], asked)

    async def stream(
        self,
        session_id: str | None,
        message: str | Sequence[BaseMessage],
        options: dict[str, Any] | None = None,
    ) -> AsyncIterator[str]:
        """The answer's tokens as they come (tool calls and results are not streamed)."""
        given, _asked = _as_messages(message)
        context = CallContext(options or {})
        if session_id is None:
            graph_stream = self.stateless.astream(
                {"messages": given}, context=context, stream_mode="messages"
            )
            # aclosing: closing this generator closes the token stream, and so the graph's.
            async with aclosing(self._tokens(graph_stream)) as tokens:
                async for text in tokens:
                    yield text
            return
        async with self._turn(session_id):
            given = [*await self._adopted(session_id), *given]
            graph_stream = self.graph.astream(
                {"messages": given},
                self._config(session_id),
                context=context,
                stream_mode="messages",
                durability="sync",
            )
            async with aclosing(self._tokens(graph_stream)) as tokens:
                async for text in tokens:
                    yield text
            await self._kept(session_id)

    @staticmethod
    async def _tokens(stream: Any) -> AsyncGenerator[str, None]:
        """The answer's text chunks of a graph's message stream."""
        # Closed with this generator (a client that went away): the graph's tasks,
        # the model call among them, are cancelled.
        async with aclosing(cast(AsyncGenerator[Any, None], stream)):
            async for chunk, _meta in stream:
                if (
                    isinstance(chunk, AIMessageChunk | AIMessage)
                    and chunk.text
                    and not chunk.tool_calls
                ):
                    yield chunk.text
