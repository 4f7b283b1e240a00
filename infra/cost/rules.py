"""Which plan resources cost money and how many units each bills, read from their inputs.

RULES maps a resource type to a function returning its lines; FREE maps every other type the
plans contain to the reason it carries no charge of its own. A type in neither fails the test
(tests/infra/test_cost.py), so a new resource cannot slip past the estimate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from infra.cost.model import Assumptions, Line
from infra.cost.prices import PRICES

if TYPE_CHECKING:
    from infra.plan import Plan, Resource

Rule = Callable[["Resource", "Plan", Assumptions], list[Line]]
GB_PER_MIB = 1 / 1024


def _num(value: Any, default: float = 0.0) -> float:
    """A plan input as a number (`"512"`, 512, "[unknown]" -> default)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _mib(value: Any) -> float:
    """Kubernetes / Container Apps memory (`1024Mi`, `1Gi`, `0.5Gi`) in MiB."""
    text = str(value)
    match = re.fullmatch(r"([0-9.]+)\s*(Mi|Gi|M|G)?", text)
    if not match:
        return 0.0
    amount = float(match.group(1))
    return amount * 1024 if match.group(2) in ("Gi", "G") else amount


def _cpu(value: Any) -> float:
    """Kubernetes CPU (`500m`, `1`) in vCPU."""
    text = str(value)
    return float(text[:-1]) / 1000 if text.endswith("m") else _num(text)


def _cloud(plan: Plan) -> str:
    return str(plan.config.get("llmchain:cloud", "local"))


def _related(plan: Plan, type_token: str) -> list[Resource]:
    return plan.of_type(type_token)


# --- AWS -------------------------------------------------------------------------------


def _min_tasks(plan: Plan, service: Resource) -> float:
    """The ECS service's floor: the scaling target's minCapacity, else its desired count."""
    for target in _related(plan, "aws:appautoscaling/target:Target"):
        if target.inputs.get("serviceNamespace") == "ecs":
            return _num(target.inputs.get("minCapacity"))
    return _num(service.inputs.get("desiredCount"), 1)


def ecs_service(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Fargate: vCPU- and GB-hours of the minimum task count, split regular / Spot."""
    tasks = plan.of_type("aws:ecs/taskDefinition:TaskDefinition")
    task = tasks[0].inputs if tasks else {}
    vcpu = _num(task.get("cpu"), 256) / 1024
    gb = _num(task.get("memory"), 512) / 1024
    count = _min_tasks(plan, r)
    strategy = r.inputs.get("capacityProviderStrategies") or []
    base = sum(_num(s.get("base")) for s in strategy if s.get("capacityProvider") == "FARGATE")
    weights = {s.get("capacityProvider"): _num(s.get("weight")) for s in strategy}
    total_weight = sum(weights.values()) or 1.0
    regular_base = min(base, count)
    rest = count - regular_base
    spot = rest * weights.get("FARGATE_SPOT", 0.0) / total_weight
    regular = count - spot
    lines = [
        Line(
            r.name,
            f"Fargate vCPU, {regular:g} task(s) x {vcpu:g} vCPU",
            "aws.fargate.vcpu_hour",
            regular * vcpu * a.hours,
        ),
        Line(
            r.name,
            f"Fargate memory, {regular:g} task(s) x {gb:g} GB",
            "aws.fargate.gb_hour",
            regular * gb * a.hours,
        ),
    ]
    if spot:
        lines += [
            Line(
                r.name,
                f"Fargate Spot vCPU, {spot:g} task(s)",
                "aws.fargate_spot.vcpu_hour",
                spot * vcpu * a.hours,
            ),
            Line(
                r.name,
                f"Fargate Spot memory, {spot:g} task(s)",
                "aws.fargate_spot.gb_hour",
                spot * gb * a.hours,
            ),
        ]
    return lines


def _launch_template(plan: Plan, ref: Any) -> dict[str, Any]:
    templates = plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    wanted = str((ref or {}).get("id", ""))
    for t in templates:
        if wanted.startswith(t.name):
            return t.inputs
    return templates[0].inputs if len(templates) == 1 else {}


def _ebs_gb(template: dict[str, Any]) -> float:
    return sum(
        _num((m.get("ebs") or {}).get("volumeSize"))
        for m in template.get("blockDeviceMappings") or []
    )


def _ec2_lines(name: str, itype: str, count: float, disk_gb: float, a: Assumptions) -> list[Line]:
    return [
        Line(
            name, f"EC2 {itype} x {count:g}", "aws.ec2.instance_hour", count * a.hours, note=itype
        ),
        Line(name, f"EBS gp3 {disk_gb:g} GB x {count:g}", "aws.ebs.gp3_gb_month", disk_gb * count),
    ]


def asg(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """EC2: the group's minimum size in instances of the launch template's type, and disks."""
    template = _launch_template(plan, r.inputs.get("launchTemplate"))
    count = _num(r.inputs.get("minSize"), 1)
    return _ec2_lines(r.name, str(template.get("instanceType", "?")), count, _ebs_gb(template), a)


def eks_nodes(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """EKS nodes: desiredSize (no cluster autoscaler runs, so the group stays there)."""
    scaling = r.inputs.get("scalingConfig") or {}
    count = _num(scaling.get("desiredSize"), _num(scaling.get("minSize"), 1))
    template = _launch_template(plan, r.inputs.get("launchTemplate"))
    itype = (r.inputs.get("instanceTypes") or ["?"])[0]
    return _ec2_lines(r.name, str(itype), count, _ebs_gb(template), a)


def eks_cluster(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """The EKS control plane."""
    return [Line(r.name, "EKS control plane", "aws.eks.cluster_hour", a.hours)]


def alb(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """ALB hours and LCUs; an internet-facing ALB holds a public IPv4 per subnet."""
    lines = [
        Line(r.name, "ALB", "aws.alb.hour", a.hours),
        Line(r.name, f"ALB capacity, {a.lcu:g} LCU average", "aws.alb.lcu_hour", a.lcu * a.hours),
    ]
    if not r.inputs.get("internal"):
        ips = len(r.inputs.get("subnets") or []) or 2
        lines.append(
            Line(
                r.name,
                f"public IPv4 x {ips} (one per subnet)",
                "aws.public_ipv4.hour",
                ips * a.hours,
            )
        )
    return lines


def nat_gateway(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """NAT gateway hours and data processed (its Elastic IP is its own line)."""
    return [
        Line(r.name, "NAT gateway", "aws.nat.hour", a.hours),
        Line(r.name, f"NAT data, {a.nat_gb:g} GB", "aws.nat.gb", a.nat_gb),
    ]


def eip(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """An Elastic IP is a public IPv4 address."""
    return [Line(r.name, "public IPv4 (Elastic IP)", "aws.public_ipv4.hour", a.hours)]


def rds(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """RDS instance hours of its class and provisioned storage; Multi-AZ doubles both."""
    copies = 2 if r.inputs.get("multiAz") else 1
    klass = str(r.inputs.get("instanceClass", "?"))
    key = f"aws.rds.{klass}"
    storage = _num(r.inputs.get("allocatedStorage"), 20)
    ha = " Multi-AZ" if copies == 2 else ""
    instance = (
        Line(r.name, f"RDS {klass}{ha}", key, copies * a.hours)
        if key in PRICES
        else Line(
            r.name,
            f"RDS {klass}{ha}",
            "aws.ec2.instance_hour",
            copies * a.hours,
            note=f"{klass}: no row in the table",
        )
    )
    return [
        instance,
        Line(r.name, f"RDS storage {storage:g} GB{ha}", "aws.rds.gp3_gb_month", storage * copies),
    ]


def ecr(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """ECR storage of the kept images (lifecycle policy bounds it; 1 GB assumed)."""
    return [Line(r.name, "ECR image storage, 1 GB assumed", "aws.ecr.gb_month", 1.0)]


def aws_secret(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """One secret-month and its reads."""
    return [
        Line(r.name, "secret", "aws.secretsmanager.secret_month", 1.0),
        Line(
            r.name,
            f"secret reads, {a.secret_reads:g}",
            "aws.secretsmanager.10k_calls",
            a.secret_reads / 10_000,
        ),
    ]


def kms_key(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A customer managed key-month."""
    return [Line(r.name, "KMS key", "aws.kms.key_month", 1.0)]


def log_group(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Log ingestion: the app's logs, or VPC flow logs into their own group."""
    flow = "flow" in str(r.inputs.get("name", r.name))
    gb = a.flow_log_gb if flow else a.log_gb
    what = "VPC flow logs" if flow else "app logs"
    return [Line(r.name, f"{what} ingested, {gb:g} GB", "aws.cloudwatch.logs_gb", gb)]


def cw_dashboard(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A custom CloudWatch dashboard."""
    return [Line(r.name, "dashboard", "aws.cloudwatch.dashboard_month", 1.0)]


def cw_alarm(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A standard-resolution alarm."""
    return [Line(r.name, "alarm", "aws.cloudwatch.alarm_month", 1.0)]


def log_metric_filter(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """The custom metric a metric filter publishes (the filter itself is free).

    Metrics extracted from log events are charged as custom metrics
    (https://docs.aws.amazon.com/cli/v1/reference/logs/put-metric-filter.html, read 2026-11-30).
    """
    return [Line(r.name, "custom metric from logs", "aws.cloudwatch.metric_month", 1.0)]


def ecs_cluster(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Container Insights, when the cluster enables it (the cluster itself is free)."""
    settings = r.inputs.get("settings") or []
    on = any(
        s.get("name") == "containerInsights" and s.get("value") != "disabled" for s in settings
    )
    return [Line(r.name, "Container Insights", "aws.container_insights", 1.0)] if on else []


def eks_addon(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """The CloudWatch observability add-on brings Container Insights; other add-ons are free."""
    if r.inputs.get("addonName") == "amazon-cloudwatch-observability":
        return [Line(r.name, "Container Insights (EKS add-on)", "aws.container_insights", 1.0)]
    return []


# --- Azure -----------------------------------------------------------------------------


def container_app(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Container Apps (Consumption): minReplicas held all month, and the requests."""
    template = r.inputs.get("template") or {}
    replicas = _num((template.get("scale") or {}).get("minReplicas"))
    resources = [c.get("resources") or {} for c in template.get("containers") or []]
    vcpu = sum(_num(x.get("cpu")) for x in resources)
    gib = sum(_mib(x.get("memory")) for x in resources) * GB_PER_MIB
    seconds = a.hours * 3600
    return [
        Line(
            r.name,
            f"Container Apps vCPU, {replicas:g} replica(s) x {vcpu:g}",
            "azure.containerapps.vcpu_second",
            replicas * vcpu * seconds,
        ),
        Line(
            r.name,
            f"Container Apps memory, {replicas:g} replica(s) x {gib:g} GiB",
            "azure.containerapps.gib_second",
            replicas * gib * seconds,
        ),
        Line(
            r.name,
            f"Container Apps requests, {a.requests:g}",
            "azure.containerapps.million_requests",
            a.requests / 1e6,
        ),
    ]


def _azure_vm(name: str, size: str, count: float, a: Assumptions) -> list[Line]:
    key = f"azure.vm.{size}"
    vm = (
        Line(name, f"VM {size} x {count:g}", key, count * a.hours)
        if key in PRICES
        else Line(
            name, f"VM {size} x {count:g}", "azure.vm.instance_hour", count * a.hours, note=size
        )
    )
    return [vm, Line(name, f"OS disk x {count:g}", "azure.disk.managed_month", count)]


def vmss(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A scale set: its autoscale minimum (else capacity) in VMs of its size, with OS disks."""
    sku = r.inputs.get("sku") or {}
    count = _num(sku.get("capacity"), 1)
    for setting in plan.of_type("azure-native:monitor:AutoscaleSetting"):
        for profile in setting.inputs.get("profiles") or []:
            count = _num((profile.get("capacity") or {}).get("minimum"), count)
    return _azure_vm(r.name, str(sku.get("name", "?")), count, a)


def aks(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """AKS: the control plane tier and each pool's autoscaler floor (minCount)."""
    lines = [
        Line(
            r.name,
            "AKS control plane (Free tier: no sku set)",
            "azure.aks.control_plane_hour",
            a.hours,
        )
    ]
    for pool in r.inputs.get("agentPoolProfiles") or []:
        count = _num(pool.get("minCount"), _num(pool.get("count"), 1))
        lines += _azure_vm(f"{r.name}/{pool.get('name')}", str(pool.get("vmSize", "?")), count, a)
    return lines


def azure_lb(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Standard load balancer hours (up to 5 rules) and data processed."""
    return [
        Line(r.name, "load balancer (Standard)", "azure.lb.hour", a.hours),
        Line(r.name, f"load balancer data, {a.lb_gb:g} GB", "azure.lb.gb", a.lb_gb),
    ]


def app_gateway(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Application Gateway (HTTPS with a domain): hours (capacity units not estimated)."""
    sku = str((r.inputs.get("sku") or {}).get("name", "?"))
    return [Line(r.name, f"Application Gateway ({sku})", "azure.appgw.hour", a.hours, note=sku)]


def azure_ip(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A Standard static public IP."""
    return [Line(r.name, "public IP (Standard, static)", "azure.public_ip.hour", a.hours)]


def azure_nat(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """NAT gateway hours and data (its public IP is its own line)."""
    return [
        Line(r.name, "NAT gateway", "azure.nat.hour", a.hours),
        Line(r.name, f"NAT data, {a.nat_gb:g} GB", "azure.nat.gb", a.nat_gb),
    ]


def azure_pg(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Flexible Server: the SKU's hours (a standby doubles them) and the storage."""
    sku = r.inputs.get("sku") or {}
    ha = str((r.inputs.get("highAvailability") or {}).get("mode", "Disabled")) != "Disabled"
    copies = 2 if ha else 1
    storage = _num((r.inputs.get("storage") or {}).get("storageSizeGB"), 32)
    label = (
        f"PostgreSQL {sku.get('name', '?')} ({sku.get('tier', '?')}){' + standby' if ha else ''}"
    )
    key = f"azure.postgres.{sku.get('name')}"  # one row per SKU; the generic row is unpriced
    return [
        Line(
            r.name,
            label,
            key if key in PRICES else "azure.postgres.instance_hour",
            copies * a.hours,
            note=str(sku.get("name")),
        ),
        Line(
            r.name,
            f"PostgreSQL storage {storage:g} GB",
            "azure.postgres.gb_month",
            storage * copies,
        ),
    ]


def acr(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Container Registry: a daily fee by SKU."""
    sku = str((r.inputs.get("sku") or {}).get("name", "?"))
    key = f"azure.acr.{sku}_day"
    days = a.hours / 24
    return [
        Line(r.name, f"registry ({sku})", key if key in PRICES else "azure.acr.day", days, note=sku)
    ]


def key_vault(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Key Vault bills operations (secret reads), not stored secrets."""
    secrets = len(plan.of_type("azure-native:keyvault:Secret")) or 1
    reads = secrets * a.secret_reads
    return [
        Line(
            r.name,
            f"Key Vault operations, {reads:g}",
            "azure.keyvault.10k_operations",
            reads / 10_000,
        )
    ]


def log_analytics(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Log Analytics ingestion (Application Insights writes into this workspace)."""
    return [Line(r.name, f"logs ingested, {a.log_gb:g} GB", "azure.loganalytics.gb", a.log_gb)]


def metric_alert(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A metric alert rule."""
    return [Line(r.name, "metric alert rule", "azure.monitor.metric_alert_month", 1.0)]


def log_alert(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A log search alert rule (the 5xx share and p95 from the access log)."""
    return [Line(r.name, "log search alert rule", "azure.monitor.log_alert_month", 1.0)]


def action_group(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """An action group: notifications billed per message."""
    return [Line(r.name, "action group notifications", "azure.monitor.action_group_month", 1.0)]


def private_zone(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A private DNS zone."""
    return [Line(r.name, "private DNS zone", "azure.privatedns.zone_month", 1.0)]


# --- GCP -------------------------------------------------------------------------------


def cloud_run(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Cloud Run: request time (request-based billing) plus idle minimum instances."""
    template = r.inputs.get("template") or {}
    res = [c.get("resources") or {} for c in template.get("containers") or []]
    vcpu = sum(_num((x.get("limits") or {}).get("cpu"), 1) for x in res) or 1.0
    gib = sum(_mib((x.get("limits") or {}).get("memory")) for x in res) * GB_PER_MIB
    minimum = _num((template.get("scaling") or {}).get("minInstanceCount"))
    request_based = all(x.get("cpuIdle", True) for x in res)
    busy = a.requests * a.request_seconds
    if not request_based:
        return [
            Line(
                r.name,
                f"Cloud Run instance-based vCPU, {minimum:g} instance(s)",
                "gcp.run.instance_vcpu_second",
                minimum * vcpu * a.hours * 3600,
            )
        ]
    lines = [
        Line(
            r.name,
            f"Cloud Run vCPU, {busy:g} request-seconds x {vcpu:g}",
            "gcp.run.vcpu_second",
            busy * vcpu,
        ),
        Line(
            r.name,
            f"Cloud Run memory, {busy:g} request-seconds x {gib:g} GiB",
            "gcp.run.gib_second",
            busy * gib,
        ),
        Line(
            r.name,
            f"Cloud Run requests, {a.requests:g}",
            "gcp.run.million_requests",
            a.requests / 1e6,
        ),
    ]
    if minimum:
        lines.append(
            Line(
                r.name,
                f"Cloud Run idle minimum instances x {minimum:g}",
                "gcp.run.idle_instance_second",
                minimum * a.hours * 3600,
            )
        )
    return lines


def _mig_size(plan: Plan) -> float:
    for scaler in plan.of_type("gcp:compute/regionAutoscaler:RegionAutoscaler"):
        return _num((scaler.inputs.get("autoscalingPolicy") or {}).get("minReplicas"), 1)
    return 0.0


def mig(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A managed instance group: the autoscaler's minimum in the template's machine type."""
    count = _mig_size(plan) or 1.0
    templates = plan.of_type("gcp:compute/instanceTemplate:InstanceTemplate")
    template = templates[0].inputs if templates else {}
    machine = str(template.get("machineType", "?"))
    disk = sum(_num(d.get("diskSizeGb"), 10) for d in template.get("disks") or [])
    key = f"gcp.compute.{machine}"  # one row per machine type; the generic row is unpriced
    return [
        Line(
            r.name,
            f"VM {machine} x {count:g}",
            key if key in PRICES else "gcp.compute.instance_hour",
            count * a.hours,
            note=machine,
        ),
        Line(r.name, f"boot disks {disk:g} GB x {count:g}", "gcp.disk.gb_month", disk * count),
    ]


def forwarding_rule(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A load balancer's forwarding rule."""
    return [Line(r.name, "forwarding rule", "gcp.lb.forwarding_rule_hour", a.hours)]


def global_address(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A reserved external IP (an internal peering range is free)."""
    if r.inputs.get("purpose") == "VPC_PEERING" or r.inputs.get("addressType") == "INTERNAL":
        return []
    return [Line(r.name, "static external IP", "gcp.static_ip.hour", a.hours)]


def regional_address(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A regional address: internal ones are free."""
    if str(r.inputs.get("addressType", "EXTERNAL")) == "INTERNAL":
        return []
    return [Line(r.name, "static external IP", "gcp.static_ip.hour", a.hours)]


def cloud_nat(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Cloud NAT: per VM using it (Cloud Run sends only private ranges into the VPC: none)."""
    compute = str(plan.config.get("llmchain:compute", "serverless"))
    if compute == "vm":
        vms = _mig_size(plan) or 1.0
    elif compute == "cluster":
        vms = 1.0  # at least one Autopilot node; how many depends on GKE's packing
    else:
        vms = 0.0
    if not vms:
        return [
            Line(
                r.name,
                "Cloud NAT: no VM uses it (Cloud Run egress: private ranges only)",
                "gcp.nat.vm_hour",
                0.0,
            )
        ]
    return [
        Line(r.name, f"Cloud NAT, {vms:g} VM(s)", "gcp.nat.vm_hour", vms * a.hours),
        Line(r.name, "Cloud NAT IP (auto-allocated)", "gcp.nat.ip_hour", a.hours),
        Line(r.name, f"Cloud NAT data, {a.nat_gb:g} GiB", "gcp.nat.gib", a.nat_gb),
    ]


def cloud_sql(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Cloud SQL: the tier's vCPUs and memory (HA doubles), and the SSD storage."""
    settings = r.inputs.get("settings") or {}
    tier = str(settings.get("tier", "?"))
    copies = 2 if settings.get("availabilityType") == "REGIONAL" else 1
    storage = _num(settings.get("diskSize"), 10)
    match = re.fullmatch(r"db-custom-(\d+)-(\d+)", tier)
    lines: list[Line] = []
    ha = " (HA)" if copies == 2 else ""
    if match:
        vcpu, gb = float(match.group(1)), float(match.group(2)) / 1024
        lines += [
            Line(
                r.name, f"Cloud SQL {tier} vCPU{ha}", "gcp.sql.vcpu_hour", vcpu * copies * a.hours
            ),
            Line(
                r.name,
                f"Cloud SQL {tier} memory {gb:g} GB{ha}",
                "gcp.sql.gb_hour",
                gb * copies * a.hours,
            ),
        ]
    else:
        lines.append(
            Line(
                r.name,
                f"Cloud SQL {tier}{ha}",
                "gcp.compute.instance_hour",
                copies * a.hours,
                note=f"{tier}: shared-core tiers have no row",
            )
        )
    lines.append(
        Line(r.name, f"Cloud SQL SSD {storage:g} GB{ha}", "gcp.sql.ssd_gb_month", storage * copies)
    )
    return lines


def gke(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """GKE: the cluster fee; Autopilot pods are priced on the Deployment's requests."""
    return [Line(r.name, "GKE cluster management", "gcp.gke.cluster_hour", a.hours)]


def artifact_registry(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Artifact Registry storage (cleanup policies bound it; 1 GB assumed)."""
    return [Line(r.name, "image storage, 1 GB assumed", "gcp.artifactregistry.gb_month", 1.0)]


def secret_version(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """An active secret version (automatic replication bills as one location) and its reads."""
    return [
        Line(r.name, "active secret version", "gcp.secretmanager.version_month", 1.0),
        Line(
            r.name,
            f"secret reads, {a.secret_reads:g}",
            "gcp.secretmanager.10k_access",
            a.secret_reads / 10_000,
        ),
    ]


def log_bucket(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """The stack's log bucket: the app's logs are ingested here."""
    return [Line(r.name, f"logs ingested, {a.log_gb:g} GiB", "gcp.logging.gib", a.log_gb)]


def log_metric(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A user-defined log-based metric."""
    return [Line(r.name, "log-based metric", "gcp.monitoring.log_metric_month", 1.0)]


def alert_policy(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """An alert policy's conditions."""
    n = len(r.inputs.get("conditions") or []) or 1
    return [Line(r.name, f"alert conditions x {n}", "gcp.monitoring.alert_condition_month", n)]


def uptime_check(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """An uptime check."""
    return [Line(r.name, "uptime check", "gcp.monitoring.uptime_check_month", 1.0)]


def gcp_dashboard(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A Cloud Monitoring dashboard."""
    return [Line(r.name, "dashboard", "gcp.monitoring.dashboard_month", 1.0)]


# --- Kubernetes (any cluster) ----------------------------------------------------------


def _hpa_min(plan: Plan, fallback: float) -> float:
    for hpa in plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"):
        return _num((hpa.inputs.get("spec") or {}).get("minReplicas"), fallback)
    return fallback


def k8s_deployment(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """On GKE Autopilot pods bill by their requests; on EKS/AKS the nodes carry the cost."""
    if _cloud(plan) != "gcp":
        return []
    spec = r.inputs.get("spec") or {}
    pods = _hpa_min(plan, _num(spec.get("replicas"), 1))
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    requests = [(c.get("resources") or {}).get("requests") or {} for c in containers]
    vcpu = sum(_cpu(x.get("cpu", "0")) for x in requests)
    gb = sum(_mib(x.get("memory", "0")) for x in requests) * GB_PER_MIB
    return [
        Line(
            r.name,
            f"Autopilot pod vCPU, {pods:g} pod(s) x {vcpu:g}",
            "gcp.gke.autopilot_vcpu_hour",
            pods * vcpu * a.hours,
        ),
        Line(
            r.name,
            f"Autopilot pod memory, {pods:g} pod(s) x {gb:g} GB",
            "gcp.gke.autopilot_gb_hour",
            pods * gb * a.hours,
        ),
    ]


def k8s_service(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """A Service of type LoadBalancer makes the cloud create a load balancer and its IP."""
    spec = r.inputs.get("spec") or {}
    if spec.get("type") != "LoadBalancer":
        return []
    cloud = _cloud(plan)
    annotations = (r.inputs.get("metadata") or {}).get("annotations") or {}
    internal = any("internal" in str(v).lower() or "internal" in k for k, v in annotations.items())
    if cloud == "aws":
        lines = [
            Line(r.name, "NLB (Service type LoadBalancer)", "aws.nlb.hour", a.hours),
            Line(
                r.name,
                f"NLB capacity, {a.lcu:g} NLCU average",
                "aws.nlb.nlcu_hour",
                a.lcu * a.hours,
            ),
        ]
        if not internal:
            lines.append(
                Line(
                    r.name,
                    "public IPv4 x 2 (one per subnet, assumed)",
                    "aws.public_ipv4.hour",
                    2 * a.hours,
                )
            )
        return lines
    if cloud == "azure":
        lines = [
            Line(r.name, "AKS load balancer (Standard)", "azure.lb.hour", a.hours),
            Line(r.name, f"load balancer data, {a.lb_gb:g} GB", "azure.lb.gb", a.lb_gb),
            Line(r.name, "AKS outbound public IP", "azure.public_ip.hour", a.hours),
        ]
        if not internal:
            lines.append(Line(r.name, "Service public IP", "azure.public_ip.hour", a.hours))
        return lines
    if cloud == "gcp":
        lines = [Line(r.name, "network LB forwarding rule", "gcp.lb.forwarding_rule_hour", a.hours)]
        if not internal:
            lines.append(Line(r.name, "external IP", "gcp.static_ip.hour", a.hours))
        return lines
    return []


def pod_monitoring(r: Resource, plan: Plan, a: Assumptions) -> list[Line]:
    """Managed Prometheus collection of /metrics."""
    return [Line(r.name, "Managed Prometheus samples", "gcp.monitoring.prometheus_month", 1.0)]


RULES: dict[str, Rule] = {
    "aws:ecs/service:Service": ecs_service,
    "aws:ecs/cluster:Cluster": ecs_cluster,
    "aws:autoscaling/group:Group": asg,
    "aws:eks/nodeGroup:NodeGroup": eks_nodes,
    "aws:eks/cluster:Cluster": eks_cluster,
    "aws:eks/addon:Addon": eks_addon,
    "aws:lb/loadBalancer:LoadBalancer": alb,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": eip,
    "aws:rds/instance:Instance": rds,
    "aws:ecr/repository:Repository": ecr,
    "aws:secretsmanager/secret:Secret": aws_secret,
    "aws:kms/key:Key": kms_key,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:cloudwatch/dashboard:Dashboard": cw_dashboard,
    "aws:cloudwatch/metricAlarm:MetricAlarm": cw_alarm,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": log_metric_filter,
    "azure-native:app:ContainerApp": container_app,
    "azure-native:compute:VirtualMachineScaleSet": vmss,
    "azure-native:containerservice:ManagedCluster": aks,
    "azure-native:network:LoadBalancer": azure_lb,
    "azure-native:network:PublicIPAddress": azure_ip,
    "azure-native:network:ApplicationGateway": app_gateway,
    "azure-native:network:NatGateway": azure_nat,
    "azure-native:dbforpostgresql:Server": azure_pg,
    "azure-native:containerregistry:Registry": acr,
    "azure-native:keyvault:Vault": key_vault,
    "azure-native:operationalinsights:Workspace": log_analytics,
    "azure-native:monitor:MetricAlert": metric_alert,
    "azure-native:monitor:ActionGroup": action_group,
    "azure-native:monitor:ScheduledQueryRule": log_alert,
    "azure-native:privatedns:PrivateZone": private_zone,
    "gcp:cloudrunv2/service:Service": cloud_run,
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": mig,
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": forwarding_rule,
    "gcp:compute/forwardingRule:ForwardingRule": forwarding_rule,
    "gcp:compute/globalAddress:GlobalAddress": global_address,
    "gcp:compute/address:Address": regional_address,
    "gcp:compute/routerNat:RouterNat": cloud_nat,
    "gcp:sql/databaseInstance:DatabaseInstance": cloud_sql,
    "gcp:container/cluster:Cluster": gke,
    "gcp:artifactregistry/repository:Repository": artifact_registry,
    "gcp:secretmanager/secretVersion:SecretVersion": secret_version,
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": log_bucket,
    "gcp:logging/metric:Metric": log_metric,
    "gcp:monitoring/alertPolicy:AlertPolicy": alert_policy,
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": uptime_check,
    "gcp:monitoring/dashboard:Dashboard": gcp_dashboard,
    "kubernetes:apps/v1:Deployment": k8s_deployment,
    "kubernetes:core/v1:Service": k8s_service,
    "kubernetes:monitoring.googleapis.com/v1:PodMonitoring": pod_monitoring,
}
