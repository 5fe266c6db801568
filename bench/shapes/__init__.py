"""The data shapes bench/refdata.py generates, one module each, on shared pieces (operators, rows)."""
