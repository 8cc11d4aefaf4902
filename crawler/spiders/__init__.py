"""One spider per e-paper system; see crawler.run.SYSTEMS for the name → spider map."""
