"""The doc-drift check: saved exchange doc pages against the specs (``make check-docs``)."""
