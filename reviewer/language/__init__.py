"""Language tools shared by the extractors and guardrails (spaCy-free)."""
