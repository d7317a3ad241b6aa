"""Domain values shared by every layer: stdlib only, frozen, integer ticks and lots."""
