"""The workload on any managed Kubernetes: each cloud brings a cluster, an identity, a provider."""

from infra.kubernetes.workload import KubernetesWorkload, KubernetesWorkloadArgs

__all__ = ["KubernetesWorkload", "KubernetesWorkloadArgs"]
