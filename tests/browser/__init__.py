"""Browser tests: the real pages in headless Chromium (Debian's `chromium`)."""
