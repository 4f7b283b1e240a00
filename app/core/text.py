"""Text from clients must be Unicode that UTF-8 can carry: what every provider is sent."""

from __future__ import annotations

from app.core.errors import InvalidInput


def check_text(text: str, where: str, *, param: str | None = None) -> str:
    """Return the text, or raise InvalidInput naming `where` if it holds a lone surrogate.

    JSON may escape a lone surrogate ("\\ud800"); Python decodes it to a str that no UTF-8
    encoder accepts, so the model call would fail later as a provider error (a 5xx that
    clients retry). Pydantic already refuses it for plain `str` fields (/v1/chat, /v1/agent).
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(
            f"{where}: not valid Unicode text (a lone surrogate at character {exc.start})",
            param=param,
        ) from None
    return text


def check_size(where: str, size: int, limit: int, *, param: str | None = None) -> None:
    """Raise InvalidInput naming `where` when a request's text is over LLMCHAIN_MAX_INPUT_CHARS.

    The one input-size check of every route (chat, agent, chains, OpenAI): the same rule
    and the same message wherever a client sends text for a model.
    """
    if size > limit:
        raise InvalidInput(
            f"{where}: {size} characters; the limit is {limit} (LLMCHAIN_MAX_INPUT_CHARS)",
            param=param,
        )
