"""Scene I/O, synthetic scenes, dataset builders, registry and port loaders."""
