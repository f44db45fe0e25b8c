"""The example site: a reviews article page with 34 third-party services, every one gated by consent."""
