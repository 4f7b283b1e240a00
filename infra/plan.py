"""Run the real program under Pulumi's mocks: what a stack would create, without the CLI or a cloud.

    python -m infra.plan --stack dev                 # the resource tree and the outputs
    python -m infra.plan --stack aws --json          # machine-readable, secrets as "[secret]"
    python -m infra.plan --stack dev --mermaid       # a diagram: parents, and what waits for what
    python -m infra.plan --stack aws --check         # readiness rules: exit 1 on a finding
    python -m infra.plan --stack aws --cost          # monthly cost estimate (infra/cost/)
    python -m infra.plan --stack aws --set llmchain:compute=vm --secret llmchain:openaiApiKey=sk-x

This module is also the infra tests' harness (`run_plan`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format

from infra import offline_mode as offline
from infra import pulumi_sdk as sdk
from infra.config import ConfigError
from infra.mocks import PlanMocks
from infra.pulumi_sdk import RESOURCE_SIG, SECRET_SIG, SIG_KEY, UNKNOWN

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "llmchain"


def _redact(value: Any) -> Any:
    """A secret's shape with every leaf hidden: `{"a": "[secret]"}` rather than `"[secret]"`."""
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return "[secret]"


def readable(value: Any, keep_shape: bool = False) -> Any:
    """Pulumi's wire values made readable: secrets hidden, references and unknowns named.

    keep_shape: hide a secret's leaves but keep its structure (to render manifests).
    """
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return _redact(readable(value.get("value"))) if keep_shape else "[secret]"
        if sig == RESOURCE_SIG:
            return {"$ref": value.get("urn")}
        return {k: readable(v, keep_shape) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v, keep_shape) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf numbers are doubles; 8000.0 was written as 8000
    return value


@dataclass
class Resource:
    """One registered resource as the plan reports it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    shaped: dict[str, Any] = field(default_factory=dict, repr=False)  # secrets' leaves hidden
    provider: str | None = None  # `<provider urn>::<id>` when one was given explicitly
    # What the engine waits for before creating this resource: explicit `depends_on` and the
    # resources behind its Output inputs (components expanded to their custom children).
    dependencies: list[str] = field(default_factory=list)
    # input property -> the resources its value came from
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Plan:
    """Every resource the program registers, and its stack outputs."""

    stack: str
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    # What the program told the user (`pulumi.log.warn`), as `pulumi preview` would show it.
    warnings: list[str] = field(default_factory=list)
    # The stack's config as the program saw it (secrets as given to the mocks): what the
    # user asked for, so rules can compare it with what the program built.
    config: dict[str, Any] = field(default_factory=dict, repr=False)
    # URN -> ancestors; a plan is read, not changed, once the program has run.
    _ancestors: dict[str, set[str]] = field(default_factory=dict, repr=False, compare=False)
    _by_urn: dict[str, Resource] = field(default_factory=dict, repr=False, compare=False)

    def of_type(self, type_token: str) -> list[Resource]:
        """The resources of one type token."""
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> Resource:
        """The single resource of a type (fails when there are none or several)."""
        found = self.of_type(type_token)
        assert len(found) == 1, f"expected one {type_token}, found {len(found)}"
        return found[0]

    def by_urn(self) -> dict[str, Resource]:
        """Every resource keyed by its URN (built once; rules look resources up constantly)."""
        if len(self._by_urn) != len(self.resources):
            self._by_urn = {r.urn: r for r in self.resources}
        return self._by_urn

    def depends_on(self, resource: Resource, other: Resource) -> bool:
        """True when the engine creates `other` before `resource` (directly or transitively)."""
        return other.urn in self.ancestors(resource)

    def ancestors(self, resource: Resource) -> set[str]:
        """The URNs of everything created before `resource`: its dependencies, transitively."""
        cache = self._ancestors
        if resource.urn in cache:
            return cache[resource.urn]
        known = self.by_urn()
        seen: set[str] = set()
        stack = list(resource.dependencies)
        while stack:
            urn = stack.pop()
            if urn in seen:
                continue
            seen.add(urn)
            if urn in known:
                stack.extend(known[urn].dependencies)
        cache[resource.urn] = seen
        return seen

    def to_json(self) -> dict[str, Any]:
        """The `--json` document."""
        return {
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "custom": r.custom,
                    "inputs": r.inputs,
                    "provider": r.provider,
                    "dependencies": r.dependencies,
                    "property_dependencies": r.property_dependencies,
                }
                for r in self.resources
            ],
            "outputs": self.outputs,
            "warnings": self.warnings,
        }


class PlanConfigError(ConfigError):
    """The program refused the stack's configuration; `registered` is what it made first."""

    def __init__(self, message: str, registered: list[Resource]) -> None:
        super().__init__(message)
        self.registered = registered


class RecordingMonitor(sdk.MockMonitor):
    """The mock monitor, also keeping each registration's parent and its raw inputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks, plan: Plan) -> None:
        super().__init__(mocks)
        self.plan = plan

    def RegisterResource(self, request: Any) -> Any:
        """Record, then let the mock monitor register."""
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
            stack_urn = f"urn:pulumi:{self.plan.stack}::{PROJECT}::pulumi:pulumi:Stack::"
            parent = request.parent or None
            self.plan.resources.append(
                Resource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=None if parent and parent.startswith(stack_urn) else parent,
                    custom=bool(request.custom),
                    inputs=readable(raw),
                    shaped=readable(raw, keep_shape=True),
                    provider=request.provider or None,
                    dependencies=sorted(set(request.dependencies)),
                    property_dependencies={
                        key: sorted(deps.urns)
                        for key, deps in sorted(request.propertyDependencies.items())
                        if deps.urns
                    },
                )
            )
        return response


def load_stack_file(stack: str) -> dict[str, Any]:
    """The `config:` map of Pulumi.<stack>.yaml."""
    path = ROOT / f"Pulumi.{stack}.yaml"
    if not path.exists():
        known = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
        raise ConfigError(f"no stack file {path.name}; stacks: {', '.join(known)}")
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, Any] = document.get("config") or {}
    return config


def _set_path(config: dict[str, Any], key: str, value: Any) -> None:
    """`llmchain:scaling.max=5` sets one field of an object, as `pulumi config set --path`.

    None removes the key, as `pulumi config rm` would.
    """
    namespace, _, path = key.partition(":")
    top, *rest = path.split(".")
    full = f"{namespace}:{top}"
    if not rest:
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
        return
    node = config.setdefault(full, {})
    for part in rest[:-1]:
        node = node.setdefault(part, {})
    node[rest[-1]] = value


def parse_value(text: str) -> Any:
    """`5` -> 5, `true` -> True, `{"a":1}` -> dict, anything else stays a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def wire_config(
    config: dict[str, Any], secrets: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Config as the CLI hands it to a program: strings, objects as JSON; secret keys listed."""
    wired: dict[str, str] = {}
    secret_keys = list(secrets)
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            wired[key] = "[encrypted in the stack file]"  # cannot be decrypted offline
            secret_keys.append(key)
        elif isinstance(value, str):
            wired[key] = value
        else:
            wired[key] = json.dumps(value)
    wired.update(secrets)
    return wired, secret_keys


def _resolve_outputs() -> dict[str, Any]:
    """The stack's exports, resolved; secret ones shown as "[secret]"."""
    outputs: dict[str, Any] = {}
    for key, value in sdk.root_outputs().items():
        output = pulumi.Output.from_input(value)
        if sdk.sync_await(output.is_secret()):
            outputs[key] = "[secret]"
        else:
            resolved = sdk.sync_await(output.future())
            outputs[key] = readable(resolved) if resolved is not None else None
    return outputs


class _Warnings(logging.Handler):
    """Keeps the program's warnings on the plan."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(logging.WARNING)
        self.plan = plan

    def emit(self, record: logging.LogRecord) -> None:
        """Record one warning."""
        self.plan.warnings.append(record.getMessage())


def _recording_logger(plan: Plan) -> logging.Logger:
    """A logger of this plan's own: the engine's warnings land in `plan.warnings`."""
    logger = logging.getLogger(f"llmchain.plan.{id(plan)}")
    logger.propagate = False
    logger.handlers = [_Warnings(plan)]
    return logger


def plan_program(
    program: Callable[[], object],
    stack: str,
    config: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
) -> Plan:
    """Run any Pulumi program function under the recording mocks; what it registered."""
    wired, secret_keys = wire_config(config or {}, secrets or {})
    offline.enabled = True  # helpers that would reach a network answer with placeholders
    plan = Plan(stack=stack, config={k: v for k, v in (config or {}).items()})
    asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = PlanMocks()
    sdk.install_mocks(
        mocks,
        project=PROJECT,
        stack=stack,
        logger=_recording_logger(plan),
        monitor=RecordingMonitor(mocks, plan),
    )
    sdk.set_stack_config(wired, secret_keys)

    def run() -> None:
        program()

    try:
        sdk.run_program(run)
    except (ConfigError, pulumi.RunError) as exc:
        raise PlanConfigError(str(exc), plan.resources) from None
    plan.outputs = _resolve_outputs()
    plan.resources.sort(key=lambda r: r.urn)  # registration order is concurrent; keep output stable
    return plan


def run_plan(
    stack: str,
    overrides: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
) -> Plan:
    """Run __main__.py for a stack under mocks and return what it registered and exported."""
    config = load_stack_file(stack)
    for key, value in (overrides or {}).items():
        _set_path(config, key, value)
    main_py = str(ROOT / "__main__.py")
    return plan_program(
        lambda: runpy.run_path(main_py, run_name="__main__"), stack, config, secrets
    )


def render_tree(plan: Plan) -> str:
    """The resource tree: type, name and a few key inputs per resource, then the outputs."""
    children: dict[str | None, list[Resource]] = {}
    for resource in plan.resources:
        children.setdefault(resource.parent, []).append(resource)
    lines = [f"stack {plan.stack}: {len(plan.resources)} resources"]

    def walk(parent: str | None, depth: int) -> None:
        for r in children.get(parent, []):
            keys = ", ".join(sorted(r.inputs)[:6])
            lines.append(f"{'  ' * (depth + 1)}{r.type}  {r.name}  [{keys}]")
            walk(r.urn, depth + 1)

    walk(None, 0)
    lines.append("outputs:")
    lines += [f"  {k}: {v}" for k, v in plan.outputs.items()]
    lines += [f"warning: {w}" for w in plan.warnings]
    return "\n".join(lines)


def mermaid_ids(resources: list[Resource]) -> dict[str, str]:
    """A readable, unique Mermaid node id per resource: its type's last part and its name."""
    ids: dict[str, str] = {}
    taken = {"stack"}
    for r in resources:
        kind = r.type.rsplit(":", 1)[-1]
        base = re.sub(r"\W+", "_", f"{kind}_{r.name}").strip("_")
        node, n = base, 2
        while node in taken:  # the same type and name under two parents
            node, n = f"{base}_{n}", n + 1
        taken.add(node)
        ids[r.urn] = node
    return ids


def render_mermaid(plan: Plan) -> str:
    """A Mermaid flowchart: resources under their parents (solid), dependencies (dotted).

    A dotted arrow `a -.-> b` says b waits for a: the order the engine creates them in.
    """
    ids = mermaid_ids(plan.resources)
    lines = ["flowchart TD", f'  stack(["stack {plan.stack}"])']
    for r in plan.resources:
        lines.append(f'  {ids[r.urn]}["{r.type}<br/>{r.name}"]')
        lines.append(f"  {ids.get(r.parent or '', 'stack')} --> {ids[r.urn]}")
    for r in plan.resources:
        for dep in r.dependencies:
            if dep in ids and dep != r.parent:
                lines.append(f"  {ids[dep]} -.-> {ids[r.urn]}")
    return "\n".join(lines)


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or ":" not in key:
            raise ConfigError(f"{flag} {item!r}: expected namespace:key=value")
        pairs[key] = value
    return pairs


def check_policy(plan: Plan, config_file: str | None = None) -> int:
    """Print what the policy pack says of the plan; 1 when a mandatory rule is violated."""
    from policy.guardrails import Resource as PolicyResource
    from policy.guardrails import evaluate

    config = json.loads(Path(config_file).read_text()) if config_file else None
    found = evaluate(
        [PolicyResource(r.type, r.name, r.inputs, r.urn) for r in plan.resources if r.custom],
        config,
    )
    for violation in found:
        name = violation.resource.rsplit("::", 1)[-1]
        print(f"{violation.level:<9} {violation.rule}: {name}: {violation.message}")
    mandatory = sum(v.level == "mandatory" for v in found)
    print(
        f"{len(plan.resources)} resources, {mandatory} mandatory and "
        f"{len(found) - mandatory} advisory findings"
    )
    return 1 if mandatory else 0


def check_readiness(plan: Plan) -> int:
    """Print one line per readiness finding (infra/readiness); 1 when there is any."""
    from infra.readiness import check

    findings = check(plan)
    for finding in findings:
        print(finding.line())
    print(f"{len(plan.resources)} resources, {len(findings)} readiness findings")
    return 1 if findings else 0


def main(argv: list[str] | None = None) -> int:
    """The command line; a configuration error exits 2 with its message."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", required=True, help="dev, aws, azure or gcp")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--secret", action="append", default=[], metavar="KEY=VALUE")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--mermaid", action="store_true")
    out.add_argument(
        "--policy", action="store_true", help="check the plan against policy/ (exit 1: mandatory)"
    )
    out.add_argument(
        "--check", action="store_true", help="run the readiness rules (exit 1: a finding)"
    )
    out.add_argument("--cost", action="store_true", help="the monthly cost estimate (infra/cost)")
    parser.add_argument(
        "--policy-config", metavar="FILE", help="a pack config, e.g. policy/dev.json"
    )
    from infra.cost import cli as cost_cli

    cost_cli.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        overrides = {k: parse_value(v) for k, v in _pairs(args.set, "--set").items()}
        plan = run_plan(args.stack, overrides, _pairs(args.secret, "--secret"))
    except ConfigError as exc:
        print(f"llmchain: {exc}", file=sys.stderr)
        return 2
    if args.policy:
        return check_policy(plan, args.policy_config)
    if args.check:
        return check_readiness(plan)
    if args.cost:
        return cost_cli.print_estimate(plan, args)
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, sort_keys=True))
    elif args.mermaid:
        print(render_mermaid(plan))
    else:
        print(render_tree(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
