"""Browser tests: the example site driven in Debian's Chromium through Playwright."""
