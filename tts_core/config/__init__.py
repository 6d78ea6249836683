"""Settings: :mod:`schema` (frozen dataclasses, pure), :mod:`loader` (YAML -> Config with
cfgv-style errors), :mod:`docs` (default.yaml and schema.json generated from the schema),
:mod:`state` (the config in effect, per project) and :mod:`watch` (live reload).
"""
