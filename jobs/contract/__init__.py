"""The models the outside world sees: the workload, the plan and report, the profile, verification.

Imports nothing else of the project: every other layer may depend on it.
"""
