"""One module per source: where its bytes come from and how they parse into staging tables."""
