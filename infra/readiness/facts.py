"""Rule: each model and Kubernetes version the plan deploys is dated in the table, and current.

Providers retire model versions and Kubernetes minors on published dates; after them a fresh
`pulumi up` fails (Azure refuses the deployment, EKS/AKS refuse or surcharge the version) or,
worse, succeeds and every model call fails while health checks stay green (Bedrock, Vertex AI).
Nothing in the program can know these dates, so they are written down here, each with the page
it was read from and when. A test fails once a default's date has passed.

Not checked: fallback models passed through `llmchain:appSettings`, quotas, and whether a model
is offered in the stack's region (the table records it where the page said so).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from infra.readiness import Finding

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

RULE = "dated-facts"
READ = date(2026, 11, 29)


@dataclass(frozen=True)
class Fact:
    """A model version or Kubernetes minor: when it ends and where that was read."""

    provider: str  # bedrock | azure-openai | vertexai | openai | eks | aks | gke
    kind: str  # model | kubernetes
    id: str
    version: str | None  # Azure OpenAI's model version; None where the id says it all
    retires: date | None  # retirement / end of (standard) support; None: none published
    source: str
    read: date
    closed_to_new: date | None = None  # new deployments refused from this date, if earlier
    replacement: str | None = None  # the row to move to, as "id" or "id version"
    accepts_sampling: bool | None = None  # temperature and max_tokens accepted; None: not read
    locations: tuple[str, ...] | None = None  # where it is served; None: not read
    note: str = ""

    @property
    def deadline(self) -> date | None:
        """The first date a fresh deployment of this stack stops working."""
        dates = [d for d in (self.retires, self.closed_to_new) if d is not None]
        return min(dates) if dates else None

    @property
    def key(self) -> str:
        """`id` or `id version`, as `replacement` names rows."""
        return f"{self.id} {self.version}" if self.version else self.id


_BEDROCK_CARDS = "https://docs.aws.amazon.com/bedrock/latest/userguide/"
_AZURE_SCHEDULE = (
    "https://learn.microsoft.com/en-us/azure/foundry/openai/concepts/model-retirement-schedule"
)
_VERTEX_VERSIONS = (
    "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/model-versions"
)
_EKS_VERSIONS = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
_AKS_VERSIONS = "https://learn.microsoft.com/en-us/azure/aks/supported-kubernetes-versions"

# fmt: off
FACTS: tuple[Fact, ...] = (
    # --- Amazon Bedrock: model cards ("Model EOL date", "Model lifecycle"). Newer Claude models
    # are invoked by cross-region inference-profile id (`us.` prefix); their bare ids refuse
    # on-demand throughput.
    Fact(
        "bedrock", "model", "anthropic.claude-3-5-haiku-20241022-v1:0", None,
        retires=date(2026, 6, 19),
        source=_BEDROCK_CARDS + "model-card-anthropic-claude-3-5-haiku.html",
        read=READ,
        replacement="us.anthropic.claude-haiku-5-5",
        note="Model lifecycle: Legacy, Model EOL date Jun 19, 2026 (read in the page's "
        "translated copies; they agree).",
    ),
    Fact(
        "bedrock", "model", "us.anthropic.claude-haiku-4-5-20251001-v1:0", None,
        retires=None,
        source=_BEDROCK_CARDS + "model-card-anthropic-claude-haiku-4-5.html",
        read=READ,
        replacement="us.anthropic.claude-haiku-5-5",
        note="Card as read: Active, 'Model EOL date: No sooner than 10/1/2026' - a floor, no "
        "EOL date published. Anthropic lists Haiku 4.5 as legacy on its own API.",
    ),
    Fact(
        "bedrock", "model", "us.anthropic.claude-haiku-5-5", None,
        retires=None,
        source=_BEDROCK_CARDS + "model-card-anthropic-claude-haiku-5-5.md",
        read=READ,
        note="Card: launched 2026-10-07, Active, 'Model EOL date: N/A', EOL no sooner than "
        "2027-10-07, 6-month Legacy period. The profile id is as AWS SDK release notes and "
        "users report it; the card's id table was not in the excerpt read - confirm with "
        "`aws bedrock list-inference-profiles`. Adaptive thinking is on by default: whether "
        "Bedrock takes the app's temperature with it was not established - check before "
        "switching.",
    ),
    # --- Azure OpenAI: retirement schedule (page dated 2026-09-02). The app sends
    # `temperature` and `max_tokens`. A Microsoft Tech Community GPT-5 migration post says
    # every GPT-4-family bump was additive and GPT-5.x is the first to refuse parameters
    # (temperature other than 1 and `max_tokens`, by the errors users report), so GPT-5.x is
    # not a one-line change.
    Fact(
        "azure-openai", "model", "gpt-4o-mini", "2024-07-18",
        retires=date(2027, 4, 14),
        closed_to_new=date(2025, 7, 18),
        source=_AZURE_SCHEDULE,
        read=READ,
        replacement="gpt-4.1-mini 2025-04-14",
        accepts_sampling=True,
        note="Lifecycle: Deprecated (no new customers: a fresh subscription cannot deploy it). "
        "Deprecation date 2025-07-18 from the table's 2025-12-16 version "
        "(https://learn.microsoft.com/en-us/azure/ai-foundry/openai/concepts/model-retirements). "
        "The retirement date has moved between versions of the page (2026-03-31, 2026-10-01, "
        "2027-10-01, 2027-04-14).",
    ),
    Fact(
        "azure-openai", "model", "gpt-4.1-mini", "2025-04-14",
        retires=date(2027, 4, 14),
        source=_AZURE_SCHEDULE,
        read=READ,
        accepts_sampling=True,
        note="Lifecycle: Legacy. Whether Legacy still admits new customers is not stated in "
        "what was read; an earlier version of the table gave 2026-10-14.",
    ),
    Fact(
        "azure-openai", "model", "gpt-5.4-mini", "2026-03-17",
        retires=date(2027, 9, 21),
        source=_AZURE_SCHEDULE,
        read=READ,
        accepts_sampling=None,
        note="Lifecycle: GA. A reasoning-family model: whether it takes the app's temperature "
        "and max_tokens was not established.",
    ),
    Fact(
        "azure-openai", "model", "gpt-5.6-luna", "2026-07-09",
        retires=date(2028, 1, 11),
        source=_AZURE_SCHEDULE,
        read=READ,
        accepts_sampling=None,
        note="Lifecycle: GA. Parameters as for gpt-5.4-mini: not established.",
    ),
    # --- Vertex AI (now "Gemini Enterprise Agent Platform"): latest available models. Dates
    # marked "or later" are floors. New access is blocked one month before retirement.
    Fact(
        "vertexai", "model", "gemini-2.5-flash", None,
        retires=date(2026, 10, 20),
        source=_VERTEX_VERSIONS,
        read=READ,
        replacement="gemini-3.5-flash-lite",
        note="Replacement named: gemini-3.8-flash or gemini-3.5-flash-lite. Earlier versions "
        "of the page gave 2026-06-17 and 2026-10-16.",
    ),
    Fact(
        "vertexai", "model", "gemini-3.5-flash-lite", None,
        retires=date(2027, 7, 21),
        source=_VERTEX_VERSIONS,
        read=READ,
        accepts_sampling=None,
        note="Released 2026-07-21; retirement '2027-07-21 or later'. Its model page calls it a "
        "replacement for Gemini 2.5 Flash and says custom temperature/top-K/top-P are ignored "
        "(frequency and presence penalties are errors). Served locations: its page's region "
        "list was not readable; only secondary reports say Gemini 3.x is served from the "
        "global endpoint, which the program uses (llmchain:gcp.modelLocation).",
    ),
    Fact(
        "vertexai", "model", "gemini-3.8-flash", None,
        retires=date(2027, 9, 2),
        source=_VERTEX_VERSIONS,
        read=READ,
        accepts_sampling=None,
        note="Released 2026-09-02; retirement '2027-09-02 or later'. Served locations not read.",
    ),
    Fact(
        "vertexai", "model", "gemini-3.1-flash-lite", None,
        retires=date(2027, 5, 7),
        source=_VERTEX_VERSIONS,
        read=READ,
        accepts_sampling=True,
        note="Retirement '2027-05-07 or later'. Its model page documents temperature 0.0-2.0 "
        "and a 65,535-token output limit. Served locations not read.",
    ),
    # --- OpenAI API (not a cloud stack's default; the `openai` provider's).
    Fact(
        "openai", "model", "gpt-4o-mini", None,
        retires=date(2027, 1, 14),
        source="https://developers.openai.com/api/docs/deprecations",
        read=READ,
        accepts_sampling=True,
        note="Shutdown 2027-01-14 for gpt-4o-mini(-2024-07-18), replacement gpt-6-luna "
        "(reasons by default; not dated here), as reports quoting this page give it; the "
        "page excerpt read did not include the row.",
    ),
    # --- EKS: Kubernetes release calendar (end of standard support; extended support follows
    # for 12 months at extra cost per cluster hour, on by default).
    Fact(
        "eks", "kubernetes", "1.33", None,
        retires=date(2026, 7, 29),
        source=_EKS_VERSIONS,
        read=READ,
        replacement="1.35",
        note="End of extended support 2027-07-29. Read in awsdocs/amazon-eks-user-guide "
        "latest/ug/versioning/kubernetes-versions.adoc.",
    ),
    Fact(
        "eks", "kubernetes", "1.34", None,
        retires=date(2026, 12, 2),
        source=_EKS_VERSIONS,
        read=READ,
        replacement="1.35",
        note="End of extended support 2027-12-02.",
    ),
    Fact(
        "eks", "kubernetes", "1.35", None,
        retires=date(2027, 3, 27),
        source="https://endoflife.date/amazon-eks",
        read=READ,
        note="Third-party: the AWS calendar read lists up to 1.34. Consistent with AWS's "
        "14 months of standard support from the EKS release (2026-01-27). Extended to 2028-03-27.",
    ),
    # --- AKS: release calendar ("Mar 2026" means the month's last day, the page says).
    Fact(
        "aks", "kubernetes", "1.33", None,
        retires=date(2026, 7, 31),
        source=_AKS_VERSIONS,
        read=READ,
        replacement="1.35",
        note="Jul 2026. LTS (Premium tier, opted in) runs to Jul 2027; the program does not "
        "opt in. New clusters are refused during platform support. Read in "
        "MicrosoftDocs/azure-aks-docs (ms.date 2026-08-05).",
    ),
    Fact(
        "aks", "kubernetes", "1.34", None,
        retires=date(2026, 11, 30),
        source=_AKS_VERSIONS,
        read=READ,
        replacement="1.35",
        note="Nov 2026.",
    ),
    Fact(
        "aks", "kubernetes", "1.35", None,
        retires=date(2027, 3, 31),
        source=_AKS_VERSIONS,
        read=READ,
        note="Mar 2027.",
    ),
    Fact(
        "aks", "kubernetes", "1.36", None,
        retires=date(2027, 6, 30),
        source=_AKS_VERSIONS,
        read=READ,
        note="Jun 2027.",
    ),
    # --- GKE: the program pins no version; the release channel chooses and upgrades it.
    Fact(
        "gke", "kubernetes", "REGULAR", None,
        retires=None,
        source="https://cloud.google.com/kubernetes-engine/docs/release-schedule",
        read=READ,
        note="Release channel, not a version: GKE picks the default minor and auto-upgrades "
        "before end of support, so no date applies to the program.",
    ),
)
# fmt: on

# Where each fact is set, for the message.
CONFIG_KEYS = {
    "bedrock": "llmchain:llm.model",
    "azure-openai": "llmchain:llm.model and llmchain:azure.openaiModelVersion",
    "vertexai": "llmchain:llm.model",
    "openai": "llmchain:llm.model",
    "eks": "KUBERNETES_VERSION in infra/kubernetes/version.py",
    "aks": "llmchain:azure.kubernetesVersion",
    "gke": "the cluster's release channel in infra/gcp/cluster.py",
}


def lookup(provider: str, id_: str, version: str | None = None) -> Fact | None:
    """The table's row for a provider's model (and version) or Kubernetes minor, if any."""
    if provider in ("eks", "aks"):
        id_ = ".".join(id_.split(".")[:2])  # "1.33.5" is the 1.33 minor
    return next(
        (f for f in FACTS if f.provider == provider and f.id == id_ and f.version == version),
        None,
    )


def _replacement(fact: Fact) -> Fact | None:
    return next(
        (f for f in FACTS if f.provider == fact.provider and f.key == fact.replacement), None
    )


# `KEY=value` in an env file, wherever it sits in the text (YAML may quote or indent it).
_ENV_LINE = re.compile(r"(?:^|[\s'\"])(LLMCHAIN_[A-Z0-9_]+)=([^\s'\"]*)")


def _decoded(text: str) -> str | None:
    """Cloud-init user data is often base64; None when the text is not."""
    if len(text) < 16 or not re.fullmatch(r"[A-Za-z0-9+/=\s]+", text):
        return None
    try:
        return base64.b64decode(text, validate=False).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def env_values(value: Any) -> Iterator[tuple[str, str]]:
    """`LLMCHAIN_*` settings anywhere in an input: env lists, ConfigMap data, JSON, cloud-init."""
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str) and isinstance(value.get("value"), str):
            yield name, value["value"]
        for key, item in value.items():
            if key.startswith("LLMCHAIN_") and isinstance(item, str):
                yield key, item
            else:
                yield from env_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from env_values(item)
    elif isinstance(value, str):
        text = value.strip()
        if text[:1] in "[{":
            try:
                yield from env_values(json.loads(text))
                return
            except ValueError:
                pass
        decoded = _decoded(text)
        if decoded is not None:
            text = decoded
        for match in _ENV_LINE.finditer(text):
            yield match.group(1), match.group(2)


def _uses(plan: Plan) -> Iterator[tuple[Resource, str, str, str | None, dict[str, str]]]:
    """(resource, provider, id, version, env) for every dated thing the plan deploys."""
    envs = {r.urn: dict(env_values(r.inputs)) for r in plan.resources}
    default_provider = next(
        (env["LLMCHAIN_PROVIDER"] for env in envs.values() if "LLMCHAIN_PROVIDER" in env), None
    )
    for r in plan.resources:
        env = envs[r.urn]
        provider = env.get("LLMCHAIN_PROVIDER", default_provider)
        # Azure OpenAI's version lives on the deployment, checked below.
        if "LLMCHAIN_MODEL" in env and provider and provider != "azure-openai":
            yield r, provider, env["LLMCHAIN_MODEL"], None, env
        if r.type == "azure-native:cognitiveservices:Deployment":
            model = (r.inputs.get("properties") or {}).get("model") or {}
            if isinstance(model.get("name"), str):
                yield r, "azure-openai", model["name"], model.get("version"), env
        elif r.type == "aws:eks/cluster:Cluster" and isinstance(r.inputs.get("version"), str):
            yield r, "eks", r.inputs["version"], None, env
        elif r.type == "azure-native:containerservice:ManagedCluster":
            if isinstance(r.inputs.get("kubernetesVersion"), str):
                yield r, "aks", r.inputs["kubernetesVersion"], None, env
        elif r.type == "gcp:container/cluster:Cluster":
            channel = (r.inputs.get("releaseChannel") or {}).get("channel")
            if isinstance(channel, str):
                yield r, "gke", channel, None, env


def _expired_message(fact: Fact, today: date) -> str | None:
    deadline = fact.deadline
    if deadline is None or deadline > today:
        return None
    what = "end of support" if fact.kind == "kubernetes" else "retired"
    if fact.closed_to_new is not None and fact.closed_to_new == deadline:
        what = "closed to new deployments"
    text = f"{fact.key} ({fact.provider}): {what} on {deadline.isoformat()} ({fact.source})"
    key = CONFIG_KEYS[fact.provider]
    better = _replacement(fact)
    if better is None:
        return f"{text}; set {key} to a current {fact.kind}"
    until = f"until {better.retires.isoformat()}" if better.retires else "no end date published"
    return f"{text}; set {key} to {better.key} ({until})"


def dated_facts(plan: Plan, today: date | None = None) -> list[Finding]:
    """Models and Kubernetes versions the plan deploys that are past their date or undated.

    Dates and sources: FACTS above (Bedrock model cards, Azure OpenAI retirement schedule,
    Vertex AI model versions, EKS and AKS release calendars), each read 2026-11-29.
    """
    today = today or date.today()
    findings: list[Finding] = []
    for resource, provider, id_, version, env in _uses(plan):
        if provider not in CONFIG_KEYS:
            continue  # fake, openai-compatible: nothing a provider retires
        fact = lookup(provider, id_, version)
        shown = f"{id_} {version}" if version else id_
        if fact is None:
            message = (
                f"{shown} ({provider}) is not in the dated facts table: read its retirement "
                f"date from the provider and add a row to infra/readiness/facts.py, or set "
                f"{CONFIG_KEYS[provider]} to a dated one"
            )
            findings.append(Finding(RULE, resource.urn, message))
            continue
        expired = _expired_message(fact, today)
        if expired is not None:
            findings.append(Finding(RULE, resource.urn, expired))
        location = env.get("LLMCHAIN_GCP_LOCATION")
        if fact.locations is not None and location and location not in fact.locations:
            message = (
                f"{shown} is served in {', '.join(fact.locations)}, not {location} ({fact.source})"
            )
            findings.append(Finding(RULE, resource.urn, message))
    return findings
