"""llmchain's policy pack, served to the Pulumi CLI: `pulumi preview --policy-pack policy`."""

from guardrails.pack import build_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="llmchain-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
)
