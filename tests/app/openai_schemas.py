"""Minimal JSON schemas of what OpenAI's Chat Completions and Models APIs answer.

Written for these tests from the schemas of OpenAI's published OpenAPI document
(github.com/openai/openai-openapi, openapi.json at f85dbe2, read 2026-11-29):
CreateChatCompletionResponse, CreateChatCompletionStreamResponse,
ChatCompletionResponseMessage, CompletionUsage, Error/ErrorResponse, Model and
ListModelsResponse. Only what a client relies on is checked: the required fields and
their types (nullable where OpenAI's are), the constant `object` values and the enums.
Extra fields (our `usage.cost_usd`) are allowed, as they are in OpenAI's schemas.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

FINISH_REASONS = ["stop", "length", "tool_calls", "content_filter", "function_call"]

USAGE: dict[str, Any] = {
    "type": "object",
    "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
    "properties": {
        "prompt_tokens": {"type": "integer"},
        "completion_tokens": {"type": "integer"},
        "total_tokens": {"type": "integer"},
    },
}

LOGPROBS: dict[str, Any] = {
    "anyOf": [
        {"type": "null"},
        {
            "type": "object",
            "required": ["content", "refusal"],
            "properties": {
                "content": {"type": ["array", "null"]},
                "refusal": {"type": ["array", "null"]},
            },
        },
    ]
}

COMPLETION: dict[str, Any] = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": {"type": "string"},
        "object": {"const": "chat.completion"},
        "created": {"type": "integer"},
        "model": {"type": "string"},
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "message", "finish_reason", "logprobs"],
                "properties": {
                    "index": {"type": "integer"},
                    "finish_reason": {"enum": FINISH_REASONS},
                    "logprobs": LOGPROBS,
                    "message": {
                        "type": "object",
                        "required": ["role", "content", "refusal"],
                        "properties": {
                            "role": {"const": "assistant"},
                            "content": {"type": ["string", "null"]},
                            "refusal": {"type": ["string", "null"]},
                        },
                    },
                },
            },
        },
        "usage": USAGE,
    },
}

CHUNK: dict[str, Any] = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": {"type": "string"},
        "object": {"const": "chat.completion.chunk"},
        "created": {"type": "integer"},
        "model": {"type": "string"},
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "delta", "finish_reason"],
                "properties": {
                    "index": {"type": "integer"},
                    "finish_reason": {"enum": [*FINISH_REASONS, None]},
                    "logprobs": LOGPROBS,
                    "delta": {
                        "type": "object",
                        "properties": {
                            "role": {"enum": ["developer", "system", "user", "assistant", "tool"]},
                            "content": {"type": ["string", "null"]},
                            "refusal": {"type": ["string", "null"]},
                        },
                    },
                },
            },
        },
        "usage": {"anyOf": [{"type": "null"}, USAGE]},
    },
}

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message", "param", "code"],
            "properties": {
                "type": {"type": "string"},
                "message": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}

MODEL: dict[str, Any] = {
    "type": "object",
    "required": ["id", "object", "created", "owned_by"],
    "properties": {
        "id": {"type": "string"},
        "object": {"const": "model"},
        "created": {"type": "integer"},
        "owned_by": {"type": "string"},
    },
}

MODEL_LIST: dict[str, Any] = {
    "type": "object",
    "required": ["object", "data"],
    "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": MODEL}},
}


def check(schema: dict[str, Any], document: Any) -> None:
    """Fail with every violation of the schema, each with its path in the document."""
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors]
    assert not problems, "\n".join(problems) + f"\nin {document!r}"
