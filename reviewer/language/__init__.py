"""Language tools every layer above shares: the section policy (which sections tell today's
operation), lexicons, ConText assertion and the affirmation screen."""
