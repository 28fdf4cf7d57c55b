"""A city of districts: the ``[city]`` rows, solved jointly and decomposed."""
from __future__ import annotations

import pytest

from forecast.errors import InputError
from scenarios.schema import load_scenario
from scenarios.validate import check_scenario


def test_city_keys_are_refused_for_a_data_set_of_one_district():
    s = load_scenario().override(city={"cap_total": 100.0})
    with pytest.raises(InputError, match=r"city\.cap_total ties the districts of a city, but the data has one"):
        check_scenario(s)
