"""The chains file: its schema, and loading it with errors that name file, chain and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from langchain_core.prompts.string import get_template_variables
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.core.errors import ConfigError

# Names the OpenAI-compatible route gives to non-chain models.
RESERVED_NAMES = frozenset({"chat", "agent"})


class ModelOverrides(BaseModel):
    """Per-chain model settings that replace the service-wide ones."""

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, gt=0)


class ChainSpec(BaseModel):
    """One chain: a prompt template, the model settings and how its answer is parsed."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    description: str = ""
    system: str | None = None
    template: str = Field(min_length=1)
    input_variables: list[str] = Field(min_length=1)
    model: ModelOverrides = Field(default_factory=ModelOverrides)
    output: Literal["text", "json"] = "text"

    @model_validator(mode="after")
    def _variables_match_template(self) -> ChainSpec:
        """The declared variables must be exactly those the templates use."""
        if self.name in RESERVED_NAMES:
            raise ValueError(f"field 'name': '{self.name}' is reserved; choose another name")
        if len(set(self.input_variables)) != len(self.input_variables):
            raise ValueError("field 'input_variables': lists a variable twice")
        used: set[str] = set()
        for part in (self.system or "", self.template):
            try:
                used.update(get_template_variables(part, "f-string"))
            except ValueError as exc:  # unbalanced braces and the like
                raise ValueError(
                    f"field 'template': not a valid f-string template: {exc}"
                ) from None
        declared = set(self.input_variables)
        if used - declared:
            raise ValueError(
                "field 'input_variables': lacks "
                + ", ".join(sorted(used - declared))
                + " (used in the template)"
            )
        if declared - used:
            raise ValueError(
                "field 'input_variables': lists "
                + ", ".join(sorted(declared - used))
                + " but the template never uses it"
            )
        return self


class ChainsFile(BaseModel):
    """The whole file: a non-empty list of chains with unique names."""

    model_config = ConfigDict(extra="forbid")

    chains: list[ChainSpec] = Field(min_length=1)


def _describe(path: Path, raw: dict[str, Any], exc: ValidationError) -> str:
    """Name the file, the chain (by name where it has one) and the field of each error."""
    chains = raw.get("chains") if isinstance(raw, dict) else None
    lines = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "chains" and isinstance(loc[1], int):
            index = loc[1]
            name = None
            if isinstance(chains, list) and index < len(chains) and isinstance(chains[index], dict):
                name = chains[index].get("name")
            where = f"chain '{name}'" if name else f"chain #{index + 1}"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc)
        msg = err["msg"].removeprefix("Value error, ")
        parts = [p for p in (where, f"field '{field}'" if field else "") if p]
        lines.append(f"{path}: {', '.join(parts) or 'top level'}: {msg}")
    return "\n".join(lines)


def load_chain_specs(path: Path) -> list[ChainSpec]:
    """Read and validate the chains file; raise ConfigError naming what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the chains file: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: top level: expected a mapping with a 'chains' list")
    try:
        parsed = ChainsFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(path, raw, exc)) from None
    seen: set[str] = set()
    for spec in parsed.chains:
        if spec.name in seen:
            raise ConfigError(f"{path}: chain '{spec.name}', field 'name': defined twice")
        seen.add(spec.name)
    return parsed.chains
