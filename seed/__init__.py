"""Seed data: roles for every environment, demo data for development (``flask seed demo``)."""
