"""EC2: an Auto Scaling group of Amazon Linux 2023 instances running the image, behind the ALB."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import image_contract as contract
from infra import vm_boot
from infra.aws import iam
from infra.aws.cloud_init import cloud_init
from infra.aws.loadbalancer import BACKEND_ENV
from infra.aws.roles import runtime_policy
from infra.aws.runtime import RuntimeArgs
from infra.component import Component
from infra.pulumi_outputs import all_dict

AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


@dataclass(kw_only=True)
class VmArgs(RuntimeArgs):
    """What the instances need from the rest of the target."""

    registry: pulumi.Input[str]
    instance_type: str
    labels: Mapping[str, str]


class Vm(Component[VmArgs]):
    """Instance role and profile, launch template (IMDSv2, encrypted, no key pair), ASG."""

    group: aws.autoscaling.Group

    def build(self, name: str, args: VmArgs) -> None:
        child = self.child
        spec = args.spec
        role = aws.iam.Role(
            f"{name}-instance", assume_role_policy=json.dumps(iam.assume_role("ec2")), opts=child
        )
        # Session Manager replaces SSH: no key pair, no port 22, every session audited.
        grants: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-ssm", role=role.name, policy_arn=SSM_CORE, opts=child
            ),
            aws.iam.RolePolicy(
                f"{name}-instance",
                role=role.id,
                policy=runtime_policy(
                    args.repository_arn, args.log_group_arn, args.secret_arns, agent_metrics=True
                ),
                opts=child,
            ),
        ]
        if args.task_policy is not None:
            grants.append(
                aws.iam.RolePolicy(f"{name}-app", role=role.id, policy=args.task_policy, opts=child)
            )
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, opts=child)
        arch = "arm64" if spec.image.platform.endswith("arm64") else "x86_64"
        ami = aws.ssm.get_parameter_output(
            name=AMI_PARAMETER.format(arch=arch), opts=pulumi.InvokeOutputOptions(parent=self)
        )
        user_data = pulumi.Output.all(
            args.image_ref,
            args.registry,
            args.log_group_name,
            all_dict(args.secret_arns),
        ).apply(
            lambda a: base64.b64encode(
                cloud_init(
                    region=args.region,
                    registry=a[1],
                    image_ref=a[0],
                    env={**spec.env, **BACKEND_ENV},  # behind the ALB
                    secret_arns=a[3],
                    log_group=a[2],
                    port=spec.port,
                    stop_timeout=contract.stop_timeout(spec.shutdown_grace_s),
                    limits=vm_boot.Limits(spec.cpu, spec.memory_mib),
                ).encode()
            ).decode()
        )
        tags = [
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=dict(args.labels))
            for kind in ("instance", "volume")
        ]
        template = aws.ec2.LaunchTemplate(
            f"{name}-template",
            image_id=ami.value,
            instance_type=args.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=profile.arn),
            vpc_security_group_ids=[args.security_group_id],
            user_data=user_data,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",  # IMDSv2 only
                http_put_response_hop_limit=2,  # the container reaches the instance role
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=30,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            tag_specifications=tags,
            update_default_version=True,
            opts=child,
        )
        self.group = aws.autoscaling.Group(
            f"{name}-asg",
            vpc_zone_identifiers=args.subnet_ids,
            min_size=spec.min_replicas,
            max_size=spec.max_replicas,
            desired_capacity=spec.min_replicas,
            health_check_type="ELB",
            health_check_grace_period=180,
            target_group_arns=[args.target_group_arn],
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            # A new image digest is a new launch template version: replace instances gradually.
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=100, max_healthy_percentage=200, instance_warmup="180"
                ),
            ),
            enabled_metrics=[
                aws.autoscaling.Metric.GROUP_IN_SERVICE_INSTANCES,
                aws.autoscaling.Metric.GROUP_DESIRED_CAPACITY,
            ],
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["desiredCapacity"],
                # The first boot pulls the image and reads secrets with the instance role's
                # policies; the target group needs its listener; the subnets need their route.
                depends_on=[*grants, *args.listeners, *args.routes],
            ),
        )
        aws.autoscaling.Policy(
            f"{name}-cpu",
            autoscaling_group_name=self.group.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                target_value=60,
                predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ASGAverageCPUUtilization"
                ),
            ),
            opts=child,
        )
        self.register_outputs({"group": self.group.name})
