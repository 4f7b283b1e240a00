"""The chains file: the shipped chains, and every mistake named by file, chain and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.chains.registry import load_chains
from app.chains.spec import load_chain_specs
from app.core.config import DEFAULT_CHAINS_FILE, load_settings
from app.core.errors import ConfigError
from tests.conftest import ServerFactory


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chains.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_shipped_file_has_the_original_example() -> None:
    specs = {spec.name: spec for spec in load_chain_specs(DEFAULT_CHAINS_FILE)}
    original = specs["product-description"]
    assert original.input_variables == ["product"]
    assert original.model.temperature == 0.9
    assert "{product}" in original.template
    assert len(specs) >= 2
    assert specs["extract-keywords"].output == "json"


async def test_chains_are_lcel_prompt_model_parser() -> None:
    registry = load_chains(load_settings(chains_file=DEFAULT_CHAINS_FILE))
    chain = registry["product-description"]
    steps = [type(step).__name__ for step in chain.runnable.bound.steps]
    assert steps == ["ChatPromptTemplate", "ResilientChatModel", "InlineStrOutputParser"]
    (model,) = chain.runnable.bound.steps[1].models  # retries around the one configured model
    assert type(model).__name__ == "FakeChatModel"
    assert model.temperature == 0.9
    answer = await chain.runnable.ainvoke({"product": "a teapot"})
    assert "a teapot" in answer
    keywords = await registry["extract-keywords"].runnable.ainvoke({"text": "tea", "count": "3"})
    assert isinstance(keywords, dict)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            """
            chains:
              - name: greet
                template: "Hello {name}, welcome to {place}"
                input_variables: [name]
            """,
            "chain 'greet': field 'input_variables': lacks place (used in the template)",
        ),
        (
            """
            chains:
              - name: greet
                template: "Hello {name}"
                input_variables: [name, mood]
            """,
            "chain 'greet': field 'input_variables': lists mood but the template never uses it",
        ),
        (
            """
            chains:
              - name: greet
                template: "Hello {name}"
                input_variables: [name]
                output: xml
            """,
            "chain 'greet', field 'output': Input should be 'text' or 'json'",
        ),
        (
            """
            chains:
              - name: greet
                template: "Hello {name}"
                input_variables: [name]
                model: {temperature: 5}
            """,
            "chain 'greet', field 'model.temperature': Input should be less than or equal to 2",
        ),
        (
            """
            chains:
              - name: greet
                template: "Hello {name}"
                input_variables: [name]
                prompt: extra
            """,
            "chain 'greet', field 'prompt': Extra inputs are not permitted",
        ),
        (
            """
            chains:
              - template: "Hello {name}"
                input_variables: [name]
            """,
            "chain #1, field 'name': Field required",
        ),
        (
            """
            chains:
              - name: Bad Name
                template: "Hello {name}"
                input_variables: [name]
            """,
            "chain 'Bad Name', field 'name': String should match pattern",
        ),
        (
            """
            chains:
              - name: chat
                template: "Hello {name}"
                input_variables: [name]
            """,
            "chain 'chat': field 'name': 'chat' is reserved",
        ),
        (
            """
            chains:
              - name: greet
                template: "Hello {name"
                input_variables: [name]
            """,
            "chain 'greet': field 'template': not a valid f-string template",
        ),
        (
            """
            chains:
              - {name: greet, template: "Hi {a}", input_variables: [a]}
              - {name: greet, template: "Yo {a}", input_variables: [a]}
            """,
            "chain 'greet', field 'name': defined twice",
        ),
        ("chains: []\n", "field 'chains': List should have at least 1 item"),
        ("- just a list\n", "top level: expected a mapping with a 'chains' list"),
        ("chains: [\n", "not valid YAML"),
    ],
)
def test_bad_file_names_file_chain_and_field(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_chain_specs(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read the chains file"):
        load_chain_specs(tmp_path / "nope.yaml")


def test_literal_braces_are_not_variables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        chains:
          - name: as-json
            template: 'Answer as {{"x": 1}} about {topic}'
            input_variables: [topic]
        """,
    )
    assert load_chain_specs(path)[0].input_variables == ["topic"]


def test_wrong_file_stops_the_process(servers: ServerFactory, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        chains:
          - name: greet
            template: "Hello {name}"
            input_variables: [nom]
        """,
    )
    code, output = servers.run_to_exit({"LLMCHAIN_CHAINS_FILE": str(path)})
    assert code == 2
    assert f"{path}: chain 'greet': field 'input_variables'" in output


def test_chains_file_override_is_served(servers: ServerFactory, tmp_path: Path, http) -> None:
    path = write(
        tmp_path,
        """
        chains:
          - name: haiku
            description: A haiku about a topic.
            template: "Write a haiku about {topic}"
            input_variables: [topic]
        """,
    )
    server = servers.start({"LLMCHAIN_CHAINS_FILE": str(path)})
    listed = http(server.url).get("/v1/chains").json()["chains"]
    assert listed == [
        {
            "name": "haiku",
            "description": "A haiku about a topic.",
            "input_variables": ["topic"],
            "output": "text",
        }
    ]
