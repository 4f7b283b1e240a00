"""What the running service holds: settings, chains, chat and the memory store."""

from __future__ import annotations

from dataclasses import dataclass

from app.agent.service import AgentService
from app.chains.registry import ChainRegistry
from app.chat.service import ChatService
from app.core.config import Settings
from app.memory.store import MemoryStore


@dataclass
class Runtime:
    """The objects built at start-up and shared by every request."""

    settings: Settings
    chains: ChainRegistry
    chat: ChatService
    agent: AgentService
    store: MemoryStore
    shutting_down: bool = False
