"""Output parsers that parse on the event loop.

LangChain's async path runs even trivial parsers in a thread pool (`run_in_executor`
in `BaseOutputParser.aparse_result` and `BaseTransformOutputParser._atransform`): one
thread hop per answer and one per streamed token. Under load those hops queue behind
the GIL and add latency; parsing a string or a small JSON object is cheaper than the hop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import JsonOutputParser, StrOutputParser
from langchain_core.outputs import ChatGeneration, Generation


class InlineStrOutputParser(StrOutputParser):
    """`StrOutputParser` without the thread hop."""

    async def aparse_result(self, result: list[Generation], *, partial: bool = False) -> str:
        """Parse on the event loop."""
        return self.parse_result(result, partial=partial)

    async def _atransform(self, input: AsyncIterator[str | BaseMessage]) -> AsyncIterator[str]:
        async for chunk in input:
            if isinstance(chunk, BaseMessage):
                yield self.parse_result([ChatGeneration(message=chunk)])
            else:
                yield self.parse_result([Generation(text=chunk)])


class InlineJsonOutputParser(JsonOutputParser):
    """`JsonOutputParser` without the thread hop (streaming calls `aparse_result` too)."""

    async def aparse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        """Parse on the event loop."""
        return self.parse_result(result, partial=partial)
