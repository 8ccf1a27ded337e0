"""The sun's position from time and place (tankerwatch/sun.py) against published reference figures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tankerwatch.sun import _sun_declination_and_equation_of_time, julian_day, sun_elevation_deg, sun_position


def test_julian_day_of_j2000():
    assert julian_day(datetime(2000, 1, 1, 12, tzinfo=timezone.utc)) == pytest.approx(2451545.0)


def test_declination_and_equation_of_time_match_meeus_examples():
    # Meeus, Astronomical Algorithms (2nd ed.), Example 25.a: 1992 October 13.0 TD (JDE 2448908.5), apparent
    # declination -7.78507 degrees; Example 28.b: the equation of time that day is +13 min 42.6 s
    declination, eot_min = _sun_declination_and_equation_of_time(2448908.5)
    assert declination == pytest.approx(-7.78507, abs=0.005)
    assert eot_min == pytest.approx(13 + 42.6 / 60, abs=0.05)


def test_elevation_and_azimuth_match_nrel_spa_example():
    # Reda & Andreas, Solar Position Algorithm for Solar Radiation Applications (NREL/TP-560-34302, 2003/2008),
    # the worked example: 2003-10-17 12:30:30 local (UTC-7) at 39.742476 N, 105.1786 W: topocentric zenith
    # 50.11162 degrees (elevation 39.88838) and azimuth 194.34024 degrees
    p = sun_position(datetime(2003, 10, 17, 19, 30, 30, tzinfo=timezone.utc), -105.1786, 39.742476)
    assert p.elevation_deg == pytest.approx(90.0 - 50.11162, abs=0.1)
    assert p.azimuth_deg == pytest.approx(194.34024, abs=0.1)


def test_noon_sun_stands_south_in_the_north_and_morning_sun_east():
    # Vostochny (42.7 N, 133.1 E) on 2024-05-01: local solar noon is near 03:10 UTC, 09:00 local is near 23:10 UTC
    noon = sun_position(datetime(2024, 5, 1, 3, 10, tzinfo=timezone.utc), 133.065, 42.7475)
    morning = sun_position(datetime(2024, 4, 30, 23, 10, tzinfo=timezone.utc), 133.065, 42.7475)
    assert 170 < noon.azimuth_deg < 190
    # upper transit: elevation 90 - latitude + declination (about +15 degrees on 1 May)
    assert noon.elevation_deg == pytest.approx(90 - 42.7475 + noon.declination_deg, abs=0.3)
    assert 60 < morning.azimuth_deg < 120 and morning.elevation_deg < noon.elevation_deg


def test_night_is_below_the_horizon_and_naive_times_are_utc():
    t = datetime(2024, 5, 1, 15, 0)  # 01:00 local at Vostochny
    assert sun_elevation_deg(t, 133.065, 42.7475) < -10
    assert sun_elevation_deg(t, 133.065, 42.7475) == sun_elevation_deg(t.replace(tzinfo=timezone.utc), 133.065, 42.7475)
    later = sun_elevation_deg(t + timedelta(hours=12), 133.065, 42.7475)
    assert later > 30
