"""The agent: one turn in a session, answered with the help of its tools."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.api.deps import runtime_of
from app.api.routes.chat import SessionIdField, Usage
from app.api.running import bounded
from app.core.errors import InvalidInput
from app.core.metrics import track_usage

router = APIRouter(prefix="/v1/agent", tags=["agent"])


class AgentTurn(BaseModel):
    """A message to the agent in a session."""

    session_id: SessionIdField
    message: str = Field(min_length=1, examples=["What is 12*7?"])


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
    if len(body.message) > settings.max_input_chars:
        raise InvalidInput(
            f"message: {len(body.message)} characters; the limit is "
            f"{settings.max_input_chars} (LLMCHAIN_MAX_INPUT_CHARS)"
        )
    usage = track_usage()
    answer = await bounded(runtime.agent.run(body.session_id, body.message), settings)
    return AgentAnswer(
        session_id=body.session_id,
        reply=answer.reply,
        tool_calls=[ToolUse(**call) for call in answer.tool_calls],
        usage=Usage(**usage.as_openai()),
    )
