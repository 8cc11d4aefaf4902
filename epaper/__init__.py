"""What e-paper URLs and page labels say, read the same way by the crawler and the pipeline.

A leaf below both stages: it imports none of them (see epaper.urls for why it exists).
"""
