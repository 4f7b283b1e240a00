"""RuntimeArgs: what Cloud Run and the instance group alike take from the target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from infra.spec import WorkloadSpec


@dataclass
class RuntimeArgs:
    """The image, the identity it runs as, its network and its secrets."""

    spec: WorkloadSpec
    image_ref: pulumi.Input[str]
    region: str
    service_account: pulumi.Input[str]
    network_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    secret_ids: Mapping[str, pulumi.Input[str]]
    # The version this stack created for each secret, pinned: a new value is a new revision
    # (Cloud Run) or a new template whose instances replace the old (instance group).
    secret_versions: Mapping[str, pulumi.Input[str]]
    # Grants to the service account, secret versions and their accessors: a revision or an
    # instance started before them cannot pull the image or read the secrets.
    needs: Sequence[pulumi.Resource]
    extra_env: Mapping[str, pulumi.Input[str]]
