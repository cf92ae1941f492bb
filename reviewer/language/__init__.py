"""Language tools every layer above shares, spaCy-free: the section policy (which sections
tell today's operation), lexicons, ConText assertion (medspaCy's semantics, fastcontext) and the
affirmation screen; a regex prefilter and accelerator."""
