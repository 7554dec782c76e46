"""The check pipeline (DESIGN sec. 1): ``requests`` (asking for checks), ``inputs`` (what a check
reads), ``evaluate`` (the engine on a document), ``record`` (decisions and lifecycle moves, set-wise),
``run`` (the flow end to end) and ``batching`` (taking visits filed meanwhile into one run)."""
