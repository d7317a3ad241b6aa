"""Pure risk rules: caps incl. pending orders, backoff, self-trade prevention, trading state."""
