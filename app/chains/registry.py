"""Chains built as LCEL (`prompt | model | parser`) from their specs, looked up by name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable

from app.chains.parsers import InlineJsonOutputParser, InlineStrOutputParser
from app.chains.spec import ChainSpec, load_chain_specs
from app.core.config import Settings
from app.core.errors import InvalidInput, NotFound
from app.core.text import check_size, check_text
from app.providers.factory import build_chat_model
from app.providers.resilience import with_call_options


@dataclass(frozen=True)
class Chain:
    """A runnable chain and what a client needs to call it."""

    spec: ChainSpec
    runnable: Runnable[dict[str, Any], Any]
    text_runnable: Runnable[dict[str, Any], str]
    model: BaseChatModel

    def with_model_options(self, options: dict[str, Any]) -> Chain:
        """This chain with its model called with a request's options (max_tokens, stop...)."""
        return build_chain(self.spec, with_call_options(self.model, options)) if options else self

    @property
    def name(self) -> str:
        """The chain's name in URLs and as an OpenAI model id."""
        return self.spec.name

    def check_input(self, value: Any, max_chars: int) -> dict[str, str]:
        """Validate one input: exactly the declared variables, strings, within the size limit."""
        variables = self.spec.input_variables
        if not isinstance(value, dict):
            raise InvalidInput(
                f"chain '{self.name}': input must be an object with "
                f"{', '.join(variables)}; got {type(value).__name__}"
            )
        for key in value:  # names are echoed in errors below: they must be text too
            check_text(str(key), f"chain '{self.name}': an input variable's name")
        missing = [v for v in variables if v not in value]
        unexpected = sorted(k for k in value if k not in variables)
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing input variable(s): {', '.join(missing)}")
            if unexpected:
                parts.append(f"unexpected input variable(s): {', '.join(unexpected)}")
            raise InvalidInput(
                f"chain '{self.name}': {'; '.join(parts)} (expects: {', '.join(variables)})"
            )
        checked: dict[str, str] = {}
        for key in variables:
            item = value[key]
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise InvalidInput(
                    f"chain '{self.name}': input variable '{key}' must be a string; "
                    f"got {type(item).__name__}"
                )
            checked[key] = check_text(str(item), f"chain '{self.name}': input variable '{key}'")
        check_size(f"chain '{self.name}': input", sum(map(len, checked.values())), max_chars)
        return checked

    def input_schema(self) -> dict[str, Any]:
        """JSON schema of the input object, as LangServe's `input_schema` route gives it."""
        return {
            "title": f"{self.name}-input",
            "type": "object",
            "properties": {v: {"title": v, "type": "string"} for v in self.spec.input_variables},
            "required": list(self.spec.input_variables),
            "additionalProperties": False,
        }

    def output_schema(self) -> dict[str, Any]:
        """JSON schema of the output: a string, or any JSON object for `output: json`."""
        if self.spec.output == "json":
            return {"title": f"{self.name}-output", "type": "object"}
        return {"title": f"{self.name}-output", "type": "string"}

    def describe(self) -> dict[str, Any]:
        """What `GET /v1/chains` lists for this chain."""
        return {
            "name": self.name,
            "description": self.spec.description,
            "input_variables": list(self.spec.input_variables),
            "output": self.spec.output,
        }


def build_chain(spec: ChainSpec, model: BaseChatModel) -> Chain:
    """Compose prompt, model and parser for one spec."""
    messages: list[tuple[str, str]] = []
    if spec.system:
        messages.append(("system", spec.system))
    messages.append(("human", spec.template))
    prompt = ChatPromptTemplate.from_messages(messages)
    parser: Runnable[Any, Any] = (
        InlineJsonOutputParser() if spec.output == "json" else InlineStrOutputParser()
    )
    return Chain(
        spec=spec,
        runnable=(prompt | model | parser).with_config(run_name=spec.name),
        text_runnable=(prompt | model | InlineStrOutputParser()).with_config(run_name=spec.name),
        model=model,
    )


class ChainRegistry(Mapping[str, Chain]):
    """The service's chains by name."""

    def __init__(self, chains: list[Chain]) -> None:
        self._chains = {chain.name: chain for chain in chains}

    def __getitem__(self, name: str) -> Chain:
        return self._chains[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._chains)

    def __len__(self) -> int:
        return len(self._chains)

    def get_chain(self, name: str) -> Chain:
        """The chain called `name`, or a 404 that lists the known ones."""
        try:
            return self._chains[name]
        except KeyError:
            raise NotFound(
                f"unknown chain '{name}'; known chains: {', '.join(sorted(self._chains))}"
            ) from None


def load_chains(settings: Settings) -> ChainRegistry:
    """Read the chains file and build every chain with the configured provider."""
    chains = []
    for spec in load_chain_specs(settings.chains_file):
        model = build_chat_model(
            settings, temperature=spec.model.temperature, max_tokens=spec.model.max_tokens
        )
        chains.append(build_chain(spec, model))
    return ChainRegistry(chains)
