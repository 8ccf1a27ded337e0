"""Where the sun stands: its elevation and azimuth at a place and a UTC time, to a tenth of a degree.

A shadow's length says how tall the thing casting it is only once the sun's elevation is known
(inference/freeboard.py reads a deck's height above the water that way). Most products carry the sun's angles
in their metadata (STAC `view:sun_elevation`, `view:sun_azimuth`); where they do not, the angles follow from the
acquisition time and the place, which is what this module computes.

The algorithm is the low-precision solar position of Meeus (Astronomical Algorithms, 2nd ed., ch. 25 and 28) as
NOAA's solar calculator implements it:

1. the time as Julian centuries T since J2000.0 (UTC stands in for dynamical time: the 70 s between them move
   the sun by 0.0008 degrees);
2. the sun's geometric mean longitude and mean anomaly, the equation of the centre, hence its true longitude,
   corrected for nutation and aberration to the apparent longitude;
3. the obliquity of the ecliptic, hence the sun's declination, and the equation of time (how far the true sun
   runs ahead of the mean sun);
4. the hour angle from the true solar time at the longitude, then elevation and azimuth in the local horizon;
5. the atmosphere's refraction lifts the sun a little (0.5 degrees at the horizon, 0.03 at 30 degrees up).

It is good to about 0.01 degrees in declination for years 1800-2100; with the refraction model the elevation is
within about 0.1 degrees of precise ephemerides, far better than a shadow edge can be placed. Azimuths are
clockwise from true north.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

J2000_JD = 2451545.0  # Julian day of 2000-01-01 12:00
UNIX_EPOCH_JD = 2440587.5  # Julian day of 1970-01-01 00:00 UTC


@dataclass(frozen=True)
class SunPosition:
    """The sun seen from a place: elevation above the horizon and azimuth clockwise from north, in degrees."""

    elevation_deg: float
    azimuth_deg: float
    declination_deg: float
    equation_of_time_min: float  # true solar time minus mean solar time


def julian_day(when: datetime) -> float:
    """Julian day of a time (naive times are taken as UTC)."""
    t = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return UNIX_EPOCH_JD + t.timestamp() / 86400.0


def _sun_declination_and_equation_of_time(jd: float) -> tuple[float, float]:
    """The sun's apparent declination (degrees) and the equation of time (minutes) on a Julian day."""
    t = (jd - J2000_JD) / 36525.0
    mean_long = math.radians((280.46646 + t * (36000.76983 + t * 0.0003032)) % 360.0)
    mean_anomaly = math.radians(357.52911 + t * (35999.05029 - 0.0001537 * t))
    eccentricity = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    centre = (
        math.sin(mean_anomaly) * (1.914602 - t * (0.004817 + 0.000014 * t))
        + math.sin(2 * mean_anomaly) * (0.019993 - 0.000101 * t)
        + math.sin(3 * mean_anomaly) * 0.000289
    )
    omega = math.radians(125.04 - 1934.136 * t)  # the Moon's ascending node: nutation
    apparent_long = math.radians(math.degrees(mean_long) + centre - 0.00569 - 0.00478 * math.sin(omega))
    mean_obliquity = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    obliquity = math.radians(mean_obliquity + 0.00256 * math.cos(omega))
    declination = math.degrees(math.asin(math.sin(obliquity) * math.sin(apparent_long)))
    y = math.tan(obliquity / 2) ** 2
    e, m, lo = eccentricity, mean_anomaly, mean_long
    eot = (
        y * math.sin(2 * lo)
        - 2 * e * math.sin(m)
        + 4 * e * y * math.sin(m) * math.cos(2 * lo)
        - 0.5 * y * y * math.sin(4 * lo)
        - 1.25 * e * e * math.sin(2 * m)
    )
    return declination, 4.0 * math.degrees(eot)


def refraction_deg(elevation_deg: float) -> float:
    """How far the atmosphere lifts the sun at a geometric elevation (NOAA's piecewise model, standard air)."""
    if elevation_deg > 85.0:
        return 0.0
    te = math.tan(math.radians(elevation_deg))
    if elevation_deg > 5.0:
        arcsec = 58.1 / te - 0.07 / te**3 + 0.000086 / te**5
    elif elevation_deg > -0.575:
        arcsec = 1735.0 + elevation_deg * (
            -518.2 + elevation_deg * (103.4 + elevation_deg * (-12.79 + elevation_deg * 0.711))
        )
    else:
        arcsec = -20.774 / te
    return arcsec / 3600.0


def sun_position(when: datetime, lon_deg: float, lat_deg: float, refraction: bool = True) -> SunPosition:
    """The sun's elevation and azimuth at a WGS84 place and time (refraction included unless told otherwise)."""
    jd = julian_day(when)
    declination, eot_min = _sun_declination_and_equation_of_time(jd)
    minutes_utc = ((jd - 0.5) % 1.0) * 1440.0  # Julian days begin at noon
    true_solar_min = (minutes_utc + eot_min + 4.0 * lon_deg) % 1440.0
    hour_angle = math.radians(true_solar_min / 4.0 - 180.0)  # 0 at local solar noon, positive in the afternoon
    lat, dec = math.radians(lat_deg), math.radians(declination)
    cos_zenith = math.sin(lat) * math.sin(dec) + math.cos(lat) * math.cos(dec) * math.cos(hour_angle)
    zenith = math.acos(max(-1.0, min(1.0, cos_zenith)))
    elevation = 90.0 - math.degrees(zenith)
    # azimuth from north, clockwise: east of the meridian before noon, west after
    east = -math.sin(hour_angle) * math.cos(dec)
    north = math.cos(lat) * math.sin(dec) - math.sin(lat) * math.cos(dec) * math.cos(hour_angle)
    azimuth = math.degrees(math.atan2(east, north)) % 360.0
    if refraction:
        elevation += refraction_deg(elevation)
    return SunPosition(elevation, azimuth, declination, eot_min)


def sun_elevation_deg(when: datetime, lon_deg: float, lat_deg: float) -> float:
    """The sun's apparent elevation above the horizon, degrees, at a place and time."""
    return sun_position(when, lon_deg, lat_deg).elevation_deg
