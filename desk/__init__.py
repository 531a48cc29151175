"""The help desk's records: tickets, customers, agents, events and analytics, in SQL.

Knows nothing of Qdrant or models: copilot results reach it as plain data."""
