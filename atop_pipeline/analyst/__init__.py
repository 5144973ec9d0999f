"""For analysts: the generated data dictionary and the static HTML status report."""
