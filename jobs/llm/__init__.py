"""LLM assist: rewrites for queries the rules left at baseline, and a plan explanation.

Nothing the LLM says is trusted: every proposal passes :mod:`jobs.llm.gate` before it can
replace a query. Entry point: :func:`jobs.llm.stage.llm_assist`.
"""
