"""Measured verification of a plan: run DDL and migrations, time and compare every query, score x, y, z."""
