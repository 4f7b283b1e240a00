"""The Kubernetes minor version the EKS and AKS clusters run, in one place.

Each cloud's support calendar for it is dated in infra/readiness/facts.py (the dated-facts
rule fails once either ends); GKE follows its REGULAR release channel instead. The rendered
manifests are validated against this version's API schemas (tests/infra/test_kubernetes.py).
"""

KUBERNETES_VERSION = "1.35"
MANIFEST_SCHEMA_VERSION = f"{KUBERNETES_VERSION}.0"  # kubernetes-validate names patch versions
