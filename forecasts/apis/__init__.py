"""REST API of congestion forecasts, under /api/forecasts/ (forecasts/api_urls.py)."""
