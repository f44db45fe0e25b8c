"""consent: server-side cookie consent driven by a vendor registry."""
