"""The whole user journey in a real Home Assistant and a real browser (run by scripts/e2e)."""
