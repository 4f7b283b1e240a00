"""Chat with memory: one turn, a session's history, forgetting a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from app.api.deps import runtime_of
from app.api.running import bounded
from app.api.schemas import ChatTurn, SessionId, Usage
from app.core.errors import NotFound
from app.core.metrics import track_usage
from app.core.text import check_size

router = APIRouter(prefix="/v1/chat", tags=["chat"])


class ChatReply(BaseModel):
    """The assistant's answer; the turn is stored before this is sent."""

    session_id: str
    reply: str
    usage: Usage


class ChatMessage(BaseModel):
    """A stored message."""

    role: str
    content: str
    seq: int = Field(description="its place in the session: 1, 2, 3...")
    created: int = Field(description="when it was stored, Unix seconds")


class ChatHistory(BaseModel):
    """A page of a session's messages, oldest first."""

    session_id: str
    messages: list[ChatMessage]
    before: int | None = Field(
        description="pass as `before` to read the page of older messages; null on the first page"
    )


@router.post("", summary="Send a message in a session")
async def chat_turn(body: ChatTurn, request: Request) -> ChatReply:
    """Answer with the session's history as context; the turn is kept in chat memory."""
    runtime = runtime_of(request)
    settings = runtime.settings
    check_size("message", len(body.message), settings.max_input_chars)
    usage = track_usage()
    reply = await bounded(runtime.chat.turn(body.session_id, body.message), settings)
    return ChatReply(session_id=body.session_id, reply=reply.text, usage=Usage(**usage.as_openai()))


@router.get("/{session_id}", summary="A session's history, a page at a time")
async def chat_history(
    session_id: SessionId,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000, description="messages per page")] = 100,
    before: Annotated[
        int | None, Query(ge=1, description="only messages before this seq (a page's `before`)")
    ] = None,
) -> ChatHistory:
    """The latest `limit` messages (or those before `before`), oldest first; follow
    `before` to page back to the first message. 404 when there is no such session."""
    runtime = runtime_of(request)
    page = await runtime.chat.page(session_id, limit, before)
    if page is None:
        raise NotFound(f"no chat session '{session_id}'")
    messages = [
        ChatMessage(role=m.role, content=m.content, seq=m.seq, created=int(m.created))
        for m in page.messages
    ]
    return ChatHistory(session_id=session_id, messages=messages, before=page.before)


@router.delete("/{session_id}", status_code=204, summary="Forget a session")
async def chat_delete(session_id: SessionId, request: Request) -> Response:
    """Delete the session's memory (idempotent)."""
    runtime = runtime_of(request)
    await runtime.chat.delete(session_id)
    return Response(status_code=204)
