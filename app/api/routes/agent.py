"""The agent: one turn in a session, answered with the help of its tools."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.api.deps import runtime_of
from app.api.running import bounded
from app.api.schemas import AgentTurn, Usage
from app.core.metrics import track_usage
from app.core.text import check_size

router = APIRouter(prefix="/v1/agent", tags=["agent"])


class ToolUse(BaseModel):
    """A tool the agent called, with what it sent and what came back."""

    name: str
    args: dict[str, Any]
    result: str | None


class AgentAnswer(BaseModel):
    """The agent's answer; the turn (tools included) is stored before this is sent."""

    session_id: str
    reply: str
    tool_calls: list[ToolUse]
    usage: Usage


@router.post("", summary="Ask the agent (tools: calculator, time, documents, allowed web pages)")
async def agent_turn(body: AgentTurn, request: Request) -> AgentAnswer:
    """One agent turn with the session's memory."""
    runtime = runtime_of(request)
    settings = runtime.settings
    check_size("message", len(body.message), settings.max_input_chars)
    usage = track_usage()
    answer = await bounded(runtime.agent.run(body.session_id, body.message), settings)
    return AgentAnswer(
        session_id=body.session_id,
        reply=answer.reply,
        tool_calls=[ToolUse(**call) for call in answer.tool_calls],
        usage=Usage(**usage.as_openai()),
    )
