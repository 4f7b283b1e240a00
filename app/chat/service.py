"""Chat with memory: a one-node LangGraph graph, its state kept per session by a checkpointer.

The checkpointed state is the window the model is sent (LLMCHAIN_CHAT_HISTORY_LIMIT
messages), not the whole history: messages that fall out of it are removed from the state,
superseded checkpoints are pruned, and the conversation users read back is appended, one
row per message, to the store's conversation table. A turn's cost and storage thus do not
grow with the session's length. A stateless answer (`answer`, `stream`: the OpenAI route's
`chat` without `user`) is given the conversation as sent and stores nothing.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, TypedDict, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    trim_messages,
)
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, MessagesState, StateGraph

from app.memory.conversations import CHAT, StoredMessage, thread_id
from app.memory.legacy import drop_legacy, legacy_messages
from app.memory.store import MemoryStore
from app.providers.resilience import with_call_options

MODEL_OPTIONS = "llmchain_model_options"  # the configurable key a turn's model options ride in
ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
PAGE_ALL = 1_000  # page size when reading a whole conversation


def message_to_dict(message: BaseMessage) -> dict[str, str]:
    """A stored message as the API shows it: role and text."""
    return {"role": ROLES.get(message.type, message.type), "content": message.text}


@dataclass
class HistoryPage:
    """Messages of a session, oldest first, and the cursor of the page before (None: first)."""

    messages: list[StoredMessage]
    before: int | None


class TurnInput(TypedDict):
    """What one turn brings: the user's new message."""

    message: str


class ChatState(MessagesState):
    """The session: its window of messages, and the new message of the turn under way."""

    # Kept apart from `messages` until answered: a turn that fails or times out
    # leaves the history as it was (nothing half-stored, nothing unacknowledged).
    message: str


class ChatService:
    """Runs chat turns against the model, with history read from and written to the store."""

    def __init__(
        self, model: BaseChatModel, store: MemoryStore, system_prompt: str, history_limit: int
    ) -> None:
        self.model = model
        self.store = store
        self.system_prompt = system_prompt
        self.history_limit = history_limit
        graph = StateGraph(ChatState, input_schema=TurnInput)
        graph.add_node("respond", self._respond)
        graph.add_edge(START, "respond")
        graph.add_edge("respond", END)
        self.graph = graph.compile(checkpointer=store.saver)
        # One turn at a time per session (app/memory/locks.py says why and how).
        self.locks = store.locks

    def _window(self, messages: list[BaseMessage]) -> list[BaseMessage]:
        """The last `history_limit` messages, starting on a user message."""
        return trim_messages(
            messages,
            max_tokens=self.history_limit,
            token_counter=len,  # counts messages: keep the last N
            strategy="last",
            start_on="human",
        )

    async def _respond(self, state: ChatState, config: RunnableConfig) -> dict[str, Any]:
        """The graph's node: answer the new message given the window; slide the window."""
        question = HumanMessage(state["message"])
        history = self._window([*state["messages"], question])
        # A request's max_tokens, stop, temperature (OpenAI route), passed in the run's config.
        options = (config.get("configurable") or {}).get(MODEL_OPTIONS) or {}
        model = with_call_options(self.model, options)
        reply = await model.ainvoke([SystemMessage(self.system_prompt), *history])
        # What the next turn's window can still use stays; the rest leaves the state
        # (the conversation table keeps every message for users to read).
        kept = {m.id for m in self._window([*state["messages"], question, reply])}
        gone = [RemoveMessage(id=m.id) for m in state["messages"] if m.id and m.id not in kept]
        return {"messages": [*gone, question, reply]}

    @staticmethod
    def _config(
        session_id: str, extra: RunnableConfig | None, options: dict[str, Any] | None = None
    ) -> RunnableConfig:
        config: RunnableConfig = dict(extra or {})  # type: ignore[assignment]
        config["configurable"] = {"thread_id": thread_id(CHAT, session_id)}
        if options:
            config["configurable"][MODEL_OPTIONS] = options
        return config

    async def _adopt(self, session_id: str) -> None:
        """A session stored before the conversation table: import it (the lock is held)."""
        if await self.store.conversations.exists(CHAT, session_id):
            return
        old = await legacy_messages(self.store, CHAT, session_id)
        if not old:
            return
        config = self._config(session_id, None)
        await self.graph.aupdate_state(config, {"messages": self._window(old)}, as_node="respond")
        rows = [(ROLES.get(m.type, m.type), m.text) for m in old]
        await self.store.conversations.append(CHAT, session_id, rows)
        await drop_legacy(self.store, CHAT, session_id)
        await self.store.prune(CHAT, session_id)

    async def _keep(self, session_id: str, message: str, reply: BaseMessage) -> None:
        """After the checkpoint: the turn into the conversation, superseded checkpoints out."""
        await self.store.conversations.append(
            CHAT, session_id, [("user", message), ("assistant", reply.text)]
        )
        await self.store.prune(CHAT, session_id)

    async def turn(
        self,
        session_id: str,
        message: str,
        config: RunnableConfig | None = None,
        *,
        options: dict[str, Any] | None = None,
    ) -> AIMessage:
        """Answer one message; returns only after the turn is durably stored."""
        async with self.locks.hold(thread_id(CHAT, session_id)):
            await self._adopt(session_id)
            state = await self.graph.ainvoke(
                TurnInput(message=message),
                self._config(session_id, config, options),
                durability="sync",
            )
            reply = state["messages"][-1]
            assert isinstance(reply, AIMessage)
            await self._keep(session_id, message, reply)
        return reply

    async def stream_turn(
        self,
        session_id: str,
        message: str,
        config: RunnableConfig | None = None,
        *,
        options: dict[str, Any] | None = None,
    ) -> AsyncIterator[str]:
        """Answer one message token by token; the turn is stored when the stream ends."""
        async with self.locks.hold(thread_id(CHAT, session_id)):
            await self._adopt(session_id)
            stream = cast(
                AsyncGenerator[tuple[str, Any], None],
                self.graph.astream(
                    TurnInput(message=message),
                    self._config(session_id, config, options),
                    stream_mode=["messages", "updates"],
                    durability="sync",
                ),
            )
            reply: BaseMessage | None = None
            # Closed with this generator (a client that went away): the graph's tasks,
            # the model call among them, are cancelled, and the turn is not stored.
            async with aclosing(stream):
                async for mode, data in stream:
                    if mode == "updates":
                        update = (data.get("respond") or {}).get("messages") or []
                        reply = next((m for m in update if isinstance(m, AIMessage)), reply)
                        continue
                    chunk, _meta = data
                    if isinstance(chunk, AIMessageChunk | AIMessage) and chunk.text:
                        yield chunk.text
            if reply is not None:
                await self._keep(session_id, message, reply)

    async def answer(
        self, messages: Sequence[BaseMessage], options: dict[str, Any] | None = None
    ) -> BaseMessage:
        """A stateless answer to the conversation as sent: no session read, nothing stored."""
        model = with_call_options(self.model, options or {})
        return await model.ainvoke(list(messages))

    async def stream(
        self, messages: Sequence[BaseMessage], options: dict[str, Any] | None = None
    ) -> AsyncIterator[str]:
        """A stateless answer token by token; closing this cancels the model call."""
        model = with_call_options(self.model, options or {})
        chunks = cast(AsyncGenerator[BaseMessage, None], model.astream(list(messages)))
        async with aclosing(chunks):
            async for chunk in chunks:
                yield chunk.text

    async def page(
        self, session_id: str, limit: int, before: int | None = None
    ) -> HistoryPage | None:
        """Up to `limit` messages before seq `before` (or the latest), oldest first;
        None when the session does not exist."""
        found = await self.store.conversations.page(CHAT, session_id, limit + 1, before)
        if found is None:
            async with self.locks.hold(thread_id(CHAT, session_id)):
                await self._adopt(session_id)
            found = await self.store.conversations.page(CHAT, session_id, limit + 1, before)
        if found is None:
            return None
        # One more than asked says whether an older page exists, without counting.
        older = len(found) > limit
        messages = found[1:] if older else found
        return HistoryPage(messages, messages[0].seq if older and messages else None)

    async def history(self, session_id: str) -> list[dict[str, str]] | None:
        """Every message of the session, oldest first, or None when it does not exist."""
        pages: list[list[StoredMessage]] = []
        before: int | None = None
        while True:
            page = await self.page(session_id, PAGE_ALL, before)
            if page is None:
                return None
            pages.append(page.messages)
            if page.before is None:
                break
            before = page.before
        return [{"role": m.role, "content": m.content} for p in reversed(pages) for m in p]

    async def delete(self, session_id: str) -> None:
        """Forget a session: its conversation and its checkpoints."""
        async with self.locks.hold(thread_id(CHAT, session_id)):
            await self.store.forget(CHAT, session_id)


def chat_messages(items: list[dict[str, Any]]) -> list[BaseMessage]:
    """OpenAI-style `{"role","content"}` messages as LangChain messages."""
    out: list[BaseMessage] = []
    for item in items:
        role, content = item["role"], item["content"]
        if role in ("system", "developer"):
            out.append(SystemMessage(content))
        elif role == "assistant":
            out.append(AIMessage(content))
        else:
            out.append(HumanMessage(content))
    return out
