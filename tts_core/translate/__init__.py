"""Translation with NLLB-200: :mod:`service` (the stage: masking, cache, batching, sanity
checks, the model slot) and :mod:`masking` (pure) above :mod:`backends` (the only code that
imports torch, transformers or CTranslate2).
"""
