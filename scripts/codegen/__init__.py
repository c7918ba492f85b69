"""Code generation: bundle ``specs/<exchange>`` and render ``generated/<exchange>_client`` (``make generate``)."""
