"""Enrolment, teacher demand and teacher supply projections.

Pure computation on labelled pandas objects: no solver, no plotting, no files.
"""
from forecast.errors import InputError, Problem
from forecast.grades import GradeMap

__all__ = ["InputError", "Problem", "GradeMap"]
