"""Wires polling jobs to intake: one APScheduler job per mailbox, leases, graceful shutdown."""
