"""llmchain's Pulumi program: stack config -> workload spec -> one cloud's target -> outputs."""
