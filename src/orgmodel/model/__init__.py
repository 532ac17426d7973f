"""The ground floor: kinds, the Structure, building, invariants, plans and apply. Imports nothing above it."""
