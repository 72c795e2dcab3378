"""Everything that talks to Meta: the HTTP client, its errors, OAuth and the metric catalogue."""
