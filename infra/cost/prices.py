"""The price table: one row per unit price, each with its source page, region and read date.

A row whose `usd` is None was looked for and not found on the pages read: the estimate prints
it as unpriced, with the page to read. Never fill one in from memory. Third-party pages are
cited where the cloud's own page did not render its numbers in the stored copy; they say which
official page they quote, and the row's note says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

READ = date(2026, 11, 29)


@dataclass(frozen=True)
class Price:
    """One unit price: USD per `unit`, or None when the page read did not give it."""

    key: str
    usd: float | None
    unit: str
    region: str  # where the page priced it; "global" when region-independent
    source: str
    read: date = READ
    note: str = ""

    @property
    def known(self) -> bool:
        """True when the table holds a number."""
        return self.usd is not None


_ROWS = [
    # --- AWS (us-east-1 unless noted)
    Price(
        "aws.fargate.vcpu_hour",
        0.04048,
        "vCPU-hour",
        "us-east-1",
        "https://www.factualminds.com/blog/amazon-fargate-ecs-task-pricing-2026/",
        note="Linux/x86, quoting https://aws.amazon.com/fargate/pricing/ "
        "(numbers not in its stored copy)",
    ),
    Price(
        "aws.fargate.gb_hour",
        0.004445,
        "GB-hour",
        "us-east-1",
        "https://www.factualminds.com/blog/amazon-fargate-ecs-task-pricing-2026/",
        note="Linux/x86 task memory",
    ),
    Price(
        "aws.fargate_spot.vcpu_hour",
        None,
        "vCPU-hour",
        "us-east-1",
        "https://aws.amazon.com/fargate/pricing/",
        note="the page says 'up to 70% discount'; no Spot rate was given",
    ),
    Price(
        "aws.fargate_spot.gb_hour",
        None,
        "GB-hour",
        "us-east-1",
        "https://aws.amazon.com/fargate/pricing/",
    ),
    Price(
        "aws.eks.cluster_hour",
        0.10,
        "cluster-hour",
        "all regions",
        "https://www.factualminds.com/blog/amazon-eks-pricing-control-plane-addons-auto-mode/",
        note="standard support; a version in extended support is $0.60/h in total",
    ),
    Price(
        "aws.alb.hour",
        0.0225,
        "ALB-hour",
        "us-east-1",
        "https://cloud-horizons.com/blog/alb-the-line-item-nobody-watches/",
    ),
    Price(
        "aws.alb.lcu_hour",
        0.008,
        "LCU-hour",
        "us-east-1",
        "https://cloud-horizons.com/blog/alb-the-line-item-nobody-watches/",
    ),
    Price(
        "aws.nlb.hour",
        0.0225,
        "NLB-hour",
        "us-east-1",
        "https://awsnegotiations.com/elastic-load-balancer-cost.html",
    ),
    Price(
        "aws.nlb.nlcu_hour",
        0.006,
        "NLCU-hour",
        "us-east-1",
        "https://awsnegotiations.com/elastic-load-balancer-cost.html",
    ),
    Price(
        "aws.nat.hour",
        0.045,
        "gateway-hour",
        "us-east-1",
        "https://basavytix.com/blog/aws-nat-gateway-pricing",
    ),
    Price(
        "aws.nat.gb",
        0.045,
        "GB processed",
        "us-east-1",
        "https://basavytix.com/blog/aws-nat-gateway-pricing",
    ),
    Price(
        "aws.public_ipv4.hour",
        0.005,
        "IP-hour",
        "all regions",
        "https://www.doit.com/aws-public-ipv4-price-increase-the-complete-guide/",
        note="every public IPv4 address, in use or idle, since 2024-02-01",
    ),
    Price(
        "aws.rds.db.t4g.micro",
        0.016,
        "instance-hour",
        "us-east-1",
        "https://infratally.com/articles/aws-rds-pricing-explained-2026.html",
        note="Single-AZ PostgreSQL; Multi-AZ runs a standby: twice",
    ),
    Price(
        "aws.rds.db.t4g.small",
        0.032,
        "instance-hour",
        "us-east-1",
        "https://infratally.com/articles/aws-rds-pricing-explained-2026.html",
    ),
    Price(
        "aws.rds.db.t4g.medium",
        0.065,
        "instance-hour",
        "us-east-1",
        "https://infratally.com/articles/aws-rds-pricing-explained-2026.html",
    ),
    Price(
        "aws.rds.gp3_gb_month",
        0.115,
        "GB-month",
        "us-east-1",
        "https://www.usage.ai/blogs/aws/reserved-instances/rds/pricing-calculator/",
        note="provisioned gp3 storage; Multi-AZ stores it twice",
    ),
    Price(
        "aws.ec2.instance_hour",
        None,
        "instance-hour",
        "us-east-1",
        "https://aws.amazon.com/ec2/pricing/on-demand/",
        note="no stored page gave a current us-east-1 rate for the t3 sizes the stack uses",
    ),
    Price(
        "aws.ebs.gp3_gb_month",
        0.08,
        "GB-month",
        "us-east-1",
        "https://www.saisci.com/aws/gp2-vs-gp3-cost-comparison-ebs-volumes/",
        note="N. Virginia, quoting https://aws.amazon.com/ebs/pricing/ (page dated 2021-02-04); "
        "3,000 IOPS and 125 MB/s included",
    ),
    Price(
        "aws.ecr.gb_month",
        0.10,
        "GB-month",
        "us-east-1",
        "https://cloudburn.io/blog/amazon-ecr-pricing",
        note="private repository storage, quoting https://aws.amazon.com/ecr/pricing/ "
        "as of March 2026",
    ),
    Price(
        "aws.secretsmanager.secret_month",
        0.40,
        "secret-month",
        "all regions",
        "https://hivebook.wiki/wiki/aws-secrets-manager-rotated-secrets-dynamic-db-credentials-kms",
    ),
    Price(
        "aws.secretsmanager.10k_calls",
        0.05,
        "10,000 API calls",
        "all regions",
        "https://hivebook.wiki/wiki/aws-secrets-manager-rotated-secrets-dynamic-db-credentials-kms",
    ),
    Price(
        "aws.kms.key_month",
        1.00,
        "key-month",
        "all regions",
        "https://aws.amazon.com/kms/pricing/",
        note="each automatic rotation adds $1/month for the retained backing key",
    ),
    Price(
        "aws.cloudwatch.logs_gb",
        0.50,
        "GB ingested",
        "us-east-1",
        "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/",
        note="5 GB/month free per account (https://aws.amazon.com/cloudwatch/pricing/), "
        "not subtracted",
    ),
    Price(
        "aws.cloudwatch.dashboard_month",
        3.00,
        "dashboard-month",
        "us-east-1",
        "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/",
        note="3 custom dashboards free per account (https://aws.amazon.com/cloudwatch/pricing/)",
    ),
    Price(
        "aws.cloudwatch.alarm_month",
        0.10,
        "alarm metric-month",
        "not stated",
        "https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm",
        note="standard resolution; 10 alarm metrics free per account "
        "(https://aws.amazon.com/cloudwatch/pricing/), not subtracted",
    ),
    Price(
        "aws.cloudwatch.metric_month",
        0.30,
        "custom metric-month",
        "not stated",
        "https://cal53.calculator.city/cloudwatch-custom-metrics-calculator/",
        read=date(2026, 11, 30),
        note="first 10,000 metrics (third-party page); 10 custom metrics free per account "
        "(https://aws.amazon.com/cloudwatch/pricing/), not subtracted",
    ),
    Price(
        "aws.container_insights",
        None,
        "month",
        "us-east-1",
        "https://aws.amazon.com/cloudwatch/pricing/",
        note="Container Insights bills metrics and logs by volume; not estimated",
    ),
    # --- Azure
    Price(
        "azure.containerapps.vcpu_second",
        None,
        "vCPU-second",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/container-apps/",
        note="free: 180,000 vCPU-s, 360,000 GiB-s and 2M requests per subscription-month "
        "(https://learn.microsoft.com/en-ca/azure/container-apps/billing); rates not in the copy",
    ),
    Price(
        "azure.containerapps.gib_second",
        None,
        "GiB-second",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/container-apps/",
    ),
    Price(
        "azure.containerapps.million_requests",
        None,
        "million requests",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/container-apps/",
    ),
    Price(
        "azure.vm.Standard_D2s_v5",
        0.096,
        "VM-hour",
        "eastus",
        "https://c3x.dev/blog/azure-vm-types-compared",
        note="pay-as-you-go Linux, June 2026; West Europe not given",
    ),
    Price(
        "azure.vm.instance_hour",
        None,
        "VM-hour",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/virtual-machines/linux/",
        note="sizes other than Standard_D2s_v5 (Standard_B2s included) not found",
    ),
    Price(
        "azure.disk.managed_month",
        None,
        "disk-month",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/managed-disks/",
    ),
    Price(
        "azure.lb.hour",
        0.025,
        "LB-hour",
        "not stated",
        "https://c3x.dev/resources/azure/azurerm_lb",
        note="Standard SKU, first 5 rules; $0.01/rule-hour beyond",
    ),
    Price(
        "azure.lb.gb",
        0.005,
        "GB processed",
        "not stated",
        "https://c3x.dev/resources/azure/azurerm_lb",
    ),
    Price(
        "azure.public_ip.hour",
        0.005,
        "IP-hour",
        "eastus",
        "https://c3x.dev/resources/azure/azurerm_nat_gateway/",
        note="Standard static IP, about $3.65/month",
    ),
    Price(
        "azure.nat.hour",
        0.045,
        "gateway-hour",
        "eastus",
        "https://c3x.dev/resources/azure/azurerm_nat_gateway/",
    ),
    Price(
        "azure.nat.gb",
        0.045,
        "GB processed",
        "eastus",
        "https://c3x.dev/resources/azure/azurerm_nat_gateway/",
    ),
    Price(
        "azure.appgw.hour",
        None,
        "gateway-hour",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/application-gateway/",
        note="a fixed hourly charge plus capacity units; no stored page gave a USD rate",
    ),
    Price(
        "azure.postgres.Standard_B1ms",
        0.017,
        "server-hour",
        "not stated",
        "https://github.com/microsoft/azure-skills/blob/1a03acfb9ac1a1a05518bf7420d4618cc41847be/"
        "skills/azure-app-onboard/prepare/references/pricing-guide-services.md",
        note="Microsoft's own reference value: Burstable B1ms about $12.41/month (/ 730 h); "
        "it says reference values may be outdated and names no region",
    ),
    Price(
        "azure.postgres.instance_hour",
        None,
        "server-hour",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/postgresql/flexible-server/",
        note="SKUs other than Standard_B1ms not found",
    ),
    Price(
        "azure.postgres.gb_month",
        0.115,
        "GB-month",
        "not stated",
        "https://github.com/microsoft/azure-skills/blob/1a03acfb9ac1a1a05518bf7420d4618cc41847be/"
        "skills/azure-app-onboard/prepare/references/pricing-guide-services.md",
        note="Microsoft's reference value (~$0.115/GiB-month, Premium SSD storage); no region",
    ),
    Price(
        "azure.acr.Basic_day",
        0.167,
        "registry-day",
        "not stated",
        "https://learn.microsoft.com/uk-ua/azure/container-registry/container-registry-skus",
        note="10 GB included",
    ),
    Price(
        "azure.acr.day",
        None,
        "registry-day",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/container-registry/",
        note="Standard and Premium daily rates not in the stored pages",
    ),
    Price(
        "azure.keyvault.10k_operations",
        0.03,
        "10,000 operations",
        "not stated",
        "https://learn.microsoft.com/en-us/answers/questions/5608202/"
        "how-to-correctly-estimate-azure-key-vault-cost",
        # https://caleta.io/blog/key-vault-costs-enterprise-scale/ says "roughly 0.024" with no
        # currency or region: the Microsoft Q&A figure is kept.
        note="Standard tier, '~$0.03 per 10,000 operations' (Microsoft Q&A answer, not the "
        "pricing page https://azure.microsoft.com/pricing/details/key-vault/)",
    ),
    Price(
        "azure.loganalytics.gb",
        None,
        "GB ingested",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/monitor/",
    ),
    Price(
        "azure.monitor.metric_alert_month",
        None,
        "alert rule-month",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/monitor/",
    ),
    Price(
        "azure.monitor.log_alert_month",
        None,
        "log search alert rule-month (5-minute frequency)",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/monitor/",
        note="billed per rule by evaluation frequency; the queries also read ingested logs",
    ),
    Price(
        "azure.monitor.action_group_month",
        None,
        "month",
        "westeurope",
        "https://azure.microsoft.com/pricing/details/monitor/",
        note="notifications are billed per message sent",
    ),
    Price(
        "azure.privatedns.zone_month",
        None,
        "zone-month",
        "global",
        "https://azure.microsoft.com/pricing/details/dns/",
    ),
    Price(
        "azure.aks.control_plane_hour",
        0.0,
        "cluster-hour",
        "all regions",
        "https://learn.microsoft.com/en-nz/dotnet/api/"
        "azure.resourcemanager.containerservice.models.managedclusterskutier?view=azure-dotnet",
        note="the stack sets no AKS sku, i.e. the Free tier: 'The cluster management is free, "
        "but charged for VM, storage, and networking usage' (the Standard tier is not priced)",
    ),
    # --- GCP (us-central1 unless noted)
    Price(
        "gcp.run.vcpu_second",
        0.000024,
        "vCPU-second",
        "us-central1 (Tier 1)",
        "https://cloud.google.com/run/pricing",
        note="request-based billing; free: 180,000 vCPU-s, 360,000 GiB-s, 2M requests per "
        "billing account-month, not subtracted",
    ),
    Price(
        "gcp.run.gib_second",
        0.0000025,
        "GiB-second",
        "us-central1 (Tier 1)",
        "https://cloudwebschool.com/tools/cloud-run-cost-calculator/",
    ),
    Price(
        "gcp.run.million_requests",
        0.40,
        "million requests",
        "us-central1 (Tier 1)",
        "https://cloudwebschool.com/tools/cloud-run-cost-calculator/",
    ),
    Price(
        "gcp.run.idle_instance_second",
        None,
        "instance-second",
        "us-central1 (Tier 1)",
        "https://cloud.google.com/run/pricing",
        note="an idle minimum instance under request-based billing; "
        "the rate was cut off in the copy",
    ),
    Price(
        "gcp.run.instance_vcpu_second",
        0.000018,
        "vCPU-second",
        "us-central1 (Tier 1)",
        "https://cloud.google.com/run/pricing",
        note="instance-based billing (CPU always allocated)",
    ),
    Price(
        "gcp.compute.e2-small",
        0.016752855,
        "VM-hour",
        "us-central1",
        "https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator/blob"
        "/fd66b26ff84fee5cdd94f341ea89206e76c06b99/pricing.yml",
        note="on-demand; a file generated 2026-07-30 from Google's Cloud Billing Catalog API "
        "(official page https://cloud.google.com/compute/vm-instance-pricing)",
    ),
    Price(
        "gcp.compute.e2-medium",
        0.03350571,
        "VM-hour",
        "us-central1",
        "https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator/blob"
        "/fd66b26ff84fee5cdd94f341ea89206e76c06b99/pricing.yml",
        note="on-demand; same generated file",
    ),
    Price(
        "gcp.compute.instance_hour",
        None,
        "VM-hour",
        "us-central1",
        "https://cloud.google.com/compute/vm-instance-pricing",
        note="machine types other than e2-small / e2-medium",
    ),
    Price(
        "gcp.disk.gb_month",
        0.10,
        "GB-month",
        "us-central1",
        "https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator/blob"
        "/fd66b26ff84fee5cdd94f341ea89206e76c06b99/pricing.yml",
        note="pd-balanced (the boot disk type infra/gcp/vm.py sets); generated 2026-07-30 from "
        "the Cloud Billing Catalog API (https://cloud.google.com/compute/disks-image-pricing)",
    ),
    Price(
        "gcp.lb.forwarding_rule_hour",
        0.025,
        "rule-hour",
        "global",
        "https://raw.githubusercontent.com/api-evangelist/google-cloud-load-balancing/refs/heads/"
        "main/plans/google-cloud-load-balancing-plans-pricing.yml",
        note="global forwarding rules, first 5 ($0.01/h each beyond), transcribed 2026-09-20 "
        "from https://cloud.google.com/load-balancing/pricing; a regional network LB rule's "
        "rate was not read separately",
    ),
    Price(
        "gcp.static_ip.hour",
        None,
        "IP-hour",
        "us-central1",
        "https://cloud.google.com/vpc/network-pricing",
        note="Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml (generated "
        "2026-07-30) gives $0.005/h in use by a VM and $0.01/h unused; the rate for an address "
        "held by a forwarding rule was not found",
    ),
    Price(
        "gcp.nat.vm_hour",
        0.0014,
        "VM-hour",
        "all regions",
        "https://cloud.google.com/nat/pricing",
        note="per VM using the gateway, capped at 32 VMs ($0.044/h)",
    ),
    Price(
        "gcp.nat.gib",
        0.045,
        "GiB processed",
        "all regions",
        "https://cloud.google.com/nat/pricing",
    ),
    Price(
        "gcp.nat.ip_hour",
        0.005,
        "IP-hour",
        "all regions",
        "https://cloud.google.com/nat/pricing",
    ),
    Price(
        "gcp.sql.vcpu_hour",
        0.0413,
        "vCPU-hour",
        "us-central1",
        "https://www.usage.ai/blogs/gcp/cloud-sql/pricing/",
        note="Enterprise edition, dedicated core; HA (REGIONAL) twice",
    ),
    Price(
        "gcp.sql.gb_hour",
        0.007,
        "GB-hour",
        "us-central1",
        "https://www.usage.ai/blogs/gcp/cloud-sql/pricing/",
    ),
    Price(
        "gcp.sql.ssd_gb_month",
        None,
        "GB-month",
        "us-central1",
        "https://cloud.google.com/sql/pricing",
    ),
    Price(
        "gcp.gke.cluster_hour",
        0.10,
        "cluster-hour",
        "all regions",
        "https://cloud.google.com/kubernetes-engine/pricing",
        note="$74.40/month free-tier credit per billing account (one Autopilot cluster), "
        "not subtracted",
    ),
    Price(
        "gcp.gke.autopilot_vcpu_hour",
        0.0445,
        "vCPU-hour",
        "not stated",
        "https://toolstac.com/tool/gke-enterprise/enterprise-transition-guide",
        note="pod requests; a practitioner's page, the official table did not render",
    ),
    Price(
        "gcp.gke.autopilot_gb_hour",
        0.0049225,
        "GB-hour",
        "not stated",
        "https://toolstac.com/tool/gke-enterprise/enterprise-transition-guide",
    ),
    Price(
        "gcp.artifactregistry.gb_month",
        None,
        "GB-month",
        "us-central1",
        "https://cloud.google.com/artifact-registry/pricing",
    ),
    Price(
        "gcp.secretmanager.version_month",
        0.06,
        "active version-month",
        "per location",
        "https://cloud.google.com/secret-manager/pricing",
        note="6 versions free per billing account, not subtracted",
    ),
    Price(
        "gcp.secretmanager.10k_access",
        0.03,
        "10,000 accesses",
        "global",
        "https://cloud.google.com/secret-manager/pricing",
    ),
    Price(
        "gcp.logging.gib",
        0.50,
        "GiB ingested",
        "global",
        "https://cloud.google.com/stackdriver/pricing",
        note="first 50 GiB per project-month free, not subtracted",
    ),
    Price(
        "gcp.monitoring.log_metric_month",
        None,
        "month",
        "global",
        "https://cloud.google.com/stackdriver/pricing",
        note="user-defined log-based metrics bill as Monitoring data by volume",
    ),
    Price(
        "gcp.monitoring.alert_condition_month",
        1.50,
        "condition-month",
        "global",
        "https://cloud.google.com/monitoring/alerts/cost-control",
        # https://taourl.com/read-2191884.html claims $0.10 per policy-month: the official page
        # ("the $1.50-per-condition cost") is kept.
        note="plus $0.35 per million time series returned (not estimated; about 86,400 "
        "evaluations a month for one series at a 30 s period)",
    ),
    Price(
        "gcp.monitoring.uptime_check_month",
        None,
        "check-month",
        "global",
        "https://cloud.google.com/stackdriver/pricing",
    ),
    Price(
        "gcp.monitoring.prometheus_month",
        None,
        "month",
        "global",
        "https://cloud.google.com/stackdriver/pricing",
        note="Managed Service for Prometheus bills samples ingested",
    ),
    Price(
        "gcp.monitoring.dashboard_month",
        None,
        "dashboard-month",
        "global",
        "https://cloud.google.com/stackdriver/pricing",
    ),
]

PRICES: dict[str, Price] = {row.key: row for row in _ROWS}


def price(key: str) -> Price:
    """A row of the table; a typo in a rule fails loudly."""
    return PRICES[key]
