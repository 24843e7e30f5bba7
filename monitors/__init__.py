"""Polling monitors: one module per source (an adapter from its API to model.message.Message), nothing else."""
