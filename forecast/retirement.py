"""Statutory retirement under the 2024 reform (NPC Standing Committee decision
of 13 September 2024, in force from 1 January 2025).

Over 15 years the age rises from 60 to 63 for men and from 55 to 58 for women
on the 55 track, one month for every four months of birth date; from 50 to 55
for women on the 50 track, one month for every two months. The first cohorts
affected are those whose old retirement date fell in January 2025.
"""
from __future__ import annotations

import numpy as np

# track -> (old age in years, first birth year affected, months of birth per
# month of delay, largest delay in months)
TRACKS = {
    "M60": (60, 1965, 4, 36),
    "F55": (55, 1970, 4, 36),
    "F50": (50, 1975, 2, 60),
}


def retirement_age_months(birth_year, birth_month, track: str):
    """Statutory retirement age in months for a birth year and month (1-12).

    Works element-wise on numpy arrays.
    """
    old, first, per, most = TRACKS[track]
    k = (np.asarray(birth_year) - first) * 12 + (np.asarray(birth_month) - 1)
    delay = np.where(k < 0, 0, np.minimum(most, k // per + 1))
    return old * 12 + delay


def retirement_month(birth_year, birth_month, track: str):
    """(year, month) in which the statutory age is reached."""
    total = np.asarray(birth_year) * 12 + (np.asarray(birth_month) - 1) + retirement_age_months(
        birth_year, birth_month, track)
    return total // 12, total % 12 + 1


def share_in_post(age_at_base, sex, base_year: int, year: int, female_track: str = "F55") -> np.ndarray:
    """Share of a roster cell still below the statutory age at the start of
    school year ``year`` (1 September), birth months spread evenly.

    ``age_at_base`` is completed years on 1 September of ``base_year``, so the
    cell was born between September of base_year-age-1 and August of base_year-age.
    """
    age = np.asarray(age_at_base)[:, None]
    sexes = np.asarray(sex)[:, None]
    offs = np.arange(12)[None, :]                     # Sep(y-1) .. Aug(y)
    by = base_year - age - 1 + (8 + offs) // 12
    bm = (8 + offs) % 12 + 1
    out = np.empty(by.shape, dtype=float)
    start = year * 12 + 8                              # September of `year`, in months
    for track in ("M60", "F55", "F50"):
        mask = np.broadcast_to(np.where(sexes == "M", "M60", female_track) == track, by.shape)
        if not mask.any():
            continue
        rm = by * 12 + (bm - 1) + retirement_age_months(by, bm, track)
        out[mask] = (rm > start)[mask]
    return out.mean(axis=1)
