"""Bundled configuration: inference and training defaults, ports, sample registry."""
