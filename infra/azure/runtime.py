"""RuntimeArgs: what Container Apps and the VM scale set alike take from the target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from infra.spec import WorkloadSpec


@dataclass
class RuntimeArgs:
    """The image, where it runs, the identity it runs as and what it waits for."""

    spec: WorkloadSpec
    image_ref: pulumi.Input[str]
    resource_group: pulumi.Input[str]
    location: pulumi.Input[str]
    tags: dict[str, str]
    subnet_id: pulumi.Input[str]
    identity_id: pulumi.Input[str]
    registry_server: pulumi.Input[str]
    extra_env: Mapping[str, pulumi.Input[str]]
    # The identity's grants (AcrPull, Key Vault), the secret values, the database and the
    # model deployment: Container Apps checks the grants while it provisions ("Unable to get
    # value using Managed identity"); cloud-init pulls and reads Key Vault on first boot.
    depends_on: Sequence[pulumi.Resource] = ()
