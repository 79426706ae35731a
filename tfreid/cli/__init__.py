"""Command-line front ends; ``scripts/`` calls these."""
