"""llmchain: the composition root — stack config -> workload spec -> target -> outputs."""

import pulumi

from infra import access
from infra.config import ConfigError, load_stack_config
from infra.spec import build_spec
from infra.targets import target_for

try:
    # Every llmchain: key, secrets included, read once; a wrong key fails here, before any
    # resource exists.
    config, secrets, location = load_stack_config()
    deploy = target_for(config.cloud)
except ConfigError as exc:
    raise pulumi.RunError(str(exc)) from None  # the message, without a Python traceback

stack = pulumi.get_stack()
has_keys = "apiKeys" in secrets
for warning in access.warnings(config, has_keys):
    pulumi.log.warn(warning)  # shown by `pulumi preview` and `pulumi up`
api_key = access.generated_api_key(stack) if access.needs_generated_key(config, has_keys) else None
deploy(config, build_spec(config, stack, secrets, api_key), location).export()
if api_key is not None:
    pulumi.export("api_key", api_key)  # pulumi stack output --show-secrets api_key
