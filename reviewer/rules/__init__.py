"""The decision engine: criteria, verdict, codes, ICD-10-CM suggestions, claim edits."""
