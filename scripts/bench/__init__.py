"""`make bench`: per-call cost, async fan-out, signing, import and generation times, as ratios against floors."""
