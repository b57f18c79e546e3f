"""Moderation: staff review campaigns before they open, and take down what must not stay up."""
