"""Speech engines: :mod:`base` (the protocol), :mod:`registry` (names, pure), :mod:`chain`
(fallback, breaker, cache) and one module per engine. Engines never import each other."""
