"""The partners' behaviour: the funding bank, the credit bureau and the SMS gateway over one world.

Each model is pure (no HTTP, no wall clock), keeps its state by borrower and loan, is bound to its contract's
operations by operationId, and reaches the others only through the engine (``call``, ``deliver``, ``event``).
"""
