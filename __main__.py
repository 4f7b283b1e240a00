"""llmchain: the composition root — stack config -> workload spec -> target -> outputs."""

import pulumi

from infra.config import NAMESPACE, ConfigError, load_stack_config
from infra.spec import build_spec
from infra.targets import target_for

try:
    config = load_stack_config()  # a wrong key fails here, before any resource exists
    deploy = target_for(config.cloud)
except ConfigError as exc:
    raise pulumi.RunError(str(exc)) from None  # the message, without a Python traceback

spec = build_spec(config, pulumi.get_stack(), pulumi.Config(NAMESPACE))
deploy(config, spec).export()
