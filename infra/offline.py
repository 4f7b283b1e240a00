"""Set by the offline plan (infra/plan.py): helpers that would call a network answer locally."""

enabled = False
