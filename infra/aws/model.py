"""The Bedrock models the service calls: which, under which key, and offered in the region.

Newer Claude models on Bedrock are invoked through a cross-Region inference profile
(`us.anthropic...`): their bare model ids refuse on-demand throughput. A system-defined
profile is callable only from the source Regions of its geography (`us.` from US Regions,
`eu.` from European ones; `global.` from any commercial Region), so the profile's prefix
must match `aws:region`. Both are checked before anything is created: the prefix against the
region here, and availability by asking Bedrock at preview (GetInferenceProfile,
GetFoundationModel through the provider's data sources), so a retired, misspelt or
unoffered model fails `pulumi preview` naming the key that set it, instead of every chain
call failing with 502 after a green `up`.

Sources (read 2026-11-29):
https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html,
https://docs.aws.amazon.com/bedrock/latest/userguide/cross-region-inference.html,
https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-haiku-4-5.html
(model id, geographic and global inference profile ids), pulumi_aws 7.51.1
`bedrock.get_inference_profile` / `bedrockfoundation.get_model` and the Terraform provider's
data sources behind them (hashicorp/terraform-provider-aws
internal/service/bedrock/inference_profile_data_source.go, foundation_model_data_source.go).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import Provider
from infra.spec import WorkloadSpec

MODEL_KEY = "llmchain:llm.model"
FALLBACK_KEY = "llmchain:appSettings.LLMCHAIN_FALLBACK_MODELS"

# Inference-profile prefix -> the Region-name prefixes that may call it. Only geographies
# whose source Regions are plain from their names; others (`global.`, `amer.`...) are left to
# the preview check, which asks Bedrock itself.
GEOGRAPHIES: dict[str, tuple[str, ...]] = {
    "us": ("us-east-", "us-west-"),
    "us-gov": ("us-gov-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-northeast-",),
    "au": ("ap-southeast-",),
    "in": ("ap-south-",),
    "ca": ("ca-",),
    "sa": ("sa-",),
}
# The families a Region clearly belongs to; a profile of another family cannot be called.
_FAMILIES = {"us-gov-": "us-gov", "us-": "us", "eu-": "eu", "ap-": "ap"}
_FAMILY_OF_PREFIX = {
    "us": "us",
    "us-gov": "us-gov",
    "eu": "eu",
    "apac": "ap",
    "jp": "ap",
    "au": "ap",
    "in": "ap",
}
ON_DEMAND = "ON_DEMAND"


@dataclass(frozen=True)
class BedrockModel:
    """A model id the service will call on Bedrock, and the stack key that set it."""

    id: str
    key: str

    @property
    def profile_prefix(self) -> str | None:
        """`us` for `us.anthropic...`; None for a bare foundation-model id."""
        head, _, rest = self.id.partition(".")
        return head if rest and (head in GEOGRAPHIES or head in ("global", "amer")) else None


def bedrock_models(spec: WorkloadSpec) -> list[BedrockModel]:
    """The primary model when Bedrock serves it, and each Bedrock fallback, in order."""
    env = spec.env
    primary = env.get("LLMCHAIN_PROVIDER")
    found: list[BedrockModel] = []
    if primary == Provider.BEDROCK.value and env.get("LLMCHAIN_MODEL"):
        found.append(BedrockModel(env["LLMCHAIN_MODEL"], MODEL_KEY))
    known = {p.value for p in Provider}
    for entry in (e.strip() for e in env.get("LLMCHAIN_FALLBACK_MODELS", "").split(",")):
        if not entry:
            continue
        # As the app reads it: `provider:model`, or a model of the primary's provider (Bedrock
        # ids contain colons too, so only a known provider name counts as a prefix).
        prefix, _, rest = entry.partition(":")
        provider, model = (prefix, rest) if prefix in known else (primary, entry)
        if provider == Provider.BEDROCK.value and model:
            found.append(BedrockModel(model, FALLBACK_KEY))
    return found


def _family(region: str) -> str | None:
    return next((f for p, f in _FAMILIES.items() if region.startswith(p)), None)


def region_problems(models: Sequence[BedrockModel], region: str) -> list[str]:
    """Inference profiles of another geography than `aws:region`: Bedrock refuses the call."""
    problems = []
    family = _family(region)
    for model in models:
        prefix = model.profile_prefix
        if prefix is None or prefix not in GEOGRAPHIES or family is None:
            continue
        if _FAMILY_OF_PREFIX.get(prefix) != family or not region.startswith(GEOGRAPHIES[prefix]):
            problems.append(
                f"{model.key}={model.id!r}: a `{prefix}.` inference profile cannot be called "
                f"from aws:region={region!r}; use the profile of the region's geography or "
                f"`global.` (aws bedrock list-inference-profiles --region {region}), or change "
                "aws:region"
            )
    return problems


def _offered(model: BedrockModel, region: str, opts: pulumi.InvokeOptions) -> str | None:
    """None when Bedrock serves the model in the region on demand; else why not."""
    try:
        if model.profile_prefix is not None:
            profile = aws.bedrock.get_inference_profile(
                inference_profile_id=model.id, region=region, opts=opts
            )
            if profile.status != "ACTIVE":
                return f"inference profile status {profile.status}"
            return None
        found = aws.bedrockfoundation.get_model(model_id=model.id, region=region, opts=opts)
    except Exception as exc:  # the provider's error: not found, invalid id, no access
        return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    if ON_DEMAND not in (found.inference_types_supporteds or []):
        return (
            "this model is offered only through an inference profile (on-demand throughput "
            "isn't supported for its bare id): use its `us.`/`eu.`/`global.`... profile id"
        )
    return None


def check_models(
    models: Sequence[BedrockModel],
    region: str,
    provider: pulumi.ProviderResource,
    parent: pulumi.Resource,
) -> None:
    """Refuse, before any resource is created, a model the region's Bedrock cannot serve."""
    problems = region_problems(models, region)
    if not problems:
        opts = pulumi.InvokeOptions(provider=provider, parent=parent)
        for model in models:
            why = _offered(model, region, opts)
            if why is not None:
                problems.append(
                    f"{model.key}={model.id!r}: not available on Bedrock in {region}: {why} "
                    f"(aws bedrock list-inference-profiles --region {region}; "
                    f"docs/aws.md#prerequisites)"
                )
    if problems:
        raise pulumi.RunError("invalid stack configuration:\n  " + "\n  ".join(problems))
