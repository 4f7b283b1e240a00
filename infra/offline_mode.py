"""Whether the program runs under the offline plan: infra/plan.py sets `enabled`.

Helpers that would call a network (a registry, a cloud API) answer locally when it is set.
"""

enabled = False
