"""Example scenario scripts (see README, "Scenarios from Python")."""
