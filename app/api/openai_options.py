"""OpenAI request options: those the model can honour, and those refused with a 400.

Field names, types and ranges are OpenAI's (openai/openai-openapi, CreateChatCompletionRequest:
`temperature` 0..2, `max_tokens` deprecated for `max_completion_tokens`, `stop` a string or up
to 4 strings; read 2026-11-29). What cannot be honoured is refused, naming the field, rather
than accepted and ignored.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.core.errors import InvalidInput

# What each refused field would need, and why the service does not have it.
REFUSED = {
    "tools": "the models here answer in text; tool calling is the agent's (model 'agent')",
    "tool_choice": "tools are not supported (see 'tools')",
    "functions": "tools are not supported (see 'tools')",
    "function_call": "tools are not supported (see 'tools')",
    "logprobs": "log probabilities are not available from every provider the service runs",
    "top_logprobs": "log probabilities are not available (see 'logprobs')",
    "response_format": (
        "only {'type': 'text'}; for JSON, declare a chain with `output: json` in the chains file"
    ),
}


class OpenAIOptions(BaseModel):
    """The sampling, tool and format fields of OpenAI's chat completion request."""

    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1, description="Deprecated by OpenAI.")
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | Annotated[list[str], Field(min_length=1, max_length=4)] | None = None
    response_format: dict[str, Any] | None = None
    tools: list[Any] | None = None
    tool_choice: str | dict[str, Any] | None = None
    functions: list[Any] | None = None
    function_call: str | dict[str, Any] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None

    def refuse_unsupported(self) -> None:
        """400 naming the first field set to something the service cannot honour."""
        asked = {
            "tools": bool(self.tools),
            "tool_choice": self.tool_choice not in (None, "none"),
            "functions": bool(self.functions),
            "function_call": self.function_call not in (None, "none"),
            "logprobs": bool(self.logprobs),
            "top_logprobs": bool(self.top_logprobs),
            "response_format": (self.response_format or {"type": "text"}).get("type") != "text",
        }
        for field, is_set in asked.items():
            if is_set:
                raise InvalidInput(f"{field}: not supported: {REFUSED[field]}", param=field)

    def model_options(self, max_tokens_cap: int | None) -> dict[str, Any]:
        """The options the model is called with; a configured max tokens stays the upper bound."""
        options: dict[str, Any] = {}
        limit = self.max_completion_tokens or self.max_tokens
        if limit is not None:
            options["max_tokens"] = min(limit, max_tokens_cap) if max_tokens_cap else limit
        if self.stop is not None:
            options["stop"] = [self.stop] if isinstance(self.stop, str) else self.stop
        if self.temperature is not None:
            options["temperature"] = self.temperature
        return options
