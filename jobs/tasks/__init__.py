"""The task lifecycle: store, service, events, secrets, stages, the pipeline and the arq worker."""
