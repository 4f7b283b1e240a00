"""The Kubernetes minor version the EKS and AKS clusters run, in one place.

Each cloud's support calendar for it is dated in infra/readiness/facts.py (the dated-facts
rule fails once either ends); GKE follows its REGULAR release channel instead. The rendered
manifests are validated against this version's API schemas (tests/infra/test_kubernetes.py).
"""

# 1.35 is in standard support on both: EKS to 2027-03-27
# (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), AKS per
# https://learn.microsoft.com/en-us/azure/aks/supported-kubernetes-versions (both read 2026-11-29;
# the dated rows, with end dates, are in infra/readiness/facts.py).
KUBERNETES_VERSION = "1.35"
MANIFEST_SCHEMA_VERSION = f"{KUBERNETES_VERSION}.0"  # kubernetes-validate names patch versions
