"""What the engine knows of a workload: source tables, namespaces, query blocks, the weighted usage model."""
