"""What answers an OpenAI `model`: a chain, `chat` or `agent`, behind one interface.

As LangServe puts runnables behind its routes, the OpenAI route resolves the request's
`model` here once (`resolve`) and asks the result to `answer` or `stream` the conversation;
it does not know what runs. `chat` and `agent` keep a session's memory when `user` is
given, and answer the conversation as sent (storing nothing) when it is not.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_core.messages import BaseMessage

from app.api.openai_options import OpenAIOptions
from app.api.running import bounded
from app.api.schemas import SESSION_ID_PATTERN, Message, not_only_dots
from app.chains.registry import Chain
from app.chat.service import chat_messages
from app.core.config import Settings
from app.core.errors import InvalidInput, NotFound
from app.runtime import Runtime

CHAT_MODEL = "chat"
AGENT_MODEL = "agent"


class Responder(Protocol):
    """Answers an OpenAI conversation, whole or token by token.

    Both check the request first, so its errors are the request's (a 400 before anything
    runs), never a stream's error event. `answer` is bounded by LLMCHAIN_REQUEST_TIMEOUT_S;
    the route guards a stream (app/api/running.py, `guarded`) as it sends it.
    """

    async def answer(self, messages: Sequence[Message], options: OpenAIOptions) -> str:
        """The whole answer's text."""
        ...

    def stream(self, messages: Sequence[Message], options: OpenAIOptions) -> AsyncIterator[str]:
        """The answer's text piece by piece; closing it cancels the run."""
        ...


def known_models(runtime: Runtime) -> list[str]:
    """Every model the OpenAI route answers: `chat`, `agent` and each chain."""
    return [CHAT_MODEL, AGENT_MODEL, *runtime.chains]


def unknown_model(model: str, runtime: Runtime) -> NotFound:
    """OpenAI's 404 for a model that is not there, listing those that are."""
    return NotFound(
        f"unknown model '{model}'; known models: {', '.join(known_models(runtime))}",
        param="model",
        code="model_not_found",
    )


def resolve(runtime: Runtime, model: str, user: str | None) -> Responder:
    """What answers `model` (404 when nothing does); `user` is the session of chat and agent."""
    if model == AGENT_MODEL:
        return AgentResponder(runtime, user)
    if model == CHAT_MODEL:
        return ChatResponder(runtime, user)
    chain = runtime.chains.get(model)
    if chain is None:
        raise unknown_model(model, runtime)
    return ChainResponder(chain, runtime.settings)


def session_of(user: str, model: str) -> str:
    """`user` as the session id of a memory model: the session-id rules apply only there."""
    try:
        if not re.fullmatch(SESSION_ID_PATTERN, user):
            raise ValueError("use letters, digits and . _ : @ -; 1 to 128 characters")
        return not_only_dots(user)
    except ValueError as exc:
        raise InvalidInput(
            f"user: with model '{model}', user is the session id: {exc}", param="user"
        ) from None


def last_user_text(messages: Sequence[Message], model: str) -> str:
    """The text of the last user message: what a session or a chain is asked."""
    users = [m for m in messages if m.role == "user"]
    if not users:
        raise InvalidInput(f"messages: model '{model}' needs a user message", param="messages")
    return users[-1].text()


def history(messages: Sequence[Message]) -> list[BaseMessage]:
    """Every message sent, as LangChain messages: what a stateless model answers."""
    return chat_messages([{"role": m.role, "content": m.text()} for m in messages])


@dataclass
class ChatResponder:
    """`chat`: a turn of the session `user` (kept in memory), or a stateless answer."""

    runtime: Runtime
    user: str | None

    def _options(self, options: OpenAIOptions) -> dict[str, Any]:
        return options.model_options(self.runtime.settings.max_tokens)

    async def answer(self, messages: Sequence[Message], options: OpenAIOptions) -> str:
        """The reply; with a session, returned once the turn is stored."""
        chat, settings = self.runtime.chat, self.runtime.settings
        if self.user:
            session = session_of(self.user, CHAT_MODEL)
            message = last_user_text(messages, CHAT_MODEL)
            turn = chat.turn(session, message, options=self._options(options))
            return (await bounded(turn, settings)).text
        reply = await bounded(chat.answer(history(messages), self._options(options)), settings)
        return reply.text

    def stream(self, messages: Sequence[Message], options: OpenAIOptions) -> AsyncIterator[str]:
        """The reply's tokens; with a session, the turn is stored when the stream ends."""
        chat = self.runtime.chat
        if self.user:
            session = session_of(self.user, CHAT_MODEL)
            message = last_user_text(messages, CHAT_MODEL)
            return chat.stream_turn(session, message, options=self._options(options))
        return chat.stream(history(messages), self._options(options))


@dataclass
class AgentResponder:
    """`agent`: a turn of the session `user`, or a stateless run given the whole conversation."""

    runtime: Runtime
    user: str | None

    def _turn(self, messages: Sequence[Message]) -> tuple[str | None, str | list[BaseMessage]]:
        """The session and what it is asked: the new message, or (stateless) everything sent."""
        message = last_user_text(messages, AGENT_MODEL)
        if self.user:
            return session_of(self.user, AGENT_MODEL), message
        return None, history(messages)

    async def answer(self, messages: Sequence[Message], options: OpenAIOptions) -> str:
        """The agent's final answer (its tool calls are not part of OpenAI's reply)."""
        session, turn = self._turn(messages)
        settings = self.runtime.settings
        run = self.runtime.agent.run(session, turn, options.model_options(settings.max_tokens))
        return (await bounded(run, settings)).reply

    def stream(self, messages: Sequence[Message], options: OpenAIOptions) -> AsyncIterator[str]:
        """The answer's tokens (tool calls and results are not streamed)."""
        session, turn = self._turn(messages)
        cap = self.runtime.settings.max_tokens
        return self.runtime.agent.stream(session, turn, options.model_options(cap))


@dataclass
class ChainResponder:
    """A chain: its variable filled from the last user message (a JSON object when several)."""

    chain: Chain
    settings: Settings

    def _prepared(
        self, messages: Sequence[Message], options: OpenAIOptions
    ) -> tuple[Chain, dict[str, str]]:
        """The chain called with the request's options, and its checked input."""
        chain_input = self._input(messages)
        cap = self.chain.spec.model.max_tokens or self.settings.max_tokens
        return self.chain.with_model_options(options.model_options(cap)), chain_input

    def _input(self, messages: Sequence[Message]) -> dict[str, str]:
        chain, max_chars = self.chain, self.settings.max_input_chars
        text = last_user_text(messages, chain.name)
        variables = chain.spec.input_variables
        if len(variables) == 1:
            return chain.check_input({variables[0]: text}, max_chars)
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise InvalidInput(
                f"model '{chain.name}' takes {', '.join(variables)}: send the last user message "
                f'as a JSON object, for example {{"{variables[0]}": "..."}}',
                param="messages",
            )
        try:
            return chain.check_input(value, max_chars)
        except InvalidInput as exc:
            exc.param = "messages"  # the chain's variables come from the messages
            raise

    async def answer(self, messages: Sequence[Message], options: OpenAIOptions) -> str:
        """The chain's output: its text, or a JSON object's text (`output: json`)."""
        chain, chain_input = self._prepared(messages, options)
        output = await bounded(chain.runnable.ainvoke(chain_input), self.settings)
        return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)

    def stream(self, messages: Sequence[Message], options: OpenAIOptions) -> AsyncIterator[str]:
        """The chain's text as the model writes it."""
        chain, chain_input = self._prepared(messages, options)
        return chain.text_runnable.astream(chain_input)
