"""The request bodies of every route, and the pieces they share (session ids, usage).

One module, so a newcomer finds what each route takes in one place, and the session-id
rule is written once (chat, agent and the OpenAI route's `user`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.api.openai_options import OpenAIOptions
from app.core.text import check_size, check_text

SESSION_ID_PATTERN = r"^[A-Za-z0-9._:@-]{1,128}$"


def not_only_dots(value: str) -> str:
    """Refuse ids made only of dots: `.` and `..` are path segments a URL resolves away
    (RFC 3986, section 5.2.4), so `GET /v1/chat/{id}` could never read such a session back."""
    if not value.strip("."):
        raise ValueError("a session id must not be made only of dots")
    return value


SessionId = Annotated[
    str,
    Path(
        pattern=SESSION_ID_PATTERN,
        description="Letters, digits and . _ : @ -; 1 to 128; not only dots.",
    ),
    AfterValidator(not_only_dots),
]
SessionIdField = Annotated[
    str, Field(pattern=SESSION_ID_PATTERN, examples=["alice-1"]), AfterValidator(not_only_dots)
]


class Usage(BaseModel):
    """Tokens the turn used, and their estimated cost (LLMCHAIN_PRICES)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_usd: float = 0.0


# --- /v1/chat and /v1/agent


class ChatTurn(BaseModel):
    """One user message in a session."""

    session_id: SessionIdField
    message: str = Field(min_length=1, examples=["Hello! What can you do?"])


class AgentTurn(BaseModel):
    """A message to the agent in a session."""

    session_id: SessionIdField
    message: str = Field(min_length=1, examples=["What is 12*7?"])


# --- /v1/chains (LangServe's bodies)


class InvokeRequest(BaseModel):
    """LangServe's invoke body: the chain input plus (ignored) client config."""

    input: Any = Field(description="An object with the chain's input variables.")
    config: dict[str, Any] | list[dict[str, Any]] = Field(default_factory=dict)
    kwargs: dict[str, Any] = Field(default_factory=dict)


class BatchRequest(BaseModel):
    """LangServe's batch body: several inputs."""

    inputs: list[Any]
    config: dict[str, Any] | list[dict[str, Any]] = Field(default_factory=dict)
    kwargs: dict[str, Any] = Field(default_factory=dict)


FILTERS = {f"{way}_{what}" for way in ("include", "exclude") for what in ("names", "types", "tags")}


class StreamLogRequest(InvokeRequest):
    """LangServe's stream_log/stream_events body: the invoke body and which runs to report."""

    diff: bool = Field(default=True, strict=True)  # LangServe's clients send `true`
    include_names: list[str] | None = None
    include_types: list[str] | None = None
    include_tags: list[str] | None = None
    exclude_names: list[str] | None = None
    exclude_types: list[str] | None = None
    exclude_tags: list[str] | None = None

    def filters(self) -> dict[str, Any]:
        """The include/exclude filters, as `astream_log` and `astream_events` take them."""
        return self.model_dump(include=FILTERS)


# --- /v1/chat/completions (OpenAI's body)


class ContentPart(BaseModel):
    """One part of a multi-part message; only text parts are understood."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class Message(BaseModel):
    """A chat message in OpenAI's shape."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text, joining text parts."""
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    """OpenAI's stream options: the usage chunk is sent only when asked for."""

    include_usage: bool = False


class ChatCompletionRequest(OpenAIOptions):
    """OpenAI's request: what the service honours, refuses (OpenAIOptions) or ignores (the rest)."""

    model_config = ConfigDict(extra="ignore")
    model: str = Field(description="A chain name, 'chat' (memory by `user`) or 'agent'.")
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(
        default=None,
        description=(
            "With model 'chat' or 'agent': the session id whose memory is used (letters, "
            "digits and . _ : @ -; 1 to 128; not only dots). Any string for a chain."
        ),
    )
    n: int = Field(default=1, ge=1, le=1, description="Only one choice is supported.")

    def check_input(self, max_chars: int) -> None:
        """Every text (messages, model, stop) is valid Unicode; messages within the limit."""
        check_text(self.model, "model", param="model")  # echoed in a 404 when unknown
        stops = [self.stop] if isinstance(self.stop, str) else self.stop or []
        for stop in stops:
            check_text(stop, "stop", param="stop")
        for index, message in enumerate(self.messages):
            check_text(message.text(), f"messages[{index}].content", param="messages")
        size = sum(len(m.text()) for m in self.messages)
        check_size("messages", size, max_chars, param="messages")

    def with_usage(self) -> bool:
        """Whether a stream ends with a usage chunk (`stream_options.include_usage`)."""
        return self.stream_options is not None and self.stream_options.include_usage
