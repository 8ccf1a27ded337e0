"""Tiling, detection, merge, measurement, matching, visits and alerts."""
