"""Detector adapter (the only place Ultralytics is imported) and bundled weights."""
