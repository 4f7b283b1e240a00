"""RDS PostgreSQL for chat memory: private, encrypted, backed up, for the workload only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from infra.component import Component

PORT = 5432
ENGINE_VERSION = "16"
DEFAULT_CLASS = "db.t4g.micro"
DATABASE = "llmchain"
USER = "llmchain"


@dataclass
class DatabaseArgs:
    """Where it lives and who may connect."""

    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_id: pulumi.Input[str]
    instance_class: str | None
    deletion_protection: bool
    ha: bool


class Database(Component[DatabaseArgs]):
    """The instance, its subnet group and security group, and the connection URL (a secret)."""

    url: pulumi.Output[str]
    identifier: pulumi.Output[str]

    def build(self, name: str, args: DatabaseArgs) -> None:
        child = self.child
        # Generated here, stored only in Secrets Manager (as part of the URL), never exported.
        password = random.RandomPassword(f"{name}-password", length=32, special=False, opts=child)
        # Secret in state (the engine marks RandomPassword.result so; say it here too).
        secret_password: pulumi.Output[str] = pulumi.Output.secret(password.result)
        subnets = aws.rds.SubnetGroup(f"{name}-subnets", subnet_ids=args.subnet_ids, opts=child)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="PostgreSQL: from the workload only",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=PORT,
                    to_port=PORT,
                    security_groups=[args.client_security_group_id],
                    description="the llmchain workload",
                )
            ],
            opts=child,
        )
        self.instance = aws.rds.Instance(
            f"{name}-db",
            identifier=name,
            engine="postgres",
            engine_version=ENGINE_VERSION,
            instance_class=args.instance_class or DEFAULT_CLASS,
            allocated_storage=20,
            max_allocated_storage=100,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=DATABASE,
            username=USER,
            password=secret_password,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[security_group.id],
            publicly_accessible=False,
            multi_az=args.ha,
            backup_retention_period=7,
            copy_tags_to_snapshot=True,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not args.deletion_protection,
            final_snapshot_identifier=f"{name}-final" if args.deletion_protection else None,
            auto_minor_version_upgrade=True,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            performance_insights_enabled=True,
            opts=child,
        )
        self.identifier = self.instance.identifier
        self.url = pulumi.Output.secret(
            pulumi.Output.format(
                "postgresql://{0}:{1}@{2}:{3}/{4}?sslmode=require",
                USER,
                password.result,
                self.instance.address,
                PORT,
                DATABASE,
            )
        )
        self.register_outputs({"identifier": self.identifier})
