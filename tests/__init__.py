"""Tests for the SpottyPottySense integration."""
