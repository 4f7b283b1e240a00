"""The GCP target: Cloud Run, an instance group or GKE; Artifact Registry, Cloud SQL, Vertex AI."""

from __future__ import annotations

from infra.config import Location, StackConfig
from infra.gcp.target import GcpTarget
from infra.spec import WorkloadSpec
from infra.targets import TargetOutputs


def deploy(config: StackConfig, spec: WorkloadSpec, location: Location) -> TargetOutputs:
    """Build the GCP target and return the output contract."""
    return GcpTarget(spec.name, spec, config.gcp, location).outputs
