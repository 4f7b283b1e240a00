"""Sessions stored before conversations had their own table, adopted on first use.

Until issue 17 a chat session's checkpointer thread was its bare id and an agent session's
`agent:<id>`, each checkpoint holding the whole history. A session that is not yet in the
sessions table is looked up there once: its messages become its conversation (chat) or the
start of its window, and the old thread is deleted. A bare thread named `agent:...` is
taken as the agent's (that is how the agent named its threads), never as a chat session's.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage

from app.memory.conversations import AGENT, CHAT
from app.memory.store import MemoryStore

AGENT_PREFIX = "agent:"


def legacy_thread(namespace: str, session: str) -> str | None:
    """The thread a session had before namespaces, or None when it cannot have had one."""
    if namespace == AGENT:
        return AGENT_PREFIX + session
    if namespace == CHAT and not session.startswith(AGENT_PREFIX):
        return session
    return None


async def legacy_messages(store: MemoryStore, namespace: str, session: str) -> list[BaseMessage]:
    """The messages of the session's old thread (empty when there is none); the caller holds
    the session's lock and has checked the session is not in the sessions table."""
    thread = legacy_thread(namespace, session)
    if thread is None:
        return []
    found = await store.saver.aget_tuple({"configurable": {"thread_id": thread}})
    if found is None:
        return []
    messages: Any = found.checkpoint.get("channel_values", {}).get("messages") or []
    return [m for m in messages if isinstance(m, BaseMessage)]


async def drop_legacy(store: MemoryStore, namespace: str, session: str) -> None:
    """Delete the old thread once its messages are adopted."""
    thread = legacy_thread(namespace, session)
    if thread is not None:
        await store.saver.adelete_thread(thread)
