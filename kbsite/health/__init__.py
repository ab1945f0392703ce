"""Liveness and readiness endpoints for process managers and load balancers."""
