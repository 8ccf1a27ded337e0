"""tankerwatch: find tankers in satellite scenes of ports, measure them, name them, alert."""

__version__ = "0.1.0"
