"""The VPC: public subnets for the load balancer only, private ones for everything else."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws import iam
from infra.component import Component

VPC_CIDR = "10.40.0.0/16"
ZONES = 2


def subnet_cidrs(vpc_cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """/20 subnets: the first `zones` public, the next `zones` private."""
    blocks = [str(net) for net in ipaddress.ip_network(vpc_cidr).subnets(new_prefix=20)]
    return blocks[:zones], blocks[zones : 2 * zones]


@dataclass
class NetworkArgs:
    """How many NAT gateways: one (cheap) or one per zone (a zone can fail)."""

    ha: bool
    log_retention_days: int


class Network(Component[NetworkArgs]):
    """VPC over two zones, internet and NAT gateways, routes, and flow logs."""

    vpc: aws.ec2.Vpc
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    # The private subnets' way out (route table with the NAT route, associated): tasks and
    # instances wait for it, or their first image pull and secret fetch have no route.
    private_routes: list[aws.ec2.RouteTableAssociation]

    def build(self, name: str, args: NetworkArgs) -> None:
        child = self.child
        zones = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self)
        ).names
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=VPC_CIDR,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"}, opts=child
        )
        public_cidrs, private_cidrs = subnet_cidrs(VPC_CIDR, ZONES)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags={"Name": f"{name}-public"},
            opts=child,
        )
        public: list[aws.ec2.Subnet] = []
        private: list[aws.ec2.Subnet] = []
        self.private_routes = []
        for index in range(ZONES):
            zone = zones[index]
            subnet = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=self.vpc.id,
                cidr_block=public_cidrs[index],
                availability_zone=zone,
                map_public_ip_on_launch=False,  # the load balancer has its own addresses
                tags={"Name": f"{name}-public-{index}", "kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=child,
            )
            public.append(subnet)
        nats: list[aws.ec2.NatGateway] = []
        for index in range(ZONES if args.ha else 1):
            eip = aws.ec2.Eip(
                f"{name}-nat-{index}",
                domain="vpc",
                tags={"Name": f"{name}-nat-{index}"},
                opts=child,
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=public[index].id,
                    tags={"Name": f"{name}-nat-{index}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        for index in range(ZONES):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=private_cidrs[index],
                availability_zone=zones[index],
                tags={"Name": f"{name}-private-{index}", "kubernetes.io/role/internal-elb": "1"},
                opts=child,
            )
            route_table = aws.ec2.RouteTable(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                routes=[
                    aws.ec2.RouteTableRouteArgs(
                        cidr_block="0.0.0.0/0", nat_gateway_id=nats[index % len(nats)].id
                    )
                ],
                tags={"Name": f"{name}-private-{index}"},
                opts=child,
            )
            self.private_routes.append(
                aws.ec2.RouteTableAssociation(
                    f"{name}-private-{index}",
                    subnet_id=subnet.id,
                    route_table_id=route_table.id,
                    opts=child,
                )
            )
            private.append(subnet)
        # The default security group of a VPC allows all traffic between its members: empty it.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, opts=child)
        self._flow_logs(name, args, child)
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.register_outputs({"vpc_id": self.vpc.id})

    def _flow_logs(self, name: str, args: NetworkArgs, child: pulumi.ResourceOptions) -> None:
        """Every accepted and rejected connection, kept in CloudWatch Logs."""
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/llmchain/{name}/vpc-flow-logs",
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=json.dumps(iam.assume_role("vpc-flow-logs")),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=group.arn.apply(lambda arn: json.dumps(iam.write_logs(arn))),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            opts=child,
        )
