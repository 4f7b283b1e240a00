"""Chat with memory: a one-node LangGraph graph, its state kept per session by a checkpointer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    trim_messages,
)
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, MessagesState, StateGraph

from app.memory.store import MemoryStore
from app.providers.resilience import with_call_options

MODEL_OPTIONS = "llmchain_model_options"  # the configurable key a turn's model options ride in
ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def message_to_dict(message: BaseMessage) -> dict[str, str]:
    """A stored message as the API shows it: role and text."""
    return {"role": ROLES.get(message.type, message.type), "content": message.text}


class TurnInput(TypedDict):
    """What one turn brings: the user's new message."""

    message: str


class ChatState(MessagesState):
    """The session: its messages, and the new message of the turn under way."""

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

    async def _respond(
        self, state: ChatState, config: RunnableConfig
    ) -> dict[str, list[BaseMessage]]:
        """The graph's node: answer the new message given the (trimmed) history."""
        question = HumanMessage(state["message"])
        history = trim_messages(
            [*state["messages"], question],
            max_tokens=self.history_limit,
            token_counter=len,  # counts messages: keep the last N
            strategy="last",
            start_on="human",
        )
        # A request's max_tokens, stop, temperature (OpenAI route), passed in the run's config.
        options = (config.get("configurable") or {}).get(MODEL_OPTIONS) or {}
        model = with_call_options(self.model, options)
        reply = await model.ainvoke([SystemMessage(self.system_prompt), *history])
        return {"messages": [question, reply]}

    @staticmethod
    def _config(
        session_id: str, extra: RunnableConfig | None, options: dict[str, Any] | None = None
    ) -> RunnableConfig:
        config: RunnableConfig = dict(extra or {})  # type: ignore[assignment]
        config["configurable"] = {"thread_id": session_id}
        if options:
            config["configurable"][MODEL_OPTIONS] = options
        return config

    async def turn(
        self,
        session_id: str,
        message: str,
        config: RunnableConfig | None = None,
        *,
        options: dict[str, Any] | None = None,
    ) -> AIMessage:
        """Answer one message; returns only after the turn is durably stored."""
        async with self.locks.hold("chat:" + session_id):
            state = await self.graph.ainvoke(
                TurnInput(message=message),
                self._config(session_id, config, options),
                durability="sync",
            )
        reply = state["messages"][-1]
        assert isinstance(reply, AIMessage)
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
        async with self.locks.hold("chat:" + session_id):
            stream = self.graph.astream(
                TurnInput(message=message),
                self._config(session_id, config, options),
                stream_mode="messages",
                durability="sync",
            )
            # Closed with this generator (a client that went away): the graph's tasks,
            # the model call among them, are cancelled, and the turn is not stored.
            async with aclosing(stream):
                async for chunk, _meta in stream:
                    if isinstance(chunk, AIMessageChunk | AIMessage) and chunk.text:
                        yield chunk.text

    async def history(self, session_id: str) -> list[dict[str, str]] | None:
        """The session's messages, or None when the session does not exist."""
        snapshot = await self.graph.aget_state(self._config(session_id, None))
        messages: list[BaseMessage] = snapshot.values.get("messages", []) if snapshot else []
        if not messages:
            return None
        return [message_to_dict(m) for m in messages]

    async def delete(self, session_id: str) -> None:
        """Forget a session."""
        async with self.locks.hold("chat:" + session_id):
            await self.store.saver.adelete_thread(session_id)


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
