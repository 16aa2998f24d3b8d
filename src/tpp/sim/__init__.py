"""War-gaming simulator: programmes run against agent populations on a local chain."""
