"""The ALB in front of the service (serverless and vm): the only thing open to the internet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.component import Component

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
IDLE_TIMEOUT_S = 300  # streams can be quiet for a while between tokens
# The service must keep idle connections open longer than the ALB does, or the ALB reuses a
# connection the service just closed and answers 502: "configure the idle timeout of your
# application to be larger than the idle timeout configured for the load balancer"
# (docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html,
# read 2026-11-29). uvicorn's own default is 5 s.
BACKEND_ENV = {"LLMCHAIN_KEEP_ALIVE_S": str(IDLE_TIMEOUT_S + 20)}
DEREGISTRATION_DELAY_S = 45  # longer than the app's 30 s drain on SIGTERM


@dataclass
class LoadBalancerArgs:
    """Where it sits, who may reach it, and what it forwards to."""

    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    public: bool
    domain: str | None
    hosted_zone_id: str | None
    target_type: str  # "ip" (Fargate) or "instance" (EC2)
    port: int
    readiness_path: str


class LoadBalancer(Component[LoadBalancerArgs]):
    """ALB, its security group, the target group, listeners; HTTPS when a domain is set."""

    url: pulumi.Output[str]
    security_group: aws.ec2.SecurityGroup
    target_group: aws.lb.TargetGroup
    alb: aws.lb.LoadBalancer
    # The workload waits for these: ECS refuses a service whose target group has no listener
    # yet ("does not have an associated load balancer"), and with a domain the HTTPS listener
    # waits minutes for ACM validation.
    listeners: list[aws.lb.Listener]

    def build(self, name: str, args: LoadBalancerArgs) -> None:
        child = self.child
        https = args.domain is not None
        sources = (
            {"cidr_blocks": ["0.0.0.0/0"]} if args.public else {"cidr_blocks": [args.vpc_cidr]}
        )
        ports = [443, 80] if https else [80]
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=args.vpc_id,
            description="load balancer: HTTP(S) in, the service port out",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"HTTP{'S' if port == 443 else ''}",
                    **sources,
                )
                for port in ports
            ],
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp",
                    from_port=args.port,
                    to_port=args.port,
                    cidr_blocks=[args.vpc_cidr],
                    description="to the service",
                )
            ],
            opts=child,
        )
        self.alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=not args.public,
            subnets=args.public_subnet_ids if args.public else args.private_subnet_ids,
            security_groups=[self.security_group.id],
            idle_timeout=IDLE_TIMEOUT_S,
            drop_invalid_header_fields=True,
            enable_http2=True,
            opts=child,
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            vpc_id=args.vpc_id,
            port=args.port,
            protocol="HTTP",
            target_type=args.target_type,
            deregistration_delay=DEREGISTRATION_DELAY_S,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                path=args.readiness_path,
                matcher="200",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            opts=child,
        )
        forward = [
            aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.target_group.arn)
        ]
        if not https:
            http = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=self.alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=forward,
                opts=child,
            )
            self.listeners = [http]
            self.url = pulumi.Output.concat("http://", self.alb.dns_name)
        else:
            certificate_arn = self._certificate(name, args, child)
            secure = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.alb.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=certificate_arn,
                default_actions=forward,
                opts=child,
            )
            redirect = aws.lb.ListenerDefaultActionRedirectArgs(
                protocol="HTTPS", port="443", status_code="HTTP_301"
            )
            redirecting = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=self.alb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[
                    aws.lb.ListenerDefaultActionArgs(type="redirect", redirect=redirect)
                ],
                opts=child,
            )
            self.listeners = [secure, redirecting]
            self.url = pulumi.Output.from_input(f"https://{args.domain}")
        self.register_outputs({"url": self.url})

    def _certificate(
        self, name: str, args: LoadBalancerArgs, child: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        """An ACM certificate validated in the Route 53 zone, and the name pointed at the ALB."""
        assert args.domain and args.hosted_zone_id  # the config requires both together
        certificate = aws.acm.Certificate(
            f"{name}-cert", domain_name=args.domain, validation_method="DNS", opts=child
        )
        option = certificate.domain_validation_options[0]
        record = aws.route53.Record(
            f"{name}-cert-validation",
            zone_id=args.hosted_zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-cert",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=child,
        )
        aws.route53.Record(
            f"{name}-alias",
            zone_id=args.hosted_zone_id,
            name=args.domain,
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=self.alb.dns_name, zone_id=self.alb.zone_id, evaluate_target_health=True
                )
            ],
            opts=child,
        )
        return validation.certificate_arn
