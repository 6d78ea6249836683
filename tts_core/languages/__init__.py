"""Languages: :mod:`catalog` (what a setting like ``ja`` or ``japanese`` means), :mod:`table`
(all 202 NLLB codes, generated) and :mod:`scripts` (the writing systems). Pure.
"""
