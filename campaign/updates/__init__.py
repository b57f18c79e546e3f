"""Updates to signers, one-click unsubscribes, and the organizer's dashboard."""
