"""The doc tools over saved exchange doc pages: ``make check-docs`` (compare with specs/), ``make new-endpoint``
(draft an endpoint file from a page) and ``make update-specs`` (apply the pages' changes to specs/).

One model serves all three: a page and a spec endpoint file are both read into ``_model.PageOperation``
(``_pages.py``, ``_specs.py``), ``check.py`` compares two of them and attaches to each difference the edit
``_update.py`` applies, and ``_draft.py`` writes a page's operation with the same field writers and checks the
draft with the same comparer. Maintainer tools over a checkout's specs/, so they live in scripts/, not in the wheel.
"""
